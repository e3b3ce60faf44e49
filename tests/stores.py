"""Servers the tests start on 127.0.0.1: `amhe-kg serve`, and real SPARQL stores (an Oxigraph
server and Virtuoso)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def amhe_server(
    out_dir: Path, cwd: Path | None = None, seconds: float = 120
) -> Iterator[tuple[int, str, subprocess.Popen]]:
    """`amhe-kg serve` of a build's output on a free port: (port, its first line, process)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "amhe_kg", "serve", "--out", str(out_dir), "--port", str(port)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    banner = process.stdout.readline()
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.2)
    try:
        yield port, banner, process
    finally:
        stop(process)


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
    """A store process with its endpoints, which can be killed and started again on its data."""

    name: str
    gsp: str
    query: str
    update: str
    env: dict[str, str]
    # Whether a failed Graph Store PUT leaves the graph as it was (Virtuoso's does not:
    # it keeps the triples read before the error), so --update is needed for atomicity.
    transactional_put: bool = True
    extra: tuple[str, ...] = ()
    argv: list[str] = field(default_factory=list)
    cwd: Path | None = None
    ready: str = ""
    start_seconds: float = 60
    process: subprocess.Popen | None = None

    def args(self, *more: str) -> list[str]:
        return ["--store", self.gsp, "--endpoint", self.query, *self.extra, *more]

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(self.ready, self.process, self.start_seconds)
        except RuntimeError:
            self.stop()
            raise

    def kill(self) -> None:
        """Stop the process at once (SIGKILL), as a crash or a power cut would."""
        self.process.kill()
        self.process.wait(15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)


@contextlib.contextmanager
def running(store: StoreUnderTest) -> Iterator[StoreUnderTest]:
    store.start()
    try:
        yield store
    finally:
        store.stop()


def oxigraph_store(folder: Path) -> StoreUnderTest:
    """An Oxigraph server (`oxigraph serve`) on a free port, its database in folder."""
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return StoreUnderTest(
        "oxigraph",
        f"{base}/store",
        f"{base}/query",
        f"{base}/update",
        {},
        argv=[binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
        ready=f"{base}/query?query=ASK%7B%7D",
    )


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


def virtuoso_store(folder: Path) -> StoreUnderTest:
    """Virtuoso (`virtuoso-t`) on free ports, its database in folder; dba's password is dba."""
    binary = shutil.which("virtuoso-t")
    if binary is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, http_port=http_port, sql_port=sql_port))
    base = f"http://127.0.0.1:{http_port}"
    return StoreUnderTest(
        "virtuoso",
        f"{base}/sparql-graph-crud-auth",
        f"{base}/sparql",
        f"{base}/sparql-auth",
        {"AMHE_STORE_USER": "dba", "AMHE_STORE_PASSWORD": "dba", "AMHE_STORE_AUTH": "digest"},
        transactional_put=False,
        argv=[binary, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        ready=f"{base}/sparql?query=ASK%7B%7D",
        start_seconds=120,
    )
