"""`amhe-kg validate` and the validation inside the build: results traced to curated records,
the three report formats, exit codes, inference, and bad input."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS

import amhe_kg.validate
from amhe_kg.build import make
from amhe_kg.cli import main
from amhe_kg.errors import SourceError
from amhe_kg.sources import load_sources
from amhe_kg.totals import check_totals
from amhe_kg.validate import RecordRef, ViolationsError, read_rdf
from amhe_kg.yamlfile import read_yaml
from tests.conftest import AMHE, DATA, ID, ONTOLOGY, ROOT
from tests.shapes.cases import VALID

SHAPES = ROOT / "shapes" / "amhe-shapes.ttl"
AMHESH = "https://w3id.org/amhe/shapes#"
WRONG_PROVIDER = (ID["service/rainbow-alliance"], AMHE.providedBy, ID["place/leeds"])


@pytest.fixture(scope="module")
def sources():
    return load_sources(DATA)


def run(*args: str):
    """`amhe-kg validate` with the project's shapes and sources unless given."""
    options = ["--shapes", str(SHAPES), "--data", str(DATA), "--ontology", str(ONTOLOGY)]
    return CliRunner().invoke(amhe_kg.validate.command, [*options, *args])


def fixture_file(tmp_path, *extra, name="graph.ttl"):
    """The conforming shapes fixture, with extra triples, as a file."""
    graph = Graph().parse(VALID)
    for triple in extra:
        graph.add(triple)
    path = tmp_path / name
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))
    return path


def by_shape(report, name):
    return [result for result in report.results if str(result.shape) == AMHESH + name]


def line_of_subtype(characteristic: str, subtype: str) -> int:
    for record in read_yaml(DATA / "characteristics.yaml")["characteristics"]:
        if record["key"] == characteristic:
            return next(t.line for t in record["subtypes"] if t["key"] == subtype)
    raise AssertionError(characteristic)


# The built graph


def test_the_built_graph_conforms_with_the_sources_own_inconsistencies(built):
    report = built.validation
    assert report.conforms
    warnings = sorted(
        (str(r.focus).removeprefix(str(ID)), str(r.shape).removeprefix(AMHESH))
        for r in report.of(SH.Warning)
    )
    assert warnings == [
        ("characteristic/religion", "CharacteristicStudySumShape"),
        ("characteristic/religion/religion", "Table3AgreesWithTable5Shape"),
        ("service/black-thrive", "Service-provider"),
    ]


def test_warnings_on_stated_figures_are_the_totals_that_disagree(built, sources):
    """The SHACL-SPARQL rules and the recomputation in totals.py find the same disagreements."""
    shape_of_check = {
        "Table 3 studies by characteristic = sum over its subtypes": "CharacteristicStudySumShape",
        "Table 5 total by characteristic type = sum over its subtypes": (
            "CharacteristicTable5SumShape"
        ),
        "Table 3 studies by characteristic = Table 5 total by characteristic type": (
            "Table3AgreesWithTable5Shape"
        ),
        "Table 3 studies by subtype = Table 5 total by subtype": "Table3AgreesWithTable5Shape",
        "Table 2 studies by type = Table 5 rows of that type": "InterventionTypeCountShape",
        "Table 5 ticks over all rows = sum of Table 5 subtype totals": "Table5TicksShape",
    }
    disagreements = {
        (shape_of_check[c.name], c.subject.split(" / ")[-1])
        for c in check_totals(sources)
        if not c.agrees
    }
    warned = {
        (str(r.shape).removeprefix(AMHESH), r.label)
        for r in built.validation.of(SH.Warning)
        if str(r.shape).removeprefix(AMHESH) in shape_of_check.values()
    }
    assert disagreements == warned
    assert disagreements == {
        ("CharacteristicStudySumShape", "Religion"),
        ("Table3AgreesWithTable5Shape", "Religion"),
    }


def test_info_lists_every_intervention_with_ticks_no_curated_target_explains(built, sources):
    expected = {
        ID[f"intervention/{i.key}"]
        for i in sources.interventions.values()
        if len(i.targets) < i.ticks
    }
    infos = built.validation.of(SH.Info)
    assert {r.focus for r in infos} == expected
    assert {str(r.shape) for r in infos} == {AMHESH + "InterventionUncuratedTicksShape"}
    assert len(infos) == len(expected) > 0


