"""Where queries run: an embedded Oxigraph store, an rdflib graph, or any SPARQL 1.1 endpoint.

Each backend takes the query text and its form and returns a `Result` made of
the same terms, so answers can be written, and compared, whichever engine gave
them.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import pyoxigraph
from rdflib import Graph
from rdflib.query import Result as RdflibResult

from amhe_kg import __version__
from amhe_kg.queryfile import QueryError, query_form
from amhe_kg.results import Result, Term, Triple, one_line

# Answers larger than this are refused: a query that multiplies the graph out would otherwise
# fill the memory long before its time limit.
MAX_ROWS = 250_000
# Seconds the query process may take to start and load the graph.
LOAD_LIMIT = 120
REMOTE_CONTEXT = "LoadDocumentCallback"


class Backend(Protocol):
    """Something that answers SPARQL 1.1 queries."""

    description: str

    def run(self, query: str, form: str) -> Result:
        """The answer to a query of the given form (SELECT, ASK, CONSTRUCT or DESCRIBE)."""
        ...


def check_syntax(query: str, where: str = "the query") -> None:
    """Raise QueryError unless the query is SPARQL 1.1; Oxigraph parses it, nothing is run."""
    try:
        pyoxigraph.Store().query(query)
    except SyntaxError as exc:
        raise QueryError(f"{where} is not valid SPARQL 1.1: {one_line(exc)}") from None


def oxigraph_term(term) -> Term:
    """An Oxigraph term of an answer as a result term."""
    if isinstance(term, pyoxigraph.NamedNode):
        return Term.uri(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return Term.bnode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        return Term.literal(term.value, term.datatype.value, term.language)
    raise QueryError(f"unsupported RDF term in the answer: {term!r}")


class EmbeddedStore:
    """An in-memory Oxigraph store holding the graph in its default graph."""

    def __init__(self, store: pyoxigraph.Store, description: str) -> None:
        self.store = store
        self.description = description

    @classmethod
    def from_file(cls, path: Path) -> EmbeddedStore:
        """A store loaded from an RDF file; its syntax is read from the file name's extension.

        Relative IRIs resolve against the file's own `file:` IRI, as the syntaxes specify.
        """
        path = Path(path)
        if not path.is_file():
            raise QueryError(f"{path}: no such graph file")
        rdf_format = pyoxigraph.RdfFormat.from_extension(path.suffix.lstrip("."))
        if rdf_format is None:
            raise QueryError(f"{path}: unknown RDF syntax (use .nt, .ttl, .nq, .trig or .jsonld)")
        store = pyoxigraph.Store()
        try:
            store.load(path=path, format=rdf_format, base_iri=path.resolve().as_uri())
        except (SyntaxError, ValueError, OSError) as exc:
            if REMOTE_CONTEXT in str(exc):
                raise QueryError(
                    f"{path}: cannot load the graph: it names a JSON-LD @context by IRI, and "
                    "contexts are never fetched (write the context into the document)"
                ) from None
            raise QueryError(f"{path}: cannot load the graph: {one_line(exc)}") from None
        return cls(store, f"the embedded store loaded from {path}")

    @classmethod
    def from_ntriples(cls, data: bytes, description: str) -> EmbeddedStore:
        """A store holding the triples of an N-Triples document."""
        store = pyoxigraph.Store()
        store.load(input=data, format=pyoxigraph.RdfFormat.N_TRIPLES)
        return cls(store, description)

    def run(self, query: str, form: str) -> Result:
        try:
            answer = self.store.query(query, use_default_graph_as_union=True)
            if isinstance(answer, pyoxigraph.QueryBoolean):
                return Result.ask(bool(answer))
            if isinstance(answer, pyoxigraph.QuerySolutions):
                variables = [v.value for v in answer.variables]
                rows = [
                    {
                        name: oxigraph_term(solution[name])
                        for name in variables
                        if solution[name] is not None
                    }
                    for solution in _at_most(answer, MAX_ROWS, "rows")
                ]
                return Result.select(variables, rows)
            triples: list[Triple] = [
                (oxigraph_term(t.subject), oxigraph_term(t.predicate), oxigraph_term(t.object))
                for t in _at_most(answer, MAX_ROWS, "triples")
            ]
            return Result.graph(form, triples)
        except SyntaxError as exc:
            raise QueryError(f"not valid SPARQL 1.1: {one_line(exc)}") from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"the query failed: {one_line(exc)}") from None


def _at_most(answer, limit: int, noun: str):
    """The items of an answer, raising QueryError past the limit."""
    for count, item in enumerate(answer, 1):
        if count > limit:
            raise QueryError(
                f"the answer has more than {limit:,} {noun}: narrow the query or add a LIMIT"
            )
        yield item


def _serve_jobs(graph: str | bytes, handler: Callable, memory: int | None, conn) -> None:
    """Load the graph (a file's path, or N-Triples), then answer each job with the handler."""
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        if isinstance(graph, bytes):
            store = EmbeddedStore.from_ntriples(graph, "a graph in memory")
        else:
            store = EmbeddedStore.from_file(Path(graph))
    except QueryError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", None))
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(handler(store.store, *job))


class QueryTimeout(QueryError):
    """A query ran longer than the time limit."""


class QueryProcess:
    """A process holding the graph in an Oxigraph store, killed and replaced when a job overruns.

    `handler(store, *job)` runs in that process on the `pyoxigraph.Store` and returns what is
    sent back; it must be a module-level function. The graph is a file, or N-Triples given as
    bytes; `memory` caps the process's address space in bytes. Loading the graph there also
    keeps a parser that crashes on a hostile file from taking the caller down.
    """

    def __init__(
        self, graph: Path | str | bytes, handler: Callable, memory: int | None = None
    ) -> None:
        self.graph = graph if isinstance(graph, bytes) else str(graph)
        self.handler = handler
        self.memory = memory
        self.context = multiprocessing.get_context("spawn")
        self.process = None
        self.conn = None
        self.ready = False

    def launch(self) -> None:
        """Start the process, if it is not running, without waiting for it to load the graph."""
        if self.process is not None and self.process.is_alive():
            return
        parent, child = self.context.Pipe()
        self.process = self.context.Process(
            target=_serve_jobs, args=(self.graph, self.handler, self.memory, child), daemon=True
        )
        self.process.start()
        child.close()
        self.conn = parent
        self.ready = False

    def wait_ready(self) -> None:
        """Wait until the process has loaded the graph; QueryError if it cannot."""
        if self.ready:
            return
        where = "the graph" if isinstance(self.graph, bytes) else self.graph
        try:
            if not self.conn.poll(LOAD_LIMIT):
                self.stop()
                raise QueryError(f"{where}: cannot load the graph within {LOAD_LIMIT} s")
            status, value = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            self.stop()
            raise QueryError(
                f"{where}: cannot load the graph: the RDF parser crashed (exit code {code}); "
                "is the document nested too deeply?"
            ) from None
        if status != "ready":
            self.stop()
            raise QueryError(value)
        self.ready = True

    def run(self, job: tuple, timeout: float):
        """The handler's reply to a job; QueryTimeout if it takes longer than `timeout` seconds."""
        self.launch()
        self.wait_ready()
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                self.stop()
                raise QueryTimeout(
                    f"the query was stopped: it ran longer than the {timeout:g} s time limit"
                )
            return self.conn.recv()
        except (EOFError, OSError):
            code = self.process.exitcode if self.process is not None else None
            self.stop()
            memory = f"; it may need more than the {self.memory / 2**30:g} GiB a query may use"
            raise QueryError(
                f"the query stopped the query engine (exit code {code}"
                f"{memory if self.memory else ''}); nothing was answered"
            ) from None

    def stop(self) -> None:
        """Kill the process, if there is one."""
        if self.process is not None:
            self.process.kill()
            self.process.join(5)
            self.process = None
            self.conn = None
            self.ready = False


def answer_query(store: pyoxigraph.Store, query: str, form: str | None) -> tuple[str, object]:
    """("ok", the Result) or ("error", why): a job for QueryProcess, run in its process."""
    try:
        embedded = EmbeddedStore(store, "the embedded store")
        return "ok", embedded.run(query, form or query_form(query) or "CONSTRUCT")
    except QueryError as exc:
        return "error", str(exc)


class QueryRunner:
    """The embedded store as a backend whose queries stop at a time limit, in a QueryProcess."""

    def __init__(self, graph: Path | bytes, timeout: float, description: str | None = None) -> None:
        self.worker = QueryProcess(graph, answer_query)
        self.timeout = timeout
        self.description = description or f"the embedded store loaded from {graph}"

    def run(self, query: str, form: str | None = None) -> Result:
        """The answer to a query, its form read from the text unless given."""
        status, value = self.worker.run((query, form), self.timeout)
        if status == "error":
            raise QueryError(value)
        return value

    def stop(self) -> None:
        self.worker.stop()


def _from_rdflib_result(answer: RdflibResult, form: str) -> Result:
    if answer.type == "ASK":
        return Result.ask(bool(answer.askAnswer))
    if answer.type == "SELECT":
        variables = [str(v) for v in answer.vars or []]
        rows = [
            {
                str(name): Term.from_rdflib(value)
                for name, value in binding.items()
                if value is not None
            }
            for binding in answer.bindings
        ]
        return Result.select(variables, rows)
    triples = [tuple(Term.from_rdflib(node) for node in triple) for triple in answer]
    return Result.graph(form, triples)


class RdflibGraph:
    """An rdflib graph in memory, queried with rdflib's own SPARQL engine."""

    def __init__(self, graph: Graph, description: str = "an rdflib graph") -> None:
        self.graph = graph
        self.description = description

    def run(self, query: str, form: str) -> Result:
        try:
            answer = self.graph.query(query)
        except Exception as exc:  # rdflib raises pyparsing and several engine errors
            raise QueryError(f"rdflib could not run the query: {exc}") from None
        return _from_rdflib_result(answer, form)


# Result media types a SPARQL endpoint may answer with -> rdflib parser name.
RESULT_SYNTAXES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_SYNTAXES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


class Endpoint:
    """A SPARQL 1.1 endpoint reached over HTTP with SPARQLWrapper."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise QueryError(f"{url!r} is not an http or https URL of a SPARQL endpoint")
        self.url = url
        self.timeout = timeout
        self.description = f"the SPARQL endpoint {url}"

    def run(self, query: str, form: str) -> Result:
        from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        wrapper = SPARQLWrapper(self.url, agent=f"amhe-kg/{__version__}")
        wrapper.setMethod(POST)
        wrapper.setTimeout(int(self.timeout))
        wrapper.setReturnFormat(TURTLE if form in ("CONSTRUCT", "DESCRIBE") else JSON)
        wrapper.setQuery(query)
        # SPARQLWrapper guesses the form from keywords anywhere in the text, so a word such
        # as "unclear" reads as CLEAR and the query is sent as an update; the form is known.
        wrapper.queryType = form
        try:
            response = wrapper.query()
            body = response.response.read()
            media_type = response.response.headers.get("Content-Type", "")
        except SPARQLWrapperException as exc:
            message = " ".join(str(exc).split())
            raise QueryError(f"{self.description} rejected the query: {message}") from None
        except urllib.error.HTTPError as exc:
            raise QueryError(f"{self.description} answered HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise QueryError(f"cannot reach {self.description}: {exc.reason}") from None
        except OSError as exc:
            raise QueryError(f"cannot reach {self.description}: {exc}") from None
        media_type = media_type.split(";")[0].strip().lower()
        try:
            if form in ("CONSTRUCT", "DESCRIBE"):
                graph = Graph()
                graph.parse(data=body, format=GRAPH_SYNTAXES.get(media_type, "turtle"))
                triples = [tuple(Term.from_rdflib(node) for node in triple) for triple in graph]
                return Result.graph(form, triples)
            syntax = RESULT_SYNTAXES.get(media_type, "json")
            answer = RdflibResult.parse(io.BytesIO(body), format=syntax)
        except Exception as exc:  # parsers raise many unrelated types
            raise QueryError(
                f"{self.description} sent an answer that could not be read ({media_type}): {exc}"
            ) from None
        return _from_rdflib_result(answer, form)
