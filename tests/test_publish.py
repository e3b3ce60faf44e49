"""`amhe-kg publish` against real stores the tests start on 127.0.0.1: Oxigraph and Virtuoso."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from amhe_kg import publish
from amhe_kg.build import write

WEB = Path(__file__).parent / "web"
GRAPH = "https://w3id.org/amhe/id/graph"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the store exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class StoreUnderTest:
    name: str
    gsp: str
    query: str
    update: str
    env: dict[str, str]
    # Whether a failed Graph Store PUT leaves the graph as it was (Virtuoso's does not:
    # it keeps the triples read before the error), so --update is needed for atomicity.
    transactional_put: bool = True
    extra: tuple[str, ...] = ()

    def args(self, *more: str) -> list[str]:
        return ["--store", self.gsp, "--endpoint", self.query, *self.extra, *more]


@pytest.fixture(scope="module")
def graph_file(built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("publish") / "output"
    write(built, out)
    return out / "amhe.nt"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    if shutil.which("oxigraph") is None:
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        ["oxigraph", "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/query?query=ASK%7B%7D", process)
        yield StoreUnderTest("oxigraph", f"{base}/store", f"{base}/query", f"{base}/update", {})
    finally:
        stop(process)


VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
DirsAllowed = {dir}
VADInstallDir = /usr/share/virtuoso-opensource-7/vad/
CaseMode = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 4
MaxClientConnections = 4
EnabledDavVSP = 0
DavRoot = DAV

[Client]
SQL_PREFETCH_ROWS = 100

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
DefaultGraph = http://localhost:8890/dataspace
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    binary = shutil.which("virtuoso-t")
    if binary is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    folder = tmp_path_factory.mktemp("virtuoso")
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, http_port=http_port, sql_port=sql_port))
    process = subprocess.Popen(
        [binary, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(f"{base}/sparql?query=ASK%7B%7D", process, 120)
        yield StoreUnderTest(
            "virtuoso",
            f"{base}/sparql-graph-crud-auth",
            f"{base}/sparql",
            f"{base}/sparql-auth",
            {"AMHE_STORE_USER": "dba", "AMHE_STORE_PASSWORD": "dba", "AMHE_STORE_AUTH": "digest"},
            transactional_put=False,
        )
    finally:
        stop(process)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store(request) -> StoreUnderTest:
    return request.getfixturevalue(request.param)


def invoke(store: StoreUnderTest, *args: str):
    return CliRunner().invoke(publish.command, store.args(*args), env=store.env)


def client(store: StoreUnderTest, monkeypatch) -> publish.Store:
    for name, value in store.env.items():
        monkeypatch.setenv(name, value)
    return publish.Store(store.gsp, store.query, store.update)


@pytest.mark.slow
@pytest.mark.parametrize("atomic", ["put", "move"])
def test_round_trip_replaces_the_graph_and_verifies_the_count(
    store, graph_file, graph, monkeypatch, atomic
):
    old = (WEB / "previous.nt").read_bytes()
    client(store, monkeypatch).put(GRAPH, old)
    assert client(store, monkeypatch).count(GRAPH) == 2
    more = ("--update", store.update) if atomic == "move" else ()
    result = invoke(store, "--file", str(graph_file), *more)
    assert result.exit_code == 0, result.output
    assert f"Published {len(graph)} triples" in result.output
    assert client(store, monkeypatch).count(GRAPH) == len(graph)


@pytest.mark.slow
def test_a_failed_upload_leaves_the_previous_graph(store, graph_file, graph, monkeypatch):
    good = invoke(store, "--file", str(graph_file), "--update", store.update)
    assert good.exit_code == 0, good.output
    broken = (WEB / "rejected.nt").read_bytes()
    with pytest.raises(publish.PublishError):
        publish.publish(client(store, monkeypatch), GRAPH, broken, expected=3)
    assert client(store, monkeypatch).count(GRAPH) == len(graph)
    if store.transactional_put:
        store_client = client(store, monkeypatch)
        store_client.update = None
        with pytest.raises(publish.PublishError):
            publish.publish(store_client, GRAPH, broken, expected=3)
        assert client(store, monkeypatch).count(GRAPH) == len(graph)
    nowhere = f"http://127.0.0.1:{free_port()}/store"
    args = ["--store", nowhere, "--endpoint", store.query, "--file", str(graph_file)]
    unreachable = CliRunner().invoke(publish.command, args, env=store.env)
    assert unreachable.exit_code == 2 and "error:" in unreachable.output
    assert client(store, monkeypatch).count(GRAPH) == len(graph)


def test_bad_input_exits_2_before_sending(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text("<a> <b> .\n")
    args = ["--store", "http://127.0.0.1:9/store", "--endpoint", "http://127.0.0.1:9/query"]
    result = CliRunner().invoke(publish.command, [*args, "--file", str(bad)])
    assert result.exit_code == 2 and "not valid N-Triples" in result.output
    result = CliRunner().invoke(publish.command, [*args, "--file", str(tmp_path / "none.nt")])
    assert result.exit_code == 2
    result = CliRunner().invoke(publish.command, ["--store", "ftp://x", "--endpoint", "x"])
    assert result.exit_code == 2


def test_credentials_only_from_the_environment():
    options = {opt for param in publish.command.params for opt in getattr(param, "opts", [])}
    assert not any("pass" in o or "user" in o or "token" in o for o in options)
