"""The ready-made SPARQL queries: their headers, safe binding, their answers, and engines.

Expected answers are worked out by hand from the source document; seed line
numbers refer to shared/seed/000_32b3c55c8f9d3afb.txt. Where an answer rests on
a curated link (a target, a served group, a vignette's barrier), the comment
cites the words of the source the link was made from.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from decimal import Decimal

import pyoxigraph
import pytest
from rdflib.namespace import DCTERMS, RDF

from amhe_kg.query import resolve, run
from amhe_kg.queryfile import (
    ID_BASE,
    TYPES,
    QueryError,
    find_queries,
    query_form,
    read_query,
    where_group,
)
from amhe_kg.results import Result, Term, to_csv, to_json, to_tsv
from amhe_kg.store import EmbeddedStore, Endpoint, RdflibGraph
from tests.conftest import AMHE

QUERIES = find_queries()
NAMES = [q.name for q in QUERIES]
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float")}


# Fixtures: the built graph as an N-Triples file, in each engine, and behind a server.


@pytest.fixture(scope="session")
def nt_file(built, tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "amhe.nt"
    path.write_bytes(built.files["amhe.nt"])
    return path


@pytest.fixture(scope="session")
def embedded(nt_file):
    return EmbeddedStore.from_file(nt_file)


@pytest.fixture(scope="session")
def in_rdflib(graph):
    return RdflibGraph(graph)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint_url(nt_file, tmp_path_factory):
    """An Oxigraph server on 127.0.0.1 loaded with the built graph; stopped afterwards."""
    oxigraph = shutil.which("oxigraph")
    if oxigraph is None:
        pytest.skip("the oxigraph server CLI is not installed (pip install oxigraph)")
    location = tmp_path_factory.mktemp("oxigraph-db")
    subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", str(nt_file)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [oxigraph, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"oxigraph serve exited: {server.stderr.read().decode()}")
            try:
                ping = f"{url}?query=ASK%7B%7D"
                with urllib.request.urlopen(ping, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("oxigraph serve did not answer within 30 seconds")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Helpers


def plain(term: Term | None):
    """A term as a Python value: IRIs as the table shows them, numbers and booleans typed."""
    if term is None:
        return None
    if term.kind == "uri":
        return term.display()
    if term.datatype == XSD + "integer":
        return int(term.value)
    if term.datatype == XSD + "decimal":
        return Decimal(term.value)
    if term.datatype == XSD + "boolean":
        return term.value == "true"
    return term.value


def answer(store, name, params=None) -> Result:
    return run(resolve(name), params or {}, store)


def rows(store, name, params=None, columns=None) -> list[tuple]:
    """The rows of a SELECT query as tuples of plain values, in the query's order."""
    result = answer(store, name, params)
    columns = columns or result.variables
    return [tuple(plain(row.get(c)) for c in columns) for row in result.rows]


def column(store, name, col, params=None) -> list:
    return [r[0] for r in rows(store, name, params, [col])]


def comparable(term: Term | None):
    """A term normalised so that engines agree: numbers by value."""
    if term is None:
        return ("unbound",)
    if term.kind == "literal" and term.datatype in NUMERIC:
        return ("number", str(Decimal(term.value).normalize()), term.datatype)
    return term.sort_key


def normalised(result: Result):
    if result.form == "ASK":
        return result.boolean
    if result.is_graph:
        return sorted(tuple(comparable(t) for t in triple) for triple in result.triples)
    # rdflib answers a grouped aggregate over no solutions with one row of unbound values.
    rows_ = [tuple(comparable(row.get(v)) for v in result.variables) for row in result.rows if row]
    return result.variables, sorted(rows_)


# The catalogue and its headers


def test_there_are_at_least_25_ready_made_queries():
    assert len(QUERIES) >= 25
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_header_has_title_question_and_columns(query):
    assert query.title and query.title != query.name
    assert "?" in query.question
    assert query.columns
    for param in query.params:
        assert param.type in TYPES
        assert param.description
        for value in (param.default, param.example):
            assert value == "*" or param.term(value, query.name)


@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_columns_are_what_the_query_returns(embedded, query):
    result = run(query, {}, embedded)
    if result.form == "ASK":
        assert query.columns == ("boolean",)
    else:
        assert tuple(result.variables) == query.columns


@pytest.mark.parametrize("query", [q for q in QUERIES if q.form == "SELECT"], ids=lambda q: q.name)
def test_select_queries_are_ordered(query):
    assert re.search(r"^ORDER BY ", query.text, re.MULTILINE), query.name


# The kinds of thing the graph describes (README, "What the graph holds") and its parts.
KINDS = {
    "Legislation", "LegislativeProvision", "DutyHolder", "KeyFigure", "ResearchQuestion",
    "InterventionType", "Characteristic", "CharacteristicSubtype", "Country", "StudyTally",
    "Intervention", "CuratedLink", "Service", "PracticeTheme", "Organisation", "Place",
    "Barrier", "CoProductionBarrier", "Solution", "ParticipationGroup", "LadderRung",
    "CoProductionStage", "CoProductionAction", "Vignette", "Initiative", "RestrictivePractice",
    "Guideline", "PopulationGroup", "HelpfulResource", "ResourceTopic", "Abbreviation",
    "SourceDocument", "SourceLocation", "Appendix", "Table", "Figure",
}  # fmt: skip


def test_queries_cover_every_kind_of_thing_and_every_link_between_them(graph):
    text = "\n".join(q.text for q in QUERIES)
    mentioned = set(re.findall(r"amhe:([A-Za-z0-9]+)", text))
    kinds = {
        str(s): str(c).removeprefix(str(AMHE))
        for s, c in graph.subject_objects(RDF.type)
        if str(c).removeprefix(str(AMHE)) in KINDS
    }
    assert set(kinds.values()) == KINDS
    assert KINDS - mentioned == set()
    links = {
        str(p).removeprefix(str(AMHE))
        for s, p, o in graph
        if str(p).startswith(str(AMHE)) and str(s) in kinds and str(o) in kinds
    }
    assert {"within", "dutyHolder", "curatedTarget", "servesSubtype", "solution"} <= links
    assert links - mentioned == set()


# Binding parameters safely


def query_file(tmp_path, body, header="# title: T\n# question: Q?\n# columns: x\n"):
    path = tmp_path / "q.rq"
    path.write_text(header + body, encoding="utf-8")
    return read_query(path)


def test_parameters_are_bound_by_a_values_block_at_the_start_of_the_where_group():
    query = resolve("services-in-area")
    text = query.bind({"gss": "e12000003"})
    assert 'WHERE {\n  VALUES (?gss) { ("E12000003") }\n' in text
    assert text.replace('\n  VALUES (?gss) { ("E12000003") }', "") == query.text


def test_any_value_binds_undef():
    assert "VALUES (?stage) { (UNDEF) }" in resolve("co-production-actions").bind()


def test_where_group_is_found_outside_comments_strings_iris_and_templates():
    text = (
        "# WHERE { in a comment\n"
        "PREFIX ex: <http://example.org/where#WHERE>\n"
        'CONSTRUCT { ?s ex:p "WHERE {" } WHERE { ?s ?p ?o }'
    )
    at = where_group(text)
    assert text[:at].endswith('"WHERE {" } WHERE {')
    assert query_form(text) == "CONSTRUCT"
    assert where_group("SELECT * { ?s ?p ?o }") is None


