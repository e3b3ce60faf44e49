"""`amhe-kg reason`: HermiT over the ontology and the data, explanations and outputs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, XSD

from amhe_kg import reason
from amhe_kg.namespaces import SCHEMA
from tests.conftest import AMHE, DATA, ID, ONTOLOGY, ROOT

ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
PROV = "http://www.w3.org/ns/prov#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
ARGS = ["--data", str(DATA), "--ontology", str(ONTOLOGY)]

needs_java = pytest.mark.skipif(reason.find_java() is None, reason="needs Java")


@pytest.fixture(scope="module")
def result(onto, data) -> reason.Reasoning:
    return reason.reason(reason.merge(onto, data))


def test_without_java_the_command_says_so_and_exits_2(tmp_path):
    run = CliRunner().invoke(
        reason.command, [*ARGS, "--out", str(tmp_path)], env={"PATH": str(tmp_path)}
    )
    assert run.exit_code == 2
    assert "Java was not found" in run.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@needs_java
def test_the_ontology_is_consistent_with_the_full_data(result):
    assert result.consistent
    assert result.unsatisfiable == []
    assert result.explanation == []


@pytest.mark.slow
@needs_java
def test_the_reasoned_graph_contains_the_asserted_one(result):
    assert result.reasoned is not None
    assert all(triple in result.reasoned for triple in result.asserted)
    added = len(result.reasoned) - len(result.asserted)
    assert added == len(result.inferred_types) + len(result.inferred_values) > 500


@pytest.mark.slow
@needs_java
@pytest.mark.parametrize(
    ("subject", "cls"),
    [
        ("service/black-thrive", SCHEMA.Service),
        ("organisation/black-thrive", URIRef(ORG + "Organization")),
        ("organisation/black-thrive", SCHEMA.Organization),
        ("legislation/equality-act-2010", URIRef(ELI + "LegalResource")),
        ("legislation/equality-act-2010/section-149", URIRef(ELI + "LegalResourceSubdivision")),
        ("legislation/equality-act-2010/section-149", SCHEMA.Legislation),
        ("guideline/ng44", SCHEMA.MedicalGuideline),
        ("source/table-5", AMHE.DocumentPart),
        ("source/table-5", URIRef(PROV + "Entity")),
        ("source/table-5/row/66", URIRef(PROV + "Entity")),
        ("place/lambeth", SCHEMA.Place),
        ("figure/eip-return-on-investment", SCHEMA.QuantitativeValue),
    ],
)
def test_inferred_types_of_named_resources(result, subject, cls):
    assert (ID[subject], cls) in result.inferred_types
    assert (ID[subject], RDF.type, cls) in result.reasoned


@pytest.mark.slow
@needs_java
@pytest.mark.parametrize(
    ("subject", "predicate", "obj"),
    [
        (
            "service/dial-house-touchstone",
            SCHEMA.provider,
            ID["organisation/leeds-survivor-led-crisis-service"],
        ),
        ("service/dial-house-touchstone", SCHEMA.areaServed, ID["place/leeds"]),
        (
            "legislation/equality-act-2010/section-149",
            URIRef(ELI + "is_part_of"),
            ID["legislation/equality-act-2010"],
        ),
        (
            "legislation/equality-act-2010",
            URIRef(ELI + "has_part"),
            ID["legislation/equality-act-2010/section-149"],
        ),
        ("population-group/disability", SKOS.relatedMatch, ID["characteristic/disability"]),
        ("country/gb", DCTERMS.identifier, Literal("GBR")),
        ("study-tally/rq1-china", URIRef(SDMX_MEASURE + "obsValue"), None),
    ],
)
def test_inferred_property_values(result, subject, predicate, obj):
    values = list(result.reasoned.objects(ID[subject], predicate))
    assert values
    assert obj is None or obj in values
    assert (ID[subject], predicate, values[0]) not in result.asserted


@pytest.mark.slow
@needs_java
def test_owl_same_as_aliases_are_not_repeated_in_the_reasoned_graph(result):
    alias = URIRef("http://www.legislation.gov.uk/id/ukpga/2010/15")
    assert (ID["legislation/equality-act-2010"], OWL.sameAs, alias) in result.asserted
    assert (alias, RDF.type, AMHE.Legislation) not in result.reasoned


@pytest.mark.slow
@needs_java
def test_the_report_lists_hierarchy_and_inferred_types(result):
    profile = reason.Profile("test checker")
    text = "\n".join(reason.report_lines(result, profile, {}))
    assert "Consistent: yes" in text
    assert "OWL 2 DL profile: no violations (test checker)" in text
    assert "\n  schema:Service\n    amhe:Service\n" in text
    assert "\n  skos:Concept\n    amhe:Abbreviation\n" in text
    assert f"Inferred types added to the data: {len(result.inferred_types)} on " in text


@pytest.mark.slow
@needs_java
def test_range_and_domain_axioms_type_untyped_resources(onto, data):
    """A service's provider, typed by nothing but the range of amhe:providedBy, is an
    organisation (and so an org:Organization and a schema:Organization); a resource
    with a tick count is an intervention, by the domain of amhe:tickCount."""
    extra = Graph()
    service, provider, counted = ID["test/service"], ID["test/provider"], ID["test/counted"]
    extra.add((service, RDF.type, AMHE.Service))
    extra.add((service, AMHE.providedBy, provider))
    extra.add((counted, AMHE.tickCount, Literal(2)))
    found = reason.reason(reason.merge(onto, data, extra))
    assert found.consistent
    for cls in (AMHE.Organisation, URIRef(ORG + "Organization"), SCHEMA.Organization):
        assert (provider, cls) in found.inferred_types
    assert (counted, AMHE.Intervention) in found.inferred_types
    assert (service, SCHEMA.provider, provider) in found.inferred_values


@pytest.mark.slow
@needs_java
def test_a_resource_of_two_disjoint_classes_is_reported_inconsistent(tmp_path):
    fixture = tmp_path / "both.ttl"
    fixture.write_text(
        "@prefix amhe: <https://w3id.org/amhe/ontology#> .\n"
        "<https://w3id.org/amhe/id/test/both> a amhe:Service, amhe:Guideline .\n"
    )
    out = tmp_path / "out"
    run = CliRunner().invoke(reason.command, [*ARGS, "--out", str(out), "--extra", str(fixture)])
    assert run.exit_code == 1, run.output
    assert "Consistent: NO" in run.output
    assert "<https://w3id.org/amhe/id/test/both> is amhe:Guideline (asserted type)" in run.output
    assert "amhe:Guideline owl:disjointWith amhe:Service" in run.output
    assert not out.exists()


@pytest.mark.slow
@needs_java
def test_a_clash_through_a_range_axiom_is_explained(onto, data):
    extra = Graph()
    act = ID["legislation/equality-act-2010"]
    extra.add((ID["service/black-thrive"], AMHE.providedBy, act))
    found = reason.reason(reason.merge(onto, data, extra))
    assert not found.consistent
    (explanation,) = found.explanation
    assert explanation.startswith(f"<{act}> is amhe:Legislation (asserted type)")
    assert "amhe:Organisation (range of amhe:providedBy" in explanation


@pytest.mark.slow
@needs_java
def test_a_functional_property_with_two_values_is_explained(onto, data):
    extra = Graph()
    figure = ID["figure/eip-return-on-investment"]
    extra.add((figure, AMHE.minValue, Literal("3.0", datatype=XSD.decimal)))
    found = reason.reason(reason.merge(onto, data, extra))
    assert not found.consistent
    assert found.explanation == [
        f"<{figure}> has 2 values of the functional amhe:minValue: 15.0, 3.0"
    ]


@pytest.mark.slow
@needs_java
def test_the_command_writes_both_graphs_deterministically(tmp_path):
    """Two runs in fresh processes (different hash seeds) write the same bytes."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        code = "from amhe_kg.reason import command; command()"
        subprocess.run(
            [sys.executable, "-c", code, *ARGS, "--out", str(out), "--no-profile"],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert sorted(outputs[0]) == [reason.ASSERTED_FILE, reason.REASONED_FILE, reason.REPORT_FILE]
    assert outputs[0] == outputs[1]
    asserted = outputs[0][reason.ASSERTED_FILE].decode().splitlines()
    reasoned = outputs[0][reason.REASONED_FILE].decode().splitlines()
    assert asserted == sorted(asserted) and reasoned == sorted(reasoned)
    assert set(asserted) < set(reasoned)
    assert not any("_:" in line for line in reasoned)


@pytest.mark.slow
@needs_java
def test_a_class_that_can_have_no_instances_is_reported(tmp_path):
    fixture = tmp_path / "unsatisfiable.ttl"
    fixture.write_text(
        "@prefix amhe: <https://w3id.org/amhe/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://example.org/GuidedService> a owl:Class ;\n"
        "    rdfs:label 'guided service'@en ;\n"
        "    rdfs:subClassOf amhe:Service, amhe:Guideline .\n"
    )
    out = tmp_path / "out"
    run = CliRunner().invoke(reason.command, [*ARGS, "--out", str(out), "--extra", str(fixture)])
    assert run.exit_code == 1, run.output
    assert "Consistent: yes" in run.output
    assert (
        "<https://example.org/GuidedService> can have no instances: it is a subclass of "
        "disjoint classes (amhe:Guideline owl:disjointWith amhe:Service)"
    ) in run.output
    assert not out.exists()
