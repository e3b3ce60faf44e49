"""`amhe-kg serve`: the built graph as linked data, with a read-only SPARQL endpoint.

Instance IRIs (`/id/...`) answer 303 See Other to a representation chosen by
the Accept header (`.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`); the ontology (a
hash namespace: its terms are `/ontology#Term`) and the dataset description
(`/.well-known/void`) answer directly with `Vary: Accept` and
`Content-Location`. Pages and serialisations are made once and kept in memory
(at most one copy per resource and format).

SPARQL queries run on the embedded Oxigraph store in a pool of worker
processes (`--query-workers`, each holding the graph). Queries wait first come,
first served for a free worker, and the time limit starts when a worker takes
the query; a worker that runs over it, or crashes, is replaced.

Limits: an address (path and query string) over 16 KiB gets 414; request
headers over 32 KiB, 431; a POST body over 1 MiB, or a query over 100,000
characters, 413; brackets nested over 200 deep, 400; an answer over 50,000
rows (or triples) or 16 MiB, 422 with the reason; a query over the time limit,
503; more than 1,000 queries waiting, 503 with Retry-After. Each worker may use
4 GiB of address space; a query needing more stops its worker and gets 400.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
import re
import sys
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import anyio
import click
import h11
import pyoxigraph
from rdflib import Graph, URIRef
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from amhe_kg import charts, dataset
from amhe_kg.docs import DIAGRAMS
from amhe_kg.docs import page as ontology_page
from amhe_kg.export import to_jsonld, to_ntriples, to_turtle
from amhe_kg.namespaces import ID, bind_prefixes
from amhe_kg.options import out_option
from amhe_kg.pages import GALLERY_JS, RDF_FORMATS, STYLE, Linker, Pages, class_path, resource_graph
from amhe_kg.paths import OUTPUT_DIR
from amhe_kg.queryfile import QUERIES_DIR, QueryError, QueryFile, find_queries, query_form
from amhe_kg.results import Result, to_csv, to_json, to_tsv
from amhe_kg.store import QueryProcess, QueryTimeout, oxigraph_term

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML = "text/html"
JSON_RESULTS = "application/sparql-results+json"
RESULT_TYPES = {
    JSON_RESULTS: to_json,
    "application/json": to_json,
    "application/sparql-results+xml": None,
    "application/xml": None,
    "text/csv": to_csv,
    "text/tab-separated-values": to_tsv,
}
RESULT_MEDIA = {
    "application/json": JSON_RESULTS,
    "application/xml": "application/sparql-results+xml",
}
GRAPH_TYPES = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
}
UPDATE_WORDS = re.compile(
    r"\b(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD)\b", re.IGNORECASE
)
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, Content-Type"),
]
BRACKETS = re.compile(r"[(){}\[\]]")
MAX_URL = 16 * 1024
MAX_HEADERS = 32 * 1024
MAX_BODY = 2**20
MAX_QUERY = 100_000
MAX_NESTING = 200
MAX_ROWS = 50_000
MAX_RESULT_BYTES = 16 * 2**20
MAX_WAITING = 1_000
WORKER_MEMORY = 4 * 2**30
TOO_LARGE = (
    f"The answer is larger than this endpoint returns (at most {MAX_ROWS:,} rows or triples, "
    f"{MAX_RESULT_BYTES // 2**20} MiB): add a LIMIT, or download the whole graph from the "
    "home page.\n"
)


def csp_for(page: str) -> str:
    """The Content-Security-Policy for a page, allowing its own inline style blocks by hash."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    ]
    if not hashes:
        return CSP
    return CSP.replace("style-src 'self'", "style-src 'self' " + " ".join(hashes))


def serialise(graph: Graph, ext: str) -> bytes:
    """A graph in one of the RDF syntaxes offered, deterministically where export.py can."""
    if ext == "ttl":
        return to_turtle(graph)
    if ext == "jsonld":
        return to_jsonld(graph)
    if ext == "nt":
        return to_ntriples(graph)
    copy = bind_prefixes(Graph())
    copy += graph
    return copy.serialize(format="xml", encoding="utf-8")


