"""The dataset's description in VoID and DCAT: what it is, its downloads, endpoint, partitions."""

from __future__ import annotations

from collections import Counter

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, XSD

from amhe_kg import __version__
from amhe_kg.export import serialise_all
from amhe_kg.graph import DATASET, DATASET_TITLE, LICENCE
from amhe_kg.links import LINKSETS, VOID, linkset_graph
from amhe_kg.namespaces import AMHE, ID, bind_prefixes, iri
from amhe_kg.results import DISPLAY_PREFIXES

BASE = "https://w3id.org/amhe/"
DESCRIPTION = (
    "The appendices of Advancing Mental Health Equality (National Collaborating Centre for "
    "Mental Health, 2019) as linked data: legislation, the mapping review's interventions "
    "and statistics, positive-practice services, barriers and solutions, co-production, "
    "vignettes, NICE guidance and further reading, each fact traced to the table row or "
    "appendix item it came from."
)
PUBLISHER = iri("agent", "amhe-kg")
EXAMPLES = ("service/black-thrive", "legislation/equality-act-2010/section-149", "guideline/ng44")
MEDIA_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "csv": "text/csv",
    "json": "application/csvm+json",
    "tsv": "text/tab-separated-values",
}
VOID_NAME = "void"


def media_type(name: str) -> str:
    """The media type of a download, from its file name."""
    return MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


def describe(graph: Graph, files: dict[str, bytes], base: str = BASE) -> Graph:
    """The VoID and DCAT description of the graph and its download files."""
    out = bind_prefixes(Graph(bind_namespaces="none"))
    out.bind("void", VOID)
    out.bind("dcat", DCAT)
    d = DATASET

    def add(s, p, o) -> None:
        out.add((s, p, o))

    add(d, RDF.type, VOID.Dataset)
    add(d, RDF.type, DCAT.Dataset)
    add(d, DCTERMS.title, Literal(DATASET_TITLE, lang="en"))
    add(d, RDFS.label, Literal(DATASET_TITLE, lang="en"))
    add(d, DCTERMS.description, Literal(DESCRIPTION, lang="en"))
    add(d, DCTERMS.license, LICENCE)
    add(d, OWL.versionInfo, Literal(__version__))
    add(d, URIRef(str(DCAT) + "version"), Literal(__version__))
    add(d, DCTERMS.publisher, PUBLISHER)
    add(PUBLISHER, RDF.type, FOAF.Agent)
    add(PUBLISHER, FOAF.name, Literal("The amhe-kg project", lang="en"))
    for document in sorted(graph.subjects(RDF.type, AMHE.SourceDocument)):
        add(d, DCTERMS.source, document)
    add(d, FOAF.homepage, URIRef(base))
    add(d, DCAT.landingPage, URIRef(base))
    add(d, VOID.uriSpace, Literal(str(ID)))
    add(d, VOID.vocabulary, URIRef(str(AMHE)))
    add(d, DCTERMS.conformsTo, URIRef("https://w3id.org/amhe/ontology"))
    sparql = URIRef(base + "sparql")
    add(d, VOID.sparqlEndpoint, sparql)
    service = iri("dataset", "sparql-service")
    add(service, RDF.type, DCAT.DataService)
    add(service, DCTERMS.title, Literal("SPARQL 1.1 endpoint", lang="en"))
    add(service, DCAT.endpointURL, sparql)
    add(service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, DCAT.servesDataset, d)
    for example in EXAMPLES:
        add(d, VOID.exampleResource, iri(*example.split("/")))
    add(d, VOID.triples, Literal(len(graph), datatype=XSD.integer))
    entities = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(ID))}
    add(d, VOID.entities, Literal(len(entities), datatype=XSD.integer))
    add(d, VOID.distinctSubjects, Literal(len(set(graph.subjects())), datatype=XSD.integer))
    add(d, VOID.properties, Literal(len(set(graph.predicates())), datatype=XSD.integer))
    classes = Counter(o for o in graph.objects(None, RDF.type))
    for cls, count in sorted(classes.items()):
        part = iri("dataset", "class", _slug(cls))
        add(d, VOID.classPartition, part)
        add(part, VOID["class"], cls)
        add(part, VOID.entities, Literal(count, datatype=XSD.integer))
    properties = Counter(p for p in graph.predicates())
    for prop, count in sorted(properties.items()):
        part = iri("dataset", "property", _slug(prop))
        add(d, VOID.propertyPartition, part)
        add(part, VOID.property, prop)
        add(part, VOID.triples, Literal(count, datatype=XSD.integer))
    for linkset in LINKSETS:
        add(d, VOID.subset, iri("linkset", linkset.key))
    described = (str(iri("linkset")), str(iri("dataset")))
    for s, p, o in linkset_graph(graph):
        if str(s).startswith(described):
            add(s, p, o)
    for name, content in sorted(files.items()):
        url = URIRef(f"{base}download/{name}")
        dist = iri("dataset", "download", _slug(name))
        add(d, DCAT.distribution, dist)
        add(dist, RDF.type, DCAT.Distribution)
        add(dist, DCTERMS.title, Literal(name))
        add(dist, DCAT.downloadURL, url)
        add(dist, DCAT.accessURL, url)
        add(
            dist,
            DCAT.mediaType,
            URIRef(f"https://www.iana.org/assignments/media-types/{media_type(name)}"),
        )
        add(dist, DCTERMS["format"], Literal(media_type(name)))
        add(dist, DCAT.byteSize, Literal(len(content), datatype=XSD.nonNegativeInteger))
        add(dist, DCTERMS.license, LICENCE)
        if name.startswith("amhe."):
            add(d, VOID.dataDump, url)
    return out


def _slug(value: str) -> str:
    text = str(value)
    for prefix, namespace in DISPLAY_PREFIXES:
        if text.startswith(namespace) and len(text) > len(namespace):
            text = f"{prefix}-{text[len(namespace) :]}"
            break
    else:
        text = text.split("//", 1)[-1]
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def files(graph: Graph, downloads: dict[str, bytes], base: str = BASE) -> dict[str, bytes]:
    """void.ttl, void.jsonld and void.nt describing the graph and the other downloads."""
    others = {k: v for k, v in downloads.items() if not k.startswith(VOID_NAME + ".")}
    return serialise_all(VOID_NAME, describe(graph, others, base))
