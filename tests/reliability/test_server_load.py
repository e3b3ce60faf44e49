"""`amhe-kg serve` under load: 200 connections for 60 s, no 5xx, no lost connection, flat memory.

Each connection is a raw asyncio stream kept open for the whole run, cycling through
HTML pages, dereferencing a resource in each RDF syntax (following the 303), and the
ready-made queries by GET and by POST. Run with `-s` to see the figures.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest

from amhe_kg.serve import gallery_queries
from tests.stores import amhe_server

CONNECTIONS = 200
SECONDS = 60
WARM_UP = 10
LAST = 20
# Caches are filled during warm-up (100 resources, 5 formats), so what is left is allocator
# noise: a leak of 1 KiB per request at 1,000 requests a second would add about 50 MiB, over
# 40% of the server's ~115 MiB, in the last 50 s. The query workers (~175 MiB together) are
# held to the same bound.
RSS_BOUND = 1.10
RDF = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
}
SUBJECT = re.compile(rb"^<https://w3id\.org/amhe/id/([^>#]+)>", re.MULTILINE)


@pytest.fixture(scope="module")
def server(out_dir, tmp_path_factory):
    with amhe_server(out_dir, cwd=tmp_path_factory.mktemp("cwd")) as (port, _, process):
        yield port, process


def rss_kib(pid: int) -> int:
    return int(re.search(r"VmRSS:\s*(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))


def children(pid: int) -> list[int]:
    """The processes `pid` started, from any of its threads."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [int(c) for task in tasks for c in task.read_text().split()]


