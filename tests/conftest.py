"""Shared fixtures: the project's real sources, built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from amhe_kg.build import Build, make, write
from amhe_kg.reason import load_graphs
from tests.stores import oxigraph_store, running, virtuoso_store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ONTOLOGY = ROOT / "ontology" / "amhe.ttl"
ID = Namespace("https://w3id.org/amhe/id/")
AMHE = Namespace("https://w3id.org/amhe/ontology#")


@pytest.fixture(scope="session")
def built() -> Build:
    """The build of the curated sources, in memory."""
    return make(DATA, ONTOLOGY)


@pytest.fixture(scope="session")
def out_dir(built, tmp_path_factory) -> Path:
    """The build written to an output folder, as `amhe-kg build` writes it (not to be changed)."""
    out = tmp_path_factory.mktemp("build") / "output"
    write(built, out)
    return out


@pytest.fixture(scope="session")
def graph(built):
    return built.graph


@pytest.fixture(scope="session")
def graphs() -> tuple[Graph, Graph]:
    """The ontology and the data graph, made from data/ without the rest of the build."""
    return load_graphs(DATA, ONTOLOGY)


@pytest.fixture(scope="session")
def onto(graphs) -> Graph:
    return graphs[0]


@pytest.fixture(scope="session")
def data(graphs) -> Graph:
    return graphs[1]


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of data/ for tests that break it."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """An Oxigraph server on 127.0.0.1 (skips the test without the `oxigraph` command)."""
    with running(oxigraph_store(tmp_path_factory.mktemp("oxigraph"))) as store:
        yield store


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """Virtuoso on 127.0.0.1 (skips the test without it)."""
    with running(virtuoso_store(tmp_path_factory.mktemp("virtuoso"))) as store:
        yield store
