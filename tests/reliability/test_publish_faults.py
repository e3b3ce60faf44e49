"""`amhe-kg publish` when the store or the network fails, against a real Oxigraph and Virtuoso.

Each store runs on 127.0.0.1 with its data on disk, so it can be killed and started
again on the same data. A small TCP proxy in front of it cuts a connection after a
number of bytes of the upload, stops the store there, answers a status of its own, or
never answers. After each fault the graph in the store is read back through the query
endpoint (its count and every triple) and compared with the graph it should be.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import XSD, Graph, Literal
from rdflib.compare import isomorphic

from amhe_kg import publish
from tests.stores import StoreUnderTest, free_port

pytestmark = pytest.mark.slow

GRAPH = "https://w3id.org/amhe/id/graph"
PREVIOUS = Path(__file__).resolve().parent.parent / "web" / "previous.nt"
# Bytes of a PUT forwarded before the connection is cut: about a third of the graph.
CUT_AFTER = 400_000
NUMBERS = {XSD.integer, XSD.decimal, XSD.double, XSD.float}
YEAR_MONTH = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?")


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of a store, which misbehaves when told to."""

    def __init__(self, store: StoreUnderTest) -> None:
        self.target = urllib.parse.urlsplit(store.gsp).port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_after: int | None = None
        self.on_cut: Callable[[], None] | None = None
        self.answer: bytes | None = None
        self.silent = False
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, url: str) -> str:
        """The store's URL, through the proxy."""
        return url.replace(f"127.0.0.1:{self.target}/", f"127.0.0.1:{self.port}/")

    def close(self) -> None:
        self.closed.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            with client:
                if self.silent:
                    self.closed.wait()
                elif self.answer is not None:
                    read_request(client)
                    client.sendall(self.answer)
                else:
                    self._forward(client)
        except OSError:
            pass

    def _forward(self, client: socket.socket) -> None:
        """Forward both ways; a PUT is cut after `cut_after` bytes (calling `on_cut` first)."""
        with socket.create_connection(("127.0.0.1", self.target)) as upstream:
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
            sent, cut = 0, None
            while chunk := client.recv(65536):
                if sent == 0 and chunk.startswith(b"PUT "):
                    cut = self.cut_after
                if cut is not None and sent + len(chunk) >= cut:
                    upstream.sendall(chunk[: cut - sent])
                    time.sleep(0.5)  # let the store read what it was sent
                    if self.on_cut is not None:
                        self.on_cut()
                    return
                upstream.sendall(chunk)
                sent += len(chunk)


def read_request(client: socket.socket) -> None:
    """Read one HTTP request, its body included, so that an answer is not a broken pipe."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length and (chunk := client.recv(65536)):
        body += chunk


def pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def answer(status: str, body: bytes = b"", length: int | None = None) -> bytes:
    """An HTTP response that closes the connection; `length` may promise more than the body."""
    length = len(body) if length is None else length
    challenge = 'WWW-Authenticate: Basic realm="store"\r\n' if status.startswith("401") else ""
    return (
        f"HTTP/1.1 {status}\r\nContent-Length: {length}\r\nContent-Type: text/plain\r\n"
        f"{challenge}Connection: close\r\n\r\n"
    ).encode() + body


@pytest.fixture(scope="module")
def graph_file(built, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "amhe.nt"
    path.write_bytes(built.files["amhe.nt"])
    return path


def with_previous(store: StoreUnderTest, monkeypatch) -> StoreUnderTest:
    """The store, running, its graph holding the two triples of tests/web/previous.nt."""
    if store.process.poll() is not None:
        store.start()
    for name, value in store.env.items():
        monkeypatch.setenv(name, value)
    publish.Store(store.gsp, store.query, store.update).put(GRAPH, PREVIOUS.read_bytes())
    return store


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store(request, monkeypatch) -> StoreUnderTest:
    return with_previous(request.getfixturevalue(request.param), monkeypatch)


@pytest.fixture
def proxy(store):
    running_proxy = Proxy(store)
    yield running_proxy
    running_proxy.close()


def invoke(store: StoreUnderTest, *args: str, env: dict[str, str | None] | None = None):
    env = store.env if env is None else env
    return CliRunner().invoke(publish.command, [*store.args(), *args], env=env)


def through(proxy: Proxy, store: StoreUnderTest, graph_file: Path, *more: str):
    """`amhe-kg publish` of the graph file with every request going through the proxy."""
    args = ["--store", proxy.url(store.gsp), "--endpoint", proxy.url(store.query)]
    args += ["--file", str(graph_file), *more]
    return CliRunner().invoke(publish.command, args, env=store.env)


def update(store: StoreUnderTest, proxy: Proxy | None, atomic: str) -> tuple[str, ...]:
    if atomic == "put":
        return ()
    return ("--update", proxy.url(store.update) if proxy else store.update)


def ask(store: StoreUnderTest, query: str, accept: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310
        store.query,
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": accept},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.read()


def canonical(graph: Graph) -> Graph:
    """The graph with values written as the stores keep them.

    Both stores write a decimal in its shortest form (33.0 as 33), and Virtuoso keeps a
    year-and-month duration as its number of months (P10Y comes back as "120").
    """
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in NUMBERS:
            value = o.toPython()
            value = value.normalize() if isinstance(value, Decimal) else value
            o = Literal(str(value), datatype=o.datatype)
        if isinstance(o, Literal) and o.datatype == XSD.duration:
            months = YEAR_MONTH.fullmatch(o)
            if months:
                total = 12 * int(months[1] or 0) + int(months[2] or 0)
                o = Literal(str(total), datatype=XSD.duration)
        out.add((s, p, o))
    return out


def assert_graph_is(store: StoreUnderTest, expected: Path) -> None:
    """The store's graph has the file's number of triples and is isomorphic to it."""
    wanted = Graph().parse(expected, format="nt")
    assert publish.Store(store.gsp, store.query).count(GRAPH) == len(wanted)
    text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    found = Graph().parse(data=ask(store, text, "application/n-triples"), format="nt")
    assert len(found) == len(wanted)
    assert isomorphic(canonical(found), canonical(wanted))


def temporary_graphs(store: StoreUnderTest) -> list[str]:
    """Graphs left over from an upload to a temporary graph."""
    text = (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{GRAPH}-upload-")) }}'
    )
    return ask(store, text, "text/csv").decode().split()[1:]


def assert_clear_failure(result, *words: str) -> None:
    """Exit code 2 and one `error:` line saying what failed, without a traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    for word in words:
        assert word in result.output


