"""Load `amhe-kg serve` on loopback, beside the same files served statically.

    python benchmarks/server.py OUT_DIR [--seconds 3] [--connections 1,16,64]

OUT_DIR is a build's output folder. The script starts `amhe-kg serve` on a free
loopback port and measures, at each number of concurrent keep-alive
connections for a fixed time: the 303 of an `/id/...` IRI; the resource's
Turtle, JSON-LD, N-Triples, RDF/XML and HTML (64 resources spread over the
graph, in turn); and the ready-made queries (all of them in turn, parameters at
their defaults or examples) by GET and by POST. Each kind is requested once
before it is timed, so the server's in-memory copies are made. Latency is per
HTTP request, from sending it to reading the whole answer; an error is a
connection error, an unexpected status, or no answer within 5 s.

The baseline: `amhe-kg site` written to a temporary folder and served from
disk by `python -m http.server` (the standard library's threaded server; HTTP/1.0,
so a connection per request), the same paths at the same connections. It is a
reference rather than a ceiling: the server keeps its answers in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

PY = sys.executable
FORMATS = {
    "Turtle": ("ttl", "text/turtle"),
    "JSON-LD": ("jsonld", "application/ld+json"),
    "N-Triples": ("nt", "application/n-triples"),
    "RDF/XML": ("rdf", "application/rdf+xml"),
    "HTML": ("html", "text/html"),
}
SUBJECT = re.compile(rb"^<https://w3id\.org/amhe/id/([^>#]+)>", re.MULTILINE)
TIMEOUT = 5.0
TARGETS = {"dereference_rps": 1000, "sparql_rps": 300, "p99_ms": 50}


@dataclass
class Load:
    """What one kind of request gave at one number of connections."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


async def _exchange(reader, writer, request: bytes) -> tuple[int, bool]:
    """Send one request and read its whole answer: the status, and whether to keep the
    connection."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", lower)
    if match is None:
        raise ValueError("an answer without Content-Length")
    await reader.readexactly(int(match.group(1)))
    return status, not (head.startswith(b"HTTP/1.0") or b"\r\nconnection: close" in lower)


async def _connection(port, requests, expect, start, stop, load: Load) -> None:
    streams = None
    i = start
    while time.perf_counter() < stop:
        request = requests[i % len(requests)]
        i += 1
        began = time.perf_counter()
        try:
            async with asyncio.timeout(TIMEOUT):
                if streams is None:
                    streams = await asyncio.open_connection("127.0.0.1", port)
                status, keep = await _exchange(*streams, request)
        except (OSError, ValueError, asyncio.IncompleteReadError):  # timeouts are OSError
            if streams is not None:
                streams[1].close()
            load.errors += 1
            streams = None
            continue
        load.latencies.append(time.perf_counter() - began)
        if status != expect:
            load.errors += 1
        if not keep:
            streams[1].close()
            streams = None
    if streams is not None:
        streams[1].close()


async def _load(port: int, requests: list[bytes], expect: int, connections: int, seconds: float):
    stop = time.perf_counter() + seconds
    load = Load(seconds)
    step = max(1, len(requests) // connections)
    await asyncio.gather(
        *(_connection(port, requests, expect, n * step, stop, load) for n in range(connections))
    )
    return load


def run_load(port: int, requests: list[bytes], expect: int, connections: int, seconds: float):
    """Requests in turn over `connections` connections for `seconds`; a pass first, untimed."""
    warm = asyncio.run(_warm(port, requests))
    if warm:
        raise RuntimeError(f"the warm-up pass failed: {warm}")
    found = asyncio.run(_load(port, requests, expect, connections, seconds))
    print(
        f"  {requests[0][:40]!r}… at {connections}: {found.rate:,.0f} req/s, {found.errors} errors",
        file=sys.stderr,
    )
    return found


async def _warm(port: int, requests: list[bytes]) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            status, keep = await _exchange(reader, writer, request)
            if status >= 500:
                return f"{request[:60]!r} answered {status}"
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()
    return ""


def get(path: str, accept: str = "*/*") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n".encode()


def post(path: str, body: str, accept: str) -> bytes:
    data = body.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n"
        f"Content-Type: application/sparql-query\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data


def resources(graph_file: Path, count: int = 64) -> list[str]:
    """`count` instance paths spread evenly over the graph's subjects."""
    found = sorted({m.decode() for m in SUBJECT.findall(graph_file.read_bytes())})
    step = max(1, len(found) // count)
    return found[::step][:count]


def kinds(graph_file: Path) -> list[tuple[str, list[bytes], int, bool]]:
    """(name, requests, expected status, has a static twin) for each kind measured."""
    from amhe_kg.serve import gallery_queries

    paths = resources(graph_file)
    found = [
        (
            "303 See Other (Accept: text/turtle)",
            [get(f"/id/{p}", "text/turtle") for p in paths],
            303,
            False,
        )
    ]
    for name, (ext, media) in FORMATS.items():
        found.append(
            (f"{name} `/id/….{ext}`", [get(f"/id/{p}.{ext}", media) for p in paths], 200, True)
        )
    queries = [
        (
            text,
            "application/n-triples"
            if q.form in ("CONSTRUCT", "DESCRIBE")
            else "application/sparql-results+json",
        )
        for q, text in gallery_queries()
    ]
    found.append(
        (
            "ready-made queries, GET",
            [get("/sparql?query=" + quote(t, safe=""), a) for t, a in queries],
            200,
            False,
        )
    )
    found.append(
        ("ready-made queries, POST", [post("/sparql", t, a) for t, a in queries], 200, False)
    )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str], port: int, cwd: Path) -> subprocess.Popen:
    """Start a server and wait until it accepts connections."""
    process = subprocess.Popen(  # noqa: S603 - argv is built by this script
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{argv[:4]} did not start") from None
            time.sleep(0.2)


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    for task in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{task}/status").read_text()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s*(\d+)", status).group(1))
    return total / 1024


