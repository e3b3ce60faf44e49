"""Namespaces, prefixes and the IRI scheme of the published graph."""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

ONTOLOGY_IRI = URIRef("https://w3id.org/amhe/ontology")
AMHE = Namespace("https://w3id.org/amhe/ontology#")
ID = Namespace("https://w3id.org/amhe/id/")
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
VANN = Namespace("http://purl.org/vocab/vann/")
QB = Namespace("http://purl.org/linked-data/cube#")

# External identifier systems the graph links to.
LEGISLATION_ID = Namespace("http://www.legislation.gov.uk/id/")
STATISTICAL_GEOGRAPHY = Namespace("http://statistics.data.gov.uk/id/statistical-geography/")
NICE_GUIDANCE = Namespace("https://www.nice.org.uk/guidance/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"

PREFIXES: dict[str, Namespace] = {
    "amhe": AMHE,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "org": ORG,
    "owl": OWL,
    "prov": PROV,
    "qb": QB,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "vann": VANN,
    "xsd": XSD,
}


def iri(*segments: str | int) -> URIRef:
    """The instance IRI made of path segments, e.g. iri("service", "black-thrive")."""
    return ID["/".join(str(segment) for segment in segments)]


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes (and only those) to a graph."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
