"""`amhe-kg serve` against hostile or broken requests: each gets a 4xx and no internals.

Most requests go in process through Starlette's TestClient; those that clients would
normalise (`..`, raw bytes, an unreadable request line) go over a raw socket to a real
`amhe-kg serve` process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from amhe_kg import pages as pages_module
from amhe_kg import serve
from amhe_kg.queryfile import QueryError
from amhe_kg.serve import MAX_BODY, MAX_ROWS, MAX_URL, QueryRunner, create_app, negotiate
from tests.stores import amhe_server

SERVICE = "<https://w3id.org/amhe/ontology#Service>"
INTERNALS = re.compile(
    r'Traceback|File "|site-packages|/root/|/work/|\.py", line|starlette\.|uvicorn\.'
)


@pytest.fixture(scope="module")
def client(out_dir):
    with TestClient(create_app(out_dir, timeout=10)) as test_client:
        yield test_client


def refused(response, status: int, message: str | None = None) -> None:
    """The response has the status, says why, shows no internals and carries nosniff."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    if message is not None:
        assert message in response.text
    assert not INTERNALS.search(response.text), response.text[:300]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


# Accept headers


@pytest.mark.parametrize(
    ("accept", "location"),
    [
        ("", ".html"),
        ("text/html;q=1e999", ".html"),
        ("text/turtle;q=5, text/html;q=0.9", ".ttl"),
        ("text/html;q=nan, application/n-triples;q=0.1", ".nt"),
        ("text/html;q=-3, text/turtle;q=0.2", ".ttl"),
        (", ".join(f"t{i}/s" for i in range(2000)) + ", application/ld+json", ".jsonld"),
        ("text/html;;;foo;=;,,,;", ".html"),
    ],
    ids=["empty", "huge-q", "q-over-1", "nan-q", "negative-q", "2000-ranges", "broken-params"],
)
def test_odd_accept_headers_negotiate_sanely(client, accept, location):
    answer = client.get(
        "/id/service/black-thrive", headers={"Accept": accept}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/id/service/black-thrive" + location


@pytest.mark.parametrize(
    "accept",
    ["garbage", "\x01\x02", "*/*;q=0", "text/html;q=abc", ",".join(["a/b"] * 8000)],
    ids=["garbage", "control-chars", "nothing-acceptable", "bad-q", "8000-ranges"],
)
def test_unusable_accept_headers_get_406(client, accept):
    for path in ("/id/service/black-thrive", "/ontology", "/.well-known/void"):
        answer = client.get(path, headers={"Accept": accept}, follow_redirects=False)
        refused(answer, 406, "Available: ")
    query = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": accept})
    refused(query, 406, "application/sparql-results+json")


@pytest.mark.parametrize("name", ["Accept", "X-Padding"])
def test_headers_over_the_limit_get_431(client, name):
    long_value = ", ".join(f"type{i}/sub{i}" for i in range(5000)) + ", text/turtle"
    answer = client.get("/id/service/black-thrive", headers={name: long_value})
    refused(answer, 431, "longer than 32,768 bytes")


def test_negotiate_takes_the_first_range_of_a_type_and_clamps_q():
    offers = ["text/html", "text/turtle"]
    assert negotiate("text/turtle;q=0.1, text/turtle;q=1, text/html;q=0.5", offers) == ("text/html")
    assert negotiate("text/turtle;q=inf, text/html", offers) == "text/html"  # both 1: order
    assert negotiate("text/turtle;q=-inf", offers) is None


# Long addresses and bodies


@pytest.mark.parametrize(
    "url",
    ["/id/" + "a" * 20_000, "/sparql?query=" + "A" * 20_000, "/?" + "x=1&" * 5_000],
    ids=["path", "sparql-query", "query-string"],
)
def test_overlong_urls_get_414(client, url):
    refused(client.get(url), 414, "longer than 16,384 bytes")


def test_long_path_under_the_limit_gets_a_short_404_page(client):
    answer = client.get("/id/" + "b" * (MAX_URL - 100))
    refused_page = answer.text
    assert answer.status_code == 404
    assert "/id/" + "b" * 196 + "…</code>" in refused_page and "b" * 197 not in refused_page
    assert len(refused_page) < 2_000


def test_oversized_post_bodies_get_413_before_being_read(client):
    big = b"#" * (MAX_BODY + 1)
    direct = client.post(
        "/sparql", content=big, headers={"Content-Type": "application/sparql-query"}
    )
    refused(direct, 413, "over 1,048,576 bytes")

    def chunks():
        for _ in range(64):
            yield b"#" * 65_536

    streamed = client.post(
        "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}
    )
    assert "content-length" not in streamed.request.headers
    refused(streamed, 413, "over 1,048,576 bytes")
    long_query = "ASK {} #" + "x" * 200_000
    refused(
        client.post("/sparql", data={"query": long_query}),
        413,
        "over 100,000 characters",
    )
    just_under = "ASK {} #" + "x" * 90_000
    ok = client.post(
        "/sparql", content=just_under, headers={"Content-Type": "application/sparql-query"}
    )
    assert ok.status_code == 200 and json.loads(ok.text)["boolean"] is True


# Traversal, listings, bad encodings


@pytest.mark.parametrize(
    "path",
    [
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/id/..%2f..%2fetc%2fpasswd",
        "/download/%2e%2e%2fpyproject.toml",
        "/download/%252e%252e%252fpyproject.toml",
        "/download/..%5cpyproject.toml",
        "/download/..\\..\\pyproject.toml",
        "/download/amhe.nt%00.txt",
        "/download/%00",
        "/static/%2e%2e%2f%2e%2e%2famhe_kg%2fserve.py",
        "/charts/..%2f..%2fpyproject.toml",
        "/class/..%2f..%2fetc%2fpasswd",
        "/ontology.%2e%2e%2fpyproject.toml",
        "/.well-known/void.%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/%2e%2e%2fpyproject.mmd",
    ],
)
def test_traversal_attempts_get_404(client, path):
    answer = client.get(path)
    refused(answer, 404, "Not found")
    assert "[project]" not in answer.text and "root:" not in answer.text


@pytest.mark.parametrize(
    "path", ["/download/", "/static/", "/charts/", "/class/", "/id/", "/.well-known/"]
)
def test_no_directory_listing(client, path):
    answer = client.get(path)
    refused(answer, 404, "Not found")
    for name in ("amhe.nt", "cube-table-2.csv", "gallery.js", "interventions-per-type.svg"):
        assert f"{name}<" not in answer.text and f'/{name}"' not in answer.text


def test_invalid_utf8_in_paths_and_queries(client):
    refused(client.get("/id/%ff%fe"), 404, "Not found")
    refused(client.get("/download/%c3%28"), 404, "Not found")
    refused(client.get("/sparql?query=%ff%fe"), 400, "Not valid SPARQL 1.1")
    posted = client.post(
        "/sparql", content=b"ASK { \xff }", headers={"Content-Type": "application/sparql-query"}
    )
    refused(posted, 400, "Not valid SPARQL 1.1")


# The SPARQL endpoint's limits


def test_result_over_the_row_limit_gets_422(client):
    cross = f"SELECT * WHERE {{ ?a ?b ?c . ?d a {SERVICE} }}"
    refused(client.get("/sparql", params={"query": cross}), 422, f"at most {MAX_ROWS:,} rows")
    construct = f"CONSTRUCT {{ ?a ?b ?d }} WHERE {{ ?a ?b ?c . ?d a {SERVICE} }}"
    refused(client.get("/sparql", params={"query": construct}), 422, "add a LIMIT")
    limited = client.get(
        "/sparql", params={"query": cross + " LIMIT 10"}, headers={"Accept": "text/csv"}
    )
    assert limited.status_code == 200 and len(limited.text.splitlines()) == 11


def test_whole_graph_is_under_the_limits(client, graph):
    answer = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }"})
    assert answer.status_code == 200
    assert len(json.loads(answer.text)["results"]["bindings"]) == len(graph)