def established(port: int) -> int:
    """Connections the server holds open on `port`."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for r in rows if r.split()[1].endswith(f":{port:04X}") and r.split()[3] == "01")


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams = None

    async def request(self, method: str, target: str, accept: str, body: bytes = b""):
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n"
        if method == "POST":
            head += f"Content-Type: application/sparql-query\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        data = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            writer.close()
            self.streams = None
        return int(lines[0].split()[1]), headers, data

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def workload(graph_file: Path) -> list[tuple[str, list]]:
    """(kind, steps) in turn; a step is (method, target, accept, body, status, media type),
    and a target of None follows the previous answer's Location."""
    found = sorted({m.decode() for m in SUBJECT.findall(graph_file.read_bytes())})
    paths = found[:: max(1, len(found) // 100)][:100]
    kinds = []
    for i, path in enumerate(paths):
        page = ["/", "/queries", "/class/amhe-Service", f"/id/{path}.html"][i % 4]
        kinds.append(("HTML page", [("GET", page, "text/html", b"", 200, "text/html")]))
        media = list(RDF)[i % 4]
        kinds.append(
            (
                f"dereference {RDF[media]} (303 + 200)",
                [
                    ("GET", f"/id/{path}", media, b"", 303, None),
                    ("GET", None, media, b"", 200, media),
                ],
            )
        )
    for query, text in gallery_queries():
        graph = query.form in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples" if graph else "application/sparql-results+json"
        target = "/sparql?query=" + quote(text, safe="")
        kinds.append(("SPARQL GET", [("GET", target, accept, b"", 200, accept)]))
        kinds.append(("SPARQL POST", [("POST", "/sparql", accept, text.encode(), 200, accept)]))
    return kinds


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.failures: list[str] = []
        self.server_errors = 0
        self.connection_errors = 0


async def run_kind(client: Client, kind: str, steps: list, tally: Tally) -> None:
    location = None
    for method, target, accept, body, status, media in steps:
        target = target or location
        began = time.perf_counter()
        try:
            got, headers, _ = await asyncio.wait_for(
                client.request(method, target, accept, body), 60
            )
        except (OSError, asyncio.IncompleteReadError, KeyError) as exc:  # timeouts are OSError
            tally.connection_errors += 1
            tally.failures.append(f"{kind} {target[:60]}: {exc!r}")
            client.close()
            return
        tally.latency[kind].append(time.perf_counter() - began)
        if got >= 500:
            tally.server_errors += 1
        if got != status or (media and not headers["content-type"].startswith(media)):
            tally.failures.append(f"{kind} {target[:60]}: {got} {headers.get('content-type')}")
            return
        location = headers.get("location")


async def connection(port: int, kinds: list, start: int, stop: float, tally: Tally) -> None:
    client = Client(port)
    i = start
    try:
        while time.perf_counter() < stop:
            kind, steps = kinds[i % len(kinds)]
            i += 1
            await run_kind(client, kind, steps, tally)
    finally:
        client.close()


async def burst(port: int, text: str) -> list[int]:
    """CONNECTIONS queries sent at the same moment, each on its own connection."""
    clients = [Client(port) for _ in range(CONNECTIONS)]
    try:
        answers = await asyncio.gather(
            *(c.request("POST", "/sparql", "text/csv", text.encode()) for c in clients),
        )
    finally:
        for c in clients:
            c.close()
    return [status for status, _, _ in answers]


async def load(port: int, pid: int, kinds: list) -> tuple[Tally, list[tuple[float, int, int, int]]]:
    tally = Tally()
    begin = time.perf_counter()
    stop = begin + SECONDS
    step = max(1, len(kinds) // CONNECTIONS)
    tasks = [
        asyncio.create_task(connection(port, kinds, n * step, stop, tally))
        for n in range(CONNECTIONS)
    ]
    samples = []
    while time.perf_counter() < stop:
        await asyncio.sleep(1)
        workers = sum(rss_kib(c) for c in children(pid))
        samples.append((time.perf_counter() - begin, rss_kib(pid), workers, established(port)))
    await asyncio.gather(*tasks)
    return tally, samples


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


@pytest.mark.slow
def test_200_connections_for_60_seconds(server, out_dir):
    port, process = server
    selects = [text for query, text in gallery_queries() if query.form == "SELECT"]
    statuses = asyncio.run(burst(port, max(selects, key=len)))
    assert statuses == [200] * CONNECTIONS

    tally, samples = asyncio.run(load(port, process.pid, workload(out_dir / "amhe.nt")))

    print(f"\n{CONNECTIONS} connections for {SECONDS} s:")
    print("| request | count | req/s | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|")
    for kind, values in sorted(tally.latency.items()):
        print(
            f"| {kind} | {len(values):,} | {len(values) / SECONDS:,.0f} | "
            f"{percentile(values, 0.5):.1f} | {percentile(values, 0.95):.1f} | "
            f"{percentile(values, 0.99):.1f} |"
        )
    total = sum(len(v) for v in tally.latency.values())
    print(f"all: {total:,} requests, {total / SECONDS:,.0f} req/s")
    rss = [(t, main / 1024, workers / 1024) for t, main, workers, _ in samples]
    print(
        "RSS MiB (s, server, query workers): "
        + ", ".join(f"{t:.0f}:{m:.0f}/{w:.0f}" for t, m, w in rss)
    )
    warm = max(m for t, m, _ in rss if t <= WARM_UP)
    last = max(m for t, m, _ in rss if t >= SECONDS - LAST)
    workers_warm = max(w for t, _, w in rss if t <= WARM_UP)
    workers_last = max(w for t, _, w in rss if t >= SECONDS - LAST)
    print(
        f"server RSS: max {warm:.1f} MiB in the first {WARM_UP} s, "
        f"{last:.1f} MiB in the last {LAST} s; query workers {workers_warm:.1f} and "
        f"{workers_last:.1f} MiB"
    )

    assert tally.server_errors == 0
    assert tally.connection_errors == 0, tally.failures[:5]
    assert tally.failures == []
    assert max(open_ for *_, open_ in samples) >= CONNECTIONS
    assert statistics.median(open_ for *_, open_ in samples) >= CONNECTIONS
    assert len(samples) >= SECONDS - 2
    assert last <= warm * RSS_BOUND, (warm, last)
    assert workers_last <= workers_warm * RSS_BOUND, (workers_warm, workers_last)
    assert process.poll() is None
