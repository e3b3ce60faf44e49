"""The synthetic graph generator of the benchmark, and a smoke run of the benchmark script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from amhe_kg.export import to_ntriples
from amhe_kg.graph import build_graph
from amhe_kg.sources import load_sources
from benchmarks import synthetic

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/amhe/id/"


@pytest.fixture(scope="module")
def amhe_nt() -> bytes:
    """The AMHE graph (without cubes) as N-Triples, built from data/."""
    return to_ntriples(build_graph(load_sources(ROOT / "data")))


def _instance_iris(graph: Graph) -> set[str]:
    return {str(t) for triple in graph for t in triple if str(t).startswith(ID)}


def _unsuffixed(graph: Graph, k: int) -> Graph:
    """The graph with `-r{k}` removed from every instance IRI."""
    suffix = f"-r{k}"

    def back(term):
        if isinstance(term, URIRef) and str(term).startswith(ID):
            assert str(term).endswith(suffix), term
            return URIRef(str(term)[: -len(suffix)])
        return term

    out = Graph()
    for triple in graph:
        out.add(tuple(back(t) for t in triple))
    return out


def test_copies_are_isomorphic_disjoint_and_have_no_blank_nodes(amhe_nt):
    original = Graph().parse(data=amhe_nt, format="nt")
    chunks = list(synthetic.replicate(amhe_nt, 3))
    assert chunks[0].splitlines() == amhe_nt.splitlines()
    seen: set[str] = set()
    for k, chunk in enumerate(chunks):
        assert not re.search(rb"(^|\s)_:", chunk, re.MULTILINE)
        copy = Graph().parse(data=chunk, format="nt")
        assert len(copy) == len(original)
        iris = _instance_iris(copy)
        assert not iris & seen, "a copy reuses another copy's IRIs"
        seen |= iris
        if k:
            assert set(_unsuffixed(copy, k)) == set(original)


def test_shared_terms_are_not_renamed(amhe_nt):
    chunk = list(synthetic.replicate(amhe_nt, 2))[1]
    copy = Graph().parse(data=chunk, format="nt")
    original = Graph().parse(data=amhe_nt, format="nt")
    shared = {str(t) for tr in original for t in tr if isinstance(t, URIRef)} - _instance_iris(
        original
    )
    assert shared
    assert shared <= {str(t) for tr in copy for t in tr if isinstance(t, URIRef)}


@pytest.mark.parametrize("target", [1, 20_000, 100_000])
def test_scaling_gives_the_expected_triple_count(amhe_nt, tmp_path, target):
    source = tmp_path / "amhe.nt"
    source.write_bytes(amhe_nt)
    per_copy = len(amhe_nt.splitlines())
    copies, triples = synthetic.write(source, tmp_path / "out.nt", target)
    assert copies == max(1, round(target / per_copy))
    assert triples == copies * per_copy
    lines = (tmp_path / "out.nt").read_bytes().splitlines()
    assert len(lines) == triples == len(set(lines))
    assert abs(triples - target) <= per_copy / 2 or copies == 1


def test_the_built_graph_with_ontology_terms_has_an_instance_iri_in_every_triple(built):
    nt = to_ntriples(built.graph)
    assert synthetic.template(nt)


def test_graphs_that_cannot_be_replicated_are_refused():
    with pytest.raises(ValueError, match="blank node"):
        synthetic.template(b"_:b <http://x/p> <https://w3id.org/amhe/id/a> .\n")
    with pytest.raises(ValueError, match="no instance IRI"):
        synthetic.template(b'<http://x/a> <http://x/p> "o" .\n')


def test_sizes():
    assert synthetic.sizes("100k,1M, 5m,2500") == [100_000, 1_000_000, 5_000_000, 2_500]


@pytest.mark.slow
def test_smoke_run_of_the_benchmark(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--repeat",
            "1",
            "--query-repeat",
            "1",
            "--scale-query-repeat",
            "1",
            "--rdflib-budget",
            "0.1",
            "--sizes",
            "8k",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    for heading in ("## 1.", "## 2.", "## 3.", "## Targets", "## 4."):
        assert heading in out
    assert "rdflib" in out and "pyshacl" in out and "pyoxigraph" in out
    assert "same counts: yes" in out
    assert "(1 copies," in out