def test_a_result_names_the_curated_file_line_and_record(built, sources):
    (result,) = by_shape(built.validation, "Service-provider")
    service = sources.services["black-thrive"]
    assert result.focus == ID["service/black-thrive"]
    assert result.path == "amhe:providedBy"
    assert str(result.component) == str(SH.MinCountConstraintComponent)
    assert result.records == (
        RecordRef("data/services.yaml", sources.origin(service).line, "black-thrive"),
    )
    assert result.locations == ("Appendix 3, item 2",)


def test_a_result_on_a_nested_record_names_its_own_line(built):
    (result,) = by_shape(built.validation, "Table3AgreesWithTable5Shape")
    line = line_of_subtype("religion", "religion")
    assert result.records == (RecordRef("data/characteristics.yaml", line, "religion/religion"),)
    assert result.locations == ("Table 3, row 2",)
    assert result.message.startswith("Table 3 states 3 studies but Table 5's total is 2: ")


def test_every_record_kind_can_be_traced(built, sources):
    """Every resource of the graph with a kind and key maps to a curated record."""
    index = amhe_kg.validate.RecordIndex(sources)
    untraced = [
        str(s)
        for s in set(built.graph.subjects(RDF.type, None))
        if index.find(s) is None and not str(s).startswith(str(ID["scheme/"]))
    ]
    assert untraced == []
    ref = index.find(ID["solution/conduct-local-mapping-of-services"])
    assert ref.file == "data/barriers.yaml" and ref.record.endswith(
        "/conduct-local-mapping-of-services"
    )


# resource of the data cubes -> (curated file, record)
CUBE_RECORDS = {
    # a stated figure: the record whose field it is
    "cube/table-2/observation/pps": ("intervention_types.yaml", "pps"),
    "cube/table-3/observation/religion": ("characteristics.yaml", "religion"),
    "cube/table-3/observation/religion/religion": ("characteristics.yaml", "religion/religion"),
    "cube/table-4/observation/rq1-austria-russia": ("countries.yaml", "rq1-austria-russia"),
    "cube/table-5-totals/observation/race/minority-ethnicity": (
        "characteristics.yaml",
        "race/minority-ethnicity",
    ),
    # a study area: the first tally printed for it
    "cube/study-area/chile-colombia": ("countries.yaml", "rq3-chile-colombia"),
    "cube/study-area/unclear": ("countries.yaml", "rq1-unclear"),
    # a recomputed figure on its own, a data set, its structure: the table
    "cube/table-5-interventions-per-type/observation/prf": ("document.yaml", "table-5"),
    "cube/table-5-curated-per-subtype": ("document.yaml", "table-5"),
    "cube/table-2/structure": ("document.yaml", "table-2"),
    "cube/table-4/structure/area": ("document.yaml", "table-4"),
    "cube/code-list/study-area": ("document.yaml", "table-4"),
    "cube/unit/study": ("document.yaml", "appendix-2"),
}


@pytest.mark.parametrize("resource", sorted(CUBE_RECORDS))
def test_a_cube_resource_is_traced_to_the_record_it_comes_from(built, sources, resource):
    file, record = CUBE_RECORDS[resource]
    assert (ID[resource], None, None) in built.graph
    ref = amhe_kg.validate.RecordIndex(sources).find(ID[resource])
    assert (ref.file, ref.record) == (f"data/{file}", record)
    assert ref.line is not None


def test_a_stated_subtype_figure_names_the_line_of_the_subtype(sources):
    index = amhe_kg.validate.RecordIndex(sources)
    ref = index.find(ID["cube/table-3/observation/religion/religion"])
    assert ref.line == line_of_subtype("religion", "religion")


def test_a_wrong_cube_figure_is_traced_to_the_records_it_comes_from(built, sources):
    """A stated figure names its tally; a recomputed one the curated links it counts."""
    stated = ID["cube/table-4/observation/rq1-usa"]
    recomputed = ID["cube/table-5-curated-per-subtype/observation/age/youth"]
    graph = Graph()
    for triple in built.graph:
        graph.add(triple)
    graph.set((stated, AMHE.numberOfIncludedStudies, Literal(-35)))
    graph.set((recomputed, AMHE.numberOfCuratedInterventions, Literal(0)))
    shapes = amhe_kg.validate.load_shapes([SHAPES])
    report = amhe_kg.validate.validate(graph, shapes, sources=sources)
    results = {r.focus: r for r in report.of(SH.Violation)}
    assert set(results) == {stated, recomputed}
    tally = sources.tallies["rq1-usa"]
    assert results[stated].records == (
        RecordRef("data/countries.yaml", sources.origin(tally).line, "rq1-usa"),
    )
    assert results[stated].locations == ("Table 4, row 1",)
    youth = sorted(
        i.key
        for i in sources.interventions.values()
        if "age/youth" in {t.subtype for t in i.targets}
    )
    assert len(youth) == 5
    assert sorted(r.record for r in results[recomputed].records) == [
        f"{k}/age/youth" for k in youth
    ]
    assert {r.file for r in results[recomputed].records} == {"data/interventions.yaml"}
    assert all(r.line is not None for r in results[recomputed].records)
    assert results[recomputed].locations == (
        "Table 5: Intervention types aimed at populations possessing specific characteristics",
    )


