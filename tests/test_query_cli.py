"""`amhe-kg query` on the command line: output formats, parameters, endpoints and bad input.

Seed line numbers refer to shared/seed/000_32b3c55c8f9d3afb.txt.
"""

# The graph file and the server are fixtures shared with test_queries; ruff takes a test's
# fixture argument for a redefinition of the imported name.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal

import amhe_kg.query
from tests.conftest import AMHE, ID
from tests.test_queries import (  # noqa: F401
    NAMES,
    endpoint_url,
    free_port,
    nt_file,
)


def invoke(*args: str):
    return CliRunner().invoke(amhe_kg.query.command, list(args))


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes.decode("utf-8")


def fails(*args: str) -> str:
    """The error message of a run that must fail with exit code 2 and print nothing."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    return result.stderr


@pytest.fixture
def user_query(tmp_path):
    """A query file of the user's own, written with the given text."""

    def write(text: str):
        path = tmp_path / "mine.rq"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


GUIDELINES_OF_GROUP = """\
# title: Guideline codes of a population group
# question: Which guideline codes does a group list?
# param: group | iri | - | population-group/older-adults | The population group.
# columns: code
PREFIX amhe: <https://w3id.org/amhe/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?code
WHERE { ?g amhe:populationGroup ?group ; dcterms:identifier ?code }
ORDER BY ?code
"""


def test_list_shows_every_query_with_its_title_and_parameters():
    out = ok("--list")
    lines = out.splitlines()
    assert lines[0].split() == ["name", "title", "parameters"]
    for name in NAMES:
        assert any(line.startswith(name + " ") for line in lines), name
    assert any(
        line.startswith("services-in-area ") and "gss=E12000007 (code:gss)" in line
        for line in lines
    )
    assert lines[-1] == f"({len(NAMES)} rows)"
    listed = json.loads(ok("--list", "--format", "json"))
    assert [b["name"]["value"] for b in listed["results"]["bindings"]] == NAMES


def test_a_table_is_aligned_and_counts_its_rows(nt_file):
    out = ok("services-per-region", "--graph", str(nt_file))
    assert out.splitlines() == [
        "region                    gss        services",
        "------------------------  ---------  --------",
        "London                    E12000007  5",
        "Yorkshire and The Humber  E12000003  3",
        "East Midlands                        1",
        "North West                           1",
        "West Midlands                        1",
        "(5 rows)",
    ]


