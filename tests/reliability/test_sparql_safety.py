"""`amhe-kg query` against hostile parameters, broken query files and runaway queries.

A parameter value is either refused with a message naming the parameter, or bound as one plain
RDF term: the answer is then the answer for an inert value of the same type. A query file that is
not SPARQL 1.1 is refused with its line and column, and a query over the time limit is stopped.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import amhe_kg.store
from amhe_kg.cli import main
from amhe_kg.query import resolve, run
from amhe_kg.queryfile import TYPES, QueryError
from amhe_kg.store import EmbeddedStore, QueryProcess, QueryRunner, QueryTimeout

GRAPH = Path()  # the built graph's N-Triples file, set for each test

# One ready-made query per parameter type: (query, parameter, a value that matches nothing).
TARGETS = {
    "iri": ("is-targeted", "characteristic", "characteristic/nothing"),
    "key": ("helpful-resources-on-topic", "topic", "no-such-topic"),
    "code:nice": ("guideline", "code", "NG99999"),
    "code:gss": ("services-in-area", "gss", "E99999999"),
    "code:iso3166": ("studies-by-country-code", "code", "ZZZ"),
    "integer": ("studies-by-country", "question", "999"),
    "word": ("provisions-mentioning", "word", "zzyzx"),
    "string": ("search-labels", "text", "zzyzx qwv"),
}
ATTACKS = [
    "} ; DROP ALL",
    "DROP ALL",
    'x" } UNION { ?s ?p ?o } #',
    "x' } UNION { ?s ?p ?o } #",
    "x''' } UNION { ?s ?p ?o } #",
    "<x> } UNION { ?s ?p ?o } #",
    "http://example.org/a> } UNION { ?s ?p ?o . FILTER(<http://example.org/b",
    "http://example.org/a>",
    "http://example.org/<a",
    "characteristic/age> <x",
    "http://example.org/a#} UNION {",
    'x\\" } UNION { ?s ?p ?o } #',
    "x\\u0022 } UNION { ?s ?p ?o } #",
    "http://example.org/\\u003E } UNION { ?s ?p ?o } #",
    "x\\U0000007D UNION { ?s ?p ?o }",
    "x\n} UNION { ?s ?p ?o }\n#",
    "x\r} UNION { ?s ?p ?o }",
    "x # a comment",
    "#",
    "x) (UNDEF) (",
    ") } SELECT * WHERE { ?s ?p ?o",
    "1) (2",
    "1 } UNION { ?s ?p ?o }",
    "UNDEF",
    "?s",
    "$s",
    "_:b0",
    "9999999999",
    "x\x00y",
    "x\u2028} UNION {",
    "x\u0085y",
    "%7D%20UNION%20%7B",
    "A" * 100_000,
    "http://example.org/" + "a" * 100_000,
]
INERT_VALUES = {  # a value each type takes that still matches nothing
    "iri": "http://example.org/",
    "key": "x",
    "code:nice": "NG0",
    "code:gss": "E00000000",
    "code:iso3166": "ZZ",
    "integer": "0",
    "word": "x",
    "string": "x",
}


@pytest.fixture(scope="module")
def graph(built, tmp_path_factory) -> Path:
    """The built graph as an N-Triples file."""
    path = tmp_path_factory.mktemp("graph") / "amhe.nt"
    path.write_bytes(built.files["amhe.nt"])
    return path


@pytest.fixture(autouse=True)
def _queries_read_the_built_graph(graph, monkeypatch):
    monkeypatch.setattr(f"{__name__}.GRAPH", graph)


@pytest.fixture(scope="module")
def store(graph):
    return EmbeddedStore.from_file(graph)


def answer(store, kind: str, value: str):
    name, param, _ = TARGETS[kind]
    return run(resolve(name), {param: value}, store)


@pytest.fixture(scope="module")
def inert(store) -> dict:
    """The answer of each target query for a value that matches nothing; the default's differs."""
    answers = {kind: answer(store, kind, TARGETS[kind][2]) for kind in TARGETS}
    for kind, result in answers.items():
        assert result.rows == [] and result.boolean in (None, False), kind
        name, param, _ = TARGETS[kind]
        assert answer(store, kind, resolve(name).param(param).default) != result, kind
    return answers


def assert_refused_or_inert(store, inert: dict, kind: str, value: str) -> None:
    name, param, _ = TARGETS[kind]
    try:
        result = answer(store, kind, value)
    except QueryError as error:
        message = str(error)
        assert message.startswith(f"query {name!r}: parameter {param!r}: "), message
        assert f"is not {TYPES[kind].expects}" in message
    else:
        assert result == inert[kind], (kind, value)


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_an_injection_attempt_is_refused_or_bound_as_a_plain_value(store, inert, kind):
    for value in ATTACKS:
        assert_refused_or_inert(store, inert, kind, value)


