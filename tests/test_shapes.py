"""The shapes themselves: valid SHACL, documented, in step with the ontology and the record
models, every constraint tested both ways, and the same results from a second engine."""

from __future__ import annotations

import typing
from collections import Counter

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH

from amhe_kg import records as r
from amhe_kg.build import load_ontology
from amhe_kg.cube import COMPONENTS, check_integrity
from amhe_kg.validate import load_shapes, shacl_shacl, shapes_problems, validate
from tests.conftest import AMHE, ROOT
from tests.shapes.cases import VALID, constraints, load_cases, observed, rudof_observed

SHAPES_FILE = ROOT / "shapes" / "amhe-shapes.ttl"
SHAPES_NS = "https://w3id.org/amhe/shapes#"
CASES = load_cases()
# Terms of RDF, RDFS and OWL are declared by those vocabularies, not by the ontology.
BUILT_IN = (str(RDF), str(RDFS), str(OWL))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes([SHAPES_FILE])


@pytest.fixture(scope="module")
def base() -> Graph:
    return Graph().parse(VALID)


_RESULTS: dict[str, tuple] = {}


def _results(case, shapes: Graph, base: Graph) -> tuple:
    """The results for a case (None: the conforming fixture), computed once."""
    key = f"{case.file}:{case.name}" if case else "valid"
    if key not in _RESULTS:
        _RESULTS[key] = observed(validate(base if case is None else case.graph(base), shapes))
    return _RESULTS[key]


def _named_shapes(shapes: Graph) -> set[URIRef]:
    return {
        s
        for s in set(shapes.subjects())
        if isinstance(s, URIRef)
        and str(s).startswith(SHAPES_NS)
        and (
            (s, RDF.type, SH.NodeShape) in shapes
            or (s, RDF.type, SH.PropertyShape) in shapes
            or (s, SH.path, None) in shapes
        )
    }


def _predicates(shapes: Graph, path) -> set[URIRef]:
    """The predicates a SHACL path uses."""
    if isinstance(path, URIRef):
        return {path}
    inverse = shapes.value(path, SH.inversePath)
    if inverse is not None:
        return _predicates(shapes, inverse)
    if shapes.value(path, RDF.first) is not None:
        return set().union(*(_predicates(shapes, step) for step in Collection(shapes, path)))
    raise AssertionError(f"a path the tests do not read: {path}")


# Each constraint, both ways


def test_the_conforming_fixture_gives_no_result(shapes, base):
    assert _results(None, shapes, base) == ()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.file.removesuffix('.yaml')}:{c.name}")
def test_case_gives_exactly_the_expected_results(case, shapes, base):
    assert _results(case, shapes, base) == case.expect


def test_every_constraint_has_a_case_that_violates_it(shapes):
    tested = {(row[3], row[2]) for case in CASES for row in case.expect}
    assert constraints(shapes) - tested == set()
    assert tested - constraints(shapes) == set(), "cases name constraints the shapes lack"


def test_the_fixtures_data_cubes_meet_the_integrity_constraints(base):
    """The fixture's cubes are well-formed Data Cubes (IC-1 to IC-21), as the build's are."""
    assert check_integrity(base, load_ontology(ROOT / "ontology" / "amhe.ttl")) == []


def test_cases_have_unique_names():
    names = Counter(case.name for case in CASES)
    assert [name for name, n in names.items() if n > 1] == []


def test_the_fixture_exercises_every_property_shape(shapes, base):
    """Every property shape has a focus node in the conforming fixture with a value to check."""
    unexercised = []
    for node_shape in _named_shapes(shapes):
        targets = set(shapes.objects(node_shape, SH.targetClass))
        focus = {s for c in targets for s in base.subjects(RDF.type, c)}
        for prop in shapes.objects(node_shape, SH.property):
            path = shapes.value(prop, SH.path)
            values = [
                v
                for s in focus
                for v in (
                    base.subjects(shapes.value(path, SH.inversePath), s)
                    if isinstance(path, BNode) and shapes.value(path, SH.inversePath)
                    else base.objects(s, path)
                    if isinstance(path, URIRef)
                    else [True]
                )
            ]
            if targets and not values and shapes.value(prop, SH.maxCount) != Literal(0):
                unexercised.append((str(node_shape), str(prop)))
    assert unexercised == []


# The shapes graph is valid SHACL


def test_the_shapes_graph_is_valid_shacl(shapes):
    """Checked against the SHACL-for-SHACL shapes graph (SHACL recommendation, Appendix C)."""
    assert shapes_problems(shapes) == []


