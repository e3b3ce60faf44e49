"""The Oxigraph engine (SHACL compiled to SPARQL) gives pySHACL's results: on every shape case,
the built graph, a synthetic graph of several copies and shapes the project does not use."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, Namespace

from amhe_kg.shacl import Unsupported, compile_shapes, run, to_store
from amhe_kg.validate import Report, ShapesError, load_shapes, validate
from benchmarks.synthetic import replicate
from tests.conftest import AMHE, ROOT
from tests.shapes.cases import VALID, load_cases

CASES = load_cases()
EX = "http://example.org/"
SHAPES = Namespace("https://w3id.org/amhe/shapes#")
PREFIXES = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <{EX}> .
"""


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def base() -> Graph:
    return Graph().parse(VALID)


def results(report: Report, messages: bool = True) -> set[tuple]:
    """Everything a report says of each result; typed literals compared by value.

    Oxigraph stores a valid typed literal in canonical form ("2.0"^^xsd:decimal as
    "2"), so the engines may name the same value differently. Without `messages`,
    the messages of shapes that have no sh:message (each engine words its own) are left out.
    """
    return {
        (
            r.severity,
            r.shape,
            r.component,
            r.focus,
            r.path,
            _value(r.value),
            r.message if messages else None,
            r.label,
            r.locations,
        )
        for r in report.results
    }


def _value(term):
    if isinstance(term, Literal) and term.datatype and not term.ill_typed:
        return (term.datatype, term.value)
    return term


def same(data: Graph, shapes: Graph, messages: bool = True) -> Report:
    """The Oxigraph engine's report, after checking it against pySHACL's."""
    fast = validate(data, shapes)
    assert fast.engine == "oxigraph"
    reference = validate(data, shapes, engine="pyshacl")
    assert results(fast, messages) == results(reference, messages)
    return fast


def test_the_conforming_fixture(shapes, base):
    assert same(base, shapes).results == []


def test_the_built_graph(shapes, built):
    report = same(built.graph, shapes)
    assert report.summary() == built.validation.summary() == "0 violations, 3 warnings, 88 info"


@pytest.mark.slow
def test_a_synthetic_graph_of_three_copies(shapes, built):
    data = Graph().parse(data=b"".join(replicate(built.files["amhe.nt"], 3)), format="nt")
    report = same(data, shapes)
    assert len(data) == 3 * len(built.graph)
    assert report.counts()["Info"] == 3 * built.validation.counts()["Info"]
    # the copies share their codes: each ISO 3166 alpha-2 code now names three countries
    codes = set(built.graph.objects(None, AMHE.iso3166Alpha2))
    shared = {r.focus for r in report.results if r.shape == SHAPES["unique-iso3166Alpha2"]}
    assert shared == codes and len(codes) == 23


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.file.removesuffix('.yaml')}:{c.name}")
def test_every_shape_case(case, shapes, base):
    assert bool(same(case.graph(base), shapes).results) == bool(case.expect)


def test_a_case_of_each_component(shapes, base):
    """One case per constraint component the shapes use, run in the quick tests."""
    chosen = {}
    for case in CASES:
        for expected in case.expect:
            chosen.setdefault(expected[2], case)
    used = {str(c).split("#")[1] for check in compile_shapes(shapes) for c, _ in check.components}
    assert {f"{name}ConstraintComponent" for name in chosen} == used
    for case in {case.name: case for case in chosen.values()}.values():
        assert same(case.graph(base), shapes).results


# Shapes the project does not use

DATA = f"""{PREFIXES}
ex:a a ex:Thing ; ex:p ex:b, ex:c ; ex:q ex:b ; ex:n 3, "x" ; ex:m 2 .
ex:a ex:s "short", "a longer text"@en .
ex:b a ex:Sub ; ex:p ex:c ; ex:n 1 .
ex:c ex:p ex:d ; ex:n "2"^^xsd:integer .
ex:Sub rdfs:subClassOf ex:Thing .
"""