def test_result_over_the_size_limit_gets_422(client):
    doubled = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(19))
    query = f'SELECT ?a19 WHERE {{ BIND("{"x" * 64}" AS ?a0) {doubled} }}'  # 32 MiB
    refused(client.get("/sparql", params={"query": query}), 422, "16 MiB")


def test_deeply_nested_query_is_refused_before_parsing(client):
    # 10,000 nested brackets overflowed the parser's stack and killed the whole server.
    deep = "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
    refused(client.post("/sparql", data={"query": deep}), 400, "more than 200 deep")
    fine = "ASK { FILTER(" + "(" * 150 + "true" + ")" * 150 + ") }"
    assert json.loads(client.get("/sparql", params={"query": fine}).text)["boolean"] is True


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {
            "method": "POST",
            "content": b"DELETE WHERE { ?s ?p ?o }",
            "headers": {"Content-Type": "application/sparql-query"},
        },
        {"method": "POST", "data": {"query": "LOAD <http://example.org/x>"}},
        {"method": "GET", "params": {"query": "ASK {}", "update": ""}},
        {"method": "POST", "data": {"query": "ASK {}", "update": "DROP ALL"}},
    ],
    ids=["delete-as-query", "load-in-form", "empty-update-param", "update-beside-query"],
)
def test_more_updates_are_refused(client, request_kwargs):
    method = request_kwargs.pop("method")
    refused(client.request(method, "/sparql", **request_kwargs), 403, "read-only")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE", "FOO"])
