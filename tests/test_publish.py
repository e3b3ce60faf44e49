"""`amhe-kg publish` against real stores the tests start on 127.0.0.1: Oxigraph and Virtuoso."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from amhe_kg import publish
from amhe_kg.build import write
from tests.stores import StoreUnderTest, free_port

WEB = Path(__file__).parent / "web"
GRAPH = "https://w3id.org/amhe/id/graph"


@pytest.fixture(scope="module")
def graph_file(built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("publish") / "output"
    write(built, out)
    return out / "amhe.nt"


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
    assert unreachable.exit_code == 2
    assert f"error: uploading to <{GRAPH}>: cannot reach {nowhere}: " in unreachable.output
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
