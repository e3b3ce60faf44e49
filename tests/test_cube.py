"""The mapping review's data cubes: figures, structure, integrity, queries and CSV files.

Expected figures are read off the source by hand; seed line numbers refer to
shared/seed/000_32b3c55c8f9d3afb.txt (Table 2 at lines 281-310, Table 3 at
330-421, Table 4 at 422-475, Table 5 at 476-891).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from amhe_kg.cube import (
    DATASETS,
    build_cubes,
    check_integrity,
    csv_files,
    integrity_constraints,
    normalised,
    observation_counts,
)
from amhe_kg.export import to_ntriples
from amhe_kg.graph import build_graph
from amhe_kg.namespaces import QB
from amhe_kg.sources import load_sources
from tests.conftest import AMHE, DATA, ID, ROOT

FIXTURES = Path(__file__).parent / "cube"
QUERIES = ROOT / "queries"
SCHEMA_SAME_AS = URIRef("https://schema.org/sameAs")


@pytest.fixture(scope="session")
def sources():
    return load_sources(DATA)


@pytest.fixture(scope="session")
def base(sources) -> Graph:
    """The graph without the cubes (the build adds them to it)."""
    return build_graph(sources)


@pytest.fixture(scope="session")
def cubes(sources) -> Graph:
    return build_cubes(sources)


@pytest.fixture(scope="session")
def merged(base, cubes) -> Graph:
    """The graph with the cubes, as the build publishes it."""
    union = Graph()
    for triple in base:
        union.add(triple)
    for triple in cubes:
        union.add(triple)
    return union


def obs(dataset: str, *segments: str) -> URIRef:
    return ID["/".join(["cube", dataset, "observation", *segments])]


def figure(graph: Graph, dataset: str, *segments: str) -> int:
    subject = obs(dataset, *segments)
    values = [
        o.toPython()
        for p, o in graph.predicate_objects(subject)
        if p
        in (
            AMHE.numberOfIncludedStudies,
            AMHE.numberOfInterventions,
            AMHE.numberOfCuratedInterventions,
        )
    ]
    assert len(values) == 1, (subject, values)
    return values[0]


def figures(graph: Graph, dataset: str) -> dict[str, int]:
    """Observation path (after .../observation/) -> its figure."""
    prefix = str(obs(dataset)) + "/"
    return {
        str(s).removeprefix(prefix): figure(graph, dataset, *str(s).removeprefix(prefix).split("/"))
        for s in graph.subjects(QB.dataSet, ID[f"cube/{dataset}"])
    }


# The figures are the tables' figures


def test_sample_cells_equal_the_printed_tables(cubes):
    # Table 2: DET 23 (seed line 286), PPS 35 (288), oCA 10 (306), PRF 0 (310).
    assert figure(cubes, "table-2", "det") == 23
    assert figure(cubes, "table-2", "pps") == 35
    assert figure(cubes, "table-2", "oca") == 10
    assert figure(cubes, "table-2", "prf") == 0
    # Table 3: minority ethnicity 27 (line 342), race 36 (346), low SES 61 (400), SES 65 (404).
    assert figure(cubes, "table-3", "race", "minority-ethnicity") == 27
    assert figure(cubes, "table-3", "race") == 36
    assert figure(cubes, "table-3", "socioeconomic-status", "low-ses") == 61
    assert figure(cubes, "table-3", "socioeconomic-status") == 65
    # Table 4: RQ1 USA 35 (428), Austria & Russia 1 (438), Unclear 2 (452); RQ2 Ireland 2
    # (456); RQ3 UK 10 (462), Chile & Colombia 1 (468).
    assert figure(cubes, "table-4", "rq1-usa") == 35
    assert figure(cubes, "table-4", "rq1-austria-russia") == 1
    assert figure(cubes, "table-4", "rq1-unclear") == 2
    assert figure(cubes, "table-4", "rq2-ireland") == 2
    assert figure(cubes, "table-4", "rq3-uk") == 10
    assert figure(cubes, "table-4", "rq3-chile-colombia") == 1
    # Table 5 totals: minority ethnicity 27 (888, first), religion 2 (888, fourth),
    # socioeconomic status 65 (891, eighth).
    assert figure(cubes, "table-5-totals", "race", "minority-ethnicity") == 27
    assert figure(cubes, "table-5-totals", "religion", "religion") == 2
    assert figure(cubes, "table-5-totals", "socioeconomic-status") == 65


def test_religion_appears_as_each_table_states_it(cubes):
    # Seed line 348: "2. Religion a) Religion 3 2"; Table 5 prints 2 and 2 (lines 888, 891).
    assert figure(cubes, "table-3", "religion", "religion") == 3
    assert figure(cubes, "table-3", "religion") == 2
    assert figure(cubes, "table-5-totals", "religion", "religion") == 2
    assert figure(cubes, "table-5-totals", "religion") == 2
    note = cubes.value(obs("table-3", "religion"), SKOS.editorialNote)
    assert "3 studies by subtype but 2 by characteristic" in str(note)


def test_table_2_in_full_and_its_total(cubes):
    # Seed lines 286-310, in printed order; they add up to 122.
    printed = {
        "det": 23, "pps": 35, "rsct": 13, "ec": 3, "pfip": 12, "iats": 4, "iapt": 5,
        "ells": 3, "o": 2, "ohbc": 2, "oca": 10, "ot": 10, "prf": 0,
    }  # fmt: skip
    assert figures(cubes, "table-2") == printed
    assert sum(printed.values()) == 122


def test_table_3_in_full_and_its_totals(cubes):
    # By subtype: seed lines 338-421, the same figures as Table 5's subtype totals
    # (line 888) except Religion (3 here, 2 there). By characteristic: lines 346-421.
    by_subtype = [27, 5, 4, 3, 3, 1, 4, 5, 2, 23, 7, 3, 6, 3, 61, 1, 3, 8, 4, 1, 1, 3, 10]
    by_characteristic = [36, 2, 3, 5, 7, 30, 12, 65, 12, 5, 10]
    found = figures(cubes, "table-3")
    subtype_keys = [k for k in found if "/" in k]
    characteristic_keys = [k for k in found if "/" not in k]
    order = [c.split("/")[0] for c in subtype_keys]
    assert len(subtype_keys) == 23 and len(characteristic_keys) == 11
    sources = load_sources(DATA)
    in_order = [f"{c.key}/{t.key}" for c in sources.characteristics.values() for t in c.subtypes]
    assert [found[k] for k in in_order] == by_subtype
    assert [found[c] for c in sources.characteristics] == by_characteristic
    assert set(order) == set(characteristic_keys)
    assert sum(by_subtype) == 188 and sum(by_characteristic) == 187


def test_table_4_totals_per_research_question(cubes):
    # RQ1, seed lines 428-452: 35+16+7+6+4+3+2 and eleven rows of 1, and Unclear 2 = 86
    # over 19 rows; RQ2, lines 456-458: 2+2+1 = 5; RQ3, lines 462-473: 10+8+7+2+1*5 = 32.
    found = figures(cubes, "table-4")
    per_question: dict[str, list[int]] = {}
    for key, n in found.items():
        per_question.setdefault(key.split("-")[0], []).append(n)
    assert {q: (len(v), sum(v)) for q, v in per_question.items()} == {
        "rq1": (19, 86),
        "rq2": (3, 5),
        "rq3": (9, 32),
    }


def test_table_5_totals_in_full(cubes):
    # Seed lines 887-891: the two total lines, in Table 3's order; each adds up to 187.
    by_subtype = [27, 5, 4, 2, 3, 1, 4, 5, 2, 23, 7, 3, 6, 3, 61, 1, 3, 8, 4, 1, 1, 3, 10]
    by_type = [36, 2, 3, 5, 7, 30, 12, 65, 12, 5, 10]
    sources = load_sources(DATA)
    found = figures(cubes, "table-5-totals")
    in_order = [f"{c.key}/{t.key}" for c in sources.characteristics.values() for t in c.subtypes]
    assert [found[k] for k in in_order] == by_subtype
    assert [found[c] for c in sources.characteristics] == by_type
    assert sum(by_subtype) == sum(by_type) == 187


def test_every_stated_observation_equals_the_figure_the_graph_records(merged):
    checks = {
        "table-2": AMHE.statedStudyCount,
        "table-3": AMHE.statedStudyCount,
        "table-5-totals": AMHE.statedTable5Total,
    }
    for dataset, stated in checks.items():
        dimension = AMHE.refInterventionType if dataset == "table-2" else AMHE.refCharacteristic
        for o in merged.subjects(QB.dataSet, ID[f"cube/{dataset}"]):
            value = merged.value(o, dimension)
            assert figure(merged, dataset, *_path(o, dataset)) == merged.value(value, stated).value
    for o in merged.subjects(QB.dataSet, ID["cube/table-4"]):
        tally = ID["study-tally/" + _path(o, "table-4")[0]]
        assert (
            figure(merged, "table-4", *_path(o, "table-4"))
            == merged.value(tally, AMHE.numberOfStudies).value
        )
        assert merged.value(o, AMHE.refResearchQuestion) == merged.value(
            tally, AMHE.researchQuestion
        )


def _path(observation: URIRef, dataset: str) -> list[str]:
    return str(observation).removeprefix(str(obs(dataset)) + "/").split("/")


# The derived cube


def test_interventions_per_type_are_recomputed_from_table_5(cubes, merged):
    # Table 5's EC rows: seed lines 676, 679, 687 (3); IATS rows: 726-730 (4); no PRF row.
    found = figures(cubes, "table-5-interventions-per-type")
    assert (found["ec"], found["iats"], found["prf"]) == (3, 4, 0)
    # Each type's rows equal Table 2's stated studies (the README's recomputed totals).
    assert found == figures(cubes, "table-2")
    ec = obs("table-5-interventions-per-type", "ec")
    sources = set(merged.objects(ec, PROV.wasDerivedFrom))
    assert ID["source/table-5"] in sources
    interventions = {s for s in sources if str(s).startswith(str(ID["intervention/"]))}
    assert len(interventions) == 3
    assert all(
        (i, AMHE.interventionType, ID["intervention-type/ec"]) in merged for i in interventions
    )
    assert (
        merged.value(ID["cube/table-5-interventions-per-type"], RDFS.seeAlso) == ID["cube/table-2"]
    )


def test_curated_counts_per_subtype_where_known(cubes, merged):
    # Youth: "Child-teacher relationship training" (seed line 487), "Living With
    # Teenagers" (499), "Specialised group program to enhance children's self-efficacy"
    # (604), "Comprehensive community mental health services for children" (651),
    # "Children's Health Insurance Program" (690). Urban: "Urban regeneration" (693),
    # "Urban renewal" (697). Religion: "Religious CBT for depression" (812).
    found = figures(cubes, "table-5-curated-per-subtype")
    assert found["age/youth"] == 5
    assert found["location/urban"] == 2
    assert found["religion/religion"] == 1
    # Unknown subtypes have no observation: nothing says an intervention targets them.
    assert "race/immigrants" not in found and "other/any-other" not in found
    youth = obs("table-5-curated-per-subtype", "age", "youth")
    links = [s for s in merged.objects(youth, PROV.wasDerivedFrom) if "/target/" in str(s)]
    assert len(links) == 5
    assert all((link, RDF.type, AMHE.CuratedLink) in merged for link in links)
    # Known never exceeds the stated column total.
    totals = figures(cubes, "table-5-totals")
    assert all(n <= totals[key] for key, n in found.items())


def test_curated_counts_per_type_and_subtype(cubes):
    # PFIP and urban: both "Urban regeneration of deprived districts" and "Urban renewal
    # of five neighbourhoods" are PFIP rows (seed lines 693-698).
    found = figures(cubes, "table-5-curated-per-type-and-subtype")
    assert found["pfip/location/urban"] == 2
    # "Emotional intelligence training programme for deaf students" is DET and PPS (504-508).
    assert found["det/disability/physical-or-sensory-impairment"] == 1
    assert found["pps/disability/physical-or-sensory-impairment"] == 1
    assert not [k for k in found if k.startswith("prf/")]


# Structure


def test_datasets_structures_and_observation_counts(cubes):
    assert observation_counts(cubes) == {
        "table-2": 13,  # 13 types, seed lines 286-310
        "table-3": 34,  # 11 characteristics and 23 subtypes, lines 338-421
        "table-4": 31,  # 19 + 3 + 9 printed rows, lines 428-473
        "table-5-totals": 34,
        "table-5-interventions-per-type": 13,
        "table-5-curated-per-subtype": 13,
        "table-5-curated-per-type-and-subtype": 21,
    }
    for d in DATASETS:
        assert list(cubes.objects(d.subject, QB.structure)) == [d.structure]
        specs = list(cubes.objects(d.structure, QB.component))
        properties = {cubes.value(s, QB.componentProperty) for s in specs}
        assert len(specs) == len(d.dimensions) + 3
        assert {AMHE.unitOfMeasure, AMHE.sourceTable} <= properties
        orders = sorted(cubes.value(s, QB.order).value for s in specs)
        assert orders == list(range(1, len(specs) + 1))


def test_observations_are_normalised(cubes):
    """Each observation states its data set, every dimension, the measure and every attribute."""
    for d in DATASETS:
        specs = list(cubes.objects(d.structure, QB.component))
        properties = [cubes.value(s, QB.componentProperty) for s in specs]
        for o in cubes.subjects(QB.dataSet, d.subject):
            assert (o, RDF.type, QB.Observation) in cubes
            for p in properties:
                assert len(list(cubes.objects(o, p))) == 1, (o, p)
        for s in specs:
            kinds = [k for k in (QB.dimension, QB.measure, QB.attribute) if (s, k, None) in cubes]
            assert len(kinds) == 1


def test_dimension_values_are_the_graphs_own_concepts_and_countries(merged):
    for o in merged.subjects(AMHE.refInterventionType, None):
        value = merged.value(o, AMHE.refInterventionType)
        assert (value, SKOS.inScheme, ID["scheme/intervention-types"]) in merged
    for o in merged.subjects(AMHE.refCharacteristic, None):
        value = merged.value(o, AMHE.refCharacteristic)
        assert (value, SKOS.inScheme, ID["scheme/characteristics"]) in merged
    usa = merged.value(obs("table-4", "rq1-usa"), AMHE.refArea)
    assert usa == ID["country/us"]
    assert merged.value(usa, SCHEMA_SAME_AS) == URIRef(
        "http://publications.europa.eu/resource/authority/country/USA"
    )


def test_joint_rows_and_the_unclear_row_have_honest_study_areas(merged):
    # Seed lines 438 ("Austria & Russia 1"), 468 ("Chile & Colombia 1"), 452 ("Unclear 2").
    joint = merged.value(obs("table-4", "rq1-austria-russia"), AMHE.refArea)
    assert joint == ID["cube/study-area/austria-russia"]
    assert (joint, RDF.type, AMHE.CountryGroup) in merged
    assert set(merged.objects(joint, AMHE.memberCountry)) == {ID["country/at"], ID["country/ru"]}
    assert str(merged.value(joint, RDFS.label)) == "Austria & Russia"
    pair = merged.value(obs("table-4", "rq3-chile-colombia"), AMHE.refArea)
    assert set(merged.objects(pair, AMHE.memberCountry)) == {ID["country/cl"], ID["country/co"]}
    unclear = merged.value(obs("table-4", "rq1-unclear"), AMHE.refArea)
    assert (unclear, RDF.type, AMHE.StudyArea) in merged
    assert (unclear, RDF.type, AMHE.CountryGroup) not in merged
    assert (unclear, AMHE.memberCountry, None) not in merged
    code_list = ID["cube/code-list/study-area"]
    roots = set(merged.objects(code_list, QB.hierarchyRoot))
    assert {joint, pair, unclear, ID["country/us"], ID["country/co"]} <= roots
    assert merged.value(code_list, QB.parentChildProperty) == AMHE.memberCountry
    # Colombia has a row of its own for question 1 and shares one for question 3.
    assert merged.value(obs("table-4", "rq1-colombia"), AMHE.refArea) == ID["country/co"]


def test_units_and_source_tables(cubes):
    study, intervention = ID["cube/unit/study"], ID["cube/unit/intervention"]
    assert cubes.value(obs("table-4", "rq2-usa"), AMHE.unitOfMeasure) == study
    assert cubes.value(obs("table-5-totals", "age"), AMHE.unitOfMeasure) == intervention
    assert cubes.value(obs("table-3", "age"), AMHE.sourceTable) == ID["source/table-3"]
    assert (
        cubes.value(obs("table-5-interventions-per-type", "det"), AMHE.sourceTable)
        == ID["source/table-5"]
    )
    assert (study, SKOS.inScheme, ID["scheme/units"]) in cubes


def test_iris_labels_and_provenance(cubes, merged):
    for s, p, o in cubes:
        assert not any(isinstance(t, BNode) for t in (s, p, o))
        assert str(s).startswith(str(ID))
    for subject in set(cubes.subjects(RDF.type, None)):
        assert str(subject).startswith(str(ID["cube/"])) or subject == ID["scheme/units"]
        labels = list(merged.objects(subject, RDFS.label))
        assert len(labels) == 1 and labels[0].language == "en", subject
        origins = list(cubes.objects(subject, PROV.wasDerivedFrom))
        assert origins, subject
        assert any(
            (origin, RDF.type, AMHE.SourceLocation) in merged
            or (origin, RDF.type, AMHE.Table) in merged
            or (origin, RDF.type, AMHE.Appendix) in merged
            for origin in origins
        ), subject
    # A stated observation comes from its table row.
    row = merged.value(obs("table-2", "det"), PROV.wasDerivedFrom)
    assert row == ID["source/table-2/row/1"]


def test_the_cubes_are_deterministic(cubes):
    first = cubes
    second = build_cubes(load_sources(DATA))
    assert to_ntriples(first) == to_ntriples(second)
    assert isomorphic(first, second)


def test_the_cube_terms_are_labelled_defined_and_typed(cubes, built):
    terms = built.ontology
    owl = "http://www.w3.org/2002/07/owl#"
    kinds = {URIRef(owl + k) for k in ("Class", "ObjectProperty", "DatatypeProperty")}
    kinds.add(URIRef(owl + "AnnotationProperty"))
    used = set(cubes.predicates()) | set(cubes.objects(None, RDF.type))
    declared = set(terms.subjects(RDF.type, None)) & used
    built_in = {RDF.type, RDFS.label, RDFS.seeAlso}
    in_ontology = {SKOS[t] for t in ("Concept", "ConceptScheme", "prefLabel", "definition")}
    in_ontology |= {SKOS[t] for t in ("inScheme", "topConceptOf", "hasTopConcept")}
    in_ontology |= {SKOS.editorialNote, PROV.wasDerivedFrom}
    in_ontology |= {URIRef("http://purl.org/dc/terms/" + t) for t in ("title", "description")}
    assert used - declared - built_in - in_ontology == set()
    for term in declared:
        assert len(set(terms.objects(term, RDF.type)) & kinds) == 1, term
        assert len(list(terms.objects(term, RDFS.label))) == 1, term
        own = str(term).startswith(str(AMHE))
        assert (term, SKOS.definition if own else RDFS.comment, None) in terms, term
        assert (term, RDFS.isDefinedBy, None) in terms, term
    # No component property is typed as a member of a class (no punning).
    assert not [
        s for s in terms.subjects(RDF.type, None) if (s, RDF.type, QB.DimensionProperty) in terms
    ]
    # Dimensions have a range (IC-4), and a code list where they take concepts (IC-5).
    for dimension in (AMHE.refInterventionType, AMHE.refCharacteristic, AMHE.refArea):
        assert (dimension, QB.codeList, None) in terms
    for dimension in (
        *(AMHE.refInterventionType, AMHE.refCharacteristic),
        AMHE.refResearchQuestion,
    ):
        assert (dimension, RDFS.range, None) in terms


# Integrity constraints


def test_the_integrity_constraints_are_the_recommendations_twenty_one():
    constraints = integrity_constraints()
    numbers = {int(re.match(r"IC-(\d+)\.", c.title).group(1)) for c in constraints}
    assert numbers == set(range(1, 22))
    assert [c.key for c in constraints if c.instances] == ["ic-20", "ic-21"]
    ic12 = next(c for c in constraints if c.key == "ic-12")
    assert "No two qb:Observations in the same qb:DataSet" in ic12.query
    assert "W3C Recommendation 16 January 2014" in ic12.query


def test_the_real_cube_passes_every_integrity_constraint(built, base, cubes):
    assert check_integrity(base, cubes, built.ontology) == []


def test_the_cube_is_built_normalised(built, base, cubes):
    """Normalising adds only the component properties' types (phase 1), nothing else."""
    before = Graph()
    for graph in (base, cubes, built.ontology):
        for triple in graph:
            before.add(triple)
    # (Oxigraph writes xsd:decimal literals in canonical form: compare IRI-valued triples.)
    added = {
        t
        for t in normalised(base, cubes, built.ontology)
        if t not in before and not isinstance(t[2], Literal)
    }
    kinds = {QB.DimensionProperty, QB.MeasureProperty, QB.AttributeProperty}
    assert {(s, p) for s, p, o in added if p == RDF.type and o in kinds} == {
        (s, RDF.type) for s, _p, _o in added
    }
    assert {s for s, _p, o in added if o == QB.DimensionProperty} == {
        AMHE.refInterventionType,
        AMHE.refCharacteristic,
        AMHE.refResearchQuestion,
        AMHE.refArea,
    }
    assert len(added) == 4 + 3 + 2


