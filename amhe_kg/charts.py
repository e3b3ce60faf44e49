"""The evidence map: charts of the mapping review and the services, drawn from the graph.

`amhe-kg charts OUT` draws four charts as SVG and PNG: the included studies
per characteristic subtype (Table 3), the interventions per intervention type
(Table 2, with Table 5's rows recomputed), a heat map of intervention type by
characteristic subtype where the graph knows it (unknown cells shown as
unknown), and the positive-practice services per ONS region (Appendix 3).
Each has a title, axis labels and a caption naming its source. Output is
deterministic: the same graph gives the same bytes.
"""

from __future__ import annotations

import html
import io
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from rdflib import Graph, URIRef

from amhe_kg.cube import build_cubes
from amhe_kg.errors import SourceError
from amhe_kg.namespaces import iri
from amhe_kg.options import data_option, ontology_option

FORMATS = ("svg", "png")
DPI = 110
FONT = "DejaVu Sans"
BAR = "#2b6a99"
STATED_MARK = "#d0661c"
UNKNOWN_FACE = "#e9e9e9"
UNKNOWN_HATCH = "#9a9a9a"
CELL_COLOURS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")

PREFIXES = """
PREFIX amhe: <https://w3id.org/amhe/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def cube(key: str) -> str:
    return f"<{iri('cube', key)}>"


@dataclass(frozen=True)
class Chart:
    """One chart: its file name, title, caption (naming its source) and how it is drawn."""

    name: str
    title: str
    caption: str
    draw: Callable[[Graph, Chart], object]


# Reading the graph


def _select(graph: Graph, query: str) -> list[dict[str, object]]:
    result = graph.query(PREFIXES + query)
    names = [str(v) for v in result.vars]
    return [
        {
            name: (value.toPython() if value is not None else None)
            for name, value in zip(names, row, strict=True)
        }
        for row in result
    ]


def studies_per_subtype(graph: Graph) -> list[dict]:
    """Table 3's subtypes in printed order, with their characteristic and Table 5 total."""
    rows = _select(
        graph,
        f"""
        SELECT ?characteristic ?c_number ?c_studies ?subtype ?notation ?studies ?table_5 WHERE {{
          ?o qb:dataSet {cube("table-3")} ;
             amhe:refCharacteristic ?s ; amhe:numberOfIncludedStudies ?studies .
          ?s a amhe:CharacteristicSubtype ; skos:prefLabel ?subtype ; skos:notation ?notation ;
             skos:broader ?c .
          ?co qb:dataSet {cube("table-3")} ;
              amhe:refCharacteristic ?c ; amhe:numberOfIncludedStudies ?c_studies .
          ?c skos:prefLabel ?characteristic ; skos:notation ?c_number .
          OPTIONAL {{
            ?t qb:dataSet {cube("table-5-totals")} ;
               amhe:refCharacteristic ?s ; amhe:numberOfInterventions ?table_5 .
          }}
        }}""",
    )
    return sorted(rows, key=lambda r: (int(r["c_number"]), r["notation"]))


def intervention_types(graph: Graph) -> list[dict]:
    """Table 2's types in printed order, with stated studies and Table 5's rows, ticks."""
    rows = _select(
        graph,
        f"""
        SELECT ?type ?abbreviation ?label ?row ?stated ?recomputed ?ticks WHERE {{
          ?type a amhe:InterventionType ; skos:notation ?abbreviation ; skos:prefLabel ?label ;
                prov:wasDerivedFrom/amhe:rowNumber ?row .
          ?s qb:dataSet {cube("table-2")} ;
             amhe:refInterventionType ?type ; amhe:numberOfIncludedStudies ?stated .
          ?d qb:dataSet {cube("table-5-interventions-per-type")} ;
             amhe:refInterventionType ?type ; amhe:numberOfInterventions ?recomputed .
          {{
            SELECT ?type (SUM(?n) AS ?ticks) WHERE {{
              ?type a amhe:InterventionType .
              OPTIONAL {{ ?i amhe:interventionType ?type ; amhe:tickCount ?n }}
            }} GROUP BY ?type
          }}
        }}""",
    )
    for row in rows:
        row["ticks"] = int(row["ticks"] or 0)
    return sorted(rows, key=lambda r: r["row"])


