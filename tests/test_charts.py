"""The evidence map: the charts are drawn from the built graph, labelled, and look right.

Expected figures are read off the source by hand; seed line numbers refer to
shared/seed/000_32b3c55c8f9d3afb.txt. The PNGs a run draws are kept as test
artefacts in the folder named by AMHE_TEST_ARTEFACTS (default: pytest's
temporary folder), so that they can be looked at.
"""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import amhe_kg.charts
from amhe_kg.charts import (
    CHARTS,
    cell_states,
    chart_graph,
    figures_html,
    render,
    services_per_region,
)
from tests.conftest import DATA, ONTOLOGY, ROOT

SVG = "{http://www.w3.org/2000/svg}"
NAMES = [chart.name for chart in CHARTS]


@pytest.fixture(scope="session")
def drawn(tmp_path_factory) -> Path:
    """The charts as `amhe-kg charts OUT` draws them from the real sources."""
    out = Path(os.environ.get("AMHE_TEST_ARTEFACTS") or tmp_path_factory.mktemp("charts"))
    result = CliRunner().invoke(
        amhe_kg.charts.command, [str(out), "--data", str(DATA), "--ontology", str(ONTOLOGY)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def chart_source():
    return chart_graph(DATA, ONTOLOGY)


def texts(path: Path) -> list[str]:
    """Every line of text of an SVG file (drawn as text, not as glyph paths)."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own output
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def text_blocks(path: Path) -> list[str]:
    """Every text artist of an SVG file, its lines joined by newlines."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own output
    return [
        "\n".join("".join(t.itertext()) for t in group.iter(f"{SVG}text"))
        for group in root.iter(f"{SVG}g")
        if group.get("id", "").startswith("text_")
    ]


def test_the_command_writes_every_chart_as_svg_and_png(drawn):
    names = sorted(p.name for p in drawn.iterdir())
    expected = sorted(f"{name}.{ext}" for name in NAMES for ext in ("svg", "png"))
    assert names == sorted([*expected, "index.html"])
    for name in NAMES:
        assert (drawn / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert b"<svg" in (drawn / f"{name}.svg").read_bytes()[:400]


@pytest.mark.parametrize("chart", CHARTS, ids=NAMES)
def test_each_chart_has_a_title_axis_labels_and_a_caption_naming_its_source(drawn, chart):
    found = texts(drawn / f"{chart.name}.svg")
    joined = " ".join(found)
    assert chart.title in found
    assert "Source: " in joined
    assert any(t in chart.caption for t in ("Table 2", "Table 3", "Table 5", "Appendix 3"))
    # The caption is wrapped over lines: every word of it is in the SVG.
    assert " ".join(chart.caption.split()) in " ".join(joined.split())
    assert len([t for t in found if t]) >= 10


def test_studies_per_subtype_labels(drawn):
    found = texts(drawn / "studies-per-subtype.svg")
    assert "Number of included studies" in found
    assert "Characteristic subtype" in found
    # Table 3, seed lines 338-421.
    assert "1a) Minority ethnicity" in found and "27" in found
    assert "8a) Low SES" in found and "61" in found
    assert "1. Race — 36 by characteristic" in found
    # Religion, seed line 348 (3 by subtype, 2 by characteristic) and line 888 (2).
    assert "2. Religion — 2 by characteristic" in found
    assert "3  (Table 5 prints 2)" in found


def test_interventions_per_type_labels(drawn):
    found = texts(drawn / "interventions-per-type.svg")
    assert "Intervention type" in found
    assert "Number of included studies / interventions" in found
    # Table 2, seed lines 286-310.
    assert "DET  Delivering education and training" in found
    assert "PRF  Providing reminders and feedback" in found
    assert {"23", "35", "0"} <= set(found)
    assert "Table 5: rows of the type (recomputed)" in found


def test_heat_map_shows_unknown_as_unknown(drawn, chart_source):
    found = texts(drawn / "type-by-subtype.svg")
    assert "Intervention type (abbreviations as in Table 2)" in found
    assert "Characteristic subtype (Table 3)" in found
    assert "unknown, not zero" in found
    assert "0: the type has no intervention" in found
    assert "6a) Youth" in found and "3. Sexual orientation and gender reassignment" in found
    # DET: 23 rows with 48 ticks (seed lines 478-539), 4 of them known from the names
    # "Child-teacher relationship training", "Living With Teenagers", "for deaf students"
    # and "Refugee Wellbeing Project".
    assert "4\nof 48" in text_blocks(drawn / "type-by-subtype.svg")
    # 13 types x 23 subtypes: PRF has no intervention (23 known zeros); 21 pairs are
    # known from curated links; every other cell of the 12 other types is unknown.
    states = list(cell_states(chart_source).values())
    assert len(states) == 13 * 23
    assert states.count(0) == 23
    assert len([n for n in states if n]) == 21
    assert states.count(None) == 12 * 23 - 21
    fig = CHARTS[2].draw(chart_source, CHARTS[2])
    try:
        patches = fig.axes[0].patches
        hatched = [p for p in patches if p.get_hatch()]
        white = [p for p in patches if p.get_facecolor()[:3] == (1, 1, 1)]
        coloured = [p for p in patches if not p.get_hatch() and p not in white]
        assert len(hatched) == 12  # a hatched ground under each column with unknown cells
        assert len(coloured) == 21
        assert len(white) == 23 + 11  # PRF's zeros and the 11 characteristic header rows
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_services_per_region(drawn, chart_source):
    # Appendix 3 locations: Leeds (seed lines 920, 1066, 1437), Lambeth (997), Lambeth and
    # Southwark (1147), Staffordshire (1252), London (1291, national; 1576), Lincolnshire
    # (1356), National (based in London) (1500), Stockport (1656).
    groups = {g["label"]: g["services"] for g in services_per_region(chart_source)}
    assert {label: len(s) for label, s in groups.items()} == {
        "London": 3,
        "Yorkshire and The Humber": 3,
        "East Midlands": 1,
        "North West": 1,
        "West Midlands": 1,
        "National services (based in London)": 2,
    }
    assert groups["National services (based in London)"] == [
        "Foundation for People with Learning Disabilities",
        "Parenting and Child Service",
    ]
    assert "King's Health Partners – Pathway Homeless Team" in groups["London"]
    found = texts(drawn / "services-per-region.svg")
    assert "Number of positive-practice services" in found
    assert "ONS region of the service's location" in found
    assert any("E12000003" in t for t in found)  # Yorkshire and The Humber's GSS code


def test_charts_are_deterministic(chart_source):
    first = render(chart_source)
    second = render(chart_source)
    assert first == second
    for name, content in first.items():
        if name.endswith(".svg"):
            assert b"<dc:date>" not in content


def test_pngs_are_readable_images_and_kept_as_artefacts(drawn, tmp_path_factory):
    from PIL import Image

    keep = Path(os.environ.get("AMHE_TEST_ARTEFACTS") or tmp_path_factory.mktemp("artefacts"))
    for name in NAMES:
        path = drawn / f"{name}.png"
        with Image.open(path) as image:
            width, height = image.size
            assert width >= 1000 and height >= 500, (name, image.size)
            colours = image.convert("L").getextrema()
            assert colours[0] < 60 and colours[1] > 240  # dark text on a white ground
        if keep != drawn:
            shutil.copy(path, keep / path.name)


def test_landing_page_and_static_site_figures(drawn):
    fragment = figures_html("charts/")
    for chart in CHARTS:
        assert f'src="charts/{chart.name}.svg"' in fragment
        assert f'id="chart-{chart.name}"' in fragment
    page = (drawn / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'src="type-by-subtype.svg"' in page


def test_committed_readme_charts_show_the_current_graph(drawn):
    """docs/charts holds the SVGs embedded in the README; they say what the graph says now."""
    for name in NAMES:
        committed = ROOT / "docs" / "charts" / f"{name}.svg"
        assert committed.exists(), committed
        assert texts(committed) == texts(drawn / f"{name}.svg"), name


def test_a_bad_input_exits_2(data_copy, tmp_path):
    (data_copy / "countries.yaml").write_text("countries: [\n", encoding="utf-8")
    result = CliRunner().invoke(
        amhe_kg.charts.command,
        [str(tmp_path / "out"), "--data", str(data_copy), "--ontology", str(ONTOLOGY)],
    )
    assert result.exit_code == 2
    assert "countries.yaml" in result.output
    assert not (tmp_path / "out").exists()
