"""Recomputed totals and the counts `build` and `stats` print."""

from __future__ import annotations

from click.testing import CliRunner

from amhe_kg.cli import main
from amhe_kg.stats import per_class, per_part
from tests.conftest import DATA, ONTOLOGY


def by_subject(checks, name):
    return {c.subject: c for c in checks if c.name == name}


def test_religion_disagreement_is_reported_not_fixed(built):
    disagreements = sorted(
        (c.name, c.subject, c.stated, c.recomputed) for c in built.checks if not c.agrees
    )
    assert disagreements == [
        ("Table 3 studies by characteristic = sum over its subtypes", "Religion", 2, 3),
        ("Table 3 studies by subtype = Table 5 total by subtype", "Religion / Religion", 3, 2),
    ]


def test_totals_that_agree(built):
    ticks = by_subject(built.checks, "Table 5 ticks over all rows = sum of Table 5 subtype totals")
    assert (ticks["Table 5"].stated, ticks["Table 5"].recomputed) == (187, 187)
    per_type = by_subject(built.checks, "Table 2 studies by type = Table 5 rows of that type")
    assert len(per_type) == 13
    assert per_type["Providing psychological support"].recomputed == 35
    assert all(check.agrees for check in per_type.values())


def test_totals_csv_lists_every_check(built):
    lines = built.files["totals.csv"].decode().splitlines()
    assert lines[0] == "check,subject,stated,recomputed,agrees"
    assert len(lines) == 1 + len(built.checks)
    assert "Religion,2,3,false" in lines[1 + [c.subject for c in built.checks].index("Religion")]


def test_counts_per_class(graph):
    counts = dict(per_class(graph))
    assert counts["amhe:Intervention"] == 97
    assert counts["amhe:Service"] == 11
    assert counts["amhe:Guideline"] == 32
    assert counts["amhe:Barrier"] == 32  # 21 in Table 6 and 11 in Table 8
    assert counts["amhe:Vignette"] == 7
    assert counts["skos:ConceptScheme"] == 10  # 9 taxonomies and the cubes' units


def test_counts_per_source_part(graph):
    counts = {title.split(":")[0]: n for title, n in per_part(graph)}
    assert counts["Table 2"] == 33  # 13 types, the scheme, and the cube: 13 observations,
    # the data set, its structure and its 4 component specifications
    assert counts["Table 4"] == 96  # 31 tallies, 23 countries, and the cube: 31 observations,
    # 3 study areas that are not one country, the code list, data set, structure, 5 components
    assert counts["Appendix 7"] == 7
    assert counts["Appendix 9"] == 4  # 3 definitions and the scheme
    titles = [title.split(":")[0] for title, _ in per_part(graph)]
    assert titles.index("Table 1") < titles.index("Table 5") < titles.index("Abbreviations")


def test_build_and_stats_commands_print_their_counts(tmp_path):
    args = ["--data", str(DATA), "--ontology", str(ONTOLOGY)]
    result = CliRunner().invoke(main, ["build", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "amhe:Intervention" in result.output and "97" in result.output
    assert "2 disagree" in result.output
    assert (
        "warning: Table 3 studies by characteristic = sum over its subtypes: Religion"
        in result.stderr
    )
    result = CliRunner().invoke(main, ["stats", *args])
    assert result.exit_code == 0
    assert "Resources per source part" in result.output
    line = next(row for row in result.output.splitlines() if row.strip().startswith("Table 5:"))
    assert line.split()[-1] == "224"  # 97 interventions, 21 curated links, and the cubes made
    # from Table 5


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("amhe-kg, version ")