def subtypes(graph: Graph) -> list[dict]:
    """Every characteristic subtype in Table 3's order, with its characteristic."""
    rows = _select(
        graph,
        """
        SELECT ?s ?subtype ?notation ?characteristic ?c_number WHERE {
          ?s a amhe:CharacteristicSubtype ; skos:prefLabel ?subtype ; skos:notation ?notation ;
             skos:broader ?c .
          ?c skos:prefLabel ?characteristic ; skos:notation ?c_number .
        }""",
    )
    return sorted(rows, key=lambda r: (int(r["c_number"]), r["notation"]))


def curated_cells(graph: Graph) -> dict[tuple[str, str], int]:
    """(type IRI, subtype IRI) -> interventions known to target the subtype."""
    rows = _select(
        graph,
        f"""
        SELECT ?type ?s ?n WHERE {{
          ?o qb:dataSet {cube("table-5-curated-per-type-and-subtype")} ;
             amhe:refInterventionType ?type ; amhe:refCharacteristic ?s ;
             amhe:numberOfCuratedInterventions ?n .
        }}""",
    )
    return {(str(r["type"]), str(r["s"])): int(r["n"]) for r in rows}


def services_per_region(graph: Graph) -> list[dict]:
    """Regions (and national services apart) with the services located in them."""
    rows = _select(
        graph,
        """
        SELECT DISTINCT ?service ?name ?national ?region ?region_label ?gss WHERE {
          ?service a amhe:Service ; rdfs:label ?name ; amhe:nationalService ?national ;
                   amhe:location ?place .
          OPTIONAL {
            ?place amhe:within* ?region .
            ?region amhe:placeKind "region" ; rdfs:label ?region_label .
            OPTIONAL { ?region amhe:gssCode ?gss }
          }
        }""",
    )
    groups: dict[str, dict] = {}
    for row in rows:
        if row["national"]:
            base = f" (based in {row['region_label']})" if row["region_label"] else ""
            key, label, gss = "national", f"National services{base}", None
        elif row["region_label"]:
            key, label, gss = str(row["region"]), row["region_label"], row["gss"]
        else:
            key, label, gss = "elsewhere", "No region recorded", None
        group = groups.setdefault(key, {"label": label, "gss": gss, "services": set()})
        group["services"].add(row["name"])
    regional = sorted(
        (g for k, g in groups.items() if k not in ("national", "elsewhere")),
        key=lambda g: (-len(g["services"]), g["label"]),
    )
    others = [groups[k] for k in ("elsewhere", "national") if k in groups]
    return [{**g, "services": sorted(g["services"])} for g in [*regional, *others]]


# Drawing


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "amhe-kg",
            "font.family": FONT,
            "font.size": 11,
            "axes.titlesize": 14,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "hatch.linewidth": 0.8,
            "path.simplify": False,
        }
    )
    return plt


def _finish(fig, ax, chart: Chart) -> None:
    """Write the caption under everything the axes draw, wrapped to their width."""
    fig.canvas.draw()
    box = ax.get_tightbbox(fig.canvas.get_renderer())
    x0, y0 = fig.transFigure.inverted().transform((box.x0, box.y0))
    size = 9.5
    width = max(60, int(box.width / fig.dpi * 72 / (size * 0.53)))
    fig.text(
        x0,
        y0 - 0.1 / fig.get_figheight(),
        textwrap.fill(chart.caption, width),
        ha="left",
        va="top",
        fontsize=size,
        color="#333333",
    )


def draw_studies_per_subtype(graph: Graph, chart: Chart):
    plt = _pyplot()
    rows = studies_per_subtype(graph)
    labels, values, totals, positions, headers = [], [], [], [], []
    y = 0
    current = None
    for row in rows:
        if row["characteristic"] != current:
            current = row["characteristic"]
            headers.append(
                (y, f"{row['c_number']}. {current} — {row['c_studies']} by characteristic")
            )
            y += 1
        positions.append(y)
        labels.append(f"{row['notation']}) {row['subtype']}")
        values.append(row["studies"])
        totals.append(row["table_5"])
        y += 1
    fig, ax = plt.subplots(figsize=(10, 11.5))
    ax.barh(positions, values, color=BAR, height=0.7, label="Table 3: studies by subtype")
    ax.scatter(
        totals,
        positions,
        marker="D",
        s=28,
        color=STATED_MARK,
        zorder=3,
        label="Table 5: printed total by subtype",
    )
    for pos, value, total in zip(positions, values, totals, strict=True):
        note = f"{value}" if total == value else f"{value}  (Table 5 prints {total})"
        ax.text(value + 0.8, pos, note, va="center", fontsize=10)
    for pos, text in headers:
        ax.text(0, pos, text, va="center", ha="left", fontsize=10.5, fontweight="bold")
    ax.set_yticks(positions, labels, fontsize=10)
    ax.set_ylim(y, -1)
    ax.set_xlim(0, max(values) * 1.18)
    ax.set_xlabel("Number of included studies")
    ax.set_ylabel("Characteristic subtype")
    _finish_bar_chart(fig, ax, chart)
    return fig