def negotiate(accept: str | None, offers: list[str]) -> str | None:
    """The offered media type the Accept header prefers (ties go to the first offered).

    A q-value that is not a number counts as 0 and one outside 0 to 1 is clamped; the
    first range naming a type counts.
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges: dict[str, float] = {}
    for item in accept.split(","):
        kind, *params = item.split(";")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
                if q != q:  # NaN
                    q = 0.0
        ranges.setdefault(kind.strip().lower(), q)
    best, best_q = None, 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def _quality(offer: str, ranges: dict[str, float]) -> float:
    for pattern in (offer, offer.split("/")[0] + "/*", "*/*"):
        if pattern in ranges:
            return ranges[pattern]
    return 0.0


def nesting(text: str) -> int:
    """How deep the brackets of a text nest (strings and IRIs included: an upper bound)."""
    depth = deepest = 0
    for char in BRACKETS.findall(text):
        if char in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")}]":
            depth -= 1
    return deepest


def sparql_xml(result: Result) -> str:
    """SPARQL 1.1 Query Results XML for SELECT and ASK."""
    ns = "http://www.w3.org/2005/sparql-results#"
    root = ET.Element("sparql", xmlns=ns)
    head = ET.SubElement(root, "head")
    if result.form == "ASK":
        ET.SubElement(root, "boolean").text = str(result.boolean).lower()
    else:
        for v in result.variables:
            ET.SubElement(head, "variable", name=v)
        results = ET.SubElement(root, "results")
        for row in result.rows:
            solution = ET.SubElement(results, "result")
            for name, term in row.items():
                binding = ET.SubElement(solution, "binding", name=name)
                if term.kind == "uri":
                    ET.SubElement(binding, "uri").text = term.value
                elif term.kind == "bnode":
                    ET.SubElement(binding, "bnode").text = term.value
                else:
                    attrs = {}
                    if term.lang:
                        attrs["xml:lang"] = term.lang
                    elif term.datatype:
                        attrs["datatype"] = term.datatype
                    ET.SubElement(binding, "literal", attrs).text = term.value
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class TooLarge(Exception):
    """An answer over the result-size limits."""


def _collect(answer, form: str) -> Result:
    """The answer as a Result, stopped as soon as it passes MAX_ROWS or MAX_RESULT_BYTES."""
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return Result.ask(bool(answer))
    items: list = []
    size = 0
    if isinstance(answer, pyoxigraph.QuerySolutions):
        names = [v.value for v in answer.variables]
        for solution in answer:
            row = {n: oxigraph_term(solution[n]) for n in names if solution[n] is not None}
            items.append(row)
            size += sum(len(t.value) for t in row.values())
            if len(items) > MAX_ROWS or size > MAX_RESULT_BYTES:
                raise TooLarge(TOO_LARGE)
        return Result.select(names, items)
    for t in answer:
        items.append(tuple(map(oxigraph_term, (t.subject, t.predicate, t.object))))
        size += len(t.subject.value) + len(t.predicate.value) + len(t.object.value)
        if len(items) > MAX_ROWS or size > MAX_RESULT_BYTES:
            raise TooLarge(TOO_LARGE)
    return Result.graph(form, items)


def answer(store: pyoxigraph.Store, text: str, media: str) -> tuple[str, str, bytes | str]:
    """Run a query and write its answer: ("ok", media type, body) or (kind, "", message).

    kind is "syntax" (not SPARQL 1.1), "error" (the engine failed) or "too-large".
    """
    try:
        found = store.query(text, use_default_graph_as_union=True)
        result = _collect(found, query_form(text) or "CONSTRUCT")
    except SyntaxError as exc:
        return "syntax", "", f"Not valid SPARQL 1.1: {exc}\n"
    except (TooLarge, MemoryError):
        return "too-large", "", TOO_LARGE
    except (OSError, ValueError, RuntimeError, QueryError) as exc:
        return "error", "", f"The query failed: {exc}\n"
    if result.is_graph:
        ext = GRAPH_TYPES.get(media, "ttl")
        media, body = RDF_FORMATS[ext][0], serialise(result.to_graph(), ext)
    else:
        writer = RESULT_TYPES.get(media, to_json)
        body = (sparql_xml(result) if writer is None else writer(result)).encode()
        media = RESULT_MEDIA.get(media, media if media in RESULT_TYPES else JSON_RESULTS)
    if len(body) > MAX_RESULT_BYTES:
        return "too-large", "", TOO_LARGE
    return "ok", media, body


class Busy(Exception):
    """More queries are waiting than the queue holds."""


class QueryRunner:
    """A pool of query processes, each holding the graph; queries queue first come, first
    served for a free one, and the time limit starts when a process takes the query."""

    def __init__(
        self, graph_file: Path, timeout: float, workers: int = 2, memory: int = WORKER_MEMORY
    ) -> None:
        self.timeout = timeout
        self.idle = [QueryProcess(graph_file, answer, memory) for _ in range(workers)]
        self.all = list(self.idle)
        self.lock = threading.Lock()
        self.limiter = anyio.CapacityLimiter(workers)
        self.pending = 0

    async def run(self, text: str, media: str) -> tuple[str, str, bytes | str]:
        """The worker's answer; raises Busy when MAX_WAITING queries are already waiting."""
        if self.pending >= len(self.all) + MAX_WAITING:
            raise Busy
        self.pending += 1
        try:
            return await anyio.to_thread.run_sync(self._run, text, media, limiter=self.limiter)
        finally:
            self.pending -= 1

    def _run(self, text: str, media: str) -> tuple[str, str, bytes | str]:
        with self.lock:
            worker = self.idle.pop()
        try:
            return worker.run((text, media), self.timeout)
        finally:
            with self.lock:
                self.idle.append(worker)

    def start(self) -> None:
        """Start every worker, in parallel, and wait until each has loaded the graph."""
        for worker in self.all:
            worker.launch()
        for worker in self.all:
            worker.wait_ready()

    def stop(self) -> None:
        for worker in self.all:
            worker.stop()


