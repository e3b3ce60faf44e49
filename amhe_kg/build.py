"""The build: load the curated sources, make the graph, validate it, check totals, write every file.

Outputs are written to a temporary folder beside the output folder and moved
into place only when everything succeeded, so a failed, interrupted or killed
build leaves the previous outputs as they were.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import fcntl
import io
import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from amhe_kg import dataset
from amhe_kg.cube import build_cubes, check_integrity, csv_files
from amhe_kg.errors import SourceError
from amhe_kg.export import context, serialise_all
from amhe_kg.graph import EQUALITY_ACT_2010, build_graph
from amhe_kg.links import linkset_graph, sssom_table
from amhe_kg.namespaces import LEGISLATION_ID, STATISTICAL_GEOGRAPHY, bind_prefixes
from amhe_kg.paths import DATA_DIR, ONTOLOGY_FILE, OUTPUT_DIR, SHAPES_FILE
from amhe_kg.sources import IDENTIFIERS, Sources, load_sources
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
    check_identifiers(sources)
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


def check_identifiers(s: Sources) -> None:
    """Check that every external identifier a record gives is listed in identifiers.csv.

    Loading leaves this to the build, which publishes the links, and to
    `amhe-kg links --check`, which reports each unlisted one as a problem.
    """
    listed = {ident.iri for ident in s.identifiers.values() if ident.iri}
    ods = {ident.identifier for ident in s.identifiers.values() if ident.system == "nhs-ods"}

    def need(record, field_name, value, known):
        if value not in known:
            raise s.fail(record, field_name, f"{value!r} is not listed in {IDENTIFIERS}")

    for act in s.acts.values():
        need(act, "citation", str(LEGISLATION_ID[act.citation]), listed)
        for provision in act.provisions:
            if provision.legislation_id:
                target = LEGISLATION_ID[f"{act.citation}/{provision.legislation_id}"]
                need(act, f"provisions.{provision.key}.legislation_id", str(target), listed)
    for characteristic in s.characteristics.values():
        for section in characteristic.equality_act_sections:
            target = LEGISLATION_ID[f"{EQUALITY_ACT_2010}/section/{section}"]
            need(characteristic, "equality_act_sections", str(target), listed)
    for place in s.places.values():
        if place.gss:
            need(place, "gss", str(STATISTICAL_GEOGRAPHY[place.gss]), listed)
    for organisation in s.organisations.values():
        if organisation.ods_code:
            need(organisation, "ods_code", organisation.ods_code, ods)


def write(build: Build, out_dir: Path = OUTPUT_DIR) -> None:
    """Replace the output folder with the build's files.

    The files go to a temporary folder beside it, which then takes the output
    folder's place in one step (on Linux; elsewhere in two renames), so the
    output folder holds either all the old or all the new files. SIGTERM while
    writing removes the temporary folder before the process ends. Writes to one
    parent folder take turns, and each first removes the temporary folders that
    killed builds left behind.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{out_dir.name}-build-"
    with _exit_on_sigterm(), _locked(out_dir.parent):
        for stale in out_dir.parent.iterdir():
            if stale.name.startswith(prefix):
                shutil.rmtree(stale, ignore_errors=True)
        staging = out_dir.parent / f"{prefix}{os.getpid()}"
        try:
            staging.mkdir()
            for name, content in sorted(build.files.items()):
                (staging / name).write_bytes(content)
            if not out_dir.exists():
                staging.rename(out_dir)
            elif not _exchange(staging, out_dir):
                previous = staging.with_name(f"{staging.name}-old")
                out_dir.rename(previous)
                staging.rename(out_dir)
                staging = previous
        finally:
            shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit, so that cleanup runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on a folder; the system releases it when the process ends."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _totals_csv(checks: list[Check]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["check", "subject", "stated", "recomputed", "agrees"])
    for check in checks:
        writer.writerow(
            [check.name, check.subject, check.stated, check.recomputed, str(check.agrees).lower()]
        )
    return buffer.getvalue().encode("utf-8")
