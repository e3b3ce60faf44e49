"""The VoID and DCAT description of the dataset."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from amhe_kg import dataset

from .conftest import AMHE, ID

VOID = Namespace("http://rdfs.org/ns/void#")
D = ID["dataset"]


@pytest.fixture(scope="module")
def void(built):
    return dataset.describe(built.graph, built.files)


def test_says_what_the_dataset_is(void):
    assert (D, RDF.type, VOID.Dataset) in void and (D, RDF.type, DCAT.Dataset) in void
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert void.value(D, predicate) is not None
    assert void.value(D, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert void.value(D, DCTERMS.source) == ID["source/amhe-2019"]
    assert str(void.value(D, URIRef(str(DCAT) + "version")))
    assert void.value(D, VOID.sparqlEndpoint) == URIRef("https://w3id.org/amhe/sparql")
    assert (None, DCAT.endpointURL, URIRef("https://w3id.org/amhe/sparql")) in void


def test_counts_match_the_graph(void, graph):
    assert void.value(D, VOID.triples) == Literal(len(graph))
    classes = Counter(graph.objects(None, RDF.type))
    for part in void.objects(D, VOID.classPartition):
        cls = void.value(part, VOID["class"])
        assert int(void.value(part, VOID.entities)) == classes[cls]
    assert {void.value(p, VOID["class"]) for p in void.objects(D, VOID.classPartition)} == set(
        classes
    )
    predicates = Counter(graph.predicates())
    for part in void.objects(D, VOID.propertyPartition):
        assert int(void.value(part, VOID.triples)) == predicates[void.value(part, VOID.property)]
    assert len(list(void.objects(D, VOID.propertyPartition))) == len(predicates)


def test_distributions_have_media_types_and_byte_sizes(void, built):
    distributions = list(void.objects(D, DCAT.distribution))
    assert len(distributions) == len(built.files)
    for dist in distributions:
        name = str(void.value(dist, DCTERMS.title))
        assert int(void.value(dist, DCAT.byteSize)) == len(built.files[name])
        assert void.value(dist, DCAT.downloadURL) == URIRef(
            f"https://w3id.org/amhe/download/{name}"
        )
        assert str(void.value(dist, DCTERMS["format"])) == dataset.media_type(name)
    dumps = set(void.objects(D, VOID.dataDump))
    assert URIRef("https://w3id.org/amhe/download/amhe.nt") in dumps


def test_example_resources_and_linksets(void, graph):
    for example in void.objects(D, VOID.exampleResource):
        assert (example, None, None) in graph
    subsets = set(void.objects(D, VOID.subset))
    assert ID["linkset/legislation-gov-uk"] in subsets
    for linkset in subsets:
        assert (linkset, RDF.type, VOID.Linkset) in void
        assert void.value(linkset, VOID.linkPredicate) is not None
    assert void.value(D, VOID.vocabulary) == URIRef(str(AMHE))


def test_files_are_deterministic_and_parse(built):
    first = dataset.files(built.graph, built.files)
    second = dataset.files(built.graph, dict(reversed(list(built.files.items()))))
    assert first == second
    assert set(first) == {"void.ttl", "void.jsonld", "void.nt"}
    for name, syntax in (("void.ttl", "turtle"), ("void.jsonld", "json-ld"), ("void.nt", "nt")):
        parsed = Graph().parse(data=first[name], format=syntax)
        assert (D, RDF.type, VOID.Dataset) in parsed