class SecurityHeaders:
    """Headers on every response: nosniff; a Content-Security-Policy (each HTML page its own,
    `default-src 'none'` on anything else); CORS on the SPARQL endpoint; 414 for long
    addresses and 431 for long headers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("raw_path") or scope["path"].encode()
        refusal = None
        if len(path) + len(scope.get("query_string", b"")) > MAX_URL:
            refusal = PlainTextResponse(
                f"The address is longer than {MAX_URL:,} bytes; POST a long SPARQL query.\n", 414
            )
        elif sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADERS:
            refusal = PlainTextResponse(
                f"The request headers are longer than {MAX_HEADERS:,} bytes.\n", 431
            )
        await (refusal or self.app)(scope, receive, self._send(scope, send))

    @staticmethod
    def _send(scope, send):
        sparql = scope["path"] == "/sparql"

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k for k, _ in headers}
                media = next((v for k, v in headers if k == b"content-type"), b"")
                headers.append((b"x-content-type-options", b"nosniff"))
                if media.startswith(b"text/html"):
                    headers.append((b"referrer-policy", b"no-referrer"))
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", _policy(media)))
                if sparql:
                    headers.extend(CORS)
                message = {**message, "headers": headers}
            await send(message)

        return with_headers


def _policy(media: bytes) -> bytes:
    if media.startswith(b"text/html"):
        return CSP.encode()
    if media.startswith(b"image/svg+xml"):
        return b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    return b"default-src 'none'; frame-ancestors 'none'"


class Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with nosniff on the 400 it sends for unreadable requests."""

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"x-content-type-options", b"nosniff"),
            (b"connection", b"close"),
        ]
        response = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
        self.transport.write(self.conn.send(response))
        self.transport.write(self.conn.send(h11.Data(data=msg.encode("ascii"))))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