@pytest.mark.parametrize(
    ("name", "param", "value", "expects"),
    [
        ("where-from", "resource", "<x> } UNION { ?s ?p ?o } #", "an absolute IRI"),
        ("where-from", "resource", "http://x> } UNION { ?s ?p ?o", "an absolute IRI"),
        ("services-by-practice-theme", "theme-key", 'co-production") } #', "a key"),
        ("guideline", "code", "NG44) } UNION { ?s ?p ?o } #", "a NICE guidance code"),
        ("services-in-area", "gss", 'E12000007" . ?s ?p ?o', "an ONS GSS code"),
        ("studies-by-country", "question", "1) } UNION { ?s ?p ?o } #", "a whole number"),
        ("provisions-mentioning", "word", 'religion") } #', "a word"),
        ("search-labels", "text", 'x" ) } UNION { ?s ?p ?o } #', "printable text"),
        ("search-labels", "text", "line\nbreak", "printable text"),
    ],
)
def test_a_value_that_tries_to_inject_sparql_is_rejected(name, param, value, expects):
    with pytest.raises(QueryError, match=f"parameter '{param}': .* is not {expects}"):
        resolve(name).bind({param: value})


def test_values_are_written_as_sparql_terms(tmp_path):
    query = query_file(
        tmp_path,
        "SELECT ?x WHERE { BIND(?text AS ?x) }\nORDER BY ?x\n",
        "# title: T\n# question: Q?\n# param: text | string | - | a | Text.\n# columns: x\n",
    )
    assert 'VALUES (?text) { ("it\'s (#1) ?x") }' in query.bind({"text": "it's (#1) ?x"})
    assert TYPES["string"].render('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert TYPES["iri"].check("service/black-thrive") == ID_BASE + "service/black-thrive"
    assert TYPES["iri"].render("http://example.org/x") == "<http://example.org/x>"


def test_a_missing_an_unknown_or_an_ill_typed_parameter_is_an_error(tmp_path):
    query = query_file(
        tmp_path,
        "SELECT ?n WHERE { BIND(?n AS ?m) }\nORDER BY ?n\n",
        "# title: T\n# question: Q?\n# param: n | integer | - | 3 | A number.\n# columns: n\n",
    )
    with pytest.raises(QueryError, match=r"needs parameter 'n' .*--param n=3"):
        query.bind()
    with pytest.raises(QueryError, match="has no parameter 'm'"):
        query.bind({"n": "1", "m": "2"})
    with pytest.raises(QueryError, match="'x' is not a whole number"):
        query.bind({"n": "x"})
    assert "VALUES (?n) { (7) }" in query.bind({"n": "+007"})


def test_a_bound_value_cannot_change_what_the_query_returns(embedded):
    # The text is bound as data: no label contains it, so nothing is found.
    result = answer(embedded, "search-labels", {"text": "x) UNION (?s ?p ?o . #"})
    assert result.rows == []


# Every ready-made query gives the expected answer (embedded store)


def test_acts_and_provisions(embedded):
    # Table 1, seed lines 76-122 and 149-196; links at lines 132-140 and 198-202. The
    # Equality Act 2006 is named only inside the Mental Health Act's quote (line 104).
    assert rows(
        embedded, "acts-and-provisions", columns=["label", "year", "citation", "provisions"]
    ) == [
        ("Mental Health Act 1983", "1983", "ukpga/1983/20", 2),
        ("Human Rights Act 1998", "1998", "ukpga/1998/42", 7),
        ("Mental Capacity Act 2005", "2005", "ukpga/2005/9", 1),
        ("Equality Act 2006", "2006", "ukpga/2006/3", 0),
        ("Equality Act 2010", "2010", "ukpga/2010/15", 3),
        ("Health and Social Care Act 2012", "2012", "ukpga/2012/7", 17),
    ]
    cited_in = dict(rows(embedded, "acts-and-provisions", columns=["label", "cited_in"]))
    assert cited_in["Equality Act 2006"].startswith("Table 1: Key legislation")
    assert cited_in["Equality Act 2010"] is None


def test_provisions_of_act(embedded):
    # Seed lines 86-97, in the order the table prints them.
    assert rows(
        embedded, "provisions-of-act", columns=["section", "number", "holder", "title"]
    ) == [
        ("4", "4", "Secretary of State", None),
        ("4", "1C", "Secretary of State", "Duty as to reducing inequalities"),
        ("23", "23", "the Board", None),
        ("23", "13G", "the Board", "Duty as to reducing inequalities"),
        ("23", "13N", "the Board", "Duty as to promoting integration"),
        ("26", "26", "Commissioning Groups", None),
        ("26", "14T", "Commissioning Groups", "Duties as to reducing inequalities"),
        ("26", "14Z1", "Commissioning Groups", "Duty as to promoting integration"),
        ("62", "62", "Monitor", None),
        ("62", "4b", "Monitor", None),
        ("62", "4c", "Monitor", None),
        ("62", "5b", "Monitor", None),
        ("62", "5c", "Monitor", None),
        ("175", "175", "NHS trusts", None),
        ("175", "3a", "NHS trusts", None),
        ("175", "3b", "NHS trusts", None),
        ("175", "4b", "NHS trusts", None),
    ]
    # Human Rights Act articles, seed lines 154-191.
    act = {"act": "legislation/human-rights-act-1998"}
    assert rows(embedded, "provisions-of-act", act, ["number", "kind", "title"]) == [
        ("2", "article", "Right to life"),
        ("3", "article", "Prohibition of torture"),
        ("5", "article", "Right to liberty and security"),
        ("7", "article", "No punishment without law"),
        ("8", "article", "Right to respect for private and family life"),
        ("9", "article", "Freedom of thought, conscience and religion"),
        ("14", "article", "Prohibition of discrimination"),
    ]


def test_duties_by_body(embedded):
    # Only the Health and Social Care Act rows name a duty holder (seed lines 86-97).
    found = rows(embedded, "duties-by-body", columns=["holder", "act"])
    assert Counter(found) == {
        ("Commissioning Groups", "Health and Social Care Act 2012"): 3,
        ("Monitor", "Health and Social Care Act 2012"): 5,
        ("NHS trusts", "Health and Social Care Act 2012"): 4,
        ("Secretary of State", "Health and Social Care Act 2012"): 2,
        ("the Board", "Health and Social Care Act 2012"): 3,
    }
    monitor = {"duty-holder": "duty-holder/monitor"}
    # Section 62 (Monitor): 4b, 4c, 5b, 5c (seed lines 94-95).
    assert column(embedded, "duties-by-body", "number", monitor) == ["4b", "4c", "5b", "5c", "62"]


def test_provisions_mentioning(embedded):
    # "religion": MHA 8.2B(b) quote (seed line 103), HRA Article 9 title and quote
    # (lines 184-188) and Article 14 quote (line 194).
    found = rows(embedded, "provisions-mentioning", columns=["act", "number", "matched_in"])
    assert {(a, n) for a, n, _ in found} == {
        ("Human Rights Act 1998", "14"),
        ("Human Rights Act 1998", "9"),
        ("Mental Health Act 1983", "8. 2B (b)"),
    }
    assert {(n, m) for _, n, m in found} >= {
        ("14", "quote"),
        ("9", "quote"),
        ("9", "title"),
        ("8. 2B (b)", "quote"),
    }
    # "age" as a word, not inside "disadvantage": the Mental Capacity Act's best
    # interests quote, "the person’s age or appearance" (line 120).
    found = rows(embedded, "provisions-mentioning", {"word": "age"}, ["act", "number"])
    assert set(found) == {("Mental Capacity Act 2005", "4")}


@pytest.mark.parametrize(
    "word", ["age", "Sex", "religion or belief", "person's", "health-related", "disab", "ligion"]
)
def test_provisions_mentioning_matches_where_a_word_starts(embedded, graph, word):
    # The query matches at the start of a word without building a pattern from the word;
    # it must find exactly the texts that the pattern (^|\W)word, in any case, finds.
    start = re.compile(r"(^|\W)" + re.escape(word), re.IGNORECASE)
    properties = {DCTERMS.title: "title", AMHE.quote: "quote", DCTERMS.description: "summary"}
    expected = {
        (str(provision), kind)
        for provision in graph.subjects(RDF.type, AMHE.LegislativeProvision)
        for prop, kind in properties.items()
        for text in graph.objects(provision, prop)
        if start.search(text)
    }
    result = answer(embedded, "provisions-mentioning", {"word": word})
    found = {(row["provision"].value, row["matched_in"].value) for row in result.rows}
    assert found == expected
    if word == "ligion":
        # Only inside "religion", never at the start of a word.
        assert found == set()
    else:
        assert found


def test_key_figures(embedded):
    # Seed lines 40-44 (EIP: £1 -> about £15 over 10 years), 126-130 (£5.5bn a year;
    # £31-33bn lost productivity; £20-32bn lost taxes and welfare), 223-224 (10-20 years).
    assert rows(embedded, "key-figures", columns=["case", "min", "max", "unit", "period"]) == [
        ("economic", Decimal("5.5"), None, "GBP-billion", "P1Y"),
        ("economic", Decimal(31), Decimal(33), "GBP-billion", "P1Y"),
        ("economic", Decimal(20), Decimal(32), "GBP-billion", None),
        ("economic", Decimal(15), Decimal(15), "GBP", "P10Y"),
        ("moral", Decimal(10), Decimal(20), "year", None),
    ]


def test_research_questions(embedded):
    # Questions at seed lines 255-262. Table 4 (lines 426-473): question 1 has 19 printed
    # rows summing to 86, over 19 countries (Austria & Russia is one row, two countries);
    # question 2 has 3 rows, 5 studies; question 3 has 9 rows, 32 studies, 10 countries.
    assert rows(
        embedded, "research-questions", columns=["number", "rows", "studies", "countries"]
    ) == [(1, 19, 86, 19), (2, 3, 5, 3), (3, 9, 32, 10)]
    first = rows(embedded, "research-questions", columns=["question"])[0][0]
    assert first == (
        "What evidence is there on interventions to address or reduce mental health inequalities?"
    )


def test_studies_by_country(embedded):
    found = rows(embedded, "studies-by-country", columns=["printed", "alpha3", "studies"])
    # Seed lines 428-452: 19 printed rows; "Austria & Russia" gives a row per country,
    # "Unclear" names none.
    assert len(found) == 20
    assert found[:8] == [
        ("USA", "USA", 35),
        ("UK", "GBR", 16),
        ("Australia", "AUS", 7),
        ("Ireland", "IRL", 6),
        ("Netherlands", "NLD", 4),
        ("Iran", "IRN", 3),
        ("India", "IND", 2),
        ("Unclear", None, 2),
    ]
    assert ("Austria & Russia", "AUT", 1) in found and ("Austria & Russia", "RUS", 1) in found
    # Question 2, seed lines 456-458.
    assert rows(embedded, "studies-by-country", {"question": "2"}, ["printed", "studies"]) == [
        ("Ireland", 2),
        ("USA", 2),
        ("UK", 1),
    ]
    # Question 3, seed lines 462-473: "Chile & Colombia" is one printed row.
    third = rows(embedded, "studies-by-country", {"question": "3"}, ["printed", "alpha3"])
    assert len(third) == 10
    assert ("Chile & Colombia", "CHL") in third and ("Chile & Colombia", "COL") in third


def test_countries_across_questions(embedded):
    # USA 35+2+8, UK 16+1+10, Ireland 6+2+1, Australia 7+7, Canada 1+2, Colombia 1
    # (question 1) + 1 (Chile & Colombia, question 3): seed lines 428-473.
    assert rows(
        embedded, "countries-across-questions", columns=["alpha2", "questions", "studies"]
    ) == [
        ("US", 3, 45),
        ("GB", 3, 27),
        ("IE", 3, 9),
        ("AU", 2, 14),
        ("CA", 2, 3),
        ("CO", 2, 2),
    ]
    assert column(embedded, "countries-across-questions", "alpha2", {"min-questions": "3"}) == [
        "US",
        "GB",
        "IE",
    ]


def test_intervention_types_with_few_studies(embedded):
    # Table 2, seed lines 286-310; Table 5 rows of each type: EC rows 48-50, IATS 63-66,
    # IAPT 67-71, ELLS 72-74, O 75-76, OHBC 77-78 (seed lines 675-788); none is PRF.
    assert rows(embedded, "intervention-types-with-few-studies") == [
        ("PRF", "Providing reminders and feedback", 0, 0),
        ("O", "Other", 2, 2),
        ("oHBC", "Other – home-based case", 2, 2),
        ("EC", "Engaging the community", 3, 3),
        ("ELLS", "Enhancing language and literacy services (and communication)", 3, 3),
        ("IATS", "Improving access to testing and screening", 4, 4),
        ("IAPT", "Improving access to psychological therapies (IAPT)", 5, 5),
    ]
    assert column(
        embedded, "intervention-types-with-few-studies", "abbreviation", {"max-studies": "0"}
    ) == ["PRF"]


def test_interventions_per_type(embedded):
    # Table 2's stated studies (seed lines 286-310) equal the Table 5 rows of each type:
    # e.g. DET is rows 1-20, 36, 37 and 94; PPS rows 10, 13, 21-37, 73, 79-83, 86, 88-93,
    # 95-97; the three "Other – ..." types are under Other.
    assert rows(
        embedded,
        "interventions-per-type",
        columns=["abbreviation", "broader", "stated_studies", "interventions", "agrees"],
    ) == [
        ("PPS", None, 35, 35, True),
        ("DET", None, 23, 23, True),
        ("RSCT", None, 13, 13, True),
        ("PFIP", None, 12, 12, True),
        ("oCA", "O", 10, 10, True),
        ("oT", "O", 10, 10, True),
        ("IAPT", None, 5, 5, True),
        ("IATS", None, 4, 4, True),
        ("EC", None, 3, 3, True),
        ("ELLS", None, 3, 3, True),
        ("O", None, 2, 2, True),
        ("oHBC", "O", 2, 2, True),
        ("PRF", None, 0, 0, True),
    ]


def test_multi_type_interventions(embedded):
    # Rows printing two or more types in Table 5 (seed lines 503-885).
    found = rows(embedded, "multi-type-interventions", columns=["row", "types"])
    assert [r for r, _ in found] == [
        10, 13, 19, 20, 36, 37, 73, 79, 80, 81, 82, 83, 86,
        88, 89, 90, 91, 92, 93, 94, 95, 96, 97,
    ]  # fmt: skip
    assert dict(found)[37] == 4
    # Only the combined model prints four types: RSCT, OCA, PPS, DET (seed lines 617-626).
    assert rows(embedded, "multi-type-interventions", {"min-types": "3"}) == [
        (
            37,
            "Combined model of primary care with culturally sensitive wellbeing intervention "
            "with interactive training packages",
            4,
        )
    ]


def test_interventions_for_characteristic(embedded):
    # Names that say an age group: "Child-teacher" (seed 487), "Living With Teenagers"
    # (499), "children’s self-efficacy" (604-606), "Elderly" (629-631), "for children and
    # their families" (651-653), "Children’s Health Insurance Program" (690-691).
    assert rows(
        embedded, "interventions-for-characteristic", columns=["row", "target", "type"]
    ) == [
        (4, "Youth", "DET"),
        (8, "Youth", "DET"),
        (35, "Youth", "PPS"),
        (38, "Older adults", "RSCT"),
        (42, "Youth", "RSCT"),
        (52, "Youth", "PFIP"),
    ]
    # "BAME patients" (seed 767-773, ELLS) and "phobic Asian Americans" (804-810, OCA, PPS).
    minority = {"characteristic": "characteristic/race/minority-ethnicity"}
    assert rows(embedded, "interventions-for-characteristic", minority, ["row", "type"]) == [
        (74, "ELLS"),
        (82, "PPS"),
        (82, "oCA"),
    ]


def test_characteristic_study_counts(embedded):
    found = rows(
        embedded,
        "characteristic-study-counts",
        columns=["notation", "table3_studies", "table5_total", "agrees"],
    )
    # Table 3's subtype figures, seed lines 338-424, and Table 5's totals, line 888.
    assert [n for n, *_ in found] == [
        "1a", "1b", "1c", "2a", "3a", "4a", "4b", "5a", "5b", "6a", "6b", "7a",
        "7b", "7c", "8a", "8b", "8c", "9a", "9b", "10a", "10b", "10c", "11a",
    ]  # fmt: skip
    assert [t3 for _, t3, _, _ in found] == [
        27, 5, 4, 3, 3, 1, 4, 5, 2, 23, 7, 3, 6, 3, 61, 1, 3, 8, 4, 1, 1, 3, 10
    ]  # fmt: skip
    assert [t5 for _, _, t5, _ in found] == [
        27, 5, 4, 2, 3, 1, 4, 5, 2, 23, 7, 3, 6, 3, 61, 1, 3, 8, 4, 1, 1, 3, 10
    ]  # fmt: skip
    # Only Religion disagrees: 3 in Table 3 (line 348), 2 in Table 5 (line 888).
    assert [n for n, _, _, agrees in found if not agrees] == ["2a"]


def test_characteristic_coverage(embedded):
    # studies: Table 3 by characteristic (seed lines 346-424). interventions: names that
    # say the group (curated targets, see test_curated_links). services: Appendix 3
    # populations (race: lines 984, 1051, 1557; LGBTQ+: 897; learning disabilities: 1481,
    # 1634; young people: 1268, 1634; homeless: 1119). guidelines: Appendix 10 groups
    # (disability 7, lines 2568-2583; children and young people 14 + 2 "(also ...)" and
    # older adults 5 for age; pregnancy and maternity 3). vignettes: Appendix 7.
    assert rows(embedded, "characteristic-coverage") == [
        ("1", "Race", 36, 4, 3, 0, 1),
        ("2", "Religion", 2, 1, 0, 0, 0),
        ("3", "Sexual orientation and gender reassignment", 3, 1, 1, 0, 1),
        ("4", "Disability", 5, 1, 2, 7, 1),
        ("5", "Sex", 7, 1, 0, 0, 0),
        ("6", "Age", 30, 6, 2, 21, 1),
        ("7", "Pregnancy or maternity", 12, 2, 0, 3, 0),
        ("8", "Socioeconomic status (SES)", 65, 2, 0, 0, 2),
        ("9", "Location", 12, 2, 0, 0, 0),
        ("10", "Specific groups", 5, 1, 1, 0, 0),
        ("11", "Other", 10, 0, 0, 0, 0),
    ]


def test_evidence_gaps(embedded):
    # From the coverage above: few (at most 5) studies for religion (2), sexual
    # orientation (3), disability (5) and specific groups (5); no services or guidance
    # for sex, SES, location and other.
    few_but = "few studies, but services or guidance"
    few_and_no = "few studies, and no services or guidance"
    none = "studies, but no services or guidance"
    assert rows(embedded, "evidence-gaps", columns=["gap", "characteristic", "studies"]) == [
        (few_and_no, "Religion", 2),
        (few_but, "Sexual orientation and gender reassignment", 3),
        (few_but, "Disability", 5),
        (few_but, "Specific groups", 5),
        (none, "Sex", 7),
        (none, "Socioeconomic status (SES)", 65),
        (none, "Location", 12),
        (none, "Other", 10),
    ]
    assert rows(embedded, "evidence-gaps", {"few": "10"}, ["gap", "characteristic"]) == [
        (few_and_no, "Religion"),
        (few_and_no, "Sex"),
        (few_and_no, "Other"),
        (few_but, "Sexual orientation and gender reassignment"),
        (few_but, "Disability"),
        (few_but, "Specific groups"),
        (none, "Socioeconomic status (SES)"),
        (none, "Location"),
    ]


def test_curated_links(embedded):
    # Each a Table 5 name that says its group in words (seed lines 487-841), e.g. row 10
    # "for deaf students" (503-505), row 53 "Urban regeneration of deprived districts"
    # (693-694), row 83 "Religious CBT" (812).
    assert rows(embedded, "curated-links", columns=["row", "target"]) == [
        (4, "Youth"),
        (8, "Youth"),
        (10, "Physical or sensory impairment"),
        (17, "Refugees"),
        (32, "Male"),
        (35, "Youth"),
        (38, "Older adults"),
        (39, "Indigenous communities"),
        (41, "Pregnancy"),
        (42, "Youth"),
        (45, "LGBTQ+"),
        (52, "Youth"),
        (53, "Low SES"),
        (53, "Urban"),
        (55, "Urban"),
        (61, "Low SES"),
        (74, "Minority ethnicity"),
        (82, "Minority ethnicity"),
        (83, "Religion"),
        (85, "Perinatal"),
        (87, "Indigenous communities"),
    ]
    evidence = dict(rows(embedded, "curated-links", columns=["row", "evidence"]))
    assert "for deaf students" in evidence[10]


def test_is_targeted(embedded):
    # "Religious CBT for depression" (seed line 812); nothing names "any other" group.
    assert answer(embedded, "is-targeted").boolean is True
    other = {"characteristic": "characteristic/other"}
    assert answer(embedded, "is-targeted", other).boolean is False


def test_services_for_characteristic(embedded):
    # Black Thrive (seed lines 984-998), Dial House (1051-1066), Nafsiyat (1557-1576).
    found = rows(
        embedded, "services-for-characteristic", columns=["service", "location", "provider"]
    )
    assert found == [
        ("Black Thrive", "Lambeth", None),
        ("Dial House @ Touchstone", "Leeds", "Leeds Survivor-Led Crisis Service"),
        (
            "Nafsiyat Intercultural Therapy Centre",
            "London",
            "Camden and Islington NHS Foundation Trust",
        ),
    ]
    populations = column(embedded, "services-for-characteristic", "population")
    assert populations[0] == "Black residents of African or Caribbean descent"
    # People with learning disabilities: FPLD (lines 1481-1501), Stockport (1634-1656).
    learning = {"characteristic": "characteristic/disability/learning-or-intellectual-disability"}
    assert rows(embedded, "services-for-characteristic", learning, ["service", "provider"]) == [
        ("Foundation for People with Learning Disabilities", "Mental Health Foundation"),
        (
            "Stockport Healthy Young Minds, Learning Disability Team",
            "Pennine Care NHS Foundation Trust",
        ),
    ]


def test_services_in_area(embedded):
    # London (E12000007): "Lambeth, London" (seed 997), "Lambeth and Southwark, London"
    # (1147), "London" (1291, 1576), "National (based in London)" (1500).
    assert rows(embedded, "services-in-area", columns=["service", "location", "national"]) == [
        ("Black Thrive", "Lambeth", False),
        ("Foundation for People with Learning Disabilities", "London", True),
        ("King's Health Partners – Pathway Homeless Team", "Lambeth", False),
        ("King's Health Partners – Pathway Homeless Team", "Southwark", False),
        ("Nafsiyat Intercultural Therapy Centre", "London", False),
        ("Parenting and Child Service", "London", True),
    ]
    # Yorkshire and The Humber (E12000003) contains Leeds: seed lines 920, 1066, 1437.
    assert rows(embedded, "services-in-area", {"gss": "E12000003"}, ["area", "service"]) == [
        ("Yorkshire and The Humber", "Dial House @ Touchstone"),
        ("Yorkshire and The Humber", "Leeds Assertive Outreach Team"),
        ("Yorkshire and The Humber", "Rainbow Alliance"),
    ]


def test_services_per_region(embedded):
    # London 5 and Leeds's region 3, as above. Staffordshire (seed 1252), Lincolnshire
    # (1356) and Stockport (1656) are in the West Midlands, East Midlands and North West,
    # whose GSS codes are not in the verified reference.
    assert rows(embedded, "services-per-region") == [
        ("London", "E12000007", 5),
        ("Yorkshire and The Humber", "E12000003", 3),
        ("East Midlands", None, 1),
        ("North West", None, 1),
        ("West Midlands", None, 1),
    ]


def test_services_by_practice_theme(embedded):
    # "co-production" bullets: seed lines 990, 1057, 1487, 1641.
    assert column(embedded, "services-by-practice-theme", "service") == [
        "Black Thrive",
        "Dial House @ Touchstone",
        "Foundation for People with Learning Disabilities",
        "Stockport Healthy Young Minds, Learning Disability Team",
    ]
    # "community connection": seed lines 901, 991, 1058, 1239, 1563.
    theme = {"theme-key": "community-connection"}
    assert column(embedded, "services-by-practice-theme", "service", theme) == [
        "Black Thrive",
        "Dial House @ Touchstone",
        "Nafsiyat Intercultural Therapy Centre",
        "Rainbow Alliance",
        "South Staffordshire Wellbeing Teams",
    ]


def test_shared_practice_themes(embedded):
    # community connection (5, above), co-production (4, above), multi-agency
    # collaboration (seed 902, 1125, 1418), identifying inequalities (1240, 1344).
    assert rows(embedded, "shared-practice-themes") == [
        ("community connection", 5),
        ("co-production", 4),
        ("multi-agency collaboration", 3),
        ("identifying inequalities", 2),
    ]
    assert column(embedded, "shared-practice-themes", "theme", {"min-services": "4"}) == [
        "community connection",
        "co-production",
    ]


def test_nhs_trusts(embedded):
    # "Provided by:" lines (seed 916, 1140-1145, 1248, 1287, 1353, 1433, 1572, 1652), Black
    # Thrive's partners (1003-1006), and the steering group's trust (2694-2695).
    assert rows(embedded, "nhs-trusts", columns=["ods_code", "role", "service"]) == [
        ("TAF", "provider", "Nafsiyat Intercultural Therapy Centre"),
        ("RP4", "provider", "Parenting and Child Service"),
        ("RJ1", "provider", "King's Health Partners – Pathway Homeless Team"),
        ("RGD", "provider", "Leeds Assertive Outreach Team"),
        ("RGD", "provider", "Rainbow Alliance"),
        ("RP7", "provider", "Steps2Change"),
        ("RRE", "provider", "South Staffordshire Wellbeing Teams"),
        ("RT2", "provider", "Stockport Healthy Young Minds, Learning Disability Team"),
        ("RV5", "partner", "Black Thrive"),
        ("RV5", "provider", "King's Health Partners – Pathway Homeless Team"),
        (None, None, None),
    ]
    assert column(embedded, "nhs-trusts", "trust")[-1] == "South West London and Maudsley NHS FT"


def test_contributors_by_role(embedded):
    found = rows(embedded, "contributors-by-role", columns=["role", "organisation"])
    by_role = {}
    for role, organisation in found:
        by_role.setdefault(role, []).append(organisation)
    # Appendix 11, seed lines 2633-2677.
    assert by_role["development-team"] == ["National Collaborating Centre for Mental Health"]
    assert by_role["nhs-england-team"] == ["NHS England"]
    assert by_role["sharing-and-learning-event"] == [
        "Alzheimer's Society",
        "Black Thrive",
        "Cabinet Office: Race Disparity Unit",
        "Care Quality Commission",
        "Ministry for Housing, Communities and Local Government",
        "Race Equality Foundation",
        "Rethink Mental Illness",
    ]
    # NCCMH staff and a UCL reviewer (2680-2690); the entries from the co-chairs on
    # (2692-2735) name 12 organisations.
    assert by_role["special-acknowledgements"] == [
        "National Collaborating Centre for Mental Health",
        "University College London",
    ]
    assert len(by_role["steering-group"]) == 12
    assert "Royal College of Psychiatrists" in by_role["steering-group"]


def test_initiatives(embedded):
    found = rows(embedded, "initiatives")
    initiatives = Counter(org for org, _ in {(o, i) for o, i, _ in found})
    # Appendix 8, seed lines 2387-2489.
    assert initiatives == {
        "Alzheimer's Society": 1,
        "Black Thrive": 1,
        "Care Quality Commission": 4,
        "Ministry for Housing, Communities and Local Government": 3,
        "Cabinet Office: Race Disparity Unit": 2,
        "Race Equality Foundation": 1,
        "Rethink Mental Illness": 4,
    }
    # The Race Equality Foundation's project partners (lines 2461-2468, its own line aside).
    partners = [p for o, i, p in found if i == "Race Disparities in Mental Health project"]
    assert partners == [
        "Association of Mental Health Providers",
        "Faith Action",
        "Friends, Families and Travellers",
        "LGBTQ+ Partnership",
        "Maternity Action",
        "Men's Health Forum",
        "Nacro",
    ]
    assert ("Rethink Mental Illness", "Ongoing work with NHS England and Public Health England",
            "Public Health England") in found  # fmt: skip


def test_barriers_and_solutions(embedded):
    # Table 6, seed lines 1706-1854: solutions per row.
    found = rows(embedded, "barriers-and-solutions", columns=["row", "barrier"])
    assert len(found) == 37
    per_row = Counter(row for row, _ in found)
    assert [per_row[r] for r in range(1, 22)] == [
        2, 1, 1, 3, 1, 1, 1, 1, 4, 1, 2, 2, 2, 2, 2, 1, 1, 2, 2, 2, 3
    ]  # fmt: skip
    assert found[0] == (1, "Engagement of targeted group(s)")
    # Table 8, seed lines 2086-2150.
    found = rows(embedded, "barriers-and-solutions", {"table": "table-8"}, ["row", "solution"])
    per_row = Counter(row for row, _ in found)
    assert [per_row[r] for r in range(1, 12)] == [2, 3, 3, 2, 1, 3, 3, 1, 2, 3, 1]
    assert (8, "Encourage a greater role for advocates") in found


def test_solutions_for_several_barriers(embedded):
    # "Awareness, campaigning and education" is printed under self-stigma (seed line 1844)
    # and institutional racism (line 1854); no other solution is printed twice.
    columns = ["solution", "barriers", "row", "co_production"]
    assert rows(embedded, "solutions-for-several-barriers", columns=columns) == [
        ("Awareness, campaigning and education", 2, 19, False),
        ("Awareness, campaigning and education", 2, 21, False),
    ]
    # With one barrier or more, every pairing of Tables 6 and 8: 37 + 24.
    every = rows(
        embedded, "solutions-for-several-barriers", {"min-barriers": "1"}, ["co_production"]
    )
    assert Counter(every) == {(False,): 37, (True,): 24}


def test_vignette_barriers_and_solutions(embedded):
    found = rows(embedded, "vignette-barriers-and-solutions", columns=["vignette", "barrier"])
    # Benny's belief that low mood is normal at his age (seed 2164-2166), Lia's language
    # gap (Appendix 7), Danny's physical symptoms put down to her diagnosis, Claudia's
    # fear of a male ward, John's GP appointments; the solutions are Table 6's.
    assert Counter(found) == {
        ("Benny", "One’s own attitudes to mental health/ self-stigma"): 2,
        ("Lia", "Language"): 2,
        (
            "Danny",
            "Diagnostic overshadowing with comorbidities e.g. learning disabilities or "
            "physical health problems",
        ): 4,
        ("Claudia", "Issues around male/female wards when considering gender identity"): 2,
        ("John", "Access to GPs"): 1,
        ("John", "Resources at GP practices – lack of capacity to meet patient needs"): 1,
    }


def test_vignettes_and_characteristics(embedded):
    assert rows(
        embedded,
        "vignettes-and-characteristics",
        columns=["item", "vignette", "illustrates", "characteristic"],
    ) == [
        (1, "Benny", "Older adults", "Age"),
        (2, "Lia", "Minority ethnicity", "Race"),
        (3, "Danny", None, None),
        (4, "Joshua", "Learning or intellectual disability", "Disability"),
        (5, "Jerome", "Receiving benefits/welfare", "Socioeconomic status (SES)"),
        (6, "Claudia", "LGBTQ+", "Sexual orientation and gender reassignment"),
        (7, "John", "Low SES", "Socioeconomic status (SES)"),
    ]


def test_ladder_of_co_production(embedded):
    # Figure 1, seed lines 1921-1950.
    assert rows(embedded, "ladder-of-co-production") == [
        (7, "Co-production", "Doing with", "in an equal and reciprocal partnership"),
        (6, "Co-design", "Doing with", "in an equal and reciprocal partnership"),
        (5, "Engagement", "Doing for", "engaging and involving people"),
        (4, "Consultation", "Doing for", "engaging and involving people"),
        (3, "Informing", "Doing for", "engaging and involving people"),
        (2, "Educating", "Doing to", "trying to fix people who are passive recipients of service"),
        (1, "Coercion", "Doing to", "trying to fix people who are passive recipients of service"),
    ]


def test_co_production_actions(embedded):
    # Table 7, seed lines 1961-2043: 5, 6, 4 and 4 bullets.
    stages = Counter(rows(embedded, "co-production-actions", columns=["stage", "stage_label"]))
    assert stages == {
        (1, "Identifying inequalities"): 5,
        (2, "Generating ideas and problem solving"): 6,
        (3, "Tackling inequalities; implementing change"): 4,
        (4, "Evaluating and improving services"): 4,
    }
    # Stage 3, seed lines 2007-2021.
    third = column(embedded, "co-production-actions", "action", {"stage": "3"})
    starts = [
        "Co-develop the strategy with meaningful input from stakeholders",
        "Consult people with lived experience on methods and delivery of community outreach",
        "Involve people with lived experience in implementation, roll-out and piloting",
        "Make sensible use of existing resources, including the VCSE sector",
    ]
    assert len(third) == len(starts)
    assert all(a.startswith(b) for a, b in zip(third, starts, strict=True))


def test_restrictive_practices(embedded):
    # Appendix 9, seed lines 2506-2526.
    found = rows(embedded, "restrictive-practices")
    assert [p for p, _ in found] == ["Physical restraint", "Rapid tranquilisation", "Seclusion"]
    assert found[0][1].startswith("Any direct physical contact where the intention")
    assert found[2][1].endswith("likely to cause harm to others.")


def test_guidelines_for_population_group(embedded):
    # Seed lines 2538-2559, then the two autism guidelines "(also children and young
    # people)" at lines 2570-2575.
    assert column(embedded, "guidelines-for-population-group", "code") == [
        "PH7", "CG158", "NG76", "CG89", "NG26", "CG28", "NG61", "NG55",
        "PH28", "CG155", "PH40", "PH12", "PH20", "NG43", "CG128", "CG170",
    ]  # fmt: skip
    urls = column(embedded, "guidelines-for-population-group", "url")
    assert urls[0] == "https://www.nice.org.uk/guidance/ph7"
    # Older adults, seed lines 2617-2622.
    older = {"group": "older-adults"}
    assert column(embedded, "guidelines-for-population-group", "code", older) == [
        "NG97",
        "NG16",
        "NG21",
        "NG22",
        "NG32",
    ]


def test_guidelines_for_characteristic(embedded):
    # The Disability group, seed lines 2568-2583.
    assert rows(embedded, "guidelines-for-characteristic", columns=["code", "group"]) == [
        ("CG142", "Disability"),
        ("CG128", "Disability"),
        ("CG170", "Disability"),
        ("NG96", "Disability"),
        ("NG11", "Disability"),
        ("NG93", "Disability"),
        ("NG54", "Disability"),
    ]
    # Age: children and young people (16) and older adults (5).
    age = rows(embedded, "guidelines-for-characteristic", {"characteristic": "characteristic/age"})
    assert len(age) == 21
    assert Counter(r[3] for r in age) == {"Children and young people": 16, "Older adults": 5}


def test_guideline(embedded):
    # Seed lines 2534-2535 and 2585.
    assert rows(embedded, "guideline", {"code": "ng44"}) == [
        (
            "NG44",
            "Community engagement: improving health and wellbeing and reducing health inequalities",
            "Highly relevant",
            "https://www.nice.org.uk/guidance/ng44",
            1,
        )
    ]
    # CG128, seed lines 2570-2573: under Disability, "also children and young people".
    assert column(embedded, "guideline", "group", {"code": "CG128"}) == [
        "Children and young people",
        "Disability",
    ]


def test_helpful_resources_on_topic(embedded):
    # "Older people", seed lines 2762-2771, links at 2797-2802.
    assert rows(embedded, "helpful-resources-on-topic", columns=["title", "publisher", "url"]) == [
        (
            "Guidance for Commissioners of Older People’s Mental Health Services",
            "Joint Commissioning Panel for Mental Health",
            "https://www.jcpmh.info/good-services/older-peoples-services/",
        ),
        (
            "Hidden in Plain Sight: The Unmet Mental Health Needs of Older People",
            "Age UK",
            "https://www.ageuk.org.uk/Documents/EN-GB/For-professionals/Policy/health-and-wellbeing/"
            "Hidden_in_plain_sight_older_peoples_mental_health.pdf?dtrk=true",
        ),
        (
            "Mental Health in Older People: A Practice Primer",
            "NHS England and NHS Improvement",
            "https://www.england.nhs.uk/wp-content/uploads/2017/09/practice-primer.pdf",
        ),
    ]
    # "Learning disabilities", seed lines 2808-2820.
    topic = {"topic": "learning-disabilities"}
    assert column(embedded, "helpful-resources-on-topic", "publisher", topic) == [
        "Joint Commissioning Panel for Mental Health",
        "Foundation for People with Learning Disabilities",
        "Foundation for People with Learning Disabilities",
    ]


def test_abbreviations(embedded):
    # Seed lines 2985-3004.
    found = rows(embedded, "abbreviations")
    assert [t for t, _, _ in found] == [
        "5YFVMH", "AMHE", "ATAPS", "BAME", "CAMHS", "CBT", "CCG", "COPD", "CQC", "CQUIN",
        "EIP", "EUPD", "IAPT", "LGBTQ+", "LSLCS", "NCCMH", "NICE", "PREM", "UCL", "VCSE",
    ]  # fmt: skip
    named = {t: n for t, _, n in found if n}
    assert named == {
        "CQC": "id:organisation/care-quality-commission",
        "IAPT": "id:intervention-type/iapt",
        "LGBTQ+": "id:characteristic/sexual-orientation-and-gender-reassignment/lgbtq",
        "LSLCS": "id:organisation/leeds-survivor-led-crisis-service",
        "NCCMH": "id:organisation/national-collaborating-centre-for-mental-health",
        "NICE": "id:organisation/national-institute-for-health-and-care-excellence",
        "UCL": "id:organisation/university-college-london",
    }
    assert found[0][1] == "The Five Year Forward View for Mental Health"


def test_concept_schemes(embedded):
    # Table 3 (11 + 23), Table 2 (13, three "Other – ..."), 27 distinct "Demonstrates
    # positive practice in" bullets, 5 duty holders, Figure 1 (3 groups, 7 rungs),
    # Appendix 9 (3), Appendix 10 groups (6), 13 resource topics, 20 abbreviations, and the
    # cubes' two units (studies, interventions).
    columns = ["scheme", "concepts", "top_concepts", "broader_links"]
    assert rows(embedded, "concept-schemes", columns=columns) == [
        ("id:scheme/glossary", 20, 20, 0),
        ("id:scheme/duty-holders", 5, 5, 0),
        ("id:scheme/characteristics", 34, 11, 23),
        ("id:scheme/resource-topics", 13, 13, 0),
        ("id:scheme/intervention-types", 13, 10, 3),
        ("id:scheme/population-groups", 6, 6, 0),
        ("id:scheme/practice-themes", 27, 27, 0),
        ("id:scheme/restrictive-practices", 3, 3, 0),
        ("id:scheme/co-production-ladder", 10, 3, 7),
        ("id:scheme/units", 2, 2, 0),
    ]  # fmt: skip


def test_where_from(embedded):
    # "VitalSign 687" is row 66 of Table 5 (seed line 730).
    found = rows(
        embedded, "where-from", columns=["label", "part", "row", "first_line", "last_line"]
    )
    assert found == [
        (
            "VitalSign 6",
            "Table 5: Intervention types aimed at populations possessing specific characteristics",
            66,
            476,
            891,
        )
    ]
    assert "VitalSign 687" in column(embedded, "where-from", "note")[0]
    # A solution printed under two barriers (seed lines 1844, 1854).
    solution = {"resource": "solution/awareness-campaigning-and-education"}
    assert column(embedded, "where-from", "row", solution) == [19, 21]


def test_document_parts(embedded):
    found = rows(embedded, "document-parts", columns=["part", "kind", "first_line", "resources"])
    assert len(found) == 22
    assert Counter(kind for _, kind, _, _ in found) == {"appendix": 13, "table": 8, "figure": 1}
    by_part = {part.split(":")[0]: (first, n) for part, _, first, n in found}
    # Table 2: 13 types, its concept scheme, and its cube (13 observations, the data set,
    # its structure and 4 component specifications). Table 5: 97 rows (the last numbered
    # 123 in references, seed line 881), 21 curated links, and the cubes made from it.
    # Appendix 10: 32 guidelines, 6 groups and its scheme.
    assert by_part["Table 2"] == (281, 33)
    assert by_part["Table 5"] == (476, 224)
    assert by_part["Appendix 10"] == (2531, 39)
    assert found[0][0] == "Appendix 1: The case for change"


def test_source_document(embedded):
    assert rows(embedded, "source-document", columns=["publisher", "place", "issued", "parts"]) == [
        ("National Collaborating Centre for Mental Health", "London", "2019", 22)
    ]
    title = column(embedded, "source-document", "title")[0]
    assert title.startswith("Advancing Mental Health Equality: Steps and Guidance")


def test_search_labels(embedded):
    # "dementia": Table 6 row 14 (seed 1803), NG97 and NG16 (2618-2619), a helpful
    # resource (2742) and the Alzheimer's Society's initiative (2387-2388).
    assert rows(embedded, "search-labels", columns=["class", "resource"]) == [
        ("amhe:Barrier", "id:barrier/older-peoples-mental-health-focuses-on-dementia"),
        ("amhe:Guideline", "id:guideline/ng97"),
        ("amhe:Guideline", "id:guideline/ng16"),
        ("amhe:HelpfulResource", "id:resource/dementia-and-bame-communities"),
        ("amhe:Initiative", "id:initiative/bring-dementia-out"),
    ]
    # "peer support": seed lines 1737 (barrier and its solution) and 1488-1490 (theme).
    found = column(embedded, "search-labels", "class", {"text": "Peer Support"})
    assert found == ["amhe:Barrier", "amhe:PracticeTheme", "amhe:Solution"]


def triples(result: Result) -> set[tuple]:
    return {tuple(plain(t) for t in triple) for triple in result.triples}


def test_describe_service(embedded):
    result = answer(embedded, "describe-service")
    found = triples(result)
    assert {s for s, _, _ in found} == {"id:service/black-thrive"}
    # Black Thrive, seed lines 971-1038: partners at 1003-1006, no "Provided by:".
    partners = {o for _, p, o in found if p == "amhe:partner"}
    assert partners == {
        "id:organisation/nhs-lambeth-clinical-commissioning-group",
        "id:organisation/metropolitan-police",
        "id:organisation/healthwatch-lambeth",
        "id:organisation/lambeth-council",
        "id:organisation/south-london-and-maudsley-nhs-foundation-trust",
    }
    assert not any(p == "amhe:providedBy" for _, p, _ in found)
    assert ("id:service/black-thrive", "amhe:location", "id:place/lambeth") in found
    assert len({o for _, p, o in found if p == "amhe:practiceTheme"}) == 4


def test_service_profile(embedded):
    found = triples(answer(embedded, "service-profile"))
    # King's Health Partners – Pathway Homeless Team, seed lines 1106-1189: two providers,
    # Lambeth and Southwark in London in England, three themes, homeless people.
    assert {s for s, _, _ in found} == {
        "id:service/kings-health-partners-pathway-homeless-team",
        "id:organisation/guys-and-st-thomas-nhs-foundation-trust",
        "id:organisation/south-london-and-maudsley-nhs-foundation-trust",
        "id:place/lambeth",
        "id:place/southwark",
        "id:place/london",
        "id:place/england",
        "id:practice-theme/multi-agency-collaboration",
        "id:practice-theme/advocacy",
        "id:practice-theme/improved-housing-outcomes",
        "id:characteristic/specific-groups/homeless",
        "id:characteristic/specific-groups",
        "id:source/appendix-3/item/4",
        "id:source/appendix-3",
    }
    assert {
        ("id:organisation/guys-and-st-thomas-nhs-foundation-trust", "amhe:odsCode", "RJ1"),
        ("id:place/southwark", "amhe:within", "id:place/london"),
        ("id:place/london", "amhe:gssCode", "E12000007"),
        (
            "id:characteristic/specific-groups/homeless",
            "skos:broader",
            "id:characteristic/specific-groups",
        ),
        ("id:source/appendix-3/item/4", "dcterms:isPartOf", "id:source/appendix-3"),
        ("id:source/appendix-3", "amhe:firstLine", 892),
    } <= found  # fmt: skip
    outcomes = [o for _, p, o in found if p == "amhe:reportedOutcome"]
    assert len(outcomes) == 2 and any("70%" in o for o in outcomes)


# The same answers on every engine


ALL_PARAMS = [pytest.param(q, {}, id=f"{q.name}-defaults") for q in QUERIES] + [
    pytest.param(q, {p.name: p.example for p in q.params}, id=f"{q.name}-examples")
    for q in QUERIES
    if q.params
]


@pytest.mark.parametrize(("query", "params"), ALL_PARAMS)
def test_embedded_oxigraph_and_rdflib_agree(embedded, in_rdflib, query, params):
    expected = normalised(run(query, params, embedded))
    assert normalised(run(query, params, in_rdflib)) == expected


@pytest.mark.slow
@pytest.mark.parametrize(("query", "params"), ALL_PARAMS)
def test_embedded_store_and_endpoint_agree(embedded, endpoint_url, query, params):
    expected = normalised(run(query, params, embedded))
    assert normalised(run(query, params, Endpoint(endpoint_url))) == expected


# The W3C result formats read back as the same answer


@pytest.mark.parametrize("name", ["key-figures", "nhs-trusts", "where-from", "is-targeted"])
def test_result_formats_parse_back_with_a_w3c_parser(embedded, name):
    result = answer(embedded, name)
    formats = pyoxigraph.QueryResultsFormat
    for writer, fmt in ((to_json, formats.JSON), (to_tsv, formats.TSV)):
        parsed = pyoxigraph.parse_query_results(writer(result).encode(), format=fmt)
        if result.form == "ASK":
            assert bool(parsed) is result.boolean
            continue
        assert [v.value for v in parsed.variables] == result.variables
        back = [{v.value: s[v] for v in parsed.variables if s[v] is not None} for s in parsed]
        assert len(back) == len(result.rows)
        for original, read in zip(result.rows, back, strict=True):
            assert set(original) == set(read)
            for name_, term in original.items():
                assert read[name_].value == term.value
    if result.form == "SELECT":
        # CSV is lossy (no W3C parser reads it back to terms): compare values.
        text = to_csv(result)
        assert text.endswith("\r\n")
        read = list(csv.reader(io.StringIO(text, newline="")))
        assert read[0] == result.variables
        assert read[1:] == [
            [r[v].value if v in r else "" for v in result.variables] for r in result.rows
        ]


def test_tsv_writes_terms_in_sparql_syntax():
    result = Result.select(
        ["a", "b", "c"],
        [
            {
                "a": Term.uri("http://example.org/x"),
                "b": Term.literal('say "hi"\tnow', lang="EN"),
                "c": Term.literal("7", XSD + "integer"),
            },
            {"a": Term.literal("31", XSD + "decimal")},
        ],
    )
    assert to_tsv(result) == (
        "?a\t?b\t?c\n"
        '<http://example.org/x>\t"say \\"hi\\"\\tnow"@en\t7\n'
        '"31"^^<http://www.w3.org/2001/XMLSchema#decimal>\t\t\n'
    )
    assert to_csv(result).splitlines()[1] == 'http://example.org/x,"say ""hi""\tnow",7'


def test_provisions_by_legislation_iri(embedded):
    # Table 1, seed lines 77-80: the Equality Act 2010 rows cite sections 13, 20 and 149.
    found = rows(embedded, "provisions-by-legislation-iri", columns=["number", "legislation_iri"])
    section = "http://www.legislation.gov.uk/id/ukpga/2010/15/section/"
    assert found == [("13", section + "13"), ("20", section + "20"), ("149", section + "149")]
    # The Health and Social Care Act 2012 (seed lines 82-97): 5 sections and 12 items under
    # them; only the 5 sections are linked (the items are sections of the NHS Act 2006 or
    # subsections).
    act = {"legislation": "http://www.legislation.gov.uk/id/ukpga/2012/7"}
    linked = [
        iri
        for iri in column(embedded, "provisions-by-legislation-iri", "legislation_iri", act)
        if iri
    ]
    assert len(column(embedded, "provisions-by-legislation-iri", "number", act)) == 17
    assert [iri.rsplit("/", 1)[-1] for iri in linked] == ["4", "23", "26", "62", "175"]


def test_studies_by_country_code(embedded):
    # Table 4, seed lines 426-472: the UK has 16, 1 and 10 studies for the three questions.
    found = rows(embedded, "studies-by-country-code", {"code": "GBR"}, ["question", "studies"])
    assert found == [(1, 16), (2, 1), (3, 10)]
    # A joint row counts for each of its countries; a country with no verified authority IRI
    # is still found by its code.
    assert rows(embedded, "studies-by-country-code", {"code": "ru"}, ["printed", "studies"]) == [
        ("Austria & Russia", 1)
    ]
    assert column(embedded, "studies-by-country-code", "authority", {"code": "KE"}) == [None]
