"""`amhe-kg query`: run a ready-made or a user's SPARQL query on the graph.

By default the query runs on an embedded Oxigraph store loaded from the built
graph (`output/amhe.nt`), with no server; with `--endpoint` it runs on any
SPARQL 1.1 endpoint. The ready-made queries are the `.rq` files in `queries/`.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from amhe_kg.errors import SourceError
from amhe_kg.graph import build_graph
from amhe_kg.paths import DATA_DIR, OUTPUT_DIR
from amhe_kg.queryfile import (
    NAME,
    QUERIES_DIR,
    QueryError,
    QueryFile,
    find_queries,
    read_query,
)
from amhe_kg.results import FORMATS, Result, Term, write
from amhe_kg.sources import load_sources
from amhe_kg.store import Backend, Endpoint, QueryRunner, QueryTimeout, check_syntax

DEFAULT_GRAPH = OUTPUT_DIR / "amhe.nt"
DEFAULT_TIMEOUT = 30.0

EXIT_CODES = """
Exit codes: 0 success; 2 bad input (an unknown query, a missing or ill-typed
parameter, a query that is not valid SPARQL, a graph that cannot be loaded, an
endpoint that cannot be reached or rejects the query, a query stopped at the
time limit).
"""


def resolve(query: str, queries_dir: Path = QUERIES_DIR) -> QueryFile:
    """A ready-made query by name, or a query file by path (a path ends in .rq or has a '/')."""
    if query.endswith(".rq") or "/" in query or "\\" in query:
        return read_query(Path(query))
    path = Path(queries_dir) / f"{query}.rq"
    if NAME.fullmatch(query) and path.is_file():
        return read_query(path)
    known = [q.stem for q in sorted(Path(queries_dir).glob("*.rq"))]
    close = difflib.get_close_matches(query, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise QueryError(f"unknown query {query!r}{hint} (`amhe-kg query --list` lists them)")


def open_embedded(
    graph_file: Path | None = None, timeout: float = DEFAULT_TIMEOUT
) -> tuple[QueryRunner, str | None]:
    """The embedded store, answering within the time limit, and a note if it was built from data/.

    Without a graph file the store loads `output/amhe.nt`; if the graph has not
    been built, the same graph is made in memory from `data/` (without writing
    or validating anything).
    """
    if graph_file is not None:
        return QueryRunner(graph_file, timeout), None
    if DEFAULT_GRAPH.is_file():
        return QueryRunner(DEFAULT_GRAPH, timeout), None
    if DATA_DIR.is_dir():
        try:
            graph = build_graph(load_sources(DATA_DIR))
        except SourceError as error:
            raise QueryError(f"cannot build the graph from {DATA_DIR}/: {error}") from None
        data = graph.serialize(format="nt", encoding="utf-8")
        runner = QueryRunner(data, timeout, f"a graph built in memory from {DATA_DIR}/")
        note = f"{DEFAULT_GRAPH} not found; querying a graph built in memory from {DATA_DIR}/"
        return runner, note
    raise QueryError(
        f"no graph to query: {DEFAULT_GRAPH} not found and no {DATA_DIR}/ folder to build it "
        "from (run `amhe-kg build`, or give --graph FILE or --endpoint URL)"
    )


def bound(query: QueryFile, params: dict[str, str] | None = None) -> str:
    """The query text with its parameters bound, checked to be SPARQL 1.1."""
    check_syntax(query.text, str(query.path))
    text = query.bind(params)
    check_syntax(text, f"{query.path} with its parameters bound")
    return text


def run(query: QueryFile, params: dict[str, str] | None, backend: Backend) -> Result:
    """Bind the parameters, check the syntax, and run the query."""
    return backend.run(bound(query, params), query.form)


def catalogue(queries_dir: Path = QUERIES_DIR) -> Result:
    """The ready-made queries with their titles and parameters, as a result to write."""
    rows = []
    for q in find_queries(queries_dir):
        params = "; ".join(f"{p.name}={p.default} ({p.type})" for p in q.params)
        rows.append(
            {
                "name": Term.literal(q.name),
                "title": Term.literal(q.title),
                "parameters": Term.literal(params or "-"),
            }
        )
    return Result.select(["name", "title", "parameters"], rows)


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """NAME=VALUE pairs as a dict; a pair without '=' or a name given twice is an error."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise QueryError(f"--param {pair!r} must be NAME=VALUE")
        if name in params:
            raise QueryError(f"--param {name!r} given twice")
        params[name] = value
    return params


def fail(error: Exception) -> None:
    """Report a bad input on stderr and exit with code 2."""
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@click.command(
    name="query",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES,
)
@click.argument("query", metavar="NAME|FILE", required=False)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of the query (repeat for several).",
)
@click.option(
    "-e", "--endpoint", metavar="URL", help="Run on this SPARQL 1.1 endpoint instead of embedded."
)
@click.option(
    "-g",
    "--graph",
    "graph_file",
    type=click.Path(path_type=Path),
    help=f"RDF file to load into the embedded store [default: {DEFAULT_GRAPH}].",
)
@click.option(
    "-f",
    "--format",
    "format_name",
    type=click.Choice(list(FORMATS)),
    default="table",
    show_default=True,
    help="Output: a table, W3C SPARQL results CSV/TSV/JSON (JSON-LD for graphs), or RDF.",
)
@click.option("--list", "list_queries", is_flag=True, help="List the ready-made queries.")
@click.option(
    "--show", is_flag=True, help="Print the query with its parameters bound; run nothing."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds a query may run embedded, or an endpoint may take to answer.",
)
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=QUERIES_DIR,
    help="Folder of ready-made queries.",
)
def command(
    query: str | None,
    params: tuple[str, ...],
    endpoint: str | None,
    graph_file: Path | None,
    format_name: str,
    list_queries: bool,
    show: bool,
    timeout: float,
    queries_dir: Path,
) -> None:
    """Run a ready-made query (by NAME) or your own query FILE on the graph."""
    try:
        if list_queries:
            click.echo(write(catalogue(queries_dir), format_name), nl=False)
            return
        if query is None:
            raise QueryError("give a query NAME or FILE, or --list to see the ready-made queries")
        if endpoint and graph_file:
            raise QueryError("give --endpoint or --graph, not both")
        chosen = resolve(query, queries_dir)
        values = parse_params(params)
        text = bound(chosen, values)
        if show:
            click.echo(text, nl=not text.endswith("\n"))
            return
        if endpoint:
            result = Endpoint(endpoint, timeout).run(text, chosen.form)
        else:
            runner, note = open_embedded(graph_file, timeout)
            if note:
                click.echo(f"note: {note}", err=True)
            try:
                result = runner.run(text, chosen.form)
            finally:
                runner.stop()
        # color=True: click would otherwise strip ANSI escape sequences out of the values.
        click.echo(write(result, format_name), nl=False, color=True)
    except QueryTimeout as error:
        fail(f"{error} (--timeout SECONDS allows longer)")
    except QueryError as error:
        fail(error)