@dataclass
class Published:
    """What the server publishes, read from the build's output folder."""

    graph: Graph
    ontology: Graph
    downloads: dict[str, bytes]
    void: Graph
    queries: list[tuple[QueryFile, str]]

    @property
    def described(self) -> Graph:
        """The graph and its dataset description: every IRI with a page."""
        if not hasattr(self, "_described"):
            self._described = bind_prefixes(Graph(bind_namespaces="none"))
            self._described += self.graph
            self._described += self.void
        return self._described

    @classmethod
    def load(cls, out_dir: Path, queries_dir: Path = QUERIES_DIR) -> Published:
        out_dir = Path(out_dir)
        graph_file = out_dir / "amhe.nt"
        if not graph_file.is_file():
            raise click.ClickException(f"{graph_file} not found: run `amhe-kg build` first")
        graph = bind_prefixes(Graph(bind_namespaces="none"))
        graph.parse(graph_file, format="nt")
        ontology = bind_prefixes(Graph(bind_namespaces="none"))
        ontology.parse(out_dir / "ontology.ttl", format="turtle")
        downloads = {p.name: p.read_bytes() for p in sorted(out_dir.iterdir()) if p.is_file()}
        void = Graph()
        if "void.ttl" in downloads:
            void.parse(data=downloads["void.ttl"], format="turtle")
        else:
            void = dataset.describe(graph, downloads)
            downloads |= dataset.files(graph, downloads)
        return cls(graph, ontology, downloads, void, gallery_queries(queries_dir))


def gallery_queries(queries_dir: Path = QUERIES_DIR) -> list[tuple[QueryFile, str]]:
    """Each ready-made query with its parameters bound to their defaults or examples."""
    found = []
    for query in find_queries(queries_dir):
        values = {p.name: p.example for p in query.params if p.default == "-"}
        found.append((query, query.bind(values)))
    return found