@pytest.mark.parametrize("path", ["/", "/sparql", "/id/service/black-thrive", "/download/amhe.nt"])
def test_unknown_methods_get_405(client, method, path):
    answer = client.request(method, path)
    refused(answer, 405, "Method Not Allowed")
    assert "GET" in answer.headers["allow"]


def test_unsupported_post_type_gets_415(client):
    answer = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/xml"})
    refused(answer, 415, "application/sparql-query")


# Security headers on every kind of response


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/", {}, 200),
        ("GET", "/id/service/black-thrive", {"Accept": "text/turtle"}, 303),
        ("GET", "/id/service/black-thrive.html", {}, 200),
        ("GET", "/id/service/black-thrive.jsonld", {}, 200),
        ("GET", "/ontology", {"Accept": "text/html"}, 200),
        ("GET", "/ontology.rdf", {}, 200),
        ("GET", "/.well-known/void", {"Accept": "application/n-triples"}, 200),
        ("GET", "/sparql", {"Accept": "text/html"}, 200),
        ("GET", "/sparql?query=ASK%7B%7D", {"Accept": "text/csv"}, 200),
        ("OPTIONS", "/sparql", {}, 204),
        ("GET", "/download/amhe.ttl", {}, 200),
        ("GET", "/static/style.css", {}, 200),
        ("GET", "/static/gallery.js", {}, 200),
        ("GET", "/charts/interventions-per-type.svg", {}, 200),
        ("GET", "/relations.mmd", {}, 200),
        ("HEAD", "/id/service/black-thrive.ttl", {}, 200),
        ("GET", "/nowhere", {}, 404),
        ("GET", "/ontology", {"Accept": "image/png"}, 406),
        ("DELETE", "/", {}, 405),
    ],
)
def test_security_headers_on_every_response_kind(client, method, path, headers, status):
    answer = client.request(method, path, headers=headers, follow_redirects=False)
    assert answer.status_code == status
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy or "script-src 'self'" in policy
    if answer.headers.get("content-type", "").startswith("text/html"):
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "unsafe" not in policy
    assert "server" not in answer.headers
    if path.startswith("/sparql"):
        assert answer.headers["access-control-allow-origin"] == "*"


def test_internal_error_shows_no_internals(out_dir, monkeypatch):
    def broken(self):
        raise RuntimeError("secret detail at /work/main/amhe_kg/pages.py")

    monkeypatch.setattr(pages_module.Pages, "landing", broken)
    with TestClient(create_app(out_dir), raise_server_exceptions=False) as broken_client:
        answer = broken_client.get("/")
        assert answer.status_code == 500
        assert answer.text == "Internal Server Error"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert broken_client.get("/queries").status_code == 200


# The query workers


def test_queries_queue_before_the_time_limit_starts(out_dir):
    """30 queries at once on one worker with a 1 s limit: each takes about 0.1 s, so the
    last waits about 3 s, and none is stopped."""
    slow = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d a {SERVICE} . ?e a {SERVICE} }}"
    runner = QueryRunner(out_dir / "amhe.nt", timeout=1, workers=1)

    async def many():
        start = time.monotonic()
        answers = await asyncio.gather(*(runner.run(slow, "application/json") for _ in range(30)))
        return answers, time.monotonic() - start

    try:
        asyncio.run(runner.run("ASK {}", "application/json"))  # start the worker
        answers, took = asyncio.run(many())
    finally:
        runner.stop()
    counts = {json.loads(body)["results"]["bindings"][0]["n"]["value"] for _, _, body in answers}
    assert {kind for kind, _, _ in answers} == {"ok"} and len(counts) == 1
    assert took > 1.5, "the queries did not take long enough to test the queue"


def test_a_full_queue_refuses_with_busy(out_dir, monkeypatch):
    monkeypatch.setattr(serve, "MAX_WAITING", 2)
    slow = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d a {SERVICE} . ?e a {SERVICE} }}"
    runner = QueryRunner(out_dir / "amhe.nt", timeout=10, workers=1)

    async def many():
        return await asyncio.gather(
            *(runner.run(slow, "text/csv") for _ in range(6)), return_exceptions=True
        )

    try:
        runner.start()
        answers = asyncio.run(many())
    finally:
        runner.stop()
    # One runs, two wait, and the other three find the queue full.
    assert [a[0] if isinstance(a, tuple) else type(a) for a in answers] == [
        "ok",
        "ok",
        "ok",
        serve.Busy,
        serve.Busy,
        serve.Busy,
    ]


