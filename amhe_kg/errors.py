"""The error a build stops with when its input is wrong."""

from __future__ import annotations

from pathlib import Path


class SourceError(Exception):
    """A problem in a curated source file, located by file, line, record and field."""

    def __init__(
        self,
        path: Path | str,
        record: str | None,
        field: str | None,
        problem: str,
        line: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.record = record
        self.field = field
        self.problem = problem
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        parts = [where]
        if self.record is not None:
            parts.append(f"record {self.record!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        parts.append(self.problem)
        return ": ".join(parts)
