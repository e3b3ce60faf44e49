"""Ready-made SPARQL query files: their header, their parameters, and safe binding.

A query file is SPARQL 1.1 preceded by a header of `#` comment lines:

    # title: Interventions that target a characteristic
    # question: Which interventions target a given characteristic, and of which types?
    # param: characteristic | iri | characteristic/age | characteristic/race | A characteristic.
    # columns: row, intervention, target, type

A field may continue on the following comment lines, indented. A parameter is
`name | type | default | example | description`; the default `-` makes it
required and `*` matches any value. Parameter values are checked against their
type and bound by a `VALUES` block placed at the start of the query's top-level
`WHERE` group, written from the checked value, so a value can never change the
structure of the query. Inside the query a parameter is the variable of the
same name with `-` written `_` (`min-studies` is `?min_studies`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
ID_BASE = "https://w3id.org/amhe/id/"
FIELDS = ("title", "question", "param", "columns")
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
REQUIRED = "-"
ANY = "*"

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
ABSOLUTE_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^<>"{}|^`\\\x00-\x20]+$')
ID_PATH = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)*$")
# Characters a search text never needs and that only delimit SPARQL syntax.
SPARQL_DELIMITERS = set('"\\<>{}')
HEADER_FIELD = re.compile(rf" ?({'|'.join(FIELDS)}):\s*(.*)")
CONTINUATION = re.compile(r"\s{2,}\S")
WORD = re.compile(r"\w+")


class QueryError(Exception):
    """A query that cannot be found, read, bound or run; the message says why."""


@dataclass(frozen=True)
class ParamType:
    """A parameter type: how a value is checked, normalised and written as a SPARQL term."""

    name: str
    expects: str
    check: Callable[[str], str | None]
    render: Callable[[str], str]


def _pattern(regex: str, upper: bool = False) -> Callable[[str], str | None]:
    compiled = re.compile(regex)

    def check(value: str) -> str | None:
        value = value.upper() if upper else value
        return value if compiled.fullmatch(value) else None

    return check


def _check_iri(value: str) -> str | None:
    if ID_PATH.fullmatch(value):
        value = ID_BASE + value
    elif not ABSOLUTE_IRI.fullmatch(value):
        return None
    try:
        pyoxigraph.NamedNode(value)  # RFC 3987, as the query parser will read it
    except ValueError:
        return None
    return value


def _check_string(value: str) -> str | None:
    if not 0 < len(value) <= 200 or not value.isprintable() or SPARQL_DELIMITERS & set(value):
        return None
    return value


def string_literal(value: str) -> str:
    """A SPARQL string literal with every special character escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType(
            "iri",
            f"an absolute IRI, or a path under {ID_BASE} such as service/black-thrive",
            _check_iri,
            lambda v: f"<{v}>",
        ),
        ParamType(
            "key",
            "a key: lower-case letters and digits in words joined by '-'",
            _pattern(r"[a-z0-9]+(-[a-z0-9]+)*"),
            string_literal,
        ),
        ParamType(
            "code:nice",
            r"a NICE guidance code matching ^(NG|CG|PH|QS)\d+$, such as NG44",
            _pattern(r"(NG|CG|PH|QS)\d+", upper=True),
            string_literal,
        ),
        ParamType(
            "code:gss",
            r"an ONS GSS code matching ^[EWSNK]\d{8}$, such as E12000007",
            _pattern(r"[EWSNK]\d{8}", upper=True),
            string_literal,
        ),
        ParamType(
            "code:iso3166",
            "an ISO 3166-1 alpha-2 or alpha-3 country code, such as GB or GBR",
            _pattern(r"[A-Z]{2,3}", upper=True),
            string_literal,
        ),
        ParamType(
            "integer",
            "a whole number",
            _pattern(r"[+-]?\d{1,9}"),
            lambda v: str(int(v)),
        ),
        ParamType(
            "word",
            "a word or words of letters, spaces, hyphens and apostrophes (at most 40 characters)",
            _pattern(r"[A-Za-z][A-Za-z' -]{0,39}"),
            string_literal,
        ),
        ParamType(
            "string",
            'printable text of at most 200 characters without " \\ < > { or }',
            _check_string,
            string_literal,
        ),
    )
}


@dataclass(frozen=True)
class Param:
    """A parameter a query takes."""

    name: str
    type: str
    default: str
    example: str
    description: str

    @property
    def variable(self) -> str:
        """The SPARQL variable the parameter binds, without `?`."""
        return self.name.replace("-", "_")

    def term(self, value: str, query: str) -> str:
        """The checked value written as a SPARQL term, or UNDEF for any value."""
        if value == ANY:
            return "UNDEF"
        kind = TYPES[self.type]
        checked = kind.check(value)
        if checked is None:
            raise QueryError(
                f"query {query!r}: parameter {self.name!r}: {value!r} is not {kind.expects}"
            )
        return kind.render(checked)


