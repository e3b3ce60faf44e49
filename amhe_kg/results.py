"""Query results, the same whichever engine answered, and the formats they are written in.

SELECT and ASK results are written as an aligned table or in the W3C SPARQL
1.1 result formats (CSV, TSV, JSON). CONSTRUCT and DESCRIBE results are graphs:
written as a table or CSV/TSV of subject, predicate and object, as JSON-LD, or
as Turtle or N-Triples; their triples are sorted, so the output is stable.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from amhe_kg.export import to_jsonld, to_ntriples, to_turtle
from amhe_kg.namespaces import ID, PREFIXES, bind_prefixes
from amhe_kg.queryfile import QueryError

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
TABLE_CELL_WIDTH = 60
GRAPH_COLUMNS = ("subject", "predicate", "object")
# Literals TSV may write bare, as Turtle does.
BARE_NUMBERS = {
    XSD + "integer": re.compile(r"[+-]?\d+"),
    XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    XSD + "double": re.compile(r"[+-]?(\d+\.\d*|\.?\d+)[eE][+-]?\d+"),
}
DISPLAY_PREFIXES = sorted(
    [(prefix, str(namespace)) for prefix, namespace in PREFIXES.items()] + [("id", str(ID))],
    key=lambda item: -len(item[1]),
)


@dataclass(frozen=True)
class Term:
    """An RDF term: kind is uri, literal or bnode; plain strings have no datatype."""

    kind: str
    value: str
    datatype: str | None = None
    lang: str | None = None

    @classmethod
    def uri(cls, value: str) -> Term:
        return cls("uri", value)

    @classmethod
    def bnode(cls, value: str) -> Term:
        return cls("bnode", value)

    @classmethod
    def literal(cls, value: str, datatype: str | None = None, lang: str | None = None) -> Term:
        if lang:
            return cls("literal", value, None, lang.lower())
        if datatype in (XSD_STRING, RDF_LANG_STRING):
            datatype = None
        return cls("literal", value, datatype, None)

    @classmethod
    def from_rdflib(cls, node: Node) -> Term:
        if isinstance(node, URIRef):
            return cls.uri(str(node))
        if isinstance(node, BNode):
            return cls.bnode(str(node))
        if isinstance(node, Literal):
            datatype = str(node.datatype) if node.datatype else None
            return cls.literal(str(node), datatype, node.language)
        raise TypeError(f"not an RDF term: {node!r}")

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.value, self.datatype or "", self.lang or "")

    def to_rdflib(self) -> Node:
        if self.kind == "uri":
            return URIRef(self.value)
        if self.kind == "bnode":
            return BNode(self.value)
        return Literal(self.value, lang=self.lang, datatype=self.datatype)

    def display(self) -> str:
        """How the term reads in a table: IRIs shortened with the project's prefixes."""
        if self.kind == "uri":
            for prefix, namespace in DISPLAY_PREFIXES:
                if self.value.startswith(namespace) and len(self.value) > len(namespace):
                    return f"{prefix}:{self.value[len(namespace) :]}"
            return self.value
        if self.kind == "bnode":
            return f"_:{self.value}"
        return self.value

    def sparql(self) -> str:
        """The term in SPARQL and Turtle syntax, as TSV writes it."""
        if self.kind == "uri":
            return f"<{self.value}>"
        if self.kind == "bnode":
            return f"_:{self.value}"
        bare = BARE_NUMBERS.get(self.datatype or "")
        if bare is not None and bare.fullmatch(self.value):
            return self.value
        escaped = (
            self.value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
        if self.lang:
            return f'"{escaped}"@{self.lang}'
        if self.datatype:
            return f'"{escaped}"^^<{self.datatype}>'
        return f'"{escaped}"'

    def json(self) -> dict[str, str]:
        """The term in the SPARQL 1.1 JSON results format."""
        if self.kind in ("uri", "bnode"):
            return {"type": self.kind, "value": self.value}
        term = {"type": "literal", "value": self.value}
        if self.lang:
            term["xml:lang"] = self.lang
        elif self.datatype:
            term["datatype"] = self.datatype
        return term


Row = dict[str, Term]
Triple = tuple[Term, Term, Term]


def triple_key(triple: Triple) -> tuple:
    return tuple(term.sort_key for term in triple)


@dataclass
class Result:
    """What a query returned: solutions (SELECT), a boolean (ASK), or triples (a graph)."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)

    @classmethod
    def select(cls, variables: list[str], rows: list[Row]) -> Result:
        return cls("SELECT", list(variables), rows)

    @classmethod
    def ask(cls, value: bool) -> Result:
        return cls("ASK", boolean=bool(value))

    @classmethod
    def graph(cls, form: str, triples: list[Triple]) -> Result:
        return cls(form, list(GRAPH_COLUMNS), triples=sorted(set(triples), key=triple_key))

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def table_rows(self) -> list[list[Term | None]]:
        """The rows as lists of terms in column order; None where a variable is unbound."""
        if self.is_graph:
            return [list(triple) for triple in self.triples]
        return [[row.get(v) for v in self.variables] for row in self.rows]

    def to_graph(self) -> Graph:
        graph = bind_prefixes(Graph(bind_namespaces="none"))
        for triple in self.triples:
            graph.add(tuple(term.to_rdflib() for term in triple))
        return graph


def to_table(result: Result) -> str:
    """An aligned table for reading in a terminal, with long cells shortened."""
    if result.form == "ASK":
        return f"{str(result.boolean).lower()}\n"
    header = list(result.variables)
    body = [
        [_shorten(term.display()) if term is not None else "" for term in row]
        for row in result.table_rows()
    ]
    widths = [max([len(h)] + [len(row[i]) for row in body]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    lines = [line(header), "  ".join("-" * width for width in widths)]
    lines += [line(row) for row in body]
    count = len(body)
    noun = "triple" if result.is_graph else "row"
    lines.append(f"({count} {noun}{'' if count == 1 else 's'})")
    return "\n".join(text.rstrip() for text in lines) + "\n"


def one_line(text: object) -> str:
    """Text on one printable line: white space runs made one space, control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(str(text).split()))


