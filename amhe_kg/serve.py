"""`amhe-kg serve`: the built graph as linked data, with a read-only SPARQL endpoint.

Instance IRIs (`/id/...`) answer 303 See Other to a representation chosen by
the Accept header (`.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`); the ontology (a
hash namespace: its terms are `/ontology#Term`) and the dataset description
(`/.well-known/void`) answer directly with `Vary: Accept` and
`Content-Location`. SPARQL queries run on the embedded Oxigraph store in a
worker process, which is stopped and replaced when a query exceeds the time
limit.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import multiprocessing
import re
import sys
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import anyio
import click
import pyoxigraph
from rdflib import Graph, URIRef
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

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
from amhe_kg.store import EmbeddedStore

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML = "text/html"
RESULT_TYPES = {
    "application/sparql-results+json": to_json,
    "application/json": to_json,
    "application/sparql-results+xml": None,
    "application/xml": None,
    "text/csv": to_csv,
    "text/tab-separated-values": to_tsv,
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
MAX_QUERY = 100_000


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
    """The offered media type the Accept header prefers (ties go to the first offered)."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = []
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        kind = parts[0].lower()
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((kind, q))
    best, best_q = None, 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    main = offer.split("/")[0]
    for pattern in (offer, f"{main}/*", "*/*"):
        for kind, q in ranges:
            if kind == pattern:
                return q
    return 0.0


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


def _worker(graph_file: str, conn) -> None:
    store = EmbeddedStore.from_file(Path(graph_file))
    conn.send(("ready", None))
    while True:
        text = conn.recv()
        if text is None:
            return
        try:
            conn.send(("ok", store.run(text, query_form(text) or "CONSTRUCT")))
        except QueryError as exc:
            conn.send(("error", str(exc)))


class QueryTimeout(Exception):
    """A query ran longer than the time limit."""


class QueryRunner:
    """Runs queries in a worker process that is killed and replaced when one runs too long."""

    def __init__(self, graph_file: Path, timeout: float) -> None:
        self.graph_file = str(graph_file)
        self.timeout = timeout
        self.lock = threading.Lock()
        self.context = multiprocessing.get_context("spawn")
        self.process = None
        self.conn = None

    def _start(self) -> None:
        parent, child = self.context.Pipe()
        self.process = self.context.Process(
            target=_worker, args=(self.graph_file, child), daemon=True
        )
        self.process.start()
        child.close()
        self.conn = parent
        if not parent.poll(120) or parent.recv()[0] != "ready":
            self.stop()
            raise QueryError("the query worker did not start")

    def run(self, text: str) -> Result:
        with self.lock:
            if self.process is None or not self.process.is_alive():
                self._start()
            try:
                self.conn.send(text)
                if not self.conn.poll(self.timeout):
                    self.stop()
                    raise QueryTimeout(
                        f"the query was stopped: it ran longer than the {self.timeout:g} s "
                        "time limit"
                    )
                status, value = self.conn.recv()
            except (EOFError, OSError):
                self.stop()
                raise QueryError("the query worker stopped; try again") from None
        if status == "error":
            raise QueryError(value)
        return value

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join(5)
            self.process = None
            self.conn = None


