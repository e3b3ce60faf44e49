"""Serialise graphs to the published formats, byte for byte the same each time.

Turtle and N-Triples are written by Oxigraph from the triples in sorted
order; JSON-LD is written here in compact form with the published context
inlined, nodes and values sorted. Every term is written as the graph holds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyoxigraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from amhe_kg.namespaces import PREFIXES
from amhe_kg.terms import to_oxigraph


def context() -> dict[str, Any]:
    """The JSON-LD context published as context.jsonld: the project's prefixes."""
    return {"@context": {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}}


def _triples(graph: Graph, ordered: bool = False) -> list[pyoxigraph.Triple]:
    """The graph's triples for Oxigraph; `ordered` by subject, predicate and object."""
    triples = sorted(graph, key=_triple_key) if ordered else graph
    return [pyoxigraph.Triple(*map(to_oxigraph, triple)) for triple in triples]


def _triple_key(triple: tuple) -> tuple:
    return tuple(
        (
            type(term).__name__,
            str(term),
            str(getattr(term, "datatype", None) or ""),
            getattr(term, "language", None) or "",
        )
        for term in triple
    )


def to_turtle(graph: Graph) -> bytes:
    """Turtle with the project's prefixes that the graph uses, subjects in order."""
    terms = {term for triple in graph for term in triple}
    iris = {str(getattr(term, "datatype", None) or term) for term in terms}
    used = {
        prefix: str(ns)
        for prefix, ns in sorted(PREFIXES.items())
        if any(iri.startswith(str(ns)) for iri in iris)
    }
    text = pyoxigraph.serialize(
        _triples(graph, ordered=True), format=pyoxigraph.RdfFormat.TURTLE, prefixes=used
    ).decode("utf-8")
    lines = text.splitlines(keepends=True)
    header = [line for line in lines[: len(used)] if line.startswith("@prefix ")]
    body = "".join(lines[len(header) :])
    return ("".join(sorted(header)) + "\n" + body).encode("utf-8")


def to_ntriples(graph: Graph) -> bytes:
    text = pyoxigraph.serialize(_triples(graph), format=pyoxigraph.RdfFormat.N_TRIPLES)
    lines = text.decode("utf-8").splitlines()
    return "".join(f"{line}\n" for line in sorted(set(lines)) if line.strip()).encode("utf-8")


def to_jsonld(graph: Graph) -> bytes:
    """Compact JSON-LD with the published context inlined, nodes and values sorted."""
    namespaces = sorted(context()["@context"].items(), key=lambda item: -len(item[1]))
    nodes: dict[str, dict[str, list]] = {}
    for subject, predicate, obj in graph:
        node = nodes.setdefault(_compact(subject, namespaces), {})
        if predicate == RDF.type and isinstance(obj, URIRef):
            node.setdefault("@type", []).append(_compact(obj, namespaces))
        else:
            node.setdefault(_compact(predicate, namespaces), []).append(_value(obj, namespaces))
    document = {
        "@context": context()["@context"],
        "@graph": [
            {"@id": iri, **{key: _one_or_many(values) for key, values in node.items()}}
            for iri, node in sorted(nodes.items())
        ],
    }
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
    return (text + "\n").encode("utf-8")


def _compact(iri: Node, namespaces: list[tuple[str, str]]) -> str:
    if not isinstance(iri, URIRef):
        raise ValueError(f"a blank node cannot be published: {iri.n3()}")
    for prefix, namespace in namespaces:
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return str(iri)


def _value(term: Node, namespaces: list[tuple[str, str]]) -> Any:
    if isinstance(term, URIRef):
        return {"@id": _compact(term, namespaces)}
    if not isinstance(term, Literal):
        return {"@id": _compact(term, namespaces)}  # refused there
    if term.language:
        return {"@language": term.language, "@value": str(term)}
    if term.datatype in (None, XSD.string):
        return str(term)
    if term.datatype == XSD.boolean and str(term) in ("true", "false"):
        return str(term) == "true"
    if term.datatype == XSD.integer and str(term) == str(int(term.value or 0)):
        return int(str(term))
    return {"@type": _compact(term.datatype, namespaces), "@value": str(term)}


def _one_or_many(values: list) -> Any:
    # JSON-LD arrays other than @list are unordered sets, so sorting them keeps meaning.
    if len(values) == 1:
        return values[0]
    return sorted(values, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))


# format name -> (file extension, media type, serialiser)
FORMATS: dict[str, tuple[str, str, Callable[[Graph], bytes]]] = {
    "turtle": ("ttl", "text/turtle", to_turtle),
    "json-ld": ("jsonld", "application/ld+json", to_jsonld),
    "n-triples": ("nt", "application/n-triples", to_ntriples),
}


def serialise_all(name: str, graph: Graph) -> dict[str, bytes]:
    """File name -> bytes for a graph in every published format."""
    return {f"{name}.{ext}": serialise(graph) for ext, _, serialise in FORMATS.values()}