def _finish_bar_chart(fig, ax, chart: Chart) -> None:
    """Title, value grid and legend of a horizontal bar chart, then the common finish."""
    ax.set_title(chart.title, loc="left")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", frameon=False, fontsize=10)
    _finish(fig, ax, chart)


def draw_interventions_per_type(graph: Graph, chart: Chart):
    plt = _pyplot()
    rows = intervention_types(graph)
    labels = [f"{row['abbreviation']}  {row['label']}" for row in rows]
    positions = list(range(len(rows)))
    fig, ax = plt.subplots(figsize=(10, 6.8))
    ax.barh(
        positions,
        [r["stated"] for r in rows],
        color=BAR,
        height=0.7,
        label="Table 2: number of included studies (stated)",
    )
    ax.scatter(
        [r["recomputed"] for r in rows],
        positions,
        marker="D",
        s=30,
        color=STATED_MARK,
        zorder=3,
        label="Table 5: rows of the type (recomputed)",
    )
    for pos, row in zip(positions, rows, strict=True):
        agree = "" if row["stated"] == row["recomputed"] else f" (Table 5: {row['recomputed']})"
        ax.text(row["stated"] + 0.5, pos, f"{row['stated']}{agree}", va="center", fontsize=10)
    ax.set_yticks(positions, labels, fontsize=10)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(0, max(r["stated"] for r in rows) * 1.15)
    ax.set_xlabel("Number of included studies / interventions")
    ax.set_ylabel("Intervention type")
    _finish_bar_chart(fig, ax, chart)
    return fig


def cell_states(graph: Graph) -> dict[tuple[str, str], int | None]:
    """(type IRI, subtype IRI) -> interventions known to target it, 0, or None if unknown.

    A count is known only from curated links; a type with no intervention at all
    has 0 in every cell; every other cell is unknown, because Table 5's ticks lost
    their columns.
    """
    cells = curated_cells(graph)
    states: dict[tuple[str, str], int | None] = {}
    for itype in intervention_types(graph):
        for column in subtypes(graph):
            key = (str(itype["type"]), str(column["s"]))
            states[key] = cells.get(key, 0 if itype["recomputed"] == 0 else None)
    return states