def test_some_injection_attempts_are_accepted_as_plain_values(store, inert):
    assert answer(store, "string", "x' ; DROP ALL #") == inert["string"]
    assert answer(store, "string", "x''' UNION ?s ?p ?o") == inert["string"]
    assert answer(store, "iri", "http://example.org/a#x?y=1&z=%7D") == inert["iri"]
    assert answer(store, "string", "x # a comment") == inert["string"]
    long_iri = "http://example.org/" + "a" * 100_000
    assert answer(store, "iri", long_iri) == inert["iri"]


@pytest.mark.parametrize(
    "value", ["http://example.org/%zz", "http://[::1", "http://example.org/\ue000"]
)
def test_an_iri_parameter_that_is_not_an_iri_is_refused_naming_the_parameter(value):
    message = fails("is-targeted", "--show", "-p", f"characteristic={value}")
    assert "parameter 'characteristic'" in message and "is not an absolute IRI" in message


def term_of(kind: str, value: str) -> pyoxigraph.Term | None:
    """The one term a value binds, read back by Oxigraph from the VALUES block; None if refused."""
    name, param, _ = TARGETS[kind]
    query = resolve(name)
    try:
        text = query.bind({param: value})
    except QueryError:
        return None
    row = re.search(r"\n  VALUES \(\?\w+\) \{ \((.*)\) \}\n", text)
    assert row, text
    assert text == query.bind({param: INERT_VALUES[kind]}).replace(
        f"{{ ({query.param(param).term(INERT_VALUES[kind], name)}) }}", f"{{ ({row[1]}) }}", 1
    )
    solutions = list(pyoxigraph.Store().query(f"SELECT ?v {{ VALUES ?v {{ {row[1]} }} }}"))
    assert len(solutions) == 1
    return solutions[0]["v"]


VALUES = st.text(
    alphabet=st.sampled_from("{}()<>\"'\\#;.,?$_:@^*/ -=\n\r\t\x00uUaAbE0179") | st.characters(),
    max_size=40,
)


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_any_accepted_value_binds_one_term_holding_that_value(kind):
    @settings(derandomize=True, database=None, deadline=None, max_examples=250)
    @given(VALUES)
    def check(value):
        term = term_of(kind, value)
        if term is None:
            return
        checked = TYPES[kind].check(value)
        if kind == "integer":
            assert int(term.value) == int(checked)
        elif kind == "iri":
            assert isinstance(term, pyoxigraph.NamedNode) and term.value == checked
        else:
            assert isinstance(term, pyoxigraph.Literal) and term.value == checked

    check()


def invoke(*args: str):
    return CliRunner().invoke(main, ["query", "--graph", str(GRAPH), *args])


