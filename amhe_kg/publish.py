"""`amhe-kg publish`: upload the built graph to a SPARQL 1.1 store and check it arrived whole.

The graph is sent with the Graph Store HTTP Protocol. With `--update` (the
store's SPARQL Update endpoint) it goes to a temporary named graph first, is
counted there, and is then moved onto the target graph with one `MOVE`, so
readers see the old graph or the new one and never a part; without it the
target graph is replaced with one `PUT`, which is atomic only where the store
applies it in one transaction (Oxigraph does; Virtuoso keeps the triples read
before an error, so give it `--update`). Afterwards the triples in the target
graph are counted through the query endpoint and must equal the build's.
Credentials come from the environment: AMHE_STORE_USER, AMHE_STORE_PASSWORD
and AMHE_STORE_AUTH (basic, the default, or digest).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import click
import pyoxigraph

from amhe_kg import __version__
from amhe_kg.paths import OUTPUT_DIR

DEFAULT_GRAPH = "https://w3id.org/amhe/id/graph"
USER, PASSWORD, AUTH = "AMHE_STORE_USER", "AMHE_STORE_PASSWORD", "AMHE_STORE_AUTH"
# Errors of a connection that was made and then broken, rather than never made.
LOST = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, http.client.HTTPException)


class PublishError(Exception):
    """The store could not be reached, or refused a request; the message says which."""


class Refused(PublishError):
    """The store answered a request with an HTTP error status."""

    def __init__(self, message: str, code: int, challenge: str) -> None:
        super().__init__(message)
        self.code = code
        self.challenge = challenge


@dataclass
class Store:
    """A SPARQL 1.1 store: its Graph Store Protocol, query and (optional) update endpoints."""

    gsp: str
    query: str
    update: str | None = None
    timeout: float = 120.0
    graph_parameter: str = "graph"

    def __post_init__(self) -> None:
        for url in (self.gsp, self.query, self.update):
            if url is not None and urllib.parse.urlparse(url).scheme not in ("http", "https"):
                raise PublishError(f"{url!r} is not an http or https URL")
        handlers = []
        self.digest = None
        user, password = os.environ.get(USER), os.environ.get(PASSWORD)
        if user and password:
            manager = urllib.request.HTTPPasswordMgrWithPriorAuth()
            for url in (self.gsp, self.query, self.update):
                if url:
                    manager.add_password(None, url, user, password, is_authenticated=True)
            if os.environ.get(AUTH, "basic").lower() == "digest":
                self.digest = urllib.request.HTTPDigestAuthHandler(manager)
                handlers.append(self.digest)
            else:
                handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
        self.opener = urllib.request.build_opener(*handlers)

    def _probe(self, request: urllib.request.Request, what: str) -> None:
        """Ask with HEAD whether the store accepts the request before its body is sent.

        A store that refuses a request may answer before reading the body and close
        the connection, which would show only as a broken pipe. A digest challenge in
        the answer is used to authorise the request itself.
        """
        head = urllib.request.Request(request.full_url, method="HEAD")  # noqa: S310
        head.add_header("User-Agent", f"amhe-kg/{__version__}")
        try:
            self._open(urllib.request.build_opener(), head, what)
            return
        except Refused as exc:
            if exc.code not in (401, 403):
                return
            challenge = exc.challenge
        scheme, _, parameters = challenge.partition(" ")
        opener = self.opener
        if self.digest is not None and scheme.lower() == "digest":
            fields = urllib.request.parse_keqv_list(
                filter(None, urllib.request.parse_http_list(parameters))
            )
            for sent in (head, request):
                authorization = self.digest.get_authorization(sent, fields)
                if authorization:
                    sent.add_unredirected_header("Authorization", f"Digest {authorization}")
            opener = urllib.request.build_opener()
        try:
            self._open(opener, head, what)
        except Refused as exc:
            if exc.code in (401, 403):
                raise

    def _open(
        self, opener: urllib.request.OpenerDirector, request: urllib.request.Request, what: str
    ) -> bytes:
        """The body of the store's answer; PublishError (Refused for HTTP errors) if none."""
        url = request.full_url.partition("?")[0]
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(500).decode("utf-8", "replace").split())
            status = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
            hint = ""
            if exc.code in (401, 403):
                hint = f" (check the credentials in {USER}, {PASSWORD} and {AUTH})"
            raise Refused(
                f"{what}: {url} answered {status}{hint}",
                exc.code,
                exc.headers.get("WWW-Authenticate", "") if exc.headers else "",
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                problem = f"{url} did not answer within {self.timeout:g} s (--timeout)"
            elif isinstance(exc, urllib.error.URLError) and not isinstance(reason, LOST):
                problem = f"cannot reach {url}: {reason}"
            else:
                problem = f"the connection to {url} was lost: {reason}"
            raise PublishError(f"{what}: {problem}") from None

    def _send(self, request: urllib.request.Request, what: str) -> bytes:
        request.add_header("User-Agent", f"amhe-kg/{__version__}")
        if request.data:
            self._probe(request, what)
        return self._open(self.opener, request, what)

    def put(self, graph: str, data: bytes) -> None:
        """Replace a named graph with N-Triples data (Graph Store Protocol PUT)."""
        query = urllib.parse.urlencode({self.graph_parameter: graph})
        separator = "&" if "?" in self.gsp else "?"
        request = urllib.request.Request(  # noqa: S310
            f"{self.gsp}{separator}{query}",
            data=data,
            method="PUT",
            headers={"Content-Type": "application/n-triples"},
        )
        self._send(request, f"uploading to <{graph}>")

    def run_update(self, text: str) -> None:
        if self.update is None:
            raise PublishError("no SPARQL Update endpoint given (--update)")
        request = urllib.request.Request(  # noqa: S310
            self.update,
            data=urllib.parse.urlencode({"update": text}).encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self._send(request, "updating the store")

    def count(self, graph: str) -> int:
        """The number of triples in a named graph, asked through the query endpoint."""
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        request = urllib.request.Request(  # noqa: S310
            self.query,
            data=urllib.parse.urlencode({"query": text}).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
        )
        body = self._send(request, f"counting the triples in <{graph}>")
        try:
            bindings = json.loads(body)["results"]["bindings"]
            return int(bindings[0]["n"]["value"]) if bindings else 0
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise PublishError(f"the query endpoint's answer could not be read: {exc}") from None


def count_triples(data: bytes) -> int:
    """The number of distinct triples in N-Triples data."""
    try:
        triples = pyoxigraph.parse(input=data, format=pyoxigraph.RdfFormat.N_TRIPLES)
        return len(set(triples))
    except SyntaxError as exc:
        raise PublishError(f"the graph is not valid N-Triples: {exc}") from None


def check_graph_iri(graph: str) -> str:
    try:
        pyoxigraph.NamedNode(graph)
    except ValueError:
        raise PublishError(f"{graph!r} is not an absolute IRI") from None
    if not urllib.parse.urlparse(graph).scheme:
        raise PublishError(f"{graph!r} is not an absolute IRI")
    return graph


def publish(store: Store, graph: str, data: bytes, expected: int | None = None) -> int:
    """Replace the named graph with the data atomically; the triples counted in the store.

    Raises PublishError if a request fails (with an update endpoint, or a store that
    applies a PUT in one transaction, the previous graph is left in place; the message
    says what to do) or if the store holds a different number of triples than the data.
    """
    check_graph_iri(graph)
    expected = count_triples(data) if expected is None else expected
    if store.update is None:
        try:
            store.put(graph, data)
        except PublishError as error:
            raise PublishError(
                f"{error}; a store that applies a PUT in one transaction (Oxigraph does) "
                "keeps the previous graph, others (Virtuoso) may keep part of the upload: "
                "publish again, with --update for such a store"
            ) from None
    else:
        temporary = f"{graph}-upload-{uuid.uuid4().hex}"
        try:
            store.put(temporary, data)
            staged = store.count(temporary)
            if staged != expected:
                raise PublishError(f"the store holds {staged} triples of the {expected} uploaded")
            store.run_update(f"MOVE SILENT GRAPH <{temporary}> TO GRAPH <{graph}>")
        except PublishError as error:
            advice = "the previous graph is left in place; publish again once the cause is fixed"
            try:
                store.run_update(f"DROP SILENT GRAPH <{temporary}>")
            except PublishError:
                advice += (
                    f" (the temporary graph <{temporary}> may remain in the store: "
                    f"DROP SILENT GRAPH <{temporary}> removes it)"
                )
            raise PublishError(f"{error}; {advice}") from None
    found = store.count(graph)
    if found != expected:
        raise CountMismatch(f"the store holds {found} triples in <{graph}>, the build {expected}")
    return found


class CountMismatch(PublishError):
    """The store's triple count differs from the build's."""


@click.command("publish")
@click.option("--store", "gsp", required=True, metavar="GSP_URL", help="Graph Store endpoint.")
@click.option("--endpoint", required=True, metavar="QUERY_URL", help="SPARQL query endpoint.")
@click.option(
    "--update",
    metavar="UPDATE_URL",
    help="SPARQL Update endpoint: upload to a temporary graph, then MOVE it into place.",
)
@click.option("--graph", default=DEFAULT_GRAPH, show_default=True, help="Named graph to replace.")
@click.option(
    "--file",
    "graph_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=OUTPUT_DIR / "amhe.nt",
    show_default=True,
    help="The built graph in N-Triples.",
)
@click.option(
    "--graph-parameter",
    default="graph",
    show_default=True,
    help="The store's name for the Graph Store Protocol's graph parameter.",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=120, show_default=True)
def command(
    gsp: str,
    endpoint: str,
    update: str | None,
    graph: str,
    graph_file: Path,
    graph_parameter: str,
    timeout: float,
) -> None:
    """Upload the built graph to a SPARQL 1.1 store, replacing a named graph, and verify it.

    Credentials, if the store needs them, come from the environment:
    AMHE_STORE_USER, AMHE_STORE_PASSWORD, and AMHE_STORE_AUTH=basic|digest.

    Exit codes: 0 published and verified; 1 the store's triple count differs
    from the build's; 2 the graph could not be read, or the store could not be
    reached or refused a request (with --update the previous graph is left in place).
    """
    try:
        try:
            data = Path(graph_file).read_bytes()
        except OSError as exc:
            raise PublishError(f"{graph_file}: cannot read the graph: {exc}") from None
        store = Store(gsp, endpoint, update, timeout, graph_parameter)
        found = publish(store, graph, data)
    except CountMismatch as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except PublishError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    click.echo(f"Published {found} triples to <{graph}> (verified through {endpoint})")
