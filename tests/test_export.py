"""Published files: round-trips, determinism, prefixes, labels and provenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pyoxigraph
import pytest
from pyoxigraph import RdfFormat
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from amhe_kg.export import context, to_jsonld, to_ntriples, to_turtle
from tests.conftest import AMHE, DATA, ONTOLOGY, ROOT

FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt"}
OTHER_VOCABULARIES = (str(RDF), str(RDFS), str(SKOS), str(PROV), str(OWL))


@pytest.mark.parametrize("name", ["amhe", "ontology"])
@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_each_format_parses_back_to_an_isomorphic_graph(built, name, ext):
    expected = built.graph if name == "amhe" else built.ontology
    parsed = Graph().parse(data=built.files[f"{name}.{ext}"], format=FORMATS[ext])
    assert len(parsed) == len(expected)
    assert isomorphic(parsed, expected)


def test_two_builds_with_different_hash_seeds_are_byte_identical(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "amhe_kg",
                "build",
                "-q",
                "--data",
                str(DATA),
                "--ontology",
                str(ONTOLOGY),
                "--out",
                str(out),
            ],
            check=True,
            cwd=ROOT,
            env=env,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    names = sorted(outputs[0])
    assert [n for n in names if not n.startswith("cube-")] == [
        "amhe.jsonld", "amhe.nt", "amhe.ttl", "context.jsonld", "cube.jsonld", "cube.nt",
        "cube.ttl", "linksets.jsonld", "linksets.nt", "linksets.ttl", "mappings.sssom.tsv",
        "ontology.jsonld", "ontology.nt", "ontology.ttl", "totals.csv", "validation.ttl",
        "void.jsonld", "void.nt", "void.ttl",
    ]  # fmt: skip
    assert len([n for n in names if n.startswith("cube-")]) == 14  # 7 data sets, CSV + metadata
    assert outputs[0] == outputs[1]


def test_no_blank_nodes(built):
    for graph in (built.graph, built.ontology):
        assert not [t for t in graph if any(isinstance(term, BNode) for term in t)]


def test_turtle_binds_only_project_prefixes(built):
    turtle = built.files["amhe.ttl"].decode()
    prefixes = [line.split()[1] for line in turtle.splitlines() if line.startswith("@prefix")]
    assert not [p for p in prefixes if p.startswith("ns")]
    assert {"amhe:", "skos:", "prov:", "dcterms:", "rdfs:", "xsd:"} <= set(prefixes)


def test_jsonld_uses_the_published_context(built):
    document = json.loads(built.files["amhe.jsonld"])
    context = json.loads(built.files["context.jsonld"])
    assert document["@context"] == context["@context"]
    assert context["@context"]["amhe"] == "https://w3id.org/amhe/ontology#"
    ids = [node["@id"] for node in document["@graph"]]
    assert ids == sorted(ids)
    assert "https://w3id.org/amhe/id/service/black-thrive" in ids


def test_ntriples_lines_are_sorted_and_unique(built):
    lines = built.files["amhe.nt"].decode().splitlines()
    assert lines == sorted(set(lines))


# Oxigraph and the JSON-LD writer against rdflib's serialisers, the reference


def _rdflib_jsonld(graph: Graph) -> bytes:
    """rdflib's compact JSON-LD with the published context, nodes and values sorted."""
    document = json.loads(
        graph.serialize(format="json-ld", context=context()["@context"], auto_compact=True)
    )
    nodes = [{k: v for k, v in n.items() if k != "@context"} for n in document["@graph"]]

    def ordered(value):
        if isinstance(value, dict):
            return {k: ordered(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [ordered(v) for v in value]
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        return value

    canonical = {
        "@context": context()["@context"],
        "@graph": sorted((ordered(n) for n in nodes), key=lambda n: n["@id"]),
    }
    return (json.dumps(canonical, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _rdflib_ntriples(graph: Graph) -> bytes:
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "".join(f"{line}\n" for line in sorted(set(lines)) if line.strip()).encode("utf-8")


@pytest.mark.parametrize("name", ["amhe", "ontology", "cube", "linksets"])
def test_json_ld_and_n_triples_are_byte_for_byte_rdflibs(built, name):
    graph = Graph().parse(data=built.files[f"{name}.nt"], format="nt")
    assert built.files[f"{name}.jsonld"] == _rdflib_jsonld(graph)
    assert built.files[f"{name}.nt"] == _rdflib_ntriples(graph)


def test_turtle_lists_its_prefixes_in_order_then_the_subjects_in_order(built):
    lines = built.files["amhe.ttl"].decode().splitlines()
    prefixes = [line for line in lines if line.startswith("@prefix")]
    assert lines[: len(prefixes)] == sorted(prefixes) and lines[len(prefixes)] == ""
    subjects = [line.split()[0][1:-1] for line in lines[len(prefixes) + 1 :] if line[:1] == "<"]
    assert subjects == sorted(set(subjects))
    assert len(subjects) == len(set(built.graph.subjects()))


def test_literals_keep_their_lexical_form_in_every_format():
    graph = Graph()
    odd = Literal("2.0", datatype=XSD.decimal), Literal("2.50", datatype=XSD.decimal)
    for number, value in enumerate(odd):
        graph.add((URIRef(f"https://w3id.org/amhe/id/figure/f{number}"), AMHE.minValue, value))
    for serialise, syntax in (
        (to_turtle, RdfFormat.TURTLE),
        (to_jsonld, RdfFormat.JSON_LD),
        (to_ntriples, RdfFormat.N_TRIPLES),
    ):
        parsed = pyoxigraph.parse(serialise(graph), format=syntax)  # keeps lexical forms
        assert {(t.object.value, t.object.datatype.value) for t in parsed} == {
            ("2.0", str(XSD.decimal)),
            ("2.50", str(XSD.decimal)),
        }, syntax


def test_a_blank_node_cannot_be_published_in_json_ld():
    graph = Graph()
    graph.add((BNode("b1"), RDFS.label, Literal("anonymous")))
    with pytest.raises(ValueError, match=r"a blank node cannot be published: _:b1"):
        to_jsonld(graph)


def test_every_typed_resource_has_exactly_one_english_label(graph):
    for subject in set(graph.subjects(RDF.type, None)):
        labels = list(graph.objects(subject, RDFS.label))
        assert len(labels) == 1, (subject, labels)
        assert isinstance(labels[0], Literal) and labels[0].language == "en", subject


def test_every_concept_has_exactly_one_preferred_label(graph):
    for concept in set(graph.subjects(RDF.type, SKOS.Concept)):
        assert len(list(graph.objects(concept, SKOS.prefLabel))) == 1, concept


def test_every_resource_says_where_it_came_from(graph):
    """All typed resources link to a source row, item or part (the sources themselves aside)."""
    sources = (
        AMHE.SourceDocument,
        AMHE.Appendix,
        AMHE.Table,
        AMHE.Figure,
        AMHE.SourceLocation,
        AMHE.ReferenceList,
        DCAT.Dataset,
    )
    missing = [
        s
        for s in set(graph.subjects(RDF.type, None))
        if (s, PROV.wasDerivedFrom, None) not in graph
        and not any((s, RDF.type, t) in graph for t in sources)
    ]
    assert missing == []


def test_the_graph_states_its_licence_and_credits_the_source(graph):
    dataset = URIRef("https://w3id.org/amhe/id/dataset")
    assert graph.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    rights = str(graph.value(dataset, DCTERMS.rights))
    assert "© National Collaborating Centre for Mental Health 2019" in rights
    assert graph.value(dataset, DCTERMS.source) == URIRef(
        "https://w3id.org/amhe/id/source/amhe-2019"
    )


def test_every_amhe_term_in_the_data_is_declared_in_the_ontology(built):
    declared = {s for s in built.ontology.subjects(RDF.type, None) if str(s).startswith(str(AMHE))}
    used = Counter()
    for _s, p, o in built.graph:
        used[p] += 1
        if p == RDF.type:
            used[o] += 1
    undeclared = sorted(str(t) for t in used if str(t).startswith(str(AMHE)) and t not in declared)
    assert undeclared == []


def test_every_ontology_term_has_a_label_and_definition(built):
    onto = built.ontology
    terms = {s for s in onto.subjects(RDF.type, None) if str(s).startswith(str(AMHE))}
    assert len(terms) > 50
    for term in terms:
        assert (term, RDFS.label, None) in onto, term
        assert (term, SKOS.definition, None) in onto, term


def test_instance_iris_live_under_the_id_namespace(graph):
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    outside = [s for s in subjects if not str(s).startswith("https://w3id.org/amhe/id/")]
    assert outside == []
