"""Counts of the graph's resources per class and per source part."""

from __future__ import annotations

from rdflib import Graph

from amhe_kg.namespaces import PREFIXES

PER_CLASS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class }
GROUP BY ?class
"""

# A resource counts for a part when it was derived from a row or item of that
# part, or from the part itself.
PER_PART = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX amhe: <https://w3id.org/amhe/ontology#>
SELECT ?title ?first (COUNT(DISTINCT ?s) AS ?n) WHERE {
  { ?s prov:wasDerivedFrom ?location .
    ?location a amhe:SourceLocation ; dcterms:isPartOf ?part . }
  UNION
  { ?s prov:wasDerivedFrom ?part . }
  ?part dcterms:title ?title ; amhe:firstLine ?first .
}
GROUP BY ?title ?first
"""


def _curie(iri: str) -> str:
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(str(item[1]))):
        if iri.startswith(str(namespace)):
            return f"{prefix}:{iri[len(str(namespace)) :]}"
    return iri


def per_class(graph: Graph) -> list[tuple[str, int]]:
    """(class CURIE, number of resources), sorted by class."""
    return sorted((_curie(str(row[0])), int(row[1])) for row in graph.query(PER_CLASS))


def per_part(graph: Graph) -> list[tuple[str, int]]:
    """(part title, number of resources derived from it), in document order."""
    rows = sorted((int(row[1]), str(row[0]), int(row[2])) for row in graph.query(PER_PART))
    return [(title, n) for _, title, n in rows]