def test_an_abbreviated_cube_passes_only_once_normalised():
    cube = Graph().parse(FIXTURES / "abbreviated.ttl")
    assert check_integrity(cube) == []
    # Without the closure rules no component is known to be a measure.
    assert check_integrity(cube, normalise=False) == ["IC-3. DSD includes measure"]
    # The required unit is pushed down from the data set; without it IC-13 fails.
    cube.remove((None, URIRef("http://example.org/cube/unit"), None))
    assert check_integrity(cube) == ["IC-13. Required attributes"]


def test_a_missing_dimension_value_fails():
    cube = Graph().parse(FIXTURES / "missing-dimension-value.ttl")
    # IC-12's published query compares the dimensions two observations both have, so the
    # observation without a year also looks like a duplicate of o1.
    assert check_integrity(cube) == [
        "IC-11. All dimensions required",
        "IC-12. No duplicate observations",
    ]


def test_a_duplicate_observation_fails():
    cube = Graph().parse(FIXTURES / "duplicate-observation.ttl")
    assert check_integrity(cube) == ["IC-12. No duplicate observations"]


def _broken(graph: Graph, remove=(), add=()) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    for triple in remove:
        copy.remove(triple)
    for triple in add:
        copy.add(triple)
    return copy


@pytest.mark.parametrize(
    ("case", "fails"),
    [
        ("missing dimension value", "IC-11. All dimensions required"),
        ("duplicate observation", "IC-12. No duplicate observations"),
        ("missing measure", "IC-14. All measures present"),
        ("missing attribute", "IC-13. Required attributes"),
        ("code not in the code list", "IC-19. Codes from code list (concept scheme)"),
        ("area not in the hierarchy", "IC-20. Codes from hierarchy"),
        ("observation in two data sets", "IC-1. Unique DataSet"),
    ],
)
def test_a_broken_real_cube_fails(built, base, cubes, case, fails):
    det = obs("table-2", "det")
    usa = obs("table-4", "rq1-usa")
    twin = obs("table-2", "twin")
    changes = {
        "missing dimension value": {"remove": [(det, AMHE.refInterventionType, None)]},
        "duplicate observation": {
            "add": [(twin, p, o) for p, o in cubes.predicate_objects(det) if p != RDFS.label]
        },
        "missing measure": {"remove": [(det, AMHE.numberOfIncludedStudies, None)]},
        "missing attribute": {"remove": [(det, AMHE.unitOfMeasure, None)]},
        "code not in the code list": {
            "remove": [(det, AMHE.refInterventionType, None)],
            "add": [(det, AMHE.refInterventionType, ID["characteristic/race"])],
        },
        "area not in the hierarchy": {
            "remove": [(usa, AMHE.refArea, None)],
            "add": [(usa, AMHE.refArea, ID["country/nowhere"])],
        },
        "observation in two data sets": {"add": [(det, QB.dataSet, ID["cube/table-3"])]},
    }[case]
    broken = _broken(cubes, **changes)
    assert fails in check_integrity(base, broken, built.ontology)