def test_shacl_for_shacl_rejects_a_broken_shape():
    broken = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P ; sh:in ex:notAList .
        ex:P a sh:PropertyShape ; sh:path "p" ; sh:minCount "one" ; sh:pattern "(" .
        """,
        format="turtle",
    )
    problems = shapes_problems(broken)
    assert any(p.startswith("<http://example.org/P>: ") and "integer" in p for p in problems)
    assert any(p.startswith("<http://example.org/notAList>: ") for p in problems)
    assert any("sh:pattern '('" in p for p in problems)


def test_shacl_for_shacl_is_the_recommendation_graph():
    shsh = shacl_shacl()
    assert (URIRef("http://www.w3.org/ns/shacl-shacl#ShapeShape"), RDF.type, SH.NodeShape) in shsh


# Documented for curators


def test_every_shape_says_what_it_checks(shapes):
    missing = [
        str(s)
        for s in _named_shapes(shapes)
        if not any(c.language == "en" for c in shapes.objects(s, RDFS.comment))
    ]
    assert missing == []


def test_every_constraint_has_a_message_for_curators(shapes):
    constrained = {URIRef(SHAPES_NS + curie.split(":")[1]) for curie, _ in constraints(shapes)}
    missing = [
        str(s)
        for s in constrained
        if not any(m.language == "en" for m in shapes.objects(s, SH.message))
    ]
    assert missing == []


def test_every_sparql_constraint_declares_its_prefixes(shapes):
    for constraint in shapes.subjects(SH.select, None):
        assert shapes.value(constraint, SH.prefixes) == URIRef("https://w3id.org/amhe/shapes")


# In step with the ontology, the graph and the record models


def test_shapes_use_only_classes_and_properties_the_ontology_declares(shapes, built):
    ontology = built.ontology
    classes = {c for kind in (OWL.Class, RDFS.Class) for c in ontology.subjects(RDF.type, kind)}
    properties = {
        p
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
        for p in ontology.subjects(RDF.type, kind)
    }
    used_classes = set(shapes.objects(None, SH.targetClass)) | set(
        shapes.objects(None, SH["class"])
    )
    used_properties = set().union(*(_predicates(shapes, p) for p in shapes.objects(None, SH.path)))
    for parameter in (SH.equals, SH.disjoint, SH.lessThanOrEquals, SH.targetSubjectsOf):
        used_properties |= set(shapes.objects(None, parameter))
    used_properties |= set(shapes.objects(None, SH.targetObjectsOf))
    assert sorted(used_classes - classes) == []
    assert sorted(p for p in used_properties - properties if not str(p).startswith(BUILT_IN)) == []


def test_every_class_of_the_ontology_has_a_shape(shapes, built):
    defined = {
        c
        for c in built.ontology.subjects(RDF.type, OWL.Class)
        if isinstance(c, URIRef) and str(c).startswith(str(AMHE))
    }
    targeted = set(shapes.objects(None, SH.targetClass))
    assert sorted(defined - targeted) == []


def test_every_class_and_property_of_the_graph_has_a_shape(shapes, graph):
    targeted = set(shapes.objects(None, SH.targetClass))
    constrained = set().union(*(_predicates(shapes, p) for p in shapes.objects(None, SH.path)))
    assert sorted(set(graph.objects(None, RDF.type)) - targeted) == []
    assert sorted(set(graph.predicates()) - constrained) == []


@pytest.mark.parametrize(
    ("shape", "values"),
    [
        ("LegislativeProvision-kind", typing.get_args(r.Provision.model_fields["kind"].annotation)),
        ("KeyFigure-case", typing.get_args(r.KeyFigure.model_fields["case"].annotation)),
        ("KeyFigure-unit", typing.get_args(r.KeyFigure.model_fields["unit"].annotation)),
        ("Place-kind", typing.get_args(r.Place.model_fields["kind"].annotation)),
        ("Organisation-kind", r.ORGANISATION_KINDS),
        ("Organisation-contributionRole", r.CONTRIBUTION_ROLES),
    ],
)
def test_closed_lists_are_those_of_the_record_models(shapes, shape, values):
    listed = shapes.value(URIRef(SHAPES_NS + shape), SH["in"])
    assert [str(v) for v in Collection(shapes, listed)] == list(values)


@pytest.mark.parametrize(
    ("shape", "kinds"),
    [
        ("ComponentSpecification-componentProperty", ("dimension", "measure", "attribute")),
        ("ComponentSpecification-dimension", ("dimension",)),
        ("ComponentSpecification-measure", ("measure",)),
        ("ComponentSpecification-attribute", ("attribute",)),
    ],
)
def test_component_lists_are_those_of_the_cubes(shapes, shape, kinds):
    listed = shapes.value(URIRef(SHAPES_NS + shape), SH["in"])
    expected = [c.prop for c in COMPONENTS.values() if c.kind in kinds]
    assert list(Collection(shapes, listed)) == expected


# A second, independent engine


@pytest.mark.parametrize(
    "case",
    [None, *CASES],
    ids=lambda c: f"{c.file.removesuffix('.yaml')}:{c.name}" if c else "valid",
)
def test_pyrudof_gives_the_same_results(case, shapes, base):
    data = base if case is None else case.graph(base)
    rudof = rudof_observed(data, SHAPES_FILE.read_text(encoding="utf-8"))
    assert rudof == _results(case, shapes, base)


def test_pyrudof_gives_the_same_results_on_the_built_graph(built):
    assert rudof_observed(built.graph, SHAPES_FILE.read_text(encoding="utf-8")) == observed(
        built.validation
    )