@pytest.mark.slow
def test_a_query_that_exhausts_memory_stops_only_its_worker(out_dir):
    doubled = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(40))
    bomb = f'SELECT (STRLEN(?a40) AS ?n) WHERE {{ BIND("{"x" * 64}" AS ?a0) {doubled} }}'
    runner = QueryRunner(out_dir / "amhe.nt", timeout=60, workers=1, memory=2**30)
    try:
        with pytest.raises(QueryError, match=r"stopped the query engine .* 1 GiB"):
            asyncio.run(runner.run(bomb, "application/json"))
        kind, _, body = asyncio.run(runner.run("ASK { ?s ?p ?o }", "application/json"))
    finally:
        runner.stop()
    assert kind == "ok" and json.loads(body)["boolean"] is True


# A real server process, over raw sockets


@pytest.fixture(scope="module")
def server(out_dir):
    with amhe_server(out_dir) as running:
        yield running


def raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65_536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.slow
def test_binds_loopback_by_default_and_says_so(server):
    port, banner, _ = server
    assert f"http://127.0.0.1:{port}/" in banner and "only this machine can connect" in banner
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {line.split()[1] for line in listening if line.split()[3] == "0A"}
    assert f"0100007F:{port:04X}" in local
    assert not any(
        entry.endswith(f":{port:04X}") and entry != f"0100007F:{port:04X}" for entry in local
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "status"),
    [
        (b"/id/../../etc/passwd", 404),
        (b"/download/../../pyproject.toml", 404),
        (b"/download/..\\..\\pyproject.toml", 404),
        (b"/static/../../amhe_kg/serve.py", 404),
        (b"/../../../../etc/passwd", 404),
        (b"/id/a%00b", 404),
        (b"/download/%252e%252e%252fpyproject.toml", 404),
        (b"/id/\xff\xfe", 400),
        (b"/sparql?query=\xff", 400),
        (b"/id/" + b"a" * 100_000, 414),
        (b"/sparql?query=" + b"%41" * 40_000, 414),
    ],
    ids=lambda v: v.decode("latin-1")[:40] if isinstance(v, bytes) else str(v),
)
def test_raw_requests_get_4xx_without_internals(server, target, status):
    got, headers, body = raw(
        server[0], b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert got == status, body[:200]
    assert headers["x-content-type-options"] == "nosniff"
    assert not INTERNALS.search(body.decode("utf-8", "replace"))
    assert b"[project]" not in body and b"root:" not in body


@pytest.mark.slow
@pytest.mark.parametrize(
    "header", [b"Accept: " + b"a/b," * 25_000 + b"text/html", b"X-Padding: " + b"y" * 100_000]
)
def test_long_headers_over_the_socket_get_431(server, header):
    request = b"GET /id/service/black-thrive HTTP/1.1\r\nHost: x\r\n" + header
    got, headers, body = raw(server[0], request + b"\r\nConnection: close\r\n\r\n")
    assert got == 431 and body == b"The request headers are longer than 32,768 bytes.\n"
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ],
    ids=[
        "garbage",
        "header-without-colon",
        "nul-in-header",
        "negative-length",
    ],
)
def test_unreadable_requests_get_400_and_the_server_lives_on(server, request_bytes):
    port, _, process = server
    got, headers, body = raw(port, request_bytes)
    assert got == 400 and body == b"Invalid HTTP request received."
    assert headers["x-content-type-options"] == "nosniff"
    assert process.poll() is None
    assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200


@pytest.mark.slow
def test_oversized_body_over_the_socket_gets_413(server):
    port = server[0]
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000000000\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(head + b"#" * 65_536)
        data = b""
        while chunk := s.recv(65_536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 413 ")
    assert b"over 1,048,576 bytes" in data


@pytest.mark.slow
def test_help_states_the_default_bind_and_the_limits():
    shown = subprocess.run(
        [sys.executable, "-m", "amhe_kg", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    text = " ".join(shown.split())
    assert "[default: 127.0.0.1]" in text and "only this machine connect" in text
    for limit in (
        f"{serve.MAX_URL // 1024} KiB",
        f"{serve.MAX_HEADERS // 1024} KiB, 431",
        f"{serve.MAX_BODY // 2**20} MiB",
        f"{serve.MAX_QUERY:,} characters",
        f"{serve.MAX_ROWS:,} rows",
        f"{serve.MAX_RESULT_BYTES // 2**20} MiB, 422",
        f"{serve.MAX_WAITING:,} queries waiting",
    ):
        assert limit in text
