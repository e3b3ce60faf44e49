"""Benchmark the build, validation and queries, each beside its baseline from the same run.

Run from the project folder:

    python benchmarks/run.py                 # everything (AMHE graph, 100k, 1M, 5M triples)
    python benchmarks/run.py --sizes 100k    # a shorter run

Every measurement runs in a fresh subprocess; wall time is the median over the
runs and peak memory is the child's maximum resident set (from `wait4`). A
measurement that does not finish within `--timeout` seconds is killed and
reported as "not measured: over N s". See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import synthetic  # noqa: E402

PY = sys.executable
SCRIPT = Path(__file__).resolve()
TARGETS = {
    "build_wall": 2.0,
    "build_vs_oxigraph": 3.0,
    "validate_1m_wall": 15.0,
    "validate_1m_peak_mb": 2048,
    "query_amhe_median_ms": 5.0,
    "query_1m_median_ms": 1000.0,
}
# Extension point: a callable(graph_file) -> [(heading, header, rows)] that loads the server.
SERVER_BENCHMARK = importlib.import_module("benchmarks.server").report


# Measuring a subprocess


@dataclass
class Run:
    """One subprocess run: wall seconds, peak resident memory in MiB, exit code, stdout."""

    wall: float
    peak_mb: float
    code: int | None
    stdout: str
    timed_out: bool = False


def measure(argv: list[str], timeout: float, cwd: Path = ROOT) -> Run:
    """Run a command, its own wall time and peak memory; kill it after `timeout` seconds."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - argv is built by this script
            argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                out.seek(0)
                partial = out.read().decode(errors="replace")
                return Run(timeout, usage.ru_maxrss / 1024, None, partial, timed_out=True)
            time.sleep(0.005)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return Run(wall, usage.ru_maxrss / 1024, process.returncode, out.read().decode())


def worker(name: str, *args: str) -> list[str]:
    return [PY, str(SCRIPT), "--worker", name, *args]


@dataclass
class Figure:
    """A median over runs, or why there is none."""

    wall: float | None
    peak_mb: float | None
    runs: list[Run]
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.wall is not None


def repeat(argv: list[str], times: int, timeout: float, ok_codes=(0,)) -> Figure:
    """Median wall time and peak memory over `times` runs; stops at the first failure."""
    runs = []
    for _ in range(times):
        run = measure(argv, timeout)
        runs.append(run)
        if run.timed_out:
            return Figure(None, None, runs, f"not measured: over {timeout:g} s")
        if run.code not in ok_codes:
            return Figure(None, None, runs, f"failed: exit code {run.code}")
    return Figure(
        statistics.median(r.wall for r in runs), statistics.median(r.peak_mb for r in runs), runs
    )


# Workers: each runs in its own subprocess and prints JSON


def work_stages(out_dir: str) -> dict:
    """Time each stage of `amhe-kg build`, as `build.make` and `build.write` run them."""
    t = time.perf_counter()
    times: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = now - t
        t = now

    import json as json_module

    from amhe_kg import build as b
    from amhe_kg.cube import build_cubes, check_integrity, csv_files
    from amhe_kg.export import FORMATS, context
    from amhe_kg.graph import build_graph
    from amhe_kg.links import linkset_graph, sssom_table
    from amhe_kg.sources import load_sources
    from amhe_kg.totals import check_totals
    from amhe_kg.validate import load_shapes, validate

    lap("import")
    sources = load_sources(b.DATA_DIR)
    lap("load sources")
    graph = build_graph(sources)
    lap("build graph")
    cubes = build_cubes(sources)
    graph += cubes
    lap("build cubes")
    ontology = b.load_ontology(b.ONTOLOGY_FILE)
    lap("load ontology")
    assert not check_integrity(graph, ontology)
    lap("cube integrity (SPARQL)")
    shapes = load_shapes([b.SHAPES_FILE])
    lap("load shapes")
    report = validate(graph, shapes, sources=sources)
    assert report.conforms
    lap("validate (SHACL on Oxigraph)")
    checks = check_totals(sources)
    lap("check totals")
    links = linkset_graph(graph)
    lap("linkset graph")
    files: dict[str, bytes] = {}
    for ext, _, serialise in FORMATS.values():
        for name, g in {
            "amhe": graph,
            "ontology": ontology,
            "cube": cubes,
            "linksets": links,
        }.items():
            files[f"{name}.{ext}"] = serialise(g)
        lap(f"export {ext}")
    files.update(csv_files(sources))
    files["mappings.sssom.tsv"] = sssom_table(graph, sources.identifiers).encode()
    files["context.jsonld"] = json_module.dumps(context()).encode()
    files["totals.csv"] = b._totals_csv(checks)
    lap("export csv, sssom, totals")
    files["validation.ttl"] = report.to_turtle()
    lap("validation report")
    b.write(b.Build(graph, ontology, checks, files, report), Path(out_dir))
    lap("write files")
    return {"stages": times, "triples": len(graph)}