def create_app(
    out_dir: Path = OUTPUT_DIR,
    queries_dir: Path = QUERIES_DIR,
    timeout: float = 10.0,
    query_workers: int = 2,
):
    """The ASGI application serving the build in out_dir."""
    published = Published.load(out_dir, queries_dir)
    pages = Pages(
        published.described,
        published.ontology,
        Linker(static=False),
        "/sparql",
        {name: len(data) for name, data in published.downloads.items()},
        charts=True,
        triples=len(published.graph),
    )
    runner = QueryRunner(Path(out_dir) / "amhe.nt", timeout, query_workers)
    made: dict[tuple, bytes] = {}
    drawn: dict[str, bytes] = {}
    drawing = threading.Lock()
    ontology_html = ontology_page(published.ontology, published.graph)
    ontology_csp = csp_for(ontology_html)
    classes = {class_path(cls).split("/", 1)[1]: cls for cls in pages.classes}
    subjects = set(published.described.subjects())

    def once(key: tuple, make) -> bytes:
        """What make() returns, made on first use and kept: keys are bounded by the graph."""
        found = made.get(key)
        if found is None:
            found = make()
            made[key] = found.encode() if isinstance(found, str) else found
        return made[key]

    def html(body: bytes | str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
        return HTMLResponse(body, status, headers=headers)

    def not_found(request: Request) -> HTMLResponse:
        return html(pages.not_found(request.url.path), 404)

    def not_acceptable(offers: list[str]) -> PlainTextResponse:
        return PlainTextResponse(
            "None of the media types in the Accept header is available. Available: "
            + ", ".join(offers)
            + "\n",
            406,
            headers={"Vary": "Accept"},
        )

    def rdf_response(key: tuple, graph, ext: str, headers: dict | None = None) -> Response:
        """A graph (or a function making it) in a syntax, serialised once."""
        body = once((*key, ext), lambda: serialise(graph() if callable(graph) else graph, ext))
        return Response(body, media_type=RDF_FORMATS[ext][0], headers=headers)

    async def landing(request: Request) -> Response:
        return html(once(("landing",), pages.landing))

    async def gallery(request: Request) -> Response:
        return html(once(("gallery",), lambda: pages.gallery(published.queries)))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "style.css":
            return Response(STYLE, media_type="text/css")
        if name == "gallery.js":
            return Response(GALLERY_JS, media_type="text/javascript")
        return not_found(request)

    def draw_charts() -> dict[str, bytes]:
        with drawing:
            if not drawn:
                drawn.update(charts.render(published.graph, ("svg",)))
        return drawn

    async def chart(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in {f"{c.name}.svg" for c in charts.CHARTS}:
            return not_found(request)
        files = await anyio.to_thread.run_sync(draw_charts)
        return Response(files[name], media_type="image/svg+xml")

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in published.downloads:
            return not_found(request)
        media = dataset.media_type(name)
        return Response(published.downloads[name], media_type=media)

    def negotiated_extension(request: Request, offers: list[str]) -> str | None:
        """The file extension of the offered media type the Accept header prefers."""
        chosen = negotiate(request.headers.get("accept"), offers)
        if chosen is None:
            return None
        if chosen == HTML:
            return "html"
        return next(e for e, (m, _) in RDF_FORMATS.items() if m == chosen)

    def negotiated_document(
        request: Request, path: str, graph: Graph, page: str | None = None, csp: str = CSP
    ) -> Response:
        offers = ([HTML] if page is not None else []) + [m for m, _ in RDF_FORMATS.values()]
        ext = negotiated_extension(request, offers)
        if ext is None:
            return not_acceptable(offers)
        headers = {"Vary": "Accept", "Content-Location": f"{path}.{ext}"}
        if ext == "html":
            return html(page, headers={**headers, "Content-Security-Policy": csp})
        return rdf_response((path,), graph, ext, headers)

    async def ontology(request: Request) -> Response:
        return negotiated_document(
            request, "/ontology", published.ontology, ontology_html, ontology_csp
        )

    async def ontology_file(request: Request) -> Response:
        ext = request.path_params["ext"]
        if ext == "html":
            return html(ontology_html, headers={"Content-Security-Policy": ontology_csp})
        if ext not in RDF_FORMATS:
            return not_found(request)
        return rdf_response(("/ontology",), published.ontology, ext)

    async def diagram(request: Request) -> Response:
        make = DIAGRAMS.get(request.path_params["name"] + ".mmd")
        if make is None:
            return not_found(request)
        return PlainTextResponse(make(published.ontology))

    async def void(request: Request) -> Response:
        return negotiated_document(request, "/.well-known/void", published.void)

    async def void_file(request: Request) -> Response:
        ext = request.path_params["ext"]
        if ext not in RDF_FORMATS:
            return not_found(request)
        return rdf_response(("/.well-known/void",), published.void, ext)

    async def class_index(request: Request) -> Response:
        cls = classes.get(request.path_params["name"])
        if cls is None:
            return not_found(request)
        return html(once(("class", cls), lambda: pages.class_index(cls)))

    async def resource(request: Request) -> Response:
        path = request.path_params["path"]
        stem, dot, ext = path.rpartition(".")
        if dot and ext in (*RDF_FORMATS, "html") and "/" not in ext:
            subject = URIRef(str(ID) + stem)
            if subject not in subjects:
                return not_found(request)
            if ext == "html":
                return html(once((subject, ext), lambda: pages.resource(subject)))
            describe = functools.partial(resource_graph, published.described, subject)
            return rdf_response((subject,), describe, ext)
        subject = URIRef(str(ID) + path)
        if subject not in subjects:
            return not_found(request)
        offers = [HTML] + [m for m, _ in RDF_FORMATS.values()]
        ext = negotiated_extension(request, offers)
        if ext is None:
            return not_acceptable(offers)
        return RedirectResponse(f"/id/{path}.{ext}", 303, headers={"Vary": "Accept"})

    async def read_body(request: Request) -> bytes | None:
        """The request body, or None as soon as it passes MAX_BODY bytes."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return None
        return bytes(body)

    async def sparql(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204)
        query = None
        if request.method == "GET":
            if "update" in request.query_params:
                return forbidden()
            query = request.query_params.get("query")
        else:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await read_body(request)
            if body is None:
                return PlainTextResponse(f"The request body is over {MAX_BODY:,} bytes.\n", 413)
            if content_type == "application/sparql-update":
                return forbidden()
            if content_type == "application/sparql-query":
                query = body.decode("utf-8", "replace")
            elif content_type == "application/x-www-form-urlencoded":
                form = parse_qs(body.decode("utf-8", "replace"))
                if "update" in form:
                    return forbidden()
                query = (form.get("query") or [None])[0]
            else:
                return PlainTextResponse(
                    "POST a query as application/sparql-query or "
                    "application/x-www-form-urlencoded.\n",
                    415,
                )
        if (
            not query
            and request.method == "GET"
            and negotiate(request.headers.get("accept"), [HTML, "text/plain"]) == HTML
        ):
            return html(once(("sparql",), pages.endpoint_help))
        if not query:
            return PlainTextResponse(
                "Give a SPARQL query: GET /sparql?query=..., or POST it.\n", 400
            )
        if len(query) > MAX_QUERY:
            return PlainTextResponse(f"The query is over {MAX_QUERY:,} characters.\n", 413)
        if nesting(query) > MAX_NESTING:
            return PlainTextResponse(
                f"The query nests brackets more than {MAX_NESTING} deep.\n", 400
            )
        graph_form = query_form(query) in ("CONSTRUCT", "DESCRIBE")
        offers = list(GRAPH_TYPES) if graph_form else list(RESULT_TYPES)
        chosen = negotiate(request.headers.get("accept"), offers)
        if chosen is None:
            return not_acceptable(offers)
        try:
            kind, media, body = await runner.run(query, chosen)
        except QueryTimeout as exc:
            return PlainTextResponse(f"{exc}\n", 503)
        except Busy:
            return PlainTextResponse(
                "Too many queries are waiting; try again shortly.\n",
                503,
                headers={"Retry-After": "1"},
            )
        except QueryError as exc:
            return PlainTextResponse(f"{exc}\n", 400)
        if kind == "ok":
            return Response(body, media_type=media)
        if kind == "syntax" and UPDATE_WORDS.search(query):
            return forbidden()
        return PlainTextResponse(body, 422 if kind == "too-large" else 400)

    def forbidden() -> PlainTextResponse:
        return PlainTextResponse("This endpoint is read-only: SPARQL Update is not allowed.\n", 403)

    routes = [
        Route("/", landing),
        Route("/queries", gallery),
        Route("/static/{name}", static),
        Route("/download/{name}", download),
        Route("/charts/{name}", chart),
        Route("/ontology", ontology),
        Route("/ontology.{ext}", ontology_file),
        Route("/{name}.mmd", diagram),
        Route("/.well-known/void", void),
        Route("/.well-known/void.{ext}", void_file),
        Route("/class/{name}", class_index),
        Route("/id/{path:path}", resource),
        Route("/sparql", sparql, methods=["GET", "POST", "OPTIONS"]),
    ]

    async def on_404(request: Request, exc: Exception) -> Response:
        return not_found(request)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await anyio.to_thread.run_sync(runner.start)
        yield
        runner.stop()

    app = Starlette(routes=routes, exception_handlers={404: on_404}, lifespan=lifespan)
    app.state.runner = runner
    return SecurityHeaders(app)


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; the default lets only this machine connect.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@out_option("The build's output folder.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10,
    show_default=True,
    help="Seconds a SPARQL query may run (503 after).",
)
@click.option(
    "--query-workers",
    type=click.IntRange(1, 64),
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Processes answering SPARQL queries, each holding the graph.",
)
def command(host: str, port: int, out_dir: Path, timeout: float, query_workers: int) -> None:
    """Serve the built graph as linked data with a read-only SPARQL endpoint.

    Limits: an address over 16 KiB gets 414; headers over 32 KiB, 431; a POST body
    over 1 MiB or a query over 100,000 characters, 413; a SPARQL answer over 50,000
    rows or triples or 16 MiB, 422; a query over --timeout, 503; more than 1,000
    queries waiting for a worker, 503 with Retry-After.

    Exit codes: 0 stopped; 1 the server could not start (e.g. the port is taken);
    2 the build's output could not be read (run `amhe-kg build` first).
    """
    import uvicorn

    try:
        app = create_app(out_dir, timeout=timeout, query_workers=query_workers)
    except (click.ClickException, OSError, SyntaxError, ValueError) as error:
        message = error.message if isinstance(error, click.ClickException) else str(error)
        click.echo(f"error: {message}", err=True)
        sys.exit(2)
    where = (
        "only this machine can connect"
        if host in ("127.0.0.1", "localhost", "::1")
        else ("reachable from other machines")
    )
    click.echo(f"Serving {out_dir}/ at http://{host}:{port}/ (bound to {host}: {where})")
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=Protocol,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
