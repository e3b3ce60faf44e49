"""Data-driven shape cases: each edits the conforming fixture and lists the results it must give.

A case file (cases/*.yaml) maps a case name to:

- `about`: what the case shows (optional);
- `rename`: {old IRI: new IRI}, applied everywhere in the fixture first;
- `delete`, `insert`: Turtle triples removed from, then added to the fixture;
- `expect`: every result the shapes give, each
  `[focus, path, component, shape]` or `[focus, path, component, shape, severity]`
  (severity Violation when left out; component without "ConstraintComponent").

Terms are written as in Turtle with the fixture's prefixes, except that
instance IRIs may keep their slashes (`id:service/rainbow-alliance`); a
blank focus node is `blank` and a literal one its quoted lexical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from amhe_kg.namespaces import PREFIXES as NAMESPACES
from amhe_kg.validate import SHAPES, Report, curie

HERE = Path(__file__).resolve().parent
VALID = HERE / "valid.ttl"
CASES = HERE / "cases"
ID = "https://w3id.org/amhe/id/"
TURTLE_PREFIXES = "".join(
    line + "\n" for line in VALID.read_text(encoding="utf-8").splitlines() if line.startswith("@")
)
_ID_NAME = re.compile(r"(?<![\w<\"])id:([A-Za-z0-9_.\-/]*[A-Za-z0-9_\-])")


@dataclass(frozen=True)
class Case:
    """One edit of the fixture and the results it must give."""

    name: str
    file: str
    about: str
    rename: dict[str, str]
    delete: str
    insert: str
    expect: tuple[tuple[str, str, str, str, str], ...]

    def graph(self, base: Graph) -> Graph:
        """The fixture with this case's edits."""
        renames = {URIRef(_iri(old)): URIRef(_iri(new)) for old, new in self.rename.items()}
        graph = Graph()
        for triple in base:
            graph.add(tuple(renames.get(term, term) for term in triple))
        for triple in _turtle(self.delete):
            graph.remove(triple)
        for triple in _turtle(self.insert):
            graph.add(triple)
        return graph


def load_cases() -> list[Case]:
    """Every case of every file in cases/, in file and then document order."""
    cases = []
    for path in sorted(CASES.glob("*.yaml")):
        for name, body in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            unknown = set(body) - {"about", "rename", "delete", "insert", "expect"}
            if unknown:
                raise ValueError(f"{path.name}: case {name!r}: unknown keys {sorted(unknown)}")
            cases.append(
                Case(
                    name=name,
                    file=path.name,
                    about=body.get("about", ""),
                    rename=body.get("rename") or {},
                    delete=body.get("delete") or "",
                    insert=body.get("insert") or "",
                    expect=tuple(sorted(_expectation(row) for row in body.get("expect") or [])),
                )
            )
    return cases


def _expectation(row: list) -> tuple[str, str, str, str, str]:
    focus, path, component, shape, *severity = row
    return (
        _focus_text(focus),
        path or "",
        component,
        shape,
        severity[0] if severity else "Violation",
    )


def _focus_text(text: str) -> str:
    if text == "blank" or text.startswith('"'):
        return text
    return curie(URIRef(_iri(text)))


def _iri(text: str) -> str:
    if text.startswith("id:"):
        return ID + text[3:]
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    prefix, _, local = text.partition(":")
    namespaces = {**{p: str(n) for p, n in NAMESPACES.items()}, "sh": str(SH), "amhesh": SHAPES}
    return namespaces[prefix] + local


def _turtle(snippet: str) -> Graph:
    graph = Graph()
    if snippet.strip():
        body = _ID_NAME.sub(lambda m: f"<{ID}{m.group(1)}>", snippet)
        graph.parse(data=TURTLE_PREFIXES + body, format="turtle")
    return graph


def observed(report: Report) -> tuple[tuple[str, str, str, str, str], ...]:
    """The results of a report in the notation of the cases."""
    rows = []
    for result in report.results:
        if isinstance(result.focus, BNode):
            focus = "blank"
        elif isinstance(result.focus, Literal):
            focus = f'"{result.focus}"'
        else:
            focus = curie(result.focus)
        rows.append(
            (
                focus,
                result.path or "",
                str(result.component).removeprefix(str(SH)).removesuffix("ConstraintComponent"),
                curie(result.shape),
                str(result.severity).removeprefix(str(SH)),
            )
        )
    return tuple(sorted(rows))


# constraint parameter -> constraint component (the SHACL Core list, and SPARQL)
COMPONENTS = {
    SH["class"]: "Class",
    SH.datatype: "Datatype",
    SH.nodeKind: "NodeKind",
    SH.minCount: "MinCount",
    SH.maxCount: "MaxCount",
    SH.minExclusive: "MinExclusive",
    SH.minInclusive: "MinInclusive",
    SH.maxExclusive: "MaxExclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH.pattern: "Pattern",
    SH.languageIn: "LanguageIn",
    SH.uniqueLang: "UniqueLang",
    SH.equals: "Equals",
    SH.disjoint: "Disjoint",
    SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals",
    SH["not"]: "Not",
    SH["and"]: "And",
    SH["or"]: "Or",
    SH.xone: "Xone",
    SH.node: "Node",
    SH.property: None,
    SH.qualifiedValueShape: "QualifiedMinCount",
    SH.closed: "Closed",
    SH.hasValue: "HasValue",
    SH["in"]: "In",
    SH.sparql: "SPARQL",
}


def constraints(shapes: Graph) -> set[tuple[str, str]]:
    """Every (named shape, constraint component) of the shapes graph."""
    found = set()
    for shape in set(shapes.subjects()):
        if not isinstance(shape, URIRef) or not str(shape).startswith(
            "https://w3id.org/amhe/shapes#"
        ):
            continue
        for parameter, value in shapes.predicate_objects(shape):
            component = COMPONENTS.get(parameter)
            if component is None or (parameter == SH.closed and not value):
                continue
            found.add((curie(shape), component))
    return found


_RUDOF: dict[str, object] = {}


def rudof_observed(graph: Graph, shapes_text: str) -> tuple[tuple[str, str, str, str, str], ...]:
    """The results of pyrudof's SHACL engine, in the notation of the cases."""
    import pyrudof

    rudof = _RUDOF.get(shapes_text)
    if rudof is None:
        rudof = _RUDOF[shapes_text] = pyrudof.Rudof(pyrudof.RudofConfig())
        rudof.read_shacl(shapes_text)
    rudof.reset_data()
    rudof.read_data(graph.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
    rows = []
    for entry in rudof.validate_shacl():
        rows.append(
            (
                _rudof_term(str(entry.focus_node)),
                _rudof_path(entry.path),
                str(entry.constraint_component)
                .removeprefix(str(SH))
                .removesuffix("ConstraintComponent"),
                curie(URIRef(str(entry.source_shape))),
                str(entry.severity),
            )
        )
    return tuple(sorted(rows))


def _rudof_term(text: str) -> str:
    if text.startswith("_:"):
        return "blank"
    literal = re.fullmatch(r'"(.*)"(\^\^.*|@.*)?', text, flags=re.S)
    if literal:
        return f'"{literal.group(1)}"'
    return curie(URIRef(text))


def _rudof_path(path: str | None) -> str:
    if path is None:
        return ""
    if path.startswith("^(") and path.endswith(")"):
        return "^" + _rudof_path(path[2:-1])
    if path.startswith("(") and path.endswith(")"):
        return "/".join(_rudof_path(step) for step in path[1:-1].split(" / "))
    return curie(URIRef(path))