def work_oxigraph(out_dir: str, *files: str) -> dict:
    """Oxigraph's bare, streaming parse of N-Triples files and serialisation to each syntax."""
    import pyoxigraph

    formats = {
        "ttl": pyoxigraph.RdfFormat.TURTLE,
        "jsonld": pyoxigraph.RdfFormat.JSON_LD,
        "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    }
    for file in files:
        for ext, rdf_format in formats.items():
            target = Path(out_dir) / f"{Path(file).stem}.{ext}"
            triples = pyoxigraph.parse(path=file, format=pyoxigraph.RdfFormat.N_TRIPLES)
            pyoxigraph.serialize(triples, output=target, format=rdf_format)
    return {"files": len(files)}


def work_pyshacl(data_file: str, shapes_file: str) -> dict:
    """Plain pySHACL on an N-Triples file, as its API is documented, without the project's code."""
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import RDF, SH

    data = Graph().parse(data_file, format="nt")
    shapes = Graph().parse(shapes_file, format="turtle")
    _, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True
    )
    counts = {"Violation": 0, "Warning": 0, "Info": 0}
    for result in results.subjects(RDF.type, SH.ValidationResult):
        counts[str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]] += 1
    return {"conforms": bool(counts["Violation"] == 0), "counts": counts}


def _queries() -> list[tuple[str, str, str]]:
    """(name, form, text bound with defaults, or examples where a parameter is required)."""
    from amhe_kg.queryfile import REQUIRED, find_queries

    out = []
    for q in find_queries():
        values = {p.name: p.example for p in q.params if p.default == REQUIRED}
        out.append((q.name, q.form, q.bind(values)))
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)

    def at(p: float) -> float:
        return samples[min(len(samples) - 1, round(p * (len(samples) - 1)))]

    return {"n": len(samples), "p50": statistics.median(samples), "p90": at(0.9), "max": at(1)}


def work_queries(graph_file: str, engine: str, repeats: str, budget: str, order: str = "") -> None:
    """Load the graph into one engine and time every ready-made query (ms) after one warm-up.

    Prints one JSON line for the load and one per query as it finishes, so a run
    killed at its timeout still reports the queries it finished.
    """
    from amhe_kg.store import EmbeddedStore, RdflibGraph

    start = time.perf_counter()
    if engine == "oxigraph":
        backend = EmbeddedStore.from_file(Path(graph_file))
    else:
        from rdflib import Graph

        backend = RdflibGraph(Graph().parse(graph_file, format="nt"))
    print(json.dumps({"load": time.perf_counter() - start}), flush=True)
    rank = {name: i for i, name in enumerate(order.split(",")) if name}
    queries = sorted(_queries(), key=lambda q: rank.get(q[0], len(rank)))
    for name, form, text in queries:
        samples: list[float] = []
        spent = 0.0
        rows = 0
        for i in range(int(repeats) + 1):
            t = time.perf_counter()
            result = backend.run(text, form)
            took = time.perf_counter() - t
            spent += took
            rows = len(result.triples) if result.is_graph else len(result.rows)
            if i or int(repeats) == 0:
                samples.append(took * 1000)
            if spent > float(budget):
                samples = samples or [took * 1000]  # too slow to warm up: the one run counts
                break
        print(json.dumps({"name": name, **_percentiles(samples), "rows": rows}), flush=True)


WORKERS = {
    "stages": work_stages,
    "oxigraph": work_oxigraph,
    "pyshacl": work_pyshacl,
    "queries": work_queries,
}


# Printing


