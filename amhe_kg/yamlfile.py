"""Safe YAML reading that keeps line numbers and refuses surprises."""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

from amhe_kg.errors import SourceError


class Mapping(dict):
    """A YAML mapping that remembers the line it starts on (1-based)."""

    line: int = 0


class Sequence(list):
    """A YAML sequence that remembers the line each item starts on (1-based)."""

    lines: list[int]


# libyaml's parser where PyYAML has it (ten times faster), else PyYAML's own
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """A safe loader whose mappings and sequences keep their lines; duplicate keys refused."""

    def construct_mapping(self, node, deep=False):
        mapping = Mapping()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.YAMLError(
                    f"line {key_node.start_mark.line + 1}: merge keys ('<<') are not allowed"
                )
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.YAMLError(f"line {key_node.start_mark.line + 1}: keys must be strings")
            if key in mapping:
                raise yaml.YAMLError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_sequence(self, node, deep=False):
        sequence = Sequence(self.construct_object(child, deep=deep) for child in node.value)
        sequence.lines = [child.start_mark.line + 1 for child in node.value]
        return sequence


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def read_text(path: Path) -> str:
    """The text of a source file, which must be UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path, None, None, "file not found") from None
    except OSError as exc:
        raise SourceError(path, None, None, f"cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            path, None, None, f"not UTF-8 text ({exc.reason} at line {line}, byte {exc.start})"
        ) from None


def read_yaml(path: Path) -> Mapping:
    """Read one YAML file whose top level is a mapping."""
    text = read_text(path)
    try:
        _refuse_features(text)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise SourceError(path, None, None, f"not valid YAML: {_describe(exc, text)}") from None
    except RecursionError:
        raise SourceError(path, None, None, "not valid YAML: nested too deeply") from None
    if not isinstance(data, Mapping):
        raise SourceError(path, None, None, "the top level must be a mapping")
    return data


def _refuse_features(text: str) -> None:
    """Raise YAMLError at the first anchor, alias or explicit tag."""
    for event in yaml.parse(text, Loader=_SafeLoader):
        where = f"line {event.start_mark.line + 1}"
        if isinstance(event, AliasEvent):
            raise yaml.YAMLError(f"{where}: aliases are not allowed")
        if isinstance(event, (ScalarEvent, CollectionStartEvent)):
            if event.anchor is not None:
                raise yaml.YAMLError(f"{where}: anchors are not allowed")
            if event.tag is not None:
                raise yaml.YAMLError(f"{where}: tags are not allowed ({event.tag})")


def _describe(exc: yaml.YAMLError, text: str) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return f"line {line}: unacceptable character #x{exc.character:04x}: {exc.reason}"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"line {mark.line + 1}: {problem}"
    return str(exc).replace("\n", " ")
