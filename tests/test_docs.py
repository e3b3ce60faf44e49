"""`amhe-kg docs`: the ontology's HTML documentation, its content and how a browser shows it."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib.namespace import OWL, RDF, RDFS

from amhe_kg import docs
from amhe_kg.reason import Curies
from tests.conftest import AMHE, DATA, ONTOLOGY, ROOT

ARGS = ["--data", str(DATA), "--ontology", str(ONTOLOGY)]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
WIDTH, HEIGHT = 1280, 1000


@pytest.fixture(scope="module")
def html(onto, data) -> str:
    return docs.page(onto, data)


@pytest.fixture(scope="module")
def tree(html) -> ET.Element:
    return ET.fromstring(html)  # noqa: S314


def articles(tree: ET.Element) -> dict[str, ET.Element]:
    return {a.get("id"): a for a in tree.iter("article")}


def rows(article: ET.Element) -> dict[str, str]:
    """dt text -> dd text of an entry."""
    dl = article.find("dl")
    names = ["".join(dt.itertext()) for dt in dl.findall("dt")]
    values = ["".join(dd.itertext()).strip() for dd in dl.findall("dd")]
    return dict(zip(names, values, strict=True))


def test_the_page_is_well_formed_and_the_same_each_time(onto, data, html):
    ET.fromstring(html)  # noqa: S314
    assert docs.page(onto, data) == html
    assert html.startswith("<!DOCTYPE html>")


def test_two_runs_with_different_hash_seeds_write_the_same_bytes(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        code = "from amhe_kg.docs import command; command()"
        subprocess.run(
            [sys.executable, "-c", code, *ARGS, "--out", str(out)],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted((out / "docs").iterdir())})
    assert outputs[0] == outputs[1]


def test_every_amhe_term_has_an_entry_with_label_definition_domain_range_and_example(
    onto, data, tree
):
    entries = articles(tree)
    problems = []
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        for term in sorted(onto.subjects(RDF.type, kind)):
            if not str(term).startswith(str(AMHE)):
                continue
            name = str(term)[len(str(AMHE)) :]
            article = entries.get(name)
            if article is None:
                problems.append(f"{name}: no entry")
                continue
            heading = "".join(article.find("h3").itertext())
            if str(onto.value(term, RDFS.label)) not in heading:
                problems.append(f"{name}: label")
            definition = article.find("p[@class='definition']")
            if definition is None or not (definition.text or "").strip():
                problems.append(f"{name}: definition")
            fields = rows(article)
            needed = ["IRI", "Aligned to", "Example"]
            needed += ["Subclass of", "Disjoint with"] if kind == OWL.Class else ["Domain", "Range"]
            problems += [f"{name}: no {field}" for field in needed if not fields.get(field)]
            used = (None, term, None) in data or (None, RDF.type, term) in data
            example = fields.get("Example", "")
            if used and example.startswith(("no instance", "not used")):
                problems.append(f"{name}: no example though the data uses it")
            elif used and kind == OWL.Class and f"a amhe:{name}" not in example:
                problems.append(f"{name}: the example does not show its type")
            elif used and kind != OWL.Class and f"amhe:{name} " not in example:
                problems.append(f"{name}: the example does not show the property")
    assert problems == []


def test_an_entry_shows_alignments_disjointness_and_an_example(tree):
    service = rows(articles(tree)["Service"])
    assert service["Aligned to"] == "schema:Service (subclass of)"
    assert "amhe:Guideline" in service["Disjoint with"]
    assert "amhe:providedBy" in service["In domain of"]
    assert service["Example"].startswith("Black Thrive id:service/black-thrive")
    assert "a amhe:Service ;" in service["Example"]
    provided_by = rows(articles(tree)["providedBy"])
    assert provided_by["Domain"] == "amhe:Service"
    assert provided_by["Range"] == "amhe:Organisation"
    assert provided_by["Aligned to"] == "schema:provider (sub-property of)"
    assert " → " in provided_by["Example"]
    partner = rows(articles(tree)["partner"])
    assert partner["Domain"] == "not stated; used on amhe:Initiative, amhe:Service"


def test_reused_terms_are_listed_with_their_kind_and_source(onto, data, tree):
    table = next(t for t in tree.iter("table") if t.get("class") == "reused")
    listed = {"".join(tr.find("td").itertext()) for tr in table.iter("tr") if tr.find("td")}
    curie = Curies(onto)
    reused = {
        curie(term)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for term in onto.subjects(RDF.type, kind)
        if not str(term).startswith(str(AMHE))
    }
    assert listed == reused
    assert {"schema:Service", "org:Organization", "eli:LegalResource", "prov:Entity"} <= listed


def test_internal_links_point_to_entries(tree):
    ids = {element.get("id") for element in tree.iter() if element.get("id")}
    targets = {a.get("href")[1:] for a in tree.iter("a") if a.get("href", "").startswith("#")}
    assert targets - ids == set()


def test_the_command_writes_the_page_and_the_diagrams(tmp_path, html):
    run = CliRunner().invoke(docs.command, [*ARGS, "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    folder = tmp_path / "docs"
    assert sorted(p.name for p in folder.iterdir()) == [
        "alignments.mmd",
        "index.html",
        "relations.mmd",
    ]
    assert (folder / "index.html").read_text(encoding="utf-8") == html
    alignments = (folder / "alignments.mmd").read_text(encoding="utf-8")
    assert alignments.startswith("flowchart LR\n")
    assert "  amhe_Service --> schema_Service\n" in alignments
    relations = (folder / "relations.mmd").read_text(encoding="utf-8")
    assert relations.startswith("classDiagram\n")
    assert "  amhe_Service --> amhe_Organisation : providedBy\n" in relations
    assert "  amhe_Barrier <|-- amhe_CoProductionBarrier\n" in relations


def test_extra_data_gives_examples_too(tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix amhe: <https://w3id.org/amhe/ontology#> .\n"
        "<https://w3id.org/amhe/id/cube/study-area/austria-russia> a amhe:CountryGroup ;\n"
        "    amhe:memberCountry <https://w3id.org/amhe/id/country/at> .\n"
    )
    out = tmp_path / "out"
    run = CliRunner().invoke(docs.command, [*ARGS, "--out", str(out), "--extra", str(extra)])
    assert run.exit_code == 0, run.output
    page = ET.fromstring((out / "docs" / "index.html").read_text(encoding="utf-8"))  # noqa: S314
    example = rows(articles(page)["memberCountry"])["Example"]
    assert example.startswith("id:cube/study-area/austria-russia → Austria id:country/at")


def test_bad_input_exits_2(tmp_path):
    run = CliRunner().invoke(
        docs.command, ["--ontology", str(tmp_path / "missing.ttl"), "--out", str(tmp_path)]
    )
    assert run.exit_code == 2
    assert "missing.ttl" in run.output


@pytest.mark.parametrize("diagram", [docs.alignment_diagram, docs.relation_diagram])
def test_the_ontology_readme_shows_the_current_class_diagrams(onto, diagram):
    readme = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{diagram(onto)}```" in readme


# How a browser shows the page


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit, non-interlaced RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    out = []
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[i] = (row[i] + pred) & 0xFF
        previous = row
        if channels == 4:
            row = bytearray(b for i, b in enumerate(row) if i % 4 != 3)
        out.append(bytes(row))
    return width, height, out


@pytest.mark.slow
def test_a_browser_renders_the_page(tmp_path):
    """Headless Chromium screenshots the page: the right size, not blank, with the
    sidebar's panel colour, the badge and link colours and dark text on white."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("needs Chromium (Debian: apt-get install chromium)")
    CliRunner().invoke(docs.command, [*ARGS, "--out", str(tmp_path)], catch_exceptions=False)
    shot = tmp_path / "docs.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--screenshot={shot}",
            (tmp_path / "docs" / "index.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    colours: dict[tuple[int, int, int], int] = {}
    for y in range(0, height, 2):
        row = pixels[y]
        for x in range(0, width, 2):
            rgb = (row[3 * x], row[3 * x + 1], row[3 * x + 2])
            colours[rgb] = colours.get(rgb, 0) + 1
    total = sum(colours.values())
    white = colours.get((255, 255, 255), 0)
    assert white < 0.9 * total, "the page is (nearly) blank"
    assert colours.get((245, 247, 251), 0) > 0.1 * total, "no sidebar panel"
    dark = sum(n for (r, g, b), n in colours.items() if r + g + b < 200)
    assert dark > 0.005 * total, "no text"
    blue = sum(n for (r, g, b), n in colours.items() if b > 140 and r < 90 and g < 130)
    assert blue > 0.0005 * total, "no links"
    sidebar = pixels[HEIGHT // 2][3 * 100 : 3 * 101]
    assert tuple(sidebar) == (245, 247, 251), "the sidebar is not on the left"
