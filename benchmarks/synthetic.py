"""Synthetic graphs: the AMHE graph replicated with fresh IRIs to a chosen size.

Copy 0 is the graph as built; copy k > 0 appends `-r{k}` to every IRI under
`https://w3id.org/amhe/id/`, so each copy is a disjoint, isomorphic graph of
the same shape. Ontology terms and external IRIs (legislation.gov.uk, NICE,
ONS...) are shared by all copies, as they would be in a larger dataset. Every
triple of the AMHE graph names at least one instance IRI, so n copies hold
exactly n times its triples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

ID = b"https://w3id.org/amhe/id/"
_ID_IRI = re.compile(rb"<https://w3id\.org/amhe/id/[^>]*(?=>)")


def template(ntriples: bytes) -> list[bytes]:
    """The N-Triples text cut just before the `>` closing each instance IRI.

    Joining the pieces with a suffix gives a copy with that suffix on every
    instance IRI. Raises ValueError for blank nodes or a triple with no
    instance IRI, which replication would merge instead of copy.
    """
    lines = [line for line in ntriples.splitlines() if line.strip()]
    for line in lines:
        if b"_:" in line and re.search(rb"(^|\s)_:", line):
            raise ValueError(f"blank node in {line[:80]!r}: copies would not be disjoint")
        if ID not in line:
            raise ValueError(f"no instance IRI in {line[:80]!r}: copies would merge")
    text = b"\n".join(lines) + b"\n"
    pieces, start = [], 0
    for match in _ID_IRI.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def copies_for(triples: int, per_copy: int) -> int:
    """How many copies of a graph of `per_copy` triples come nearest to `triples`."""
    return max(1, round(triples / per_copy)) if per_copy else 1


def replicate(ntriples: bytes, copies: int) -> Iterator[bytes]:
    """N-Triples chunks of `copies` disjoint copies of the graph (copy 0 unchanged)."""
    pieces = template(ntriples)
    for k in range(copies):
        yield b"".join(pieces) if k == 0 else f"-r{k}".encode().join(pieces)


def write(source: Path, target: Path, triples: int) -> tuple[int, int]:
    """Write about `triples` triples replicated from `source` (N-Triples) to `target`.

    Returns (copies, triples written).
    """
    data = Path(source).read_bytes()
    per_copy = sum(1 for line in data.splitlines() if line.strip())
    copies = copies_for(triples, per_copy)
    with open(target, "wb") as out:
        for chunk in replicate(data, copies):
            out.write(chunk)
    return copies, copies * per_copy


def sizes(labels: str) -> list[int]:
    """Triple counts from a comma-separated list such as `100k,1M,5M`."""
    units = {"": 1, "k": 1_000, "m": 1_000_000}
    out = []
    for label in labels.split(","):
        label = label.strip().lower()
        if not label:
            continue
        number, unit = (label[:-1], label[-1]) if label[-1] in "km" else (label, "")
        out.append(math.floor(float(number) * units[unit]))
    return out