def _shorten(text: str) -> str:
    text = one_line(text)
    if len(text) <= TABLE_CELL_WIDTH:
        return text
    return text[: TABLE_CELL_WIDTH - 1] + "…"


def to_csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV: values only, CRLF line ends."""
    if result.form == "ASK":
        return f"{str(result.boolean).lower()}\r\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.table_rows():
        writer.writerow(
            ["" if t is None else f"_:{t.value}" if t.kind == "bnode" else t.value for t in row]
        )
    return buffer.getvalue()


def to_tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV: terms in SPARQL syntax, LF line ends."""
    if result.form == "ASK":
        return f"{str(result.boolean).lower()}\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += [
        "\t".join("" if t is None else t.sparql() for t in row) for row in result.table_rows()
    ]
    return "\n".join(lines) + "\n"


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON for SELECT and ASK; JSON-LD for a graph."""
    if result.is_graph:
        return to_jsonld(result.to_graph()).decode("utf-8")
    if result.form == "ASK":
        document = {"head": {}, "boolean": result.boolean}
    else:
        bindings = [{v: row[v].json() for v in result.variables if v in row} for row in result.rows]
        document = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_turtle_text(result: Result) -> str:
    return to_turtle(result.to_graph()).decode("utf-8")


def to_ntriples_text(result: Result) -> str:
    return to_ntriples(result.to_graph()).decode("utf-8")


# format name -> (writer, whether it is for graphs only)
FORMATS = {
    "table": (to_table, False),
    "csv": (to_csv, False),
    "tsv": (to_tsv, False),
    "json": (to_json, False),
    "turtle": (to_turtle_text, True),
    "ntriples": (to_ntriples_text, True),
}


def write(result: Result, format_name: str) -> str:
    """The result in a named format."""
    writer, graphs_only = FORMATS[format_name]
    if graphs_only and not result.is_graph:
        raise QueryError(f"--format {format_name} is for CONSTRUCT and DESCRIBE queries")
    return writer(result)
