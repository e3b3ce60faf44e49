"""Serialise graphs to the published formats, byte for byte the same each time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rdflib import Graph

from amhe_kg.namespaces import PREFIXES


def context() -> dict[str, Any]:
    """The JSON-LD context published as context.jsonld: the project's prefixes."""
    return {"@context": {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}}


def to_turtle(graph: Graph) -> bytes:
    return graph.serialize(format="turtle", encoding="utf-8")


def to_ntriples(graph: Graph) -> bytes:
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "".join(f"{line}\n" for line in sorted(set(lines)) if line.strip()).encode("utf-8")


def to_jsonld(graph: Graph) -> bytes:
    """Compact JSON-LD with the published context inlined, nodes and values sorted."""
    document = json.loads(
        graph.serialize(format="json-ld", context=context()["@context"], auto_compact=True)
    )
    nodes = document.get("@graph", [document] if "@id" in document else [])
    nodes = [{k: v for k, v in node.items() if k != "@context"} for node in nodes]
    canonical = {
        "@context": context()["@context"],
        "@graph": sorted((_sorted_values(node) for node in nodes), key=lambda n: n["@id"]),
    }
    return (json.dumps(canonical, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode(
        "utf-8"
    )


def _sorted_values(value: Any) -> Any:
    # JSON-LD arrays other than @list are unordered sets, so sorting them keeps meaning.
    if isinstance(value, dict):
        return {k: v if k == "@list" else _sorted_values(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_values(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


# format name -> (file extension, media type, serialiser)
FORMATS: dict[str, tuple[str, str, Callable[[Graph], bytes]]] = {
    "turtle": ("ttl", "text/turtle", to_turtle),
    "json-ld": ("jsonld", "application/ld+json", to_jsonld),
    "n-triples": ("nt", "application/n-triples", to_ntriples),
}


def serialise_all(name: str, graph: Graph) -> dict[str, bytes]:
    """File name -> bytes for a graph in every published format."""
    return {f"{name}.{ext}": serialise(graph) for ext, _, serialise in FORMATS.values()}