def machine() -> list[str]:
    cpu = "unknown CPU"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions = []
    for package in ("amhe-kg", "rdflib", "pyoxigraph", "pyshacl"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return [
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}",
        f"machine: {cpu}, {os.cpu_count()} cores, {memory} memory, {platform.platform()}",
        "load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"python: {platform.python_implementation()} {platform.python_version()}",
        "versions: " + ", ".join(versions),
    ]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def secs(value: float | None, note: str = "") -> str:
    return f"{value:.2f} s" if value is not None else note or "-"


def mib(value: float | None) -> str:
    return f"{value:.0f} MiB" if value is not None else "-"


def ratio(value: float | None, baseline: float | None) -> str:
    return f"{value / baseline:.2f}x" if value is not None and baseline else "-"


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    if value <= limit:
        return "met"
    return f"missed by {value / limit:.1f}x"


def emit(text: str = "") -> None:
    print(text, flush=True)


# The benchmark


def bench_build(args, tmp: Path) -> dict:
    emit("\n## 1. `amhe-kg build` on the AMHE graph\n")
    out = tmp / "out"
    start_up = repeat([PY, "-c", "pass"], args.repeat, args.timeout)
    build = repeat(
        [PY, "-m", "amhe_kg", "build", "-q", "--out", str(out)], args.repeat, args.timeout
    )
    if not build.ok:
        emit(f"build {build.note}")
        return {}
    nt_files = [str(out / f"{n}.nt") for n in ("amhe", "ontology", "cube", "linksets")]
    oxi_out = tmp / "oxigraph"
    oxi_out.mkdir(exist_ok=True)
    oxigraph = repeat(worker("oxigraph", str(oxi_out), *nt_files), args.repeat, args.timeout)
    triples = sum(len(Path(f).read_bytes().splitlines()) for f in nt_files)
    emit(
        table(
            ["what", "median wall", "peak memory", "ratio to Oxigraph baseline"],
            [
                [
                    f"`amhe-kg build` end to end ({triples} triples in 4 graphs x 3 syntaxes)",
                    secs(build.wall),
                    mib(build.peak_mb),
                    ratio(build.wall, oxigraph.wall),
                ],
                [
                    "baseline: Python start-up + Oxigraph parse and serialise of the same triples "
                    "to Turtle, JSON-LD and N-Triples",
                    secs(oxigraph.wall, oxigraph.note),
                    mib(oxigraph.peak_mb),
                    "1.00x",
                ],
                ["Python start-up alone", secs(start_up.wall), mib(start_up.peak_mb), ""],
            ],
        )
    )
    stage_runs = []
    for _ in range(args.repeat):
        run = measure(worker("stages", str(tmp / "stages-out")), args.timeout)
        if run.code == 0:
            stage_runs.append(json.loads(run.stdout)["stages"])
    if stage_runs:
        emit(f"\nEach stage apart (median of {len(stage_runs)} in-process runs):\n")
        names = list(stage_runs[0])
        medians = {n: statistics.median(r[n] for r in stage_runs) for n in names}
        total = sum(medians.values())
        emit(
            table(
                ["stage", "median", "share"],
                [[n, f"{medians[n] * 1000:.0f} ms", f"{medians[n] / total:.0%}"] for n in names]
                + [["sum", f"{total * 1000:.0f} ms", "100%"]],
            )
        )
    return {
        "build": build.wall,
        "oxigraph": oxigraph.wall,
        "graph": out / "amhe.nt",
        "triples": triples,
    }


def _query_lines(run: Run) -> tuple[float | None, dict[str, dict]]:
    """The load time and the per-query figures a query worker printed, even if it was killed."""
    load, found = None, {}
    for line in run.stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "load" in item:
            load = item["load"]
        elif isinstance(item, dict) and "name" in item:
            found[item["name"]] = item
    return load, found


