"""`amhe-kg serve`: content negotiation, pages, the SPARQL endpoint and its limits."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from starlette.testclient import TestClient

from amhe_kg import query as query_module
from amhe_kg.serve import create_app, gallery_queries, negotiate

from .conftest import AMHE, ID

MEDIA = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
INSTANCE = ID["service/black-thrive"]
CONCEPT = ID["characteristic/race"]


@pytest.fixture(scope="module")
def client(out_dir):
    app = create_app(out_dir, timeout=5)
    with TestClient(app) as test_client:
        yield test_client


def parse(response, media: str) -> Graph:
    graph = Graph()
    graph.parse(data=response.content, format=MEDIA[media])
    return graph


@pytest.mark.parametrize("iri", [INSTANCE, CONCEPT], ids=["instance", "concept"])
@pytest.mark.parametrize("media", list(MEDIA))
def test_resource_303_then_rdf_with_its_triples(client, graph, iri, media):
    path = "/" + str(iri)[len("https://w3id.org/amhe/") :]
    first = client.get(path, headers={"Accept": media}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["vary"] == "Accept"
    location = first.headers["location"]
    answer = client.get(location)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media)
    assert answer.headers["x-content-type-options"] == "nosniff"
    returned = parse(answer, media)
    for triple in graph.triples((URIRef(iri), None, None)):
        assert triple in returned


@pytest.mark.parametrize("iri", [INSTANCE, CONCEPT], ids=["instance", "concept"])
def test_resource_html_for_people(client, iri):
    path = "/" + str(iri)[len("https://w3id.org/amhe/") :]
    first = client.get(path, headers={"Accept": "text/html,*/*;q=0.8"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == path + ".html"
    page = client.get(first.headers["location"])
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<h1>" in page.text and "Where it came from" in page.text


def test_resource_page_shows_links_both_ways_source_and_identifiers(client):
    page = client.get("/id/service/black-thrive.html").text
    assert "<h1>Black Thrive</h1>" in page
    assert 'href="/class/amhe-Service"' in page
    assert 'href="/id/place/lambeth"' in page  # outgoing
    assert "Linked from" in page
    assert 'href="/id/source/appendix-3/item/2"' in page  # provenance
    act = client.get("/id/legislation/equality-act-2010.html").text
    assert "http://www.legislation.gov.uk/id/ukpga/2010/15" in act  # external identifier
    assert 'rel="external"' in act


@pytest.mark.parametrize("media", list(MEDIA))
def test_ontology_and_term_direct_with_vary_and_content_location(client, media):
    answer = client.get("/ontology", headers={"Accept": media}, follow_redirects=False)
    assert answer.status_code == 200
    assert answer.headers["vary"] == "Accept"
    assert answer.headers["content-location"].startswith("/ontology.")
    returned = parse(answer, media)
    assert (AMHE.Service, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in returned


def test_ontology_html_has_an_entry_per_term(client):
    answer = client.get("/ontology", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert answer.headers["content-location"] == "/ontology.html"
    assert 'id="Service"' in answer.text
    # Its inline style block is allowed by hash, nothing else inline.
    assert "style-src 'self' 'sha256-" in answer.headers["content-security-policy"]
    assert "unsafe-inline" not in answer.headers["content-security-policy"]


def test_406_and_404(client):
    assert client.get("/id/service/black-thrive", headers={"Accept": "image/png"}).status_code == (
        406
    )
    assert client.get("/ontology", headers={"Accept": "image/png"}).status_code == 406
    missing = client.get("/id/service/no-such-service", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert "home page" in missing.text and "text/html" in missing.headers["content-type"]
    assert client.get("/id/service/no-such-service.ttl").status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_no_traversal_and_no_listing(client):
    assert client.get("/download/%2e%2e%2fpyproject.toml").status_code == 404
    assert client.get("/download/").status_code == 404
    assert client.get("/static/..%2f..%2fserve.py").status_code == 404
    assert client.get("/download/amhe.nt").status_code == 200


def test_landing_page_links_downloads_docs_validation_and_gallery(client):
    page = client.get("/").text
    for href in (
        "/download/amhe.ttl",
        "/download/validation.ttl",
        "/ontology",
        "/queries",
        "/.well-known/void",
        "/sparql",
        "/class/amhe-Service",
    ):
        assert f'href="{href}"' in page
    gallery = client.get("/queries").text
    assert 'id="q-acts-and-provisions"' in gallery and "gallery.js" in gallery


@pytest.mark.parametrize(
    "path", ["/", "/queries", "/id/service/black-thrive.html", "/class/amhe-Service"]
)
def test_every_link_on_a_page_answers(client, path):
    page = client.get(path, headers={"Accept": "text/html"}).text
    local = sorted({h for h in re.findall(r'(?:href|src)="(/[^"#]*)', page)})
    assert local
    broken = [h for h in local if client.get(html.unescape(h)).status_code != 200]
    assert broken == []


def test_ontology_page_links_answer(client):
    page = client.get("/ontology.html").text
    for href in ("../ontology.ttl", "alignments.mmd", "relations.mmd"):
        assert f'href="{href}"' in page
        assert client.get(urljoin("/ontology.html", href)).status_code == 200


def test_html_escapes_the_requested_path(client):
    page = client.get("/id/<script>alert(1)</script>").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_void_served_at_well_known(client, graph):
    answer = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.headers["vary"] == "Accept"
    void = Graph().parse(data=answer.text, format="turtle")
    void_ns = "http://rdfs.org/ns/void#"
    triples = void.value(ID["dataset"], URIRef(void_ns + "triples"))
    assert int(triples) == len(graph)
    dataset_iri = client.get("/id/dataset", headers={"Accept": "text/turtle"})
    assert dataset_iri.status_code == 200 and dataset_iri.url.path == "/id/dataset.ttl"
    described = Graph().parse(data=dataset_iri.text, format="turtle")
    assert (ID["dataset"], RDF.type, URIRef(void_ns + "Dataset")) in described
    assert "<h1>Advancing Mental Health Equality knowledge graph</h1>" in (
        client.get("/id/dataset.html").text
    )


def test_negotiate_prefers_quality_then_order():
    offers = ["text/html", "text/turtle"]
    assert negotiate(None, offers) == "text/html"
    assert negotiate("text/turtle;q=0.9, text/html;q=0.5", offers) == "text/turtle"
    assert negotiate("*/*", offers) == "text/html"
    assert negotiate("text/*;q=0.2, text/turtle", offers) == "text/turtle"
    assert negotiate("image/png", offers) is None


def _cli_answer(out_dir, name, text_form):
    params = []
    for q, _ in gallery_queries():
        if q.name == name:
            params = [f"{p.name}={p.example}" for p in q.params if p.default == "-"]
    args = [name, "--graph", str(out_dir / "amhe.nt"), "--format"]
    args.append("ntriples" if text_form in ("CONSTRUCT", "DESCRIBE") else "json")
    for pair in params:
        args += ["-p", pair]
    result = CliRunner().invoke(query_module.command, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", [q.name for q, _ in gallery_queries()])
def test_endpoint_answers_each_ready_made_query_as_the_cli(client, out_dir, name):
    query, text = next((q, t) for q, t in gallery_queries() if q.name == name)
    expected = _cli_answer(out_dir, name, query.form)
    if query.form in ("CONSTRUCT", "DESCRIBE"):
        answer = client.get(
            "/sparql", params={"query": text}, headers={"Accept": "application/n-triples"}
        )
        assert answer.status_code == 200
        assert set(answer.text.splitlines()) == set(expected.splitlines())
        return
    answer = client.post(
        "/sparql",
        content=text.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert json.loads(answer.text) == json.loads(expected)


def test_endpoint_result_formats(client):
    text = "SELECT ?s WHERE { ?s a <https://w3id.org/amhe/ontology#Service> } ORDER BY ?s"
    form = client.post("/sparql", data={"query": text}, headers={"Accept": "text/csv"})
    assert form.status_code == 200 and form.text.startswith("s\r\n")
    assert len(form.text.splitlines()) == 12
    tsv = client.get(
        "/sparql", params={"query": text}, headers={"Accept": "text/tab-separated-values"}
    )
    assert tsv.text.startswith("?s\n<https://w3id.org/amhe/id/service/")
    xml = client.get(
        "/sparql", params={"query": text}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    assert xml.text.count("<result>") == 11
    construct = client.get(
        "/sparql",
        params={"query": "CONSTRUCT WHERE { ?s a <https://w3id.org/amhe/ontology#Service> }"},
        headers={"Accept": "text/turtle"},
    )
    assert len(Graph().parse(data=construct.text, format="turtle")) == 11
    ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert json.loads(ask.text)["boolean"] is True
    assert client.get("/sparql", params={"query": "SELECT nonsense"}).status_code == 400
    no_query = client.get("/sparql", headers={"Accept": "application/sparql-results+json"})
    assert no_query.status_code == 400
    help_page = client.get("/sparql", headers={"Accept": "text/html"})
    assert help_page.status_code == 200 and "SPARQL 1.1 Protocol" in help_page.text
    assert (
        client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    ).status_code == 406
    preflight = client.options("/sparql")
    assert preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "GET", "params": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": {"update": "CLEAR ALL"}},
        {
            "method": "POST",
            "content": b"DROP ALL",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"method": "GET", "params": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
    ],
    ids=["get-update", "form-update", "direct-update", "update-as-query"],
)
def test_updates_are_refused(client, request_kwargs):
    method = request_kwargs.pop("method")
    answer = client.request(method, "/sparql", **request_kwargs)
    assert answer.status_code == 403
    assert "read-only" in answer.text
    count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert count.status_code == 200


@pytest.mark.slow
def test_query_over_the_time_limit_is_stopped(out_dir):
    app = create_app(out_dir, timeout=1)
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with TestClient(app) as test_client:
        answer = test_client.get("/sparql", params={"query": heavy})
        assert answer.status_code == 503
        assert "time limit" in answer.text
        after = test_client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert after.status_code == 200 and json.loads(after.text)["boolean"] is True


# Pages in headless Chromium, with axe-core's accessibility check.

WEB = Path(__file__).parent / "web"
AXE = Path(os.environ.get("AXE_CORE_JS", WEB / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def live_server(out_dir):
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(out_dir, timeout=10), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    if not Path(CHROMIUM).is_file() or shutil.which("chromedriver") is None:
        pytest.skip("Chromium and chromedriver are needed (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("AMHE_TEST_ARTEFACTS", tmp_path_factory.mktemp("artefacts")))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def axe_violations(driver) -> list[dict]:
    """Serious and critical axe-core violations on the page loaded in the driver."""
    if not AXE.is_file():
        pytest.skip(f"axe-core not found at {AXE} (npm ci --prefix tests/web)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations)).catch(e => done([{id: String(e)}]));"
    )
    return [
        {
            "id": v["id"],
            "impact": v.get("impact"),
            "nodes": len(v.get("nodes", [])),
            "first": (v.get("nodes") or [{}])[0].get("html", "")[:120],
        }
        for v in result
        if v.get("impact") in ("serious", "critical") or "impact" not in v
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/id/service/black-thrive.html",
        "/class/amhe-Service",
        "/queries",
        "/id/nothing",
        "/sparql",
        "/ontology",
    ],
)
def test_pages_pass_axe(live_server, browser, path):
    browser.get(live_server + path)
    assert browser.find_element("css selector", "h1").text
    violations = axe_violations(browser)
    assert violations == [], json.dumps(violations)


@pytest.mark.slow
def test_landing_resource_and_gallery_in_chromium(live_server, browser, artefacts, out_dir):
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(live_server + "/")
    assert "knowledge graph" in browser.find_element("css selector", "h1").text
    browser.find_element("css selector", 'a[href="/class/amhe-Service"]').click()
    browser.find_element("partial link text", "Black Thrive").click()
    WebDriverWait(browser, 20).until(expected_conditions.url_contains("black-thrive"))
    assert browser.find_element("css selector", "h1").text == "Black Thrive"
    browser.save_screenshot(str(artefacts / "resource-page.png"))
    assert (artefacts / "resource-page.png").stat().st_size > 10_000

    browser.get(live_server + "/queries")
    section = browser.find_element("id", "q-acts-and-provisions")
    section.find_element("css selector", "button").click()
    table = WebDriverWait(browser, 30).until(
        lambda d: section.find_element("css selector", "table.results")
    )
    headers = [th.text for th in table.find_elements("css selector", "thead th")]
    rows = [
        [td.text for td in tr.find_elements("css selector", "td")]
        for tr in table.find_elements("css selector", "tbody tr")
    ]
    expected = json.loads(_cli_answer(out_dir, "acts-and-provisions", "SELECT"))
    assert headers == expected["head"]["vars"]
    assert len(rows) == len(expected["results"]["bindings"]) == 6
    first = expected["results"]["bindings"][0]
    assert rows[0][headers.index("label")] == first["label"]["value"]
    link = table.find_element("css selector", "tbody tr td a")
    assert link.get_attribute("href") == live_server + "/id/legislation/mental-health-act-1983"
    browser.execute_script("arguments[0].scrollIntoView()", table)
    browser.save_screenshot(str(artefacts / "query-gallery.png"))
    assert axe_violations(browser) == []


def test_serve_without_a_build_exits_2(tmp_path):
    from amhe_kg import serve

    result = CliRunner().invoke(serve.command, ["--out", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "amhe-kg build" in result.output