def fails(*args: str) -> str:
    """The one line of a run that must stop with exit code 2 and print nothing on stdout."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "param",
    [
        "characteristic=<x> } UNION { ?s ?p ?o } #",
        "characteristic=characteristic/age> } UNION {",
        "characteristic=x\\u003E",
    ],
)
def test_the_command_line_refuses_an_injected_iri(param):
    message = fails("is-targeted", "-p", param, "--show")
    assert "parameter 'characteristic'" in message and "is not an absolute IRI" in message


def test_the_command_line_shows_an_accepted_odd_value_as_one_literal():
    result = invoke("search-labels", "--show", "-p", "text=x' ; DROP ALL #")
    assert result.exit_code == 0, result.output
    assert '\n  VALUES (?text) { ("x\' ; DROP ALL #") }\n' in result.stdout


# A user's query file


@pytest.fixture
def user_query(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "mine.rq"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


BROKEN = {
    "unclosed-group": ("SELECT ?x\nWHERE {\n  ?x ?y ?z\n", "4:1"),
    "missing-object": ("SELECT ?x\nWHERE {\n  ?x ?y }\n", "4:1"),
    "unterminated-string": ('SELECT ?x WHERE {\n  ?x ?y "abc\n}\n', "2:"),
    "bad-iri": ("SELECT ?x WHERE {\n  ?x <http://a b> ?z }\n", "2:"),
    "undeclared-prefix": ("SELECT ?x WHERE {\n  ?x ex:p ?z }\n", "2:"),
    "an-update-after-a-query": ("SELECT * { ?s ?p ?o } ;\nDROP ALL\n", "2:5"),
    "bad-escape": ('SELECT ?x WHERE {\n  ?x ?y "\\q" }\n', "2:"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_query_file_that_is_not_sparql_names_line_and_column(case, user_query):
    text, where = BROKEN[case]
    path = user_query("# title: Broken\n" + text)
    message = fails(path, "--show")
    assert message.startswith(f"error: {path} is not valid SPARQL 1.1: error at "), message
    line, _, column = where.partition(":")
    match = re.search(r"error at (\d+):(\d+)", message)
    assert match and match[1] == str(int(line) + 1), message
    assert column == "" or match[2] == column, message


def test_an_update_file_is_not_a_query(user_query):
    assert "not a SPARQL query" in fails(user_query("DROP ALL\n"))
    message = fails(user_query("INSERT DATA { <http://e/s> <http://e/p> 1 }\n"))
    assert "not a SPARQL query" in message


PARAMETERISED = """\
# title: Labels of a kind
# param: kind | iri | - | amhe:Service | The class.
SELECT ?label WHERE { ?x a ?kind ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }
"""


def test_unknown_missing_or_unusable_parameters_of_a_query_file(user_query):
    path = user_query(PARAMETERISED)
    assert "needs parameter 'kind' (iri)" in fails(path, "--show")
    message = fails(path, "--show", "-p", "kind=x", "-p", "colour=red")
    assert "has no parameter 'colour' (its parameters: kind)" in message
    assert "has no parameter 'x' (its parameters: none)" in fails(
        user_query("SELECT * { ?s ?p ?o }\n"), "-p", "x=1"
    )
    message = fails(user_query(PARAMETERISED.replace("| iri |", "| colour |")), "--show")
    assert "parameter 'kind' has unknown type 'colour'" in message
    message = fails(user_query(PARAMETERISED.replace("WHERE {", "{")), "-p", "kind=x", "--show")
    assert "takes parameters but has no top-level WHERE group" in message


# The time limit of the embedded store


RUNAWAY = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }\n"
RUNAWAY_COUNT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n"


@pytest.mark.parametrize("text", [RUNAWAY, RUNAWAY_COUNT], ids=["rows", "count"])
def test_a_runaway_query_is_stopped_at_the_time_limit(text, user_query):
    start = time.monotonic()
    message = fails(user_query(text), "--timeout", "1")
    assert time.monotonic() - start < 20
    assert message == (
        "error: the query was stopped: it ran longer than the 1 s time limit "
        "(--timeout SECONDS allows longer)"
    )


def test_a_normal_query_is_unaffected_by_a_short_limit(tmp_path):
    quick = invoke("services-per-region", "--timeout", "1", "-f", "csv")
    assert quick.exit_code == 0, quick.output
    default = invoke("services-per-region", "-f", "csv")
    assert quick.stdout_bytes == default.stdout_bytes
    assert default.stdout_bytes.decode().startswith("region,gss,services\r\nLondon,E12000007,5\r\n")


def test_the_runner_answers_again_after_stopping_a_query():
    runner = QueryRunner(GRAPH, timeout=1)
    try:
        with pytest.raises(QueryTimeout, match="longer than the 1 s time limit"):
            runner.run(RUNAWAY_COUNT)
        assert runner.worker.process is None
        assert runner.run("ASK { ?s ?p ?o }").boolean is True
        assert runner.run("SELECT ?s { ?s ?p ?o } LIMIT 3", "SELECT").rows
    finally:
        runner.stop()


def size_plus(store: pyoxigraph.Store, extra: int) -> int:
    """A job for a QueryProcess: the number of quads in the store, plus a number."""
    return len(store) + extra


def test_a_query_process_runs_any_handler_under_a_memory_cap(store):
    process = QueryProcess(GRAPH, size_plus, memory=4 * 2**30)
    try:
        assert process.run((1,), 30) == len(store.store) + 1
        assert process.run((2,), 30) == len(store.store) + 2
    finally:
        process.stop()


def test_an_answer_past_the_row_limit_is_refused(store, monkeypatch):
    monkeypatch.setattr(amhe_kg.store, "MAX_ROWS", 100)
    with pytest.raises(QueryError, match=r"^the answer has more than 100 rows: .* add a LIMIT$"):
        store.run("SELECT * { ?s ?p ?o }", "SELECT")
    with pytest.raises(QueryError, match=r"^the answer has more than 100 triples"):
        store.run("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT")
    assert len(store.run("SELECT * { ?s ?p ?o } LIMIT 100", "SELECT").rows) == 100