# Report formats


def test_the_turtle_report_is_a_standard_deterministic_validation_report(built):
    turtle = built.validation.to_turtle()
    assert turtle == built.validation.to_turtle() == built.files["validation.ttl"]
    report = Graph().parse(data=turtle, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(True)
    results = list(report.objects(node, SH.result))
    assert len(results) == len(built.validation.results)
    for result in results:
        assert report.value(result, RDF.type) == SH.ValidationResult
        for predicate in (SH.focusNode, SH.resultSeverity, SH.sourceShape):
            assert report.value(result, predicate) is not None
    black_thrive = next(
        r for r in results if report.value(r, SH.focusNode) == ID["service/black-thrive"]
    )
    assert report.value(black_thrive, SH.resultPath) == AMHE.providedBy
    assert report.value(black_thrive, SH.resultSeverity) == SH.Warning


def test_the_text_report_groups_results_by_severity_and_shape(built):
    text = built.validation.to_text("output/amhe.ttl")
    assert text.startswith("Validated output/amhe.ttl (")
    assert "conforms: 0 violations, 3 warnings, " in text
    assert text.index("== Warnings (3) ==") < text.index("== Infos (")
    block = text[text.index("amhesh:Service-provider (1)") :]
    assert '  - id:service/black-thrive "Black Thrive"' in block
    assert "      property: amhe:providedBy" in block
    assert "      fix in: data/services.yaml:" in block
    assert "      source: Appendix 3, item 2" in block


def test_validate_reads_turtle_json_ld_and_n_triples(built, tmp_path):
    graphs = []
    for name in ("amhe.ttl", "amhe.jsonld", "amhe.nt"):
        (tmp_path / name).write_bytes(built.files[name])
        graphs.append(read_rdf([tmp_path / name]))
    assert len(graphs[0]) == len(graphs[1]) == len(graphs[2]) == len(built.graph)
    result = run(
        "--format", "json", *(str(tmp_path / n) for n in ("amhe.ttl", "amhe.jsonld", "amhe.nt"))
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["conforms"] is True
    assert document["counts"] == built.validation.counts()
    black_thrive = next(r for r in document["results"] if r["focus"].endswith("/black-thrive"))
    assert black_thrive["sources"][0]["file"] == "data/services.yaml"
    assert black_thrive["path"] == "amhe:providedBy"


# Exit codes


def test_a_wrong_class_link_is_a_violation_exit_1_naming_the_record(built, tmp_path, sources):
    graph = Graph()
    for triple in built.graph:
        graph.add(triple)
    graph.add(WRONG_PROVIDER)
    path = tmp_path / "amhe.ttl"
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))
    result = run(str(path))
    assert result.exit_code == 1, result.output
    line = sources.origin(sources.services["rainbow-alliance"]).line
    assert "DOES NOT CONFORM: 1 violations" in result.output
    block = result.output[result.output.index("== Violations (1) ==") :]
    assert "amhesh:Service-providedBy (1)" in block
    assert '  - id:service/rainbow-alliance "Rainbow Alliance"' in block
    assert "      property: amhe:providedBy   value: id:place/leeds" in block
    assert f"      fix in: data/services.yaml:{line}: record 'rainbow-alliance'" in block


def test_without_inference_the_wrong_class_link_is_caught_by_sh_class(tmp_path):
    result = run(
        "--format", "json", "--data", str(tmp_path), str(fixture_file(tmp_path, WRONG_PROVIDER))
    )
    assert result.exit_code == 1
    violations = [
        (r["focus"], r["path"], r["component"]) for r in json.loads(result.stdout)["results"]
    ]
    assert violations == [
        (str(ID["service/rainbow-alliance"]), "amhe:providedBy", str(SH.ClassConstraintComponent))
    ]


