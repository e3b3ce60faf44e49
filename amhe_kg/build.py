"""The build: load the curated sources, make the graph, validate it, check totals, write every file.

Outputs are written to a temporary folder beside the output folder and moved
into place only when everything succeeded, so a failed build leaves the
previous outputs as they were.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from amhe_kg import dataset
from amhe_kg.cube import build_cubes, check_integrity, csv_files
from amhe_kg.errors import SourceError
from amhe_kg.export import context, serialise_all
from amhe_kg.graph import build_graph
from amhe_kg.links import linkset_graph, sssom_table
from amhe_kg.namespaces import bind_prefixes
from amhe_kg.paths import DATA_DIR, ONTOLOGY_FILE, OUTPUT_DIR, SHAPES_FILE
from amhe_kg.sources import load_sources
from amhe_kg.totals import Check, check_totals
from amhe_kg.validate import Report, ShapesError, ViolationsError, load_shapes, validate


@dataclass
class Build:
    """What a build made: the graphs, the total checks, the validation and the output files."""

    graph: Graph
    ontology: Graph
    checks: list[Check]
    files: dict[str, bytes]
    validation: Report | None = None


def load_ontology(path: Path = ONTOLOGY_FILE) -> Graph:
    """The hand-edited ontology."""
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError:
        raise SourceError(path, None, None, "file not found") from None
    except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
        raise SourceError(path, None, None, f"not valid Turtle: {exc}") from None
    return graph


def make(
    data_dir: Path = DATA_DIR,
    ontology_file: Path = ONTOLOGY_FILE,
    shapes_file: Path = SHAPES_FILE,
) -> Build:
    """Build everything in memory, validated against the shapes.

    Raises `ViolationsError` (a `SourceError`) when the graph has any
    sh:Violation; warnings and info go into validation.ttl.
    """
    sources = load_sources(data_dir)
    graph = build_graph(sources)
    cubes = build_cubes(sources)
    graph += cubes
    ontology = load_ontology(ontology_file)
    broken = check_integrity(graph, ontology)
    if broken:
        raise SourceError(data_dir, None, None, "the data cubes fail " + "; ".join(broken))
    shapes = load_shapes([shapes_file])
    try:
        report = validate(graph, shapes, sources=sources)
    except ShapesError as exc:
        raise SourceError(shapes_file, None, None, str(exc)) from None
    if not report.conforms:
        raise ViolationsError(report)
    checks = check_totals(sources)
    files = {
        **serialise_all("amhe", graph),
        **serialise_all("ontology", ontology),
        **serialise_all("cube", cubes),
        **serialise_all("linksets", linkset_graph(graph)),
        **csv_files(sources),
        "mappings.sssom.tsv": sssom_table(graph, sources.identifiers).encode("utf-8"),
        "context.jsonld": (json.dumps(context(), indent=1, sort_keys=True) + "\n").encode(),
        "totals.csv": _totals_csv(checks),
        "validation.ttl": report.to_turtle(),
    }
    files |= dataset.files(graph, files)
    return Build(graph, ontology, checks, files, report)


def write(build: Build, out_dir: Path = OUTPUT_DIR) -> None:
    """Replace the output folder with the build's files."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for name, content in sorted(build.files.items()):
            (staging / name).write_bytes(content)
        previous = None
        if out_dir.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
            previous.rmdir()
            out_dir.rename(previous)
        staging.rename(out_dir)
        if previous is not None:
            shutil.rmtree(previous)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _totals_csv(checks: list[Check]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["check", "subject", "stated", "recomputed", "agrees"])
    for check in checks:
        writer.writerow(
            [check.name, check.subject, check.stated, check.recomputed, str(check.agrees).lower()]
        )
    return buffer.getvalue().encode("utf-8")