@dataclass(frozen=True)
class QueryFile:
    """A SPARQL query read from a file, with what its header says about it."""

    name: str
    path: Path
    title: str
    question: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    text: str
    form: str

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query {self.name!r} has no parameter {name!r} (its parameters: {known})")

    def bind(self, values: dict[str, str] | None = None) -> str:
        """The query text with every parameter bound to its given or default value."""
        values = dict(values or {})
        for name in values:
            self.param(name)
        if not self.params:
            return self.text
        terms = []
        for param in self.params:
            value = values.get(param.name, param.default)
            if value == REQUIRED:
                raise QueryError(
                    f"query {self.name!r} needs parameter {param.name!r} ({param.type}), "
                    f"e.g. --param {param.name}={param.example}"
                )
            terms.append(param.term(value, self.name))
        variables = " ".join(f"?{p.variable}" for p in self.params)
        block = f"\n  VALUES ({variables}) {{ ({' '.join(terms)}) }}"
        at = where_group(self.text)
        if at is None:
            raise QueryError(
                f"query {self.name!r} takes parameters but has no top-level WHERE group "
                "to bind them in"
            )
        return self.text[:at] + block + self.text[at:]


def read_query(path: Path, name: str | None = None) -> QueryFile:
    """Read a query file and its header."""
    path = Path(path)
    name = name or path.stem
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryError(f"{path}: no such query file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read the query file: {exc}") from None
    fields = _header(text)
    params = tuple(_param(line, path) for line in fields.get("param", []))
    names = [p.name for p in params]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise QueryError(f"{path}: parameter {twice[0]!r} is declared twice")
    form = query_form(text)
    if form is None:
        raise QueryError(f"{path}: not a SPARQL query (no SELECT, CONSTRUCT, DESCRIBE or ASK)")
    columns = tuple(c.strip() for c in " ".join(fields.get("columns", [])).split(",") if c.strip())
    return QueryFile(
        name=name,
        path=path,
        title=" ".join(fields.get("title", [])) or name,
        question=" ".join(fields.get("question", [])),
        params=params,
        columns=columns,
        text=text,
        form=form,
    )


def _header(text: str) -> dict[str, list[str]]:
    """The header fields; lines of the leading comment block that are not fields are ignored."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        field = HEADER_FIELD.fullmatch(line[1:])
        if field:
            current = fields.setdefault(field.group(1), [])
            current.append(field.group(2).strip())
        elif current is not None and CONTINUATION.match(line[1:]):
            current[-1] += " " + line[1:].strip()
        else:
            current = None
    return fields


def _param(line: str, path: Path) -> Param:
    parts = [part.strip() for part in line.split("|")]
    if len(parts) != 5:
        raise QueryError(
            f"{path}: parameter line {line!r} must be 'name | type | default | example | "
            "description'"
        )
    name, type_, default, example, description = parts
    if not NAME.fullmatch(name):
        raise QueryError(f"{path}: parameter name {name!r} must be lower-case words joined by '-'")
    if type_ not in TYPES:
        raise QueryError(
            f"{path}: parameter {name!r} has unknown type {type_!r} (expected one of "
            f"{', '.join(TYPES)})"
        )
    return Param(name, type_, default, example, description)


# Reading SPARQL just enough to find its form and its top-level WHERE group.


def _tokens(text: str) -> Iterator[tuple[int, str, int]]:
    """(offset, token, brace depth) of the words and braces outside comments, strings and IRIs."""
    i, depth, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch in "\"'":
            i = _end_of_string(text, i)
        elif ch == "<" and (iri := IRIREF.match(text, i)):
            i = iri.end()
        elif ch == "{":
            yield i, ch, depth
            depth += 1
            i += 1
        elif ch == "}":
            depth -= 1
            yield i, ch, depth
            i += 1
        elif ch.isalpha() and (
            i == 0 or (text[i - 1] not in "?$:_-" and not text[i - 1].isalnum())
        ):
            end = WORD.match(text, i).end()
            word = text[i:end]
            if end == n or text[end] != ":":
                yield i, word.upper(), depth
            i = end
        else:
            i += 1


def _end_of_string(text: str, start: int) -> int:
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    delimiter = quote * 3 if triple else quote
    i = start + len(delimiter)
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(delimiter, i):
            return i + len(delimiter)
        elif text[i] == "\n" and not triple:
            return i
        else:
            i += 1
    return i


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the form of a query; None if it has none."""
    for _, word, depth in _tokens(text):
        if depth == 0 and word in FORMS:
            return word
    return None


def where_group(text: str) -> int | None:
    """The offset just inside the opening brace of the query's top-level WHERE group."""
    seen_where = False
    for offset, word, depth in _tokens(text):
        if depth != 0:
            continue
        if word == "WHERE":
            seen_where = True
        elif word == "{" and seen_where:
            return offset + 1
    return None


def find_queries(queries_dir: Path = QUERIES_DIR) -> list[QueryFile]:
    """Every ready-made query, sorted by name."""
    return [read_query(path) for path in sorted(Path(queries_dir).glob("*.rq"))]
