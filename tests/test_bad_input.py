"""Bad curated input stops the build with a located error, exit code 2, and no output."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from amhe_kg.cli import main
from tests.conftest import ONTOLOGY


def replace(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def run_build(data_dir, out_dir):
    args = ["build", "--data", str(data_dir), "--ontology", str(ONTOLOGY), "--out", str(out_dir)]
    return CliRunner().invoke(main, args)


# (file, old text, new text, expected message pattern)
CASES = {
    "malformed-yaml": (
        "places.yaml",
        "- key: leeds\n",
        "- key: leeds\n  label: [unclosed\n",
        r"places\.yaml: not valid YAML: line \d+",
    ),
    "missing-field": (
        "intervention_types.yaml",
        "  stated_studies: 23\n",
        "",
        r"intervention_types\.yaml:\d+: record 'det': field 'stated_studies': Field required",
    ),
    "wrong-type": (
        "intervention_types.yaml",
        "stated_studies: 23",
        "stated_studies: many",
        r"intervention_types\.yaml:\d+: record 'det': field 'stated_studies': "
        r"Input should be a valid integer",
    ),
    "unknown-field": (
        "intervention_types.yaml",
        "  stated_studies: 23\n",
        "  stated_studies: 23\n  colour: blue\n",
        r"record 'det': field 'colour': Extra inputs are not permitted",
    ),
    "duplicate-yaml-key": (
        "intervention_types.yaml",
        "  stated_studies: 23\n",
        "  stated_studies: 23\n  stated_studies: 24\n",
        r"intervention_types\.yaml: not valid YAML: line \d+: duplicate key 'stated_studies'",
    ),
    "duplicate-record-key": (
        "intervention_types.yaml",
        "- key: pps\n",
        "- key: det\n",
        r"intervention_types\.yaml:\d+: record 'det': field 'key': duplicate key 'det'",
    ),
    "dangling-reference": (
        "services.yaml",
        "providers: [leeds-and-york-partnership-nhs-foundation-trust]",
        "providers: [no-such-trust]",
        r"services\.yaml:\d+: record 'rainbow-alliance': field 'providers': "
        r"unknown organisation 'no-such-trust'",
    ),
    "unknown-part": (
        "research_questions.yaml",
        "part: appendix-2",
        "part: appendix-99",
        r"research_questions\.yaml:\d+: record 'rq1': field 'source\.part': "
        r"unknown part 'appendix-99'",
    ),
    "bad-key": (
        "places.yaml",
        "- key: leeds\n",
        "- key: Leeds City\n",
        r"places\.yaml:\d+: record 'Leeds City': field 'key': String should match pattern",
    ),
    "alias": (
        "places.yaml",
        "- key: leeds\n",
        "- key: &k leeds\n",
        r"places\.yaml: not valid YAML: line \d+: anchors are not allowed",
    ),
    "tag": (
        "places.yaml",
        "- key: leeds\n",
        "- key: !!python/name:os.system leeds\n",
        r"places\.yaml: not valid YAML: line \d+: tags are not allowed",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_located_error_with_no_output(case, data_copy, tmp_path):
    filename, old, new, pattern = CASES[case]
    replace(data_copy / filename, old, new)
    out = tmp_path / "out"
    result = run_build(data_copy, out)
    assert result.exit_code == 2, result.output
    assert re.search(pattern, result.output), result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_more_curated_targets_than_ticks_is_an_error(data_copy, tmp_path):
    replace(
        data_copy / "interventions.yaml",
        "ticks: 2\n  source: {part: table-5, row: 4}",
        "ticks: 0\n  source: {part: table-5, row: 4}",
    )
    result = run_build(data_copy, tmp_path / "out")
    assert result.exit_code == 2
    assert re.search(
        r"interventions\.yaml:\d+: record 'child-teacher-relationship-training-ctrt': "
        r"field 'targets': 1 curated targets but the row prints only 0 ticks",
        result.output,
    )


def test_missing_file(data_copy, tmp_path):
    (data_copy / "vignettes.yaml").unlink()
    result = run_build(data_copy, tmp_path / "out")
    assert result.exit_code == 2
    assert re.search(r"vignettes\.yaml: file not found", result.output)


def test_file_that_is_not_utf8(data_copy, tmp_path):
    (data_copy / "figures.yaml").write_bytes(b"figures:\n- key: caf\xe9\n")
    result = run_build(data_copy, tmp_path / "out")
    assert result.exit_code == 2
    assert "figures.yaml: not UTF-8 text" in result.output


def test_failed_build_leaves_previous_outputs_intact(data_copy, tmp_path):
    out = tmp_path / "out"
    assert run_build(data_copy, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    replace(data_copy / "places.yaml", "- key: leeds\n", "- key: leeds\n  label: [\n")
    assert run_build(data_copy, out).exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