def test_parameters_and_the_w3c_formats(nt_file):
    # CG128 is listed under Disability, "also children and young people" (seed 2570-2573).
    args = ["guideline", "--graph", str(nt_file), "--param", "code=cg128"]
    text = ok(*args, "--format", "csv")
    assert text.startswith("code,title,group,url,item\r\n")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert [(r[0], r[2], r[4]) for r in table[1:]] == [
        ("CG128", "Children and young people", "20"),
        ("CG128", "Disability", "20"),
    ]
    tsv = ok(*args, "--format", "tsv").splitlines()
    assert tsv[0] == "?code\t?title\t?group\t?url\t?item"
    assert tsv[1].split("\t")[3:] == ["<https://www.nice.org.uk/guidance/cg128>", "20"]
    document = json.loads(ok(*args, "-f", "json"))
    assert document["head"]["vars"] == ["code", "title", "group", "url", "item"]
    first = document["results"]["bindings"][0]
    assert first["url"] == {"type": "uri", "value": "https://www.nice.org.uk/guidance/cg128"}
    assert first["title"] == {
        "type": "literal",
        "value": "Autism spectrum disorder in under 19s: recognition, referral and diagnosis",
        "xml:lang": "en",
    }
    assert first["item"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"


def test_an_ask_query_prints_true_or_false(nt_file):
    assert ok("is-targeted", "-g", str(nt_file)) == "true\n"
    other = "characteristic=characteristic/other"
    assert json.loads(ok("is-targeted", "-g", str(nt_file), "-p", other, "-f", "json")) == {
        "head": {},
        "boolean": False,
    }


def test_a_graph_query_writes_rdf(nt_file):
    service = ID["service/rainbow-alliance"]
    args = ["service-profile", "-g", str(nt_file), "-p", "service=service/rainbow-alliance"]
    turtle = Graph().parse(data=ok(*args, "-f", "turtle"), format="turtle")
    ntriples = Graph().parse(data=ok(*args, "-f", "ntriples"), format="nt")
    jsonld = Graph().parse(data=ok(*args, "-f", "json"), format="json-ld")
    assert len(turtle) == len(ntriples) == len(jsonld) > 0
    # "Location: Leeds" (seed line 920), within Yorkshire and The Humber.
    assert (service, AMHE.location, ID["place/leeds"]) in turtle
    assert (ID["place/yorkshire-and-the-humber"], AMHE.gssCode, Literal("E12000003")) in turtle
    assert (service, AMHE.population, Literal("LGBTQ+", lang="en")) in ntriples
    table = ok(*args).splitlines()
    assert table[0].split() == ["subject", "predicate", "object"]
    assert any(
        re.fullmatch(r"id:service/rainbow-alliance +amhe:location +id:place/leeds", t)
        for t in table
    )
    assert table[-1] == f"({len(turtle)} triples)"


def test_show_prints_the_query_with_its_parameters_bound():
    out = ok("services-in-area", "--show", "-p", "gss=e12000003")
    assert out.startswith("# title: Positive-practice services in an area\n")
    assert '\n  VALUES (?gss) { ("E12000003") }\n' in out


def test_a_users_own_query_file_takes_parameters(nt_file, user_query):
    path = user_query(GUIDELINES_OF_GROUP)
    # Older adults, seed lines 2617-2622.
    out = ok(path, "-g", str(nt_file), "-p", "group=population-group/older-adults", "-f", "csv")
    assert out.split("\r\n") == ["code", "NG16", "NG21", "NG22", "NG32", "NG97", ""]


def test_the_graph_is_made_in_memory_when_it_has_not_been_built(data_copy, monkeypatch):
    monkeypatch.chdir(data_copy.parent)
    result = invoke("research-questions", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "note: output/amhe.nt not found; querying a graph built in memory" in result.stderr
    # Table 4: 86, 5 and 32 studies tallied (seed lines 426-473).
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [r["studies"] for r in rows] == ["86", "5", "32"]


@pytest.mark.slow
def test_a_query_runs_the_same_on_an_endpoint(nt_file, endpoint_url):
    for name in ("services-per-region", "guideline", "where-from", "service-profile"):
        embedded = ok(name, "-g", str(nt_file), "-f", "tsv")
        assert ok(name, "--endpoint", endpoint_url, "-f", "tsv") == embedded
    args = ["is-targeted", "-e", endpoint_url, "-p", "characteristic=characteristic/other"]
    assert ok(*args) == "false\n"


# Bad input: a clear message on stderr and exit code 2


def test_an_unknown_query_name():
    message = fails("services-for-charactristic")
    assert "unknown query 'services-for-charactristic'" in message
    assert "did you mean services-for-characteristic" in message
    assert "amhe-kg query --list" in message


def test_a_missing_query_file():
    assert "no such query file" in fails("no/such/file.rq")


def test_a_missing_parameter(user_query):
    message = fails(user_query(GUIDELINES_OF_GROUP))
    assert "needs parameter 'group' (iri), e.g. --param group=population-group/older-adults" in (
        message
    )


def test_an_ill_typed_parameter():
    message = fails("studies-by-country", "-p", "question=two")
    assert "parameter 'question': 'two' is not a whole number" in message
    message = fails("guideline", "-p", "code=XX44")
    assert r"is not a NICE guidance code matching ^(NG|CG|PH|QS)\d+$" in message
    assert "has no parameter 'colour'" in fails("guideline", "-p", "colour=red")
    assert "must be NAME=VALUE" in fails("guideline", "-p", "code")
    assert "given twice" in fails("guideline", "-p", "code=NG44", "-p", "code=NG11")


def test_a_parameter_that_tries_to_inject_sparql():
    attack = "resource=<x> } UNION { ?s ?p ?o } #"
    message = fails("where-from", "-p", attack)
    assert "parameter 'resource'" in message and "is not an absolute IRI" in message
    attack = 'text=x") } UNION { ?s ?p ?o } #'
    assert "is not printable text" in fails("search-labels", "-p", attack)


def test_a_syntax_error_in_a_users_query_file(user_query):
    path = user_query("# title: Broken\nSELECT ?x WHERE { ?x ?y }\n")
    message = fails(path)
    assert f"{path} is not valid SPARQL 1.1: error at " in message


def test_a_file_that_is_not_a_query(user_query):
    assert "not a SPARQL query" in fails(user_query("# only a comment\n"))


def test_an_unreachable_endpoint():
    url = f"http://127.0.0.1:{free_port()}/query"
    message = fails("key-figures", "--endpoint", url)
    assert message.startswith(f"error: cannot reach the SPARQL endpoint {url}: ")
    assert "is not an http or https URL" in fails("key-figures", "--endpoint", "file:///etc")


def test_a_graph_that_cannot_be_loaded(tmp_path):
    assert "no such graph file" in fails("key-figures", "--graph", str(tmp_path / "none.nt"))
    broken = tmp_path / "broken.nt"
    broken.write_text("<not a triple", encoding="utf-8")
    assert "cannot load the graph" in fails("key-figures", "--graph", str(broken))


def test_no_graph_to_query(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "no graph to query: output/amhe.nt not found" in fails("key-figures")


def test_conflicting_or_missing_arguments(nt_file):
    assert "give a query NAME or FILE" in fails()
    assert "not both" in fails("key-figures", "-g", str(nt_file), "-e", "http://127.0.0.1:1/")
    message = fails("key-figures", "-g", str(nt_file), "-f", "turtle")
    assert "--format turtle is for CONSTRUCT and DESCRIBE queries" in message


def test_help_documents_the_exit_codes():
    out = ok("--help")
    assert "Exit codes: 0 success; 2 bad input" in out