def draw_type_by_subtype(graph: Graph, chart: Chart):
    plt = _pyplot()
    from matplotlib.patches import Patch, Rectangle

    types = intervention_types(graph)
    cells = curated_cells(graph)
    states = cell_states(graph)
    rows: list[dict | str] = []
    for column in subtypes(graph):
        if not rows or isinstance(rows[-1], str) or rows[-1]["c_number"] != column["c_number"]:
            rows.append(f"{column['c_number']}. {column['characteristic']}")
        rows.append(column)
    fig, ax = plt.subplots(figsize=(11.5, 0.3 * len(rows) + 2.2))
    for x, itype in enumerate(types):
        column_states = [
            states[(str(itype["type"]), str(r["s"]))] for r in rows if isinstance(r, dict)
        ]
        if None in column_states:
            # one hatched background per column; header rows and known cells are drawn over it
            ax.add_patch(
                Rectangle(
                    (x, 0),
                    1,
                    len(rows),
                    facecolor=UNKNOWN_FACE,
                    edgecolor=UNKNOWN_HATCH,
                    hatch="////",
                    linewidth=0,
                    zorder=1,
                )
            )
        for y, row in enumerate(rows):
            if isinstance(row, str):
                continue
            n = states[(str(itype["type"]), str(row["s"]))]
            if n:
                colour = CELL_COLOURS[min(n, len(CELL_COLOURS)) - 1]
                ax.add_patch(Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white", zorder=2))
                ax.text(
                    x + 0.5,
                    y + 0.5,
                    str(n),
                    ha="center",
                    va="center",
                    fontsize=10,
                    fontweight="bold",
                    color="white" if n > 1 else "black",
                    zorder=3,
                )
            elif n == 0:
                ax.add_patch(
                    Rectangle((x, y), 1, 1, facecolor="white", edgecolor="#cccccc", zorder=2)
                )
                ax.text(x + 0.5, y + 0.5, "0", ha="center", va="center", fontsize=9, zorder=3)
        known = sum(n for (t, _), n in cells.items() if t == str(itype["type"]))
        ax.text(
            x + 0.5,
            len(rows) + 0.25,
            f"{known}\nof {itype['ticks']}",
            ha="center",
            va="top",
            fontsize=9.5,
        )
    ax.text(
        -0.2,
        len(rows) + 0.25,
        "ticks known from names,\nof all the type's ticks",
        ha="right",
        va="top",
        fontsize=9.5,
        fontweight="bold",
    )
    for y, row in enumerate(rows):
        if isinstance(row, str):
            ax.add_patch(Rectangle((0, y), len(types), 1, facecolor="white", linewidth=0, zorder=2))
            ax.text(-0.2, y + 0.55, row, ha="right", va="center", fontsize=10, fontweight="bold")
            if y:
                ax.axhline(y, color="#555555", linewidth=1, zorder=4)
    ax.set_xlim(0, len(types))
    ax.set_ylim(len(rows), 0)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xticks([x + 0.5 for x in range(len(types))], [t["abbreviation"] for t in types])
    labelled = [(y, row) for y, row in enumerate(rows) if not isinstance(row, str)]
    ax.set_yticks(
        [y + 0.5 for y, _ in labelled],
        [f"{row['notation']}) {row['subtype']}" for _, row in labelled],
        fontsize=10,
    )
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("Intervention type (abbreviations as in Table 2)", labelpad=8)
    ax.set_ylabel("Characteristic subtype (Table 3)")
    ax.set_title(chart.title, loc="left", pad=86)
    ax.legend(
        handles=[
            Patch(facecolor=CELL_COLOURS[0], label="1 intervention known to target the subtype"),
            Patch(facecolor=CELL_COLOURS[1], label="2 interventions known"),
            Patch(
                facecolor=UNKNOWN_FACE,
                edgecolor=UNKNOWN_HATCH,
                hatch="////",
                linewidth=0,
                label="unknown, not zero",
            ),
            Patch(facecolor="white", edgecolor="#cccccc", label="0: the type has no intervention"),
        ],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=2,
        frameon=False,
        fontsize=10,
        borderaxespad=3.8,
    )
    _finish(fig, ax, chart)
    return fig


def draw_services_per_region(graph: Graph, chart: Chart):
    plt = _pyplot()
    groups = services_per_region(graph)
    labels = [g["label"] + (f"\n(ONS {g['gss']})" if g["gss"] else "") for g in groups]
    counts = [len(g["services"]) for g in groups]
    positions = list(range(len(groups)))
    fig, ax = plt.subplots(figsize=(11, 0.8 * len(groups) + 1.4))
    colours = [BAR if not g["label"].startswith("National") else STATED_MARK for g in groups]
    ax.barh(positions, counts, color=colours, height=0.62)
    for pos, group, count in zip(positions, groups, counts, strict=True):
        ax.text(count + 0.06, pos, "\n".join(group["services"]), va="center", fontsize=9.5)
        ax.text(count / 2, pos, str(count), va="center", ha="center", color="white", weight="bold")
    ax.set_yticks(positions, labels, fontsize=10)
    ax.set_ylim(len(groups) - 0.4, -0.6)
    ax.set_xlim(0, max(counts) + 2.6)
    ax.set_xticks(range(max(counts) + 1))
    ax.set_xlabel("Number of positive-practice services")
    ax.set_ylabel("ONS region of the service's location")
    ax.set_title(chart.title, loc="left")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    _finish(fig, ax, chart)
    return fig


CHARTS = (
    Chart(
        "studies-per-subtype",
        "Included studies per characteristic subtype",
        "Source: Table 3 of the AMHE mapping review (Appendix 2), data set cube/table-3; "
        "diamonds: the totals printed under Table 5 (cube/table-5-totals). The source "
        "disagrees with itself for Religion: Table 3 prints 3 studies by subtype and 2 by "
        "characteristic, Table 5 prints 2. A study may count for several subtypes.",
        draw_studies_per_subtype,
    ),
    Chart(
        "interventions-per-type",
        "Included studies and interventions per intervention type",
        "Source: Table 2 of the AMHE mapping review (data set cube/table-2); diamonds: the "
        "rows of Table 5 listing the type, recomputed by the graph "
        "(cube/table-5-interventions-per-type). An intervention may have several types, so "
        "the bars add up to more than Table 5's 97 rows.",
        draw_interventions_per_type,
    ),
    Chart(
        "type-by-subtype",
        "What the graph knows: characteristic subtype by intervention type",
        "Source: Table 5 of the AMHE mapping review, recomputed "
        "(cube/table-5-curated-per-type-and-subtype). Table 5 ticks the subtypes each "
        "intervention targets, but its text extraction lost which column each tick was in. "
        "A cell is known only where an intervention's own name says whom it targets "
        "(a curated link); hatched cells are unknown, not zero. Bottom row: the ticks of the "
        "type's interventions known this way, out of all their ticks. Type abbreviations as "
        "in Table 2 (see the chart of intervention types).",
        draw_type_by_subtype,
    ),
    Chart(
        "services-per-region",
        "Positive-practice services per ONS region",
        "Source: Appendix 3 of the AMHE resource (positive practice examples). Each service "
        "is counted once in the English region (ONS) that contains its locations "
        "(amhe:location, amhe:within); the national services, based in London, are counted "
        "apart and not in London.",
        draw_services_per_region,
    ),
)


def render(graph: Graph, formats: tuple[str, ...] = FORMATS) -> dict[str, bytes]:
    """File name -> bytes of every chart in every format."""
    plt = _pyplot()
    files: dict[str, bytes] = {}
    for chart in CHARTS:
        fig = chart.draw(graph, chart)
        try:
            for fmt in formats:
                buffer = io.BytesIO()
                metadata = (
                    {"Date": None, "Creator": None, "Title": chart.title}
                    if fmt == "svg"
                    else {"Software": None, "Title": chart.title}
                )
                fig.savefig(
                    buffer,
                    format=fmt,
                    dpi=DPI,
                    bbox_inches="tight",
                    pad_inches=0.25,
                    metadata=metadata,
                    facecolor="white",
                )
                files[f"{chart.name}.{fmt}"] = buffer.getvalue()
        finally:
            plt.close(fig)
    return files


def figures_html(prefix: str = "charts/", fmt: str = "svg") -> str:
    """HTML figures showing every chart, for a landing page or a static site."""
    figures = []
    for chart in CHARTS:
        src = html.escape(f"{prefix}{chart.name}.{fmt}", quote=True)
        figures.append(
            f'<figure class="chart" id="chart-{chart.name}">\n'
            f'  <img src="{src}" alt="{html.escape(chart.title, quote=True)}" loading="lazy">\n'
            f"  <figcaption>{html.escape(chart.caption)}</figcaption>\n"
            "</figure>"
        )
    return "\n".join(figures) + "\n"


def index_page(fmt: str = "svg") -> str:
    """A standalone page of the charts, written beside them."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>AMHE evidence map</title>\n"
        "<style>body{font-family:sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}"
        "figure{margin:0 0 3rem}img{max-width:100%;height:auto}"
        "figcaption{color:#333;font-size:.95rem}</style>\n"
        "</head>\n<body>\n<h1>AMHE evidence map</h1>\n"
        + figures_html("", fmt)
        + "</body>\n</html>\n"
    )


def chart_graph(data_dir: Path, ontology_file: Path) -> Graph:
    """The built graph with the data cubes (added here if the build does not add them)."""
    from amhe_kg.build import make
    from amhe_kg.sources import load_sources

    graph = make(data_dir, ontology_file).graph
    if (None, None, URIRef(str(iri("cube", "table-2")))) not in graph:
        graph += build_cubes(load_sources(data_dir))
    return graph


@click.command("charts")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@data_option("Folder of curated source files.")
@ontology_option("The ontology in Turtle.")
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    default=FORMATS,
    show_default=True,
    help="Image format (repeat for several).",
)
def command(out: Path, data_dir: Path, ontology_file: Path, formats: tuple[str, ...]) -> None:
    """Draw the evidence map (charts of the mapping review and services) into OUT.

    Exit codes: 0 success; 2 the input could not be read or is invalid.
    """
    try:
        graph = chart_graph(data_dir, ontology_file)
    except SourceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    files = render(graph, tuple(dict.fromkeys(formats)))
    files["index.html"] = index_page("svg" if "svg" in formats else formats[0]).encode("utf-8")
    out.mkdir(parents=True, exist_ok=True)
    for name, content in sorted(files.items()):
        (out / name).write_bytes(content)
        click.echo(f"  {out}/{name}")
