"""Safe YAML reading that keeps line numbers and refuses surprises."""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

from amhe_kg.errors import SourceError


class Mapping(dict):
    """A YAML mapping that remembers the line it starts on (1-based)."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases, explicit tags or duplicate keys."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        where = f"line {event.start_mark.line + 1}"
        if isinstance(event, AliasEvent):
            raise yaml.YAMLError(f"{where}: aliases are not allowed")
        if isinstance(event, (ScalarEvent, CollectionStartEvent)):
            if event.anchor is not None:
                raise yaml.YAMLError(f"{where}: anchors are not allowed")
            if event.tag is not None:
                raise yaml.YAMLError(f"{where}: tags are not allowed ({event.tag})")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        mapping = Mapping()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.YAMLError(f"line {key_node.start_mark.line + 1}: keys must be strings")
            if key in mapping:
                raise yaml.YAMLError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def read_yaml(path: Path) -> Mapping:
    """Read one YAML file whose top level is a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(path, None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise SourceError(
            path, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise SourceError(path, None, None, f"not valid YAML: {_describe(exc)}") from None
    if not isinstance(data, Mapping):
        raise SourceError(path, None, None, "the top level must be a mapping")
    return data


def _describe(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"line {mark.line + 1}: {problem}"
    return str(exc).replace("\n", " ")