def test_rdfs_inference_types_the_wrong_link_into_the_range_and_hides_sh_class(tmp_path):
    """rdfs:range of amhe:providedBy makes the place an organisation: no sh:class result is
    left, only the organisation shapes that the place now fails."""
    path = fixture_file(tmp_path, WRONG_PROVIDER)
    result = run("--format", "json", "--inference", "rdfs", "--data", str(tmp_path), str(path))
    assert result.exit_code == 1
    rows = sorted(
        (r["focus"].removeprefix(str(ID)), r["component"].removeprefix(str(SH)))
        for r in json.loads(result.stdout)["results"]
    )
    assert rows == [
        ("place/leeds", "MinCountConstraintComponent"),
        ("place/leeds", "PatternConstraintComponent"),
    ]


def test_the_conforming_fixture_conforms_with_and_without_inference(tmp_path):
    path = fixture_file(tmp_path)
    for inference in ("none", "rdfs"):
        result = run("--inference", inference, "--data", str(tmp_path), str(path))
        assert result.exit_code == 0, result.output
        assert "conforms: 0 violations, 0 warnings, 0 info" in result.output


def test_the_default_input_is_the_built_graph(tmp_path, monkeypatch):
    (tmp_path / "output").mkdir()
    fixture_file(tmp_path / "output", name="amhe.ttl")
    (tmp_path / "shapes").mkdir()
    shutil.copy(SHAPES, tmp_path / "shapes" / "amhe-shapes.ttl")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(amhe_kg.validate.command, [])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Validated output/amhe.ttl (")
    assert "note: results are not traced to curated records: data: no such folder" in result.stderr


def test_the_report_can_be_written_to_a_file(tmp_path):
    out = tmp_path / "report.ttl"
    result = run(
        "--format", "turtle", "-o", str(out), "--data", str(tmp_path), str(fixture_file(tmp_path))
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    report = Graph().parse(out)
    assert (None, SH.conforms, Literal(True)) in report


def test_a_report_that_cannot_be_written_exits_2(tmp_path):
    out = tmp_path / "missing-folder" / "report.ttl"
    result = run("-o", str(out), "--data", str(tmp_path), str(fixture_file(tmp_path)))
    assert result.exit_code == 2
    last = result.stderr.splitlines()[-1]
    assert last == f"error: {out}: cannot be written (No such file or directory)"


def test_a_folder_given_as_input_exits_2(tmp_path):
    (tmp_path / "graph.ttl").mkdir()
    result = run("--data", str(tmp_path), str(tmp_path / "graph.ttl"))
    assert result.exit_code == 2
    assert "graph.ttl: cannot be read (Is a directory)" in result.stderr


def test_help_documents_the_exit_codes():
    result = CliRunner().invoke(amhe_kg.validate.command, ["--help"])
    text = " ".join(result.output.split())
    assert "0 the data conforms (warnings and info allowed)" in text
    assert "1 there is at least one sh:Violation" in text
    assert "2 an input could not be read" in text
    assert "--inference [none|rdfs]" in text


# Bad input: a clear message and exit code 2, never a traceback


BAD_INPUT = {
    "missing-file": ("missing.ttl", None, r"missing\.ttl: file not found"),
    "unknown-format": ("graph.rdfxml", "<rdf/>", r"graph\.rdfxml: unknown RDF format \(expected "),
    "bad-turtle": ("graph.ttl", "<a> <b> .", r"graph\.ttl: not valid Turtle: "),
    "bad-json-ld": ("graph.jsonld", '{"@id": ', r"graph\.jsonld: not valid JSON-LD: "),
    "bad-n-triples": ("graph.nt", "<a> <b> <c>\n", r"graph\.nt: not valid N-Triples: "),
    "not-utf-8": ("graph.ttl", b"\xff\xfe<a>", r"graph\.ttl: not UTF-8 text"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_unreadable_data_exits_2_with_a_message(tmp_path, case):
    name, content, message = BAD_INPUT[case]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("--data", str(tmp_path), str(path))
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("error: ")
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


BAD_SHAPES = {
    "syntax-error": (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\nex:S a sh:NodeShape .\n",
        "not valid Turtle",
    ),
    "no-shapes": (
        "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n",
        "no sh:NodeShape",
    ),
    "unusable-constraint": (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix amhe: <https://w3id.org/amhe/ontology#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetClass amhe:Service ;\n"
        '    sh:property [ sh:path amhe:providedBy ; sh:minCount "one" ] .\n',
        "sh:minCount must be a literal with datatype xsd:integer",
    ),
    "bad-sparql": (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix amhe: <https://w3id.org/amhe/ontology#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetClass amhe:Service ;\n"
        '    sh:sparql [ sh:select "SELECT $this WHERE { garbage" ] .\n',
        "SPARQL does not parse: error at 1:",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SHAPES))
def test_a_shapes_file_with_an_error_exits_2_naming_it(tmp_path, case):
    content, message = BAD_SHAPES[case]
    shapes = tmp_path / "broken-shapes.ttl"
    shapes.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        amhe_kg.validate.command,
        ["--shapes", str(shapes), "--data", str(tmp_path), str(fixture_file(tmp_path))],
    )
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[-1].startswith(f"error: {shapes}: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_check_shapes_rejects_invalid_shacl_with_exit_2(tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetClass <http://example.org/C> ;\n"
        '    sh:property [ sh:path <http://example.org/p> ; sh:deactivated "no" ] .\n',
        encoding="utf-8",
    )
    args = ["--shapes", str(shapes), "--data", str(tmp_path), str(fixture_file(tmp_path))]
    assert CliRunner().invoke(amhe_kg.validate.command, args).exit_code == 0
    result = CliRunner().invoke(amhe_kg.validate.command, ["--check-shapes", *args])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"error: {shapes}: not valid SHACL: ")


def test_a_missing_ontology_with_inference_exits_2(tmp_path):
    result = run(
        "--inference", "rdfs", "--ontology", str(tmp_path / "none.ttl"), str(fixture_file(tmp_path))
    )
    assert result.exit_code == 2
    assert "none.ttl: file not found" in result.stderr


# The build


def test_the_build_publishes_the_validation_report(built):
    assert "validation.ttl" in built.files
    report = Graph().parse(data=built.files["validation.ttl"], format="turtle")
    assert len(set(report.subjects(SH.resultSeverity, SH.Warning))) == 3


def test_the_build_refuses_to_write_when_the_graph_violates_the_shapes(data_copy, tmp_path):
    """A country whose key is not its alpha-2 code passes the record checks but not the shapes."""
    countries = data_copy / "countries.yaml"
    text = countries.read_text(encoding="utf-8")
    assert "  alpha2: US\n" in text
    countries.write_text(text.replace("  alpha2: US\n", "  alpha2: UA\n", 1), encoding="utf-8")
    with pytest.raises(ViolationsError) as caught:
        make(data_copy, ONTOLOGY)
    assert isinstance(caught.value, SourceError)
    (violation,) = caught.value.report.of(SH.Violation)
    assert violation.focus == ID["country/us"]
    assert str(violation.shape) == AMHESH + "CountryKeyShape"
    assert violation.records[0].file == "data/countries.yaml"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", "--data", str(data_copy), "--ontology", str(ONTOLOGY), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert not out.exists()
    assert "1 SHACL violation(s); nothing was written" in result.stderr
    assert "data/countries.yaml:" in result.stderr and "record 'us'" in result.stderr


def test_the_build_reports_an_unusable_shapes_file(tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("not turtle", encoding="utf-8")
    with pytest.raises(SourceError, match=r"shapes\.ttl: not valid Turtle"):
        make(DATA, ONTOLOGY, shapes)


def test_a_literal_focus_is_traced_to_the_resources_sharing_it(tmp_path):
    """A code given to two places is reported on the code, with both places' labels."""
    path = fixture_file(tmp_path, (ID["place/yorkshire"], AMHE.gssCode, Literal("E08000035")))
    result = run("--format", "json", "--data", str(tmp_path), str(path))
    (shared,) = [
        r for r in json.loads(result.stdout)["results"] if r["shape"].endswith("unique-gssCode")
    ]
    assert shared["focus"] == "E08000035"
    assert shared["path"] == "^amhe:gssCode"
    assert shared["label"] == "Leeds; Yorkshire and The Humber"
    assert URIRef(shared["component"]) == SH.MaxCountConstraintComponent


def test_the_turtle_report_keeps_complex_paths(tmp_path):
    graph = Graph().parse(VALID)
    graph.add((ID["place/yorkshire"], AMHE.gssCode, Literal("E08000035")))
    graph.remove((ID["characteristic/race"], SKOS.narrower, ID["characteristic/race/immigrants"]))
    shapes = amhe_kg.validate.load_shapes([SHAPES])
    report = amhe_kg.validate.validate(graph, shapes).to_graph()
    paths = {
        report.value(report.value(result, SH.resultPath), SH.inversePath)
        for result in report.subjects(RDF.type, SH.ValidationResult)
    }
    assert paths == {AMHE.gssCode, SKOS.narrower}
    again = amhe_kg.validate.validate(graph, shapes).to_turtle()
    assert again == report.serialize(format="turtle", encoding="utf-8")
