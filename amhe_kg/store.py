"""Where queries run: an embedded Oxigraph store, an rdflib graph, or any SPARQL 1.1 endpoint.

Each backend takes the query text and its form and returns a `Result` made of
the same terms, so answers can be written, and compared, whichever engine gave
them.
"""

from __future__ import annotations

import io
import urllib.error
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import pyoxigraph
from rdflib import Graph
from rdflib.query import Result as RdflibResult

from amhe_kg import __version__
from amhe_kg.queryfile import QueryError
from amhe_kg.results import Result, Term, Triple


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
        raise QueryError(f"{where} is not valid SPARQL 1.1: {exc}") from None


def _oxigraph_term(term) -> Term:
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
        """A store loaded from an RDF file; its syntax is read from the file name's extension."""
        path = Path(path)
        if not path.is_file():
            raise QueryError(f"{path}: no such graph file")
        rdf_format = pyoxigraph.RdfFormat.from_extension(path.suffix.lstrip("."))
        if rdf_format is None:
            raise QueryError(f"{path}: unknown RDF syntax (use .nt, .ttl, .nq, .trig or .jsonld)")
        store = pyoxigraph.Store()
        try:
            store.load(path=path, format=rdf_format)
        except (SyntaxError, ValueError, OSError) as exc:
            raise QueryError(f"{path}: cannot load the graph: {exc}") from None
        return cls(store, f"the embedded store loaded from {path}")

    @classmethod
    def from_graph(cls, graph: Graph, description: str) -> EmbeddedStore:
        """A store holding the triples of an rdflib graph."""
        store = pyoxigraph.Store()
        data = graph.serialize(format="nt", encoding="utf-8")
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
                        name: _oxigraph_term(solution[name])
                        for name in variables
                        if solution[name] is not None
                    }
                    for solution in answer
                ]
                return Result.select(variables, rows)
            triples: list[Triple] = [
                (_oxigraph_term(t.subject), _oxigraph_term(t.predicate), _oxigraph_term(t.object))
                for t in answer
            ]
            return Result.graph(form, triples)
        except SyntaxError as exc:
            raise QueryError(f"not valid SPARQL 1.1: {exc}") from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"the query failed: {exc}") from None


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