def bench_queries(
    graph: Path, args, label: str, rdflib: bool, repeats: int, order: list[str] | None = None
) -> dict:
    """Every ready-made query on Oxigraph (and rdflib): latency percentiles in ms."""
    timeout = args.query_timeout
    names = ",".join(order or [])
    oxi = measure(worker("queries", str(graph), "oxigraph", str(repeats), "10", names), timeout)
    oxi_load, oxi_q = _query_lines(oxi)
    if oxi_load is None:
        emit(f"queries on {label}: not measured: the store did not load within {timeout:g} s")
        return {}
    rdf_load, rdf_q = None, {}
    rdf_note = "not measured (over --rdflib-max)"
    if rdflib:
        rdf = measure(
            worker("queries", str(graph), "rdflib", str(repeats), str(args.rdflib_budget), names),
            timeout,
        )
        rdf_load, rdf_q = _query_lines(rdf)
        rdf_note = f"not measured: over {timeout:g} s" if rdf.timed_out else "failed"
    all_names = [name for name, _, _ in _queries()]
    unfinished = [n for n in all_names if n not in oxi_q]
    rows = []
    for name in all_names:
        q, r = oxi_q.get(name), rdf_q.get(name)
        rows.append(
            [
                name,
                str(q["rows"]) if q else "-",
                f"{q['p50']:.2f}" if q else f"not measured: over {timeout:g} s",
                f"{q['p90']:.2f}" if q else "-",
                f"{q['max']:.2f}" if q else "-",
                f"{r['p50']:.1f}" if r else rdf_note,
                ratio(r["p50"], q["p50"]) if r and q else "-",
            ]
        )
    emit(
        f"\nLoad: Oxigraph {oxi_load:.2f} s, {oxi.peak_mb:.0f} MiB peak"
        + (f"; rdflib {rdf_load:.2f} s" if rdf_load is not None else "")
        + f". Latency in ms (up to {repeats} runs after one warm-up; a query stops repeating "
        f"after 10 s on Oxigraph, {args.rdflib_budget:g} s on rdflib):\n"
    )
    emit(
        table(
            ["query", "rows", "Oxigraph p50", "p90", "max", "rdflib p50", "rdflib / Oxigraph"],
            rows,
        )
    )
    medians = [q["p50"] for q in oxi_q.values()]
    worst = max(oxi_q.items(), key=lambda kv: kv[1]["p50"]) if oxi_q else ("-", {"p50": None})
    emit(
        f"\nOxigraph medians: median of medians {statistics.median(medians):.2f} ms, "
        f"slowest finished {worst[0]} {worst[1]['p50']:.2f} ms"
        + (f"; {len(unfinished)} not finished within {timeout:g} s" if unfinished else "")
    )
    if rdf_q:
        both = [n for n in rdf_q if n in oxi_q]
        emit(
            f"Sum of medians over {len(both)} queries: Oxigraph "
            f"{sum(oxi_q[n]['p50'] for n in both):.1f} ms, "
            f"rdflib {sum(rdf_q[n]['p50'] for n in both):.1f} ms"
        )
    cli = repeat(
        [PY, "-m", "amhe_kg", "query", args.cli_query, "--graph", str(graph), "-f", "csv"],
        max(1, min(repeats, args.repeat)),
        timeout,
    )
    emit(
        f"`amhe-kg query {args.cli_query} --graph FILE` end to end (start-up, load, query, "
        f"output): {secs(cli.wall, cli.note)}, {mib(cli.peak_mb)} peak"
    )
    return {
        "worst": None if unfinished else worst[1]["p50"],
        "worst_name": worst[0],
        "unfinished": unfinished,
        "order": sorted(oxi_q, key=lambda n: oxi_q[n]["p50"]) + unfinished,
        "cli": cli.wall,
        "cli_peak": cli.peak_mb,
        "load": oxi_load,
        "peak": oxi.peak_mb,
    }