@pytest.mark.parametrize(
    "constraints",
    [
        "sh:property [ sh:path ( ex:p ex:p ) ; sh:minCount 2 ; sh:class ex:Thing ]",
        "sh:property [ sh:path [ sh:alternativePath ( ex:p ex:q ) ] ; sh:maxCount 1 ]",
        "sh:property [ sh:path [ sh:oneOrMorePath ex:p ] ; sh:nodeKind sh:BlankNode ]",
        "sh:property [ sh:path [ sh:zeroOrMorePath ex:p ] ; sh:hasValue ex:a ]",
        "sh:property [ sh:path [ sh:zeroOrOnePath ex:q ] ; sh:in ( ex:a ) ]",
        "sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ; sh:class ex:Sub ]",
        "sh:property [ sh:path ( ex:q ex:p ) ; sh:minCount 1 ]",
        "sh:property [ sh:path ex:n ; sh:maxInclusive 2 ; sh:minExclusive 1 ]",
        "sh:property [ sh:path ex:s ; sh:minLength 6 ; sh:maxLength 10 ]",
        "sh:property [ sh:path ex:n ; sh:lessThan ex:m ; sh:equals ex:q ]",
        "sh:property [ sh:path ex:p ; sh:node [ sh:property [ sh:path ex:s ; sh:minCount 1 ] ] ]",
        "sh:property [ sh:path ex:p ; sh:and ( [ sh:class ex:Thing ] [ sh:nodeKind sh:IRI ] ) ]",
        'sh:property [ sh:path ex:s ; sh:languageIn ( "en" ) ; sh:datatype xsd:string ]',
        'sh:property [ sh:path ex:n ; sh:datatype xsd:integer ; sh:pattern "^[12]$" ]',
        "sh:closed true ; sh:ignoredProperties ( ex:p ) ; sh:property [ sh:path ex:n ]",
    ],
)
def test_other_constraints(constraints):
    shapes = Graph().parse(
        data=f"{PREFIXES}\nex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {constraints} .",
        format="turtle",
    )
    data = Graph().parse(data=DATA, format="turtle")
    compile_shapes(shapes)  # the compiler knows every constraint here
    assert same(data, shapes, messages=False).results


def test_shapes_the_compiler_does_not_know_are_validated_by_pyshacl():
    shapes = Graph().parse(
        data=f"""{PREFIXES}
        ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
            sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:Sub ] ;
                          sh:qualifiedMinCount 2 ] .""",
        format="turtle",
    )
    with pytest.raises(Unsupported, match="qualifiedValueShape"):
        compile_shapes(shapes)
    report = validate(Graph().parse(data=DATA, format="turtle"), shapes)
    assert report.engine == "pyshacl"
    assert "does not run" in report.note and "qualifiedValueShape" in report.note
    # ex:a and ex:b (an ex:Sub, so an ex:Thing) each have fewer than two ex:Sub values of ex:p
    assert [(str(r.focus), str(r.component).split("#")[1]) for r in report.results] == [
        (f"{EX}a", "QualifiedMinCountConstraintComponent"),
        (f"{EX}b", "QualifiedMinCountConstraintComponent"),
    ]


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ('sh:minCount "one"', "sh:minCount must be a literal with datatype xsd:integer"),
        (
            "sh:nodeKind sh:IRI ; sh:severity ex:Fatal",
            "sh:severity must be sh:Violation, sh:Warning or sh:Info",
        ),
        ('sh:sparql [ sh:select "SELECT $this WHERE { oops" ]', "SPARQL does not parse"),
    ],
)
def test_malformed_shapes_are_refused(constraint, message):
    shapes = Graph().parse(
        data=f"{PREFIXES}\nex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {constraint} .",
        format="turtle",
    )
    with pytest.raises(ShapesError, match=message):
        validate(Graph().parse(data=DATA, format="turtle"), shapes)


def test_blank_node_labels_survive_the_store():
    graph = Graph().parse(data="_:x <http://example.org/p> _:y .", format="turtle")
    store = to_store(graph)
    assert {q.subject.value for q in store} == {str(s) for s in graph.subjects()}


def test_rdfs_inference_needs_pyshacl(shapes, base):
    with pytest.raises(ValueError, match="RDFS inference runs on the pyshacl engine"):
        validate(base, shapes, inference="rdfs", engine="oxigraph")


def test_results_do_not_depend_on_the_number_of_threads(shapes, built):
    store = to_store(built.graph)
    checks = compile_shapes(shapes, subclasses=False)
    one = set(run(store, checks, workers=1))
    assert len(one) == 91 and set(run(store, checks, workers=4)) == one


def test_the_shapes_file_compiles_without_fallback():
    assert len(compile_shapes(load_shapes([ROOT / "shapes" / "amhe-shapes.ttl"]))) > 300