def assert_retry_publishes(store: StoreUnderTest, graph_file: Path, atomic: str) -> None:
    retry = invoke(store, "--file", str(graph_file), *update(store, None, atomic))
    assert retry.exit_code == 0, retry.output
    assert_graph_is(store, graph_file)
    assert temporary_graphs(store) == []


@pytest.mark.parametrize("atomic", ["put", "move"])
def test_a_connection_cut_mid_upload_leaves_the_previous_graph(store, proxy, graph_file, atomic):
    proxy.cut_after = CUT_AFTER
    result = through(proxy, store, graph_file, *update(store, proxy, atomic))
    assert_clear_failure(result, f"the connection to {proxy.url(store.gsp)} was lost")
    if atomic == "move":
        assert "the previous graph is left in place" in result.output
    else:
        assert "publish again, with --update" in result.output
    assert_graph_is(store, PREVIOUS)
    assert temporary_graphs(store) == []
    assert_retry_publishes(store, graph_file, atomic)


@pytest.mark.parametrize("atomic", ["put", "move"])
def test_a_store_stopped_mid_upload_keeps_the_previous_graph(store, proxy, graph_file, atomic):
    proxy.cut_after, proxy.on_cut = CUT_AFTER, store.kill
    result = through(proxy, store, graph_file, *update(store, proxy, atomic))
    assert store.process.wait(15) == -signal.SIGKILL
    assert_clear_failure(result, f"the connection to {proxy.url(store.gsp)} was lost")
    if atomic == "move":
        # The store is down, so the temporary graph could not be dropped either.
        assert "the previous graph is left in place" in result.output
        assert "may remain in the store: DROP SILENT GRAPH <" in result.output
    store.start()
    assert_graph_is(store, PREVIOUS)
    assert temporary_graphs(store) == []
    assert_retry_publishes(store, graph_file, atomic)


@pytest.mark.parametrize("status", ["401 Unauthorized", "403 Forbidden"])
def test_a_refusal_names_the_endpoint_and_the_status(store, proxy, graph_file, status):
    proxy.answer = answer(status, b"no entry")
    result = through(proxy, store, graph_file, "--update", proxy.url(store.update))
    assert_clear_failure(
        result,
        f"{proxy.url(store.gsp)} answered HTTP {status}",
        "check the credentials in AMHE_STORE_USER, AMHE_STORE_PASSWORD and AMHE_STORE_AUTH",
    )
    assert_graph_is(store, PREVIOUS)


@pytest.mark.parametrize("atomic", ["put", "move"])
@pytest.mark.parametrize(
    "credentials",
    [
        {"AMHE_STORE_PASSWORD": "not-the-password"},
        {"AMHE_STORE_PASSWORD": "not-the-password", "AMHE_STORE_AUTH": "basic"},
        {"AMHE_STORE_USER": None, "AMHE_STORE_PASSWORD": None, "AMHE_STORE_AUTH": None},
    ],
    ids=["wrong-password", "basic-not-digest", "none"],
)
def test_virtuoso_refuses_wrong_credentials(virtuoso, monkeypatch, graph_file, atomic, credentials):
    # Oxigraph has no authentication: the proxy refuses in its place, above.
    store = with_previous(virtuoso, monkeypatch)
    more = update(store, None, atomic)
    result = invoke(store, "--file", str(graph_file), *more, env={**store.env, **credentials})
    assert_clear_failure(result, f"{store.gsp} answered HTTP 401 Unauthorized")
    assert_graph_is(store, PREVIOUS)


def test_an_unreachable_endpoint_is_a_clear_error(store, graph_file):
    nowhere = f"http://127.0.0.1:{free_port()}/store"
    args = ["--store", nowhere, "--endpoint", store.query, "--file", str(graph_file)]
    result = CliRunner().invoke(publish.command, args, env=store.env)
    assert_clear_failure(result, f"cannot reach {nowhere}: [Errno 111] Connection refused")
    assert_graph_is(store, PREVIOUS)


def test_an_endpoint_that_never_answers_times_out(store, proxy, graph_file):
    proxy.silent = True
    start = time.monotonic()
    result = through(proxy, store, graph_file, "--timeout", "1")
    assert time.monotonic() - start < 10
    assert_clear_failure(result, f"{proxy.url(store.gsp)} did not answer within 1 s (--timeout)")
    assert_graph_is(store, PREVIOUS)


def test_an_answer_cut_short_is_a_clear_error(store, proxy, graph_file):
    proxy.answer = answer("200 OK", b"ok", length=100)
    result = through(proxy, store, graph_file, "--update", proxy.url(store.update))
    assert_clear_failure(result, f"the connection to {proxy.url(store.gsp)} was lost: ")
    assert "IncompleteRead" in result.output
    assert_graph_is(store, PREVIOUS)