def _children(pid: int) -> list[int]:
    """The processes `pid` started, from any of its threads."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return found


def measure(out_dir: Path, seconds: float = 3.0, levels=(1, 16, 64)) -> dict:
    """Every kind at every number of connections, on the server and on the static copy."""
    out_dir = Path(out_dir).resolve()
    graph_file = out_dir / "amhe.nt"
    measured = kinds(graph_file)
    with tempfile.TemporaryDirectory(prefix="amhe-serve-bench-") as name:
        tmp = Path(name)
        site = tmp / "site"
        subprocess.run(  # noqa: S603
            [PY, "-m", "amhe_kg", "site", str(site), "--out", str(out_dir)],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        port = free_port()
        server = start(
            [PY, "-m", "amhe_kg", "serve", "--out", str(out_dir), "--port", str(port)], port, tmp
        )
        try:
            dynamic = {
                (kind, n): run_load(port, requests, expect, n, seconds)
                for kind, requests, expect, _ in measured
                for n in levels
            }
            memory = rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(30)
        static_port = free_port()
        baseline = start(
            [PY, "-m", "http.server", "-b", "127.0.0.1", "-d", str(site), str(static_port)],
            static_port,
            tmp,
        )
        try:
            static = {
                (kind, n): run_load(static_port, requests, 200, n, seconds)
                for kind, requests, _, twin in measured
                if twin
                for n in levels
            }
        finally:
            baseline.terminate()
            baseline.wait(30)
    return {
        "kinds": [kind for kind, *_ in measured],
        "levels": list(levels),
        "server": dynamic,
        "static": static,
        "rss": memory,
        "seconds": seconds,
    }


def tables(found: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """The figures as (heading, header, rows) tables."""
    rows = []
    for kind in found["kinds"]:
        for n in found["levels"]:
            load = found["server"][kind, n]
            base = found["static"].get((kind, n))
            rows.append(
                [
                    kind,
                    str(n),
                    f"{load.rate:,.0f}",
                    f"{load.percentile(0.5):.1f}",
                    f"{load.percentile(0.99):.1f}",
                    str(load.errors),
                    f"{base.rate:,.0f} ({base.percentile(0.5):.1f} / {base.percentile(0.99):.1f})"
                    + (f", {base.errors} errors" if base.errors else "")
                    if base
                    else "-",
                    f"{load.rate / base.rate:.2f}x" if base and base.rate else "-",
                ]
            )
    header = [
        "request",
        "connections",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "static (http.server): req/s (p50 / p99 ms)",
        "server / static",
    ]
    return [
        (
            f"Each figure over {found['seconds']:g} s; server memory afterwards "
            f"{found['rss']:.0f} MiB (the server and its query workers).",
            header,
            rows,
        ),
        ("Targets at 16 connections:", ["target", "measured", "verdict"], targets(found)),
    ]


def targets(found: dict) -> list[list[str]]:
    server = found["server"]
    deref = [k for k in found["kinds"] if "`/id/" in k or k.startswith("303")]
    sparql = [k for k in found["kinds"] if k.startswith("ready-made")]
    rows = []
    for label, names, floor in (
        ("resource dereference ≥ 1,000 req/s", deref, TARGETS["dereference_rps"]),
        ("ready-made SPARQL queries ≥ 300 req/s", sparql, TARGETS["sparql_rps"]),
    ):
        worst = min(names, key=lambda k: server[k, 16].rate)
        rate = server[worst, 16].rate
        rows.append(
            [label, f"slowest: {worst} {rate:,.0f} req/s", "met" if rate >= floor else "missed"]
        )
    loads = [server[k, 16] for k in found["kinds"]]
    worst_p99 = max(load.percentile(0.99) for load in loads)
    rows.append(
        [
            "p99 < 50 ms",
            f"worst {worst_p99:.1f} ms",
            "met" if worst_p99 < TARGETS["p99_ms"] else "missed",
        ]
    )
    errors = sum(load.errors for load in server.values())
    rows.append(["no errors", f"{errors} at any concurrency", "met" if errors == 0 else "missed"])
    return rows


def report(graph_file: Path, seconds: float = 2.0) -> list[tuple[str, list[str], list[list[str]]]]:
    """The section for benchmarks/run.py: the build output holding `graph_file`."""
    return tables(measure(Path(graph_file).parent, seconds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="a build's output folder")
    parser.add_argument("--seconds", type=float, default=3.0, help="per figure [3]")
    parser.add_argument("--connections", default="1,16,64", help="[1,16,64]")
    args = parser.parse_args(argv)
    levels = tuple(int(n) for n in args.connections.split(","))
    for heading, header, rows in tables(measure(args.out_dir, args.seconds, levels)):
        print(f"\n{heading}\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