# Ready-made queries


def _oxigraph(graph: Graph) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(
        graph.serialize(format="nt", encoding="utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES
    )
    return store


@pytest.fixture(scope="session")
def store(merged):
    return _oxigraph(merged)


def _value(term):
    if term is None:
        return None
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value
        if datatype == str(XSD.integer):
            return int(term.value)
        if datatype == str(XSD.boolean):
            return term.value == "true"
    return term.value


def run(store, merged, name: str) -> list[dict]:
    """The rows of a query, checked to be the same in Oxigraph and rdflib."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    solutions = store.query(text)
    variables = [v.value for v in solutions.variables]
    rows = [{v: _value(s[v]) for v in variables} for s in solutions]
    in_rdflib = [
        {v: _rdflib_value(t) for v, t in zip(variables, row, strict=True)}
        for row in merged.query(text)
    ]
    key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
    assert sorted(in_rdflib, key=key) == sorted(rows, key=key), name
    header = re.search(r"^# columns: (.*)$", text, re.MULTILINE).group(1)
    assert variables == [c.strip() for c in header.split(",")]
    return rows


def _rdflib_value(term):
    if term is None:
        return None
    if isinstance(term, Literal):
        if term.datatype == XSD.integer:
            return int(term)
        if term.datatype == XSD.boolean:
            return term.toPython()
        return str(term)
    return str(term)


def test_every_cube_query_has_the_project_header():
    for path in sorted(QUERIES.glob("cube-*.rq")):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"^# title: \S", text, re.MULTILINE), path
        question = re.search(r"^# question: (.*?)\n(?!#   )", text, re.MULTILINE | re.DOTALL)
        assert question and question.group(1).rstrip().endswith("?"), path
        assert re.search(r"^ORDER BY ", text, re.MULTILINE), path


def test_table_2_query_returns_the_table_in_order(store, merged):
    rows = run(store, merged, "cube-table-2")
    # Seed lines 286-310.
    assert [(r["abbreviation"], r["studies"]) for r in rows] == [
        ("DET", 23), ("PPS", 35), ("RSCT", 13), ("EC", 3), ("PFIP", 12), ("IATS", 4),
        ("IAPT", 5), ("ELLS", 3), ("O", 2), ("oHBC", 2), ("oCA", 10), ("oT", 10), ("PRF", 0),
    ]  # fmt: skip


def test_table_3_query_returns_one_row_per_subtype(store, merged):
    rows = run(store, merged, "cube-table-3")
    assert len(rows) == 23
    assert rows[0] == {
        "number": 1,
        "characteristic": "Race",
        "notation": "1a",
        "subtype": "Minority ethnicity",
        "by_subtype": 27,
        "by_characteristic": 36,
    }
    religion = next(r for r in rows if r["notation"] == "2a")
    assert (religion["by_subtype"], religion["by_characteristic"]) == (3, 2)  # seed line 348
    assert [r["notation"] for r in rows][-3:] == ["10b", "10c", "11a"]


def test_table_4_query_returns_the_printed_rows(store, merged):
    rows = run(store, merged, "cube-table-4")
    assert len(rows) == 31
    assert [(r["question"], r["printed"], r["studies"]) for r in rows[:2]] == [
        (1, "USA", 35),  # seed line 428
        (1, "UK", 16),  # line 429
    ]
    by_printed = {(r["question"], r["printed"]): r for r in rows}
    joint = by_printed[(1, "Austria & Russia")]
    assert (joint["kind"], joint["alpha3"], joint["studies"]) == ("country group", None, 1)
    unclear = by_printed[(1, "Unclear")]
    assert (unclear["kind"], unclear["studies"]) == ("unclear", 2)
    assert by_printed[(3, "Kenya")]["alpha3"] == "KEN"
    assert rows[-1]["printed"] == "Sweden"  # the last row, line 473


def test_study_areas_query(store, merged):
    rows = run(store, merged, "cube-study-areas")
    groups = {(r["area"], r["alpha3"]) for r in rows if r["kind"] == "country group"}
    assert groups == {
        ("Austria & Russia", "AUT"),
        ("Austria & Russia", "RUS"),
        ("Chile & Colombia", "CHL"),
        ("Chile & Colombia", "COL"),
    }
    assert [r["area"] for r in rows if r["kind"] == "unclear"] == ["Unclear"]
    # 23 countries, of which Austria, Russia and Chile appear only in joint rows.
    assert len([r for r in rows if r["kind"] == "country"]) == 20


def test_table_5_queries(store, merged):
    totals = run(store, merged, "cube-table-5-totals")
    assert [r["total_by_subtype"] for r in totals] == [
        27, 5, 4, 2, 3, 1, 4, 5, 2, 23, 7, 3, 6, 3, 61, 1, 3, 8, 4, 1, 1, 3, 10,
    ]  # seed line 888  # fmt: skip
    per_type = run(store, merged, "cube-table-5-interventions-per-type")
    assert [r["interventions"] for r in per_type] == [23, 35, 13, 3, 12, 4, 5, 3, 2, 2, 10, 10, 0]
    curated = run(store, merged, "cube-table-5-curated-per-subtype")
    assert len(curated) == 13
    assert {r["notation"]: r["curated_interventions"] for r in curated}["6a"] == 5
    pairs = run(store, merged, "cube-table-5-curated-per-type-and-subtype")
    assert len(pairs) == 21
    assert pairs[0]["abbreviation"] == "DET"


def test_stated_and_derived_figures_compared_by_a_query(store, merged):
    types = run(store, merged, "cube-compare-types")
    assert len(types) == 13 and all(r["agrees"] for r in types)
    subtypes = run(store, merged, "cube-compare-subtypes")
    assert len(subtypes) == 23
    disagree = [r for r in subtypes if not r["tables_agree"]]
    assert [(r["subtype"], r["table_3_studies"], r["table_5_total"]) for r in disagree] == [
        ("Religion", 3, 2)
    ]
    assert disagree[0]["curated_interventions"] == 1
    immigrants = next(r for r in subtypes if r["notation"] == "1b")
    assert immigrants["curated_interventions"] is None  # unknown, not zero


def test_datasets_query(store, merged):
    rows = run(store, merged, "cube-datasets")
    assert [(r["kind"], r["observations"]) for r in rows] == [
        ("stated", 13),
        ("stated", 34),
        ("stated", 31),
        ("stated", 34),
        ("recomputed", 13),
        ("recomputed", 21),
        ("recomputed", 13),
    ]
    assert {r["unit"] for r in rows} == {"study", "intervention"}


# CSV on the Web


@pytest.fixture(scope="session")
def csv_export(sources):
    return csv_files(sources)


def test_a_csv_file_and_its_metadata_per_dataset(csv_export):
    assert sorted(csv_export) == sorted(
        name for d in DATASETS for name in (f"cube-{d.key}.csv", f"cube-{d.key}.csv-metadata.json")
    )
    table = list(csv.DictReader(io.StringIO(csv_export["cube-table-2.csv"].decode())))
    assert [(r["intervention_type_code"], r["number_of_included_studies"]) for r in table][:3] == [
        ("DET", "23"),
        ("PPS", "35"),
        ("RSCT", "13"),
    ]
    table = list(csv.DictReader(io.StringIO(csv_export["cube-table-4.csv"].decode())))
    joint = next(r for r in table if r["area_label"] == "Austria & Russia")
    assert (joint["research_question_code"], joint["area_code"]) == ("1", "")
    assert joint["area"] == str(ID["cube/study-area/austria-russia"])
    table = list(csv.DictReader(io.StringIO(csv_export["cube-table-3.csv"].decode())))
    religion = next(r for r in table if r["characteristic_code"] == "2a")
    assert religion["number_of_included_studies"] == "3" and religion["note"]


def test_the_csv_files_agree_with_the_queries(csv_export, store, merged):
    table = list(csv.DictReader(io.StringIO(csv_export["cube-table-4.csv"].decode())))
    rows = run(store, merged, "cube-table-4")
    assert [r["observation"] for r in table] == [r["observation"] for r in rows]
    assert [int(r["number_of_included_studies"]) for r in table] == [r["studies"] for r in rows]


def _expand(template: str, row: dict[str, str]) -> str:
    return re.sub(r"\{\+?(\w+)\}", lambda m: row[m.group(1)], template)


CSVW_PREFIXES = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "qb": str(QB),
}


def _term(name: str) -> URIRef:
    prefix, _, local = name.partition(":")
    return URIRef(CSVW_PREFIXES[prefix] + local) if prefix in CSVW_PREFIXES else URIRef(name)


def csv2rdf(metadata: dict, text: str) -> Graph:
    """The triples CSV on the Web's csv2rdf gives for the features the metadata uses."""
    schema = metadata["tableSchema"]
    columns = schema["columns"]
    graph = Graph()
    for row in csv.DictReader(io.StringIO(text)):
        for column in columns:
            if column.get("suppressOutput"):
                continue
            cell = None if column.get("virtual") else row[column["name"]]
            if cell == "":
                continue
            subject = URIRef(_expand(column.get("aboutUrl", schema["aboutUrl"]), row))
            predicate = _term(column["propertyUrl"])
            if "valueUrl" in column:
                obj = _term(_expand(column["valueUrl"], row))
            elif column.get("lang"):
                obj = Literal(cell, lang=column["lang"])
            else:
                datatype = {"integer": XSD.integer, "string": None}[column["datatype"]]
                obj = Literal(int(cell)) if datatype == XSD.integer else Literal(cell)
            graph.add((subject, predicate, obj))
    return graph


def test_csvw_metadata_describes_each_csv_file_and_gives_back_the_observations(
    csv_export, merged, cubes
):
    for d in DATASETS:
        name = f"cube-{d.key}.csv"
        metadata = json.loads(csv_export[f"{name}-metadata.json"])
        assert metadata["@context"][0] == "http://www.w3.org/ns/csvw"
        assert metadata["url"] == name
        text = csv_export[name].decode()
        header = next(csv.reader(io.StringIO(text)))
        columns = [c["name"] for c in metadata["tableSchema"]["columns"] if not c.get("virtual")]
        assert header == columns
        triples = csv2rdf(metadata, text)
        extra = [t for t in triples if t not in merged]
        assert extra == [], (name, extra[:3])
        observations = set(cubes.subjects(QB.dataSet, d.subject))
        component = {
            (s, p, o)
            for s in observations
            for p, o in cubes.predicate_objects(s)
            if p not in (RDFS.label, PROV.wasDerivedFrom)
        }
        assert component <= set(triples), name


def test_the_build_can_publish_the_cube_in_its_three_syntaxes(cubes):
    turtle = cubes.serialize(format="turtle")
    assert "@prefix qb: <http://purl.org/linked-data/cube#>" in turtle
    assert not [line for line in turtle.splitlines() if line.startswith("@prefix ns")]
    parsed = Graph().parse(data=turtle, format="turtle")
    assert isomorphic(parsed, cubes)