class Guard:
    """Skips a measurement that a smaller size shows cannot finish within the timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.last: dict[str, tuple[int, float | None]] = {}

    def run(self, key: str, triples: int, argv: list[str], times: int, ok_codes=(0,)) -> Figure:
        seen = self.last.get(key)
        if seen is not None:
            size, wall = seen
            if wall is None:
                note = f"not measured: over {self.timeout:g} s already at {size:,} triples"
                return Figure(None, None, [], note)
            estimate = wall * triples / size
            if estimate > self.timeout:
                note = (
                    f"not measured: over {self.timeout:g} s (at least {estimate:.0f} s "
                    f"by linear growth from {size:,} triples)"
                )
                return Figure(None, None, [], note)
        figure = repeat(argv, times, self.timeout, ok_codes)
        self.last[key] = (triples, figure.wall)
        return figure


def bench_scale(args, tmp: Path, source: Path, order: list[str]) -> list[dict]:
    emit("\n## 3. Synthetic graphs: the AMHE graph replicated with fresh IRIs\n")
    shapes = str(ROOT / "shapes" / "amhe-shapes.ttl")
    guard = Guard(args.timeout)
    found = []
    for size in synthetic.sizes(args.sizes):
        target = tmp / f"synthetic-{size}.nt"
        start = time.perf_counter()
        copies, triples = synthetic.write(source, target, size)
        made = time.perf_counter() - start
        emit(f"\n### {triples:,} triples ({copies} copies, generated in {made:.1f} s)\n")
        oxi_out = tmp / "oxigraph-scale"
        oxi_out.mkdir(exist_ok=True)
        oxigraph = repeat(worker("oxigraph", str(oxi_out), str(target)), 1, args.timeout)
        report = tmp / "report.json"
        validate = guard.run(
            "validate",
            triples,
            [PY, "-m", "amhe_kg", "validate", str(target), "--format", "json", "-o", str(report)],
            args.scale_repeat,
            ok_codes=(0, 1),
        )
        ours = json.loads(report.read_text())["counts"] if validate.ok else None
        plain = guard.run("pyshacl", triples, worker("pyshacl", str(target), shapes), 1)
        theirs = json.loads(plain.runs[-1].stdout)["counts"] if plain.ok else None
        same = "-" if ours is None or theirs is None else ("yes" if ours == theirs else "NO")
        emit(
            table(
                ["what", "median wall", "peak memory", "ratio to baseline"],
                [
                    [
                        "`amhe-kg validate` (project's shapes, JSON report)",
                        secs(validate.wall, validate.note),
                        mib(validate.peak_mb),
                        ratio(validate.wall, plain.wall) + " of pySHACL",
                    ],
                    [
                        "baseline: plain pySHACL on the same file and shapes",
                        secs(plain.wall, plain.note),
                        mib(plain.peak_mb),
                        "1.00x",
                    ],
                    [
                        "baseline: Oxigraph parse + serialise (Turtle, JSON-LD, N-Triples)",
                        secs(oxigraph.wall, oxigraph.note),
                        mib(oxigraph.peak_mb),
                        "",
                    ],
                ],
            )
        )
        if ours is not None and theirs is not None:
            emit(f"\nResults: amhe-kg {ours}; pySHACL {theirs}; same counts: {same}")
        else:
            emit("\nResults: not compared (a validator was not measured)")
        q = bench_queries(
            target,
            args,
            f"{triples} triples",
            triples <= args.rdflib_max,
            args.scale_query_repeat,
            order,
        )
        found.append(
            {
                "triples": triples,
                "oxigraph": oxigraph.wall,
                "validate": validate.wall,
                "validate_peak": validate.peak_mb,
                "validate_note": validate.note,
                "pyshacl": plain.wall,
                "pyshacl_peak": plain.peak_mb,
                "pyshacl_note": plain.note,
                "same": same,
                "query_worst": q.get("worst"),
                "query_worst_name": q.get("worst_name"),
                "unfinished": q.get("unfinished", []),
                "load": q.get("load"),
                "store_peak": q.get("peak"),
                "cli": q.get("cli"),
                "cli_peak": q.get("cli_peak"),
            }
        )
        target.unlink()
    if found:
        emit("\n### Growth with size\n")
        emit(
            table(
                [
                    "triples",
                    "Oxigraph parse + serialise",
                    "`amhe-kg validate`",
                    "pySHACL",
                    "validate / pySHACL",
                    "same results",
                    "store load (peak)",
                    f"`amhe-kg query {args.cli_query}`",
                    "slowest query median",
                ],
                [
                    [
                        f"{f['triples']:,}",
                        secs(f["oxigraph"]),
                        f"{secs(f['validate'], f['validate_note'])}"
                        + (f" ({mib(f['validate_peak'])})" if f["validate"] else ""),
                        f"{secs(f['pyshacl'], f['pyshacl_note'])}"
                        + (f" ({mib(f['pyshacl_peak'])})" if f["pyshacl"] else ""),
                        ratio(f["validate"], f["pyshacl"]),
                        f["same"],
                        f"{secs(f['load'])} ({mib(f['store_peak'])})",
                        f"{secs(f['cli'])} ({mib(f['cli_peak'])})",
                        f"{f['query_worst_name']} {f['query_worst']:.0f} ms"
                        if f["query_worst"] is not None
                        else f"{len(f['unfinished'])} not finished in {args.query_timeout:g} s",
                    ]
                    for f in found
                ],
            )
        )
    return found


def summary(built: dict, amhe_q: dict, scale: list[dict]) -> None:
    emit("\n## Targets\n")
    rows = []
    wall = built.get("build")
    rows.append(["AMHE build, validation included, < 2 s wall", secs(wall), verdict(wall, 2.0)])
    r = wall / built["oxigraph"] if wall and built.get("oxigraph") else None
    rows.append(
        [
            "AMHE build within 3x of Oxigraph parse + serialise + start-up",
            f"{r:.1f}x" if r else "-",
            verdict(r, 3.0),
        ]
    )
    worst = amhe_q.get("worst")
    rows.append(
        [
            "every ready-made query < 5 ms median on AMHE",
            f"slowest {amhe_q.get('worst_name')} {worst:.2f} ms" if worst else "-",
            verdict(worst, 5.0),
        ]
    )
    one_m = min(scale, key=lambda s: abs(s["triples"] - 1_000_000)) if scale else None
    if one_m and abs(one_m["triples"] - 1_000_000) < 100_000:
        v = one_m["validate"]
        rows.append(
            [
                "validate 1M triples < 15 s",
                secs(v, one_m["validate_note"]),
                verdict(v, 15.0),
            ]
        )
        rows.append(
            [
                "validate 1M triples < 2 GB peak",
                mib(one_m["validate_peak"]),
                verdict(one_m["validate_peak"], 2048) if v else "not measured",
            ]
        )
        rows.append(["validate 1M: same results as pySHACL", one_m["same"], ""])
        qw = one_m["query_worst"]
        unfinished = one_m["unfinished"]
        rows.append(
            [
                "every ready-made query < 1 s median on 1M",
                f"slowest {one_m['query_worst_name']} {qw:.0f} ms"
                if qw is not None
                else f"{len(unfinished)} not finished ({', '.join(unfinished[:3])})",
                verdict(qw, 1000.0) if qw is not None else "missed",
            ]
        )
    emit(table(["target", "measured", "verdict"], rows))
    emit("\nload average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def bench_server(graph: Path) -> None:
    """The server under load (`SERVER_BENCHMARK`, benchmarks/server.py), beside static files."""
    emit("\n## 4. The server under load\n")
    emit(
        "`amhe-kg serve` on loopback, keep-alive connections, each kind of request in turn "
        "over 64 resources or every ready-made query, after one untimed pass; baseline: "
        "the `amhe-kg site` files served by `python -m http.server`.\n"
    )
    for heading, header, rows in SERVER_BENCHMARK(graph):
        emit(f"{heading}\n")
        emit(table(header, rows))
        emit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per build figure [5]")
    parser.add_argument("--query-repeat", type=int, default=20, help="runs per query [20]")
    parser.add_argument("--rdflib-budget", type=float, default=2.0, help="s per rdflib query [2]")
    parser.add_argument(
        "--sizes", default="25k,100k,1M,5M", help="synthetic sizes [25k,100k,1M,5M]"
    )
    parser.add_argument("--scale-repeat", type=int, default=3, help="validations per size [3]")
    parser.add_argument("--scale-query-repeat", type=int, default=3, help="runs per query [3]")
    parser.add_argument("--timeout", type=float, default=600, help="s per subprocess [600]")
    parser.add_argument("--query-timeout", type=float, default=300, help="s per query run [300]")
    parser.add_argument("--cli-query", default="abbreviations", help="[abbreviations]")
    parser.add_argument("--rdflib-max", type=int, default=110_000, help="[110,000] triples")
    parser.add_argument("--worker", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name, *rest = args.worker
        found = WORKERS[name](*rest)
        if found is not None:
            print(json.dumps(found))
        return 0
    os.chdir(ROOT)
    emit("# amhe-kg benchmark\n")
    for line in machine():
        emit(f"- {line}")
    with tempfile.TemporaryDirectory(prefix="amhe-bench-") as name:
        tmp = Path(name)
        built = bench_build(args, tmp)
        if not built:
            return 1
        emit("\n## 2. Ready-made queries on the AMHE graph\n")
        amhe_q = bench_queries(built["graph"], args, "the AMHE graph", True, args.query_repeat)
        order = amhe_q.get("order", [])
        scale = bench_scale(args, tmp, built["graph"], order) if args.sizes else []
        bench_server(built["graph"])
        summary(built, amhe_q, scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