class SecurityHeaders(BaseHTTPMiddleware):
    """nosniff everywhere, a Content-Security-Policy on HTML, CORS on the SPARQL endpoint."""

    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        html_page = response.headers.get("content-type", "").startswith("text/html")
        if html_page and "content-security-policy" not in response.headers:
            response.headers["Content-Security-Policy"] = CSP
            response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.path == "/sparql":
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        return response


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
    out_dir: Path = OUTPUT_DIR, queries_dir: Path = QUERIES_DIR, timeout: float = 10.0
) -> Starlette:
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
    runner = QueryRunner(Path(out_dir) / "amhe.nt", timeout)
    drawn: dict[str, bytes] = {}
    drawing = threading.Lock()
    ontology_html = ontology_page(published.ontology, published.graph)
    ontology_csp = csp_for(ontology_html)
    classes = {class_path(cls).split("/", 1)[1]: cls for cls in pages.classes}

    def html(text: str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
        return HTMLResponse(text, status, headers=headers)

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

    def rdf_response(graph: Graph, ext: str, headers: dict | None = None) -> Response:
        media = RDF_FORMATS[ext][0]
        return Response(serialise(graph, ext), media_type=media, headers=headers)

    async def landing(request: Request) -> Response:
        return html(pages.landing())

    async def gallery(request: Request) -> Response:
        return html(pages.gallery(published.queries))

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
        request: Request, path: str, graph: Graph, page: str | None
    ) -> Response:
        offers = ([HTML] if page is not None else []) + [m for m, _ in RDF_FORMATS.values()]
        ext = negotiated_extension(request, offers)
        if ext is None:
            return not_acceptable(offers)
        headers = {"Vary": "Accept", "Content-Location": f"{path}.{ext}"}
        if ext == "html":
            return html(page, headers={**headers, "Content-Security-Policy": csp_for(page)})
        return rdf_response(graph, ext, headers)

    async def ontology(request: Request) -> Response:
        return negotiated_document(request, "/ontology", published.ontology, ontology_html)

    async def ontology_file(request: Request) -> Response:
        ext = request.path_params["ext"]
        if ext == "html":
            return html(ontology_html, headers={"Content-Security-Policy": ontology_csp})
        if ext not in RDF_FORMATS:
            return not_found(request)
        return rdf_response(published.ontology, ext)

    async def diagram(request: Request) -> Response:
        make = DIAGRAMS.get(request.path_params["name"] + ".mmd")
        if make is None:
            return not_found(request)
        return PlainTextResponse(make(published.ontology))

    async def void(request: Request) -> Response:
        return negotiated_document(request, "/.well-known/void", published.void, None)

    async def void_file(request: Request) -> Response:
        ext = request.path_params["ext"]
        if ext not in RDF_FORMATS:
            return not_found(request)
        return rdf_response(published.void, ext)

    async def class_index(request: Request) -> Response:
        cls = classes.get(request.path_params["name"])
        if cls is None:
            return not_found(request)
        return html(pages.class_index(cls))

    async def resource(request: Request) -> Response:
        path = request.path_params["path"]
        stem, dot, ext = path.rpartition(".")
        if dot and ext in (*RDF_FORMATS, "html") and "/" not in ext:
            subject = URIRef(str(ID) + stem)
            if (subject, None, None) not in published.described:
                return not_found(request)
            if ext == "html":
                return html(pages.resource(subject))
            return rdf_response(resource_graph(published.described, subject), ext)
        subject = URIRef(str(ID) + path)
        if (subject, None, None) not in published.described:
            return not_found(request)
        offers = [HTML] + [m for m, _ in RDF_FORMATS.values()]
        ext = negotiated_extension(request, offers)
        if ext is None:
            return not_acceptable(offers)
        return RedirectResponse(f"/id/{path}.{ext}", 303, headers={"Vary": "Accept"})

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
            body = await request.body()
            if len(body) > MAX_QUERY:
                return PlainTextResponse("The query is too long.\n", 413)
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
            return html(pages.endpoint_help())
        if not query:
            return PlainTextResponse(
                "Give a SPARQL query: GET /sparql?query=..., or POST it.\n", 400
            )
        try:
            pyoxigraph.Store().query(query)
        except SyntaxError as exc:
            if UPDATE_WORDS.search(query):
                return forbidden()
            return PlainTextResponse(f"Not valid SPARQL 1.1: {exc}\n", 400)
        form_name = query_form(query) or "SELECT"
        graph_form = form_name in ("CONSTRUCT", "DESCRIBE")
        offers = list(GRAPH_TYPES) if graph_form else list(RESULT_TYPES)
        chosen = negotiate(request.headers.get("accept"), offers)
        if chosen is None:
            return not_acceptable(offers)
        try:
            result = await anyio.to_thread.run_sync(runner.run, query)
        except QueryTimeout as exc:
            return PlainTextResponse(f"{exc}\n", 503)
        except QueryError as exc:
            return PlainTextResponse(f"{exc}\n", 400)
        if result.is_graph:
            if chosen not in GRAPH_TYPES:
                chosen = "text/turtle"
            ext = GRAPH_TYPES[chosen]
            return Response(serialise(result.to_graph(), ext), media_type=RDF_FORMATS[ext][0])
        if chosen not in RESULT_TYPES:
            chosen = "application/sparql-results+json"
        writer = RESULT_TYPES[chosen]
        text = sparql_xml(result) if writer is None else writer(result)
        media = {
            "application/json": "application/sparql-results+json",
            "application/xml": "application/sparql-results+xml",
        }.get(chosen, chosen)
        return Response(text, media_type=media)

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
        yield
        runner.stop()

    app = Starlette(
        routes=routes,
        exception_handlers={404: on_404},
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.runner = runner
    return app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@out_option("The build's output folder.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10,
    show_default=True,
    help="Seconds a SPARQL query may run.",
)
def command(host: str, port: int, out_dir: Path, timeout: float) -> None:
    """Serve the built graph as linked data with a read-only SPARQL endpoint.

    Exit codes: 0 stopped; 1 the server could not start (e.g. the port is taken);
    2 the build's output could not be read (run `amhe-kg build` first).
    """
    import uvicorn

    try:
        app = create_app(out_dir, timeout=timeout)
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
    uvicorn.run(app, host=host, port=port, log_level="warning")
