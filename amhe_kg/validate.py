"""Validate the graph against the SHACL shapes and trace each result to its curated record.

`validate` runs the shapes on a data graph, compiled to SPARQL on Oxigraph
(`amhe_kg.shacl`) or with pySHACL, and returns a `Report`: every
result with its severity, shape, focus node, path, value and message, the
curated file, line and record the focus node was built from, found from its IRI
(`.../id/{kind}/{key}`), and its `prov:wasDerivedFrom` source location. An
observation of the data cubes is traced to the record whose figure it states,
or, if recomputed, to the records it counts. The report prints as text for
curators, as a standard `sh:ValidationReport` in Turtle, or as JSON. The
`command` object is `amhe-kg validate`.
"""

from __future__ import annotations

import gc
import importlib.resources
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import click
from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Store
from pyoxigraph import Literal as OxigraphLiteral
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SH
from rdflib.term import Node

from amhe_kg.cube import DATASET_BY_KEY
from amhe_kg.errors import SourceError
from amhe_kg.namespaces import ID, PREFIXES, bind_prefixes
from amhe_kg.options import data_option, ontology_option
from amhe_kg.paths import OUTPUT_DIR, SHAPES_FILE
from amhe_kg.results import one_line
from amhe_kg.shacl import (
    PATH_OPERATORS,
    SEVERITIES,
    Finding,
    ShapesError,
    Unsupported,
    compile_shapes,
    path_expr,
    run,
    to_store,
    with_prefixes,
)
from amhe_kg.sources import LAYOUT, Sources, load_sources
from amhe_kg.terms import to_oxigraph, to_rdflib
from amhe_kg.yamlfile import Mapping, read_yaml

GRAPH_FILE = OUTPUT_DIR / "amhe.ttl"
SHAPES = "https://w3id.org/amhe/shapes#"
SOURCE_IRI = str(ID["source/"])
# prefix -> namespace for CURIEs: the shapes, the instances (id:), SHACL, then the longest first
CURIE_PREFIXES = (
    ("amhesh", SHAPES),
    ("id", str(ID)),
    ("sh", str(SH)),
    *sorted(((p, str(n)) for p, n in PREFIXES.items()), key=lambda p: -len(p[1])),
)
LABEL = NamedNode(str(RDFS.label))
DERIVED_FROM = NamedNode(str(PROV.wasDerivedFrom))
INFERENCE = ("none", "rdfs")

# file extension -> rdflib format
RDF_FORMATS = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld", ".nt": "nt"}
FORMAT_NAMES = {"turtle": "Turtle", "json-ld": "JSON-LD", "nt": "N-Triples"}
INPUT_FORMATS = {"turtle": "turtle", "json-ld": "json-ld", "n-triples": "nt"}
OXIGRAPH_FORMATS = {
    "turtle": RdfFormat.TURTLE,
    "json-ld": RdfFormat.JSON_LD,
    "nt": RdfFormat.N_TRIPLES,
}
MAX_NESTING = 500  # RDF 1.2 triple terms in Turtle or N-Triples
ENGINES = ("oxigraph", "pyshacl")
ENGINE_NAMES = {"oxigraph": "SHACL as SPARQL on Oxigraph", "pyshacl": "pySHACL"}
HAS_SUBCLASSES = "ASK { ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?super }"

SEVERITY_NAMES = dict(zip(SEVERITIES, ("Violation", "Warning", "Info"), strict=True))

EXIT_CODES = """
Exit codes: 0 the data conforms (warnings and info allowed); 1 there is at
least one sh:Violation; 2 an input could not be read (a missing file, an
unknown format, RDF that does not parse, or a shapes graph that cannot be
used).
"""


class ViolationsError(SourceError):
    """The graph violates the shapes, so nothing is published."""

    def __init__(self, report: Report) -> None:
        self.report = report
        violations = report.of(SH.Violation)
        first = violations[0].records[0] if violations and violations[0].records else None
        super().__init__(
            first.file if first else "graph",
            first.record if first else None,
            None,
            f"{len(violations)} SHACL violations",
            first.line if first else None,
        )

    def __str__(self) -> str:
        count = len(self.report.of(SH.Violation))
        lines = self.report.lines(SH.Violation)
        return "\n".join(
            [f"the graph has {count} SHACL violation(s); nothing was written:", *lines]
        )


# Reading RDF


def load_store(paths: list[Path] | tuple[Path, ...], rdf_format: str | None = None) -> Store:
    """Parse RDF files (Turtle, JSON-LD or N-Triples, by extension) into one Oxigraph store.

    A JSON-LD @context given by IRI is never fetched: such a document is refused.
    """
    store = Store()
    for path in paths:
        path = Path(path)
        syntax = rdf_format or RDF_FORMATS.get(path.suffix.lower())
        if syntax is None:
            known = ", ".join(sorted(RDF_FORMATS))
            raise SourceError(path, None, None, f"unknown RDF format (expected {known})")
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except FileNotFoundError:
            raise SourceError(path, None, None, "file not found") from None
        except UnicodeDecodeError as exc:
            raise SourceError(path, None, None, f"not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise SourceError(path, None, None, f"cannot be read ({exc.strerror})") from None
        _check_nesting(path, syntax, data)
        try:
            store.load(data, format=OXIGRAPH_FORMATS[syntax], base_iri=path.resolve().as_uri())
        except (SyntaxError, ValueError) as exc:
            raise SourceError(
                path, None, None, f"not valid {FORMAT_NAMES[syntax]}: {one_line(exc)}"
            ) from None
    return store


def _check_nesting(path: Path, syntax: str, data: bytes) -> None:
    """Refuse JSON or triple terms nested deeper than the parser's stack can follow."""
    too_deep = False
    if syntax == "json-ld":
        try:
            json.loads(data)
        except RecursionError:
            too_deep = True
        except ValueError:
            pass  # the RDF parser says what is wrong
    elif b"<<" in data:
        depth = deepest = 0
        for match in re.finditer(rb"<<|>>", data):
            depth += 1 if match.group() == b"<<" else -1
            deepest = max(deepest, depth)
        too_deep = deepest > MAX_NESTING
    if too_deep:
        raise SourceError(
            path,
            None,
            None,
            f"nested too deeply to parse safely (JSON over about 1,000 levels, or triple "
            f"terms over {MAX_NESTING})",
        )


def read_rdf(paths: list[Path] | tuple[Path, ...], rdf_format: str | None = None) -> Graph:
    """Parse RDF files into one rdflib graph (read as `load_store` reads them)."""
    return to_graph(load_store(paths, rdf_format))


def to_graph(store: Store) -> Graph:
    """The default graph of a store as an rdflib graph with the project's prefixes."""
    graph = bind_prefixes(Graph(bind_namespaces="none"))
    for quad in store.quads_for_pattern(None, None, None, DefaultGraph()):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def load_shapes(paths: list[Path] | tuple[Path, ...] = (SHAPES_FILE,)) -> Graph:
    """The shapes graph, read from Turtle (or any syntax `read_rdf` knows)."""
    shapes = read_rdf(paths)
    if not any(shapes.subjects(RDF.type, SH.NodeShape)):
        raise SourceError(paths[0], None, None, "no sh:NodeShape: not a SHACL shapes graph")
    return shapes


def shacl_shacl() -> Graph:
    """The SHACL-for-SHACL shapes graph of the SHACL recommendation, as pySHACL ships it."""
    asset = importlib.resources.files("pyshacl").joinpath("assets", "shacl-shacl.ttl")
    return Graph().parse(data=asset.read_text(encoding="utf-8"), format="turtle")


def shapes_problems(shapes: Graph) -> list[str]:
    """Why the shapes graph is not valid SHACL: SHACL-for-SHACL results, bad SPARQL, bad regexes."""
    import pyshacl  # imported when used, see _pyshacl
    from rdflib.plugins.sparql import prepareQuery

    problems = []
    _, report, _ = pyshacl.validate(shapes, shacl_graph=shacl_shacl())
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = curie(report.value(result, SH.focusNode))
        message = report.value(result, SH.resultMessage)
        problems.append(f"{focus}: {message}")
    for pattern in set(shapes.objects(None, SH.pattern)):
        try:
            re.compile(str(pattern))
        except re.error as exc:
            problems.append(f"sh:pattern {str(pattern)!r}: {exc}")
    for constraint, select in shapes.subject_objects(SH.select):
        try:
            prepareQuery(with_prefixes(shapes, constraint, str(select)))
        except Exception as exc:  # pyparsing reports bad SPARQL with its own types
            problems.append(f"{curie(constraint)}: SPARQL does not parse: {one_line(exc)}")
    return sorted(problems)


# Validation


class _QueryCachingGraph(Graph):
    """A graph that parses each SPARQL text once; pySHACL queries once per focus node."""

    _prepared: dict[str, Any] = {}  # noqa: RUF012 - shared on purpose, queries do not depend on data

    def query(self, query_object, *args, **kwargs):
        from rdflib.plugins.sparql import prepareQuery  # imported when used, see _pyshacl

        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def validate(
    data: Graph | Store,
    shapes: Graph,
    *,
    inference: str = "none",
    ontology: Graph | None = None,
    sources: Sources | None = None,
    engine: str | None = None,
) -> Report:
    """Validate `data` against `shapes`.

    The `engine` is "oxigraph" (the shapes compiled to SPARQL and run on
    Oxigraph, `amhe_kg.shacl`) or "pyshacl" (the reference). By default
    Oxigraph runs without inference, and pySHACL with `inference="rdfs"`,
    which applies the ontology's RDFS axioms to the data (and mixes the
    ontology into it) first, as pySHACL's `-i rdfs -e` does; pySHACL also
    runs shapes the compiler does not know. `sources` are the curated records
    the results are traced to.
    """
    if inference not in INFERENCE:
        raise ValueError(f"inference must be one of {INFERENCE}")
    engine = engine or ("pyshacl" if inference == "rdfs" else "oxigraph")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}")
    if engine == "oxigraph" and inference == "rdfs":
        raise ValueError("RDFS inference runs on the pyshacl engine")
    store = data if isinstance(data, Store) else to_store(data)
    index = RecordIndex(sources)
    with _without_cycle_collection():
        if engine == "oxigraph":
            try:
                checks = compile_shapes(shapes, bool(store.query(HAS_SUBCLASSES)))
                findings = run(store, checks)
                return Report.from_findings(findings, store, shapes, inference, index, engine)
            except Unsupported as exc:
                note = f"validated with pySHACL: the Oxigraph engine does not run {exc}"
        else:
            note = ""
        graph = data if isinstance(data, Graph) else to_graph(store)
        findings = _findings(_pyshacl(graph, shapes, inference, ontology))
        report = Report.from_findings(findings, store, shapes, inference, index, "pyshacl")
    report.note = note
    return report


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector.

    A report of 100,000 results is about a million objects, none in cycles;
    the collector would go through all of them again and again as they are made.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _findings(results: Graph) -> list[Finding]:
    """The results of a pySHACL report (not the sh:detail of a result)."""
    findings = []
    for node in results.objects(None, SH.result):
        path = results.value(node, SH.resultPath)
        findings.append(
            Finding(
                severity=results.value(node, SH.resultSeverity),
                shape=results.value(node, SH.sourceShape),
                component=results.value(node, SH.sourceConstraintComponent),
                focus=results.value(node, SH.focusNode),
                path=path_expr(results, path) if path is not None else None,
                value=results.value(node, SH.value),
                messages=tuple(str(m) for m in results.objects(node, SH.resultMessage)),
                constraint=results.value(node, SH.sourceConstraint),
            )
        )
    return findings


def _pyshacl(data: Graph, shapes: Graph, inference: str, ontology: Graph | None) -> Graph:
    # pySHACL and rdflib's SPARQL engine are imported only when used: loading them takes
    # longer than the rest of a build's validation.
    import pyshacl

    target = _QueryCachingGraph()
    for triple in data:
        target.add(triple)
    if inference == "rdfs":
        shapes = _for_inference(shapes)
        for triple in ontology if ontology is not None else ():
            target.add(triple)
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)  # pySHACL logs what it raises; the error is reported once
    try:
        _, results, text = pyshacl.validate(
            target,
            shacl_graph=shapes,
            inference=inference,
            inplace=True,
            allow_warnings=True,
            advanced=False,
        )
    except Exception as exc:  # pySHACL raises its own and third-party types for unusable shapes
        raise ShapesError(one_line(exc)) from None
    finally:
        logging.disable(previous)
    if not isinstance(results, Graph):
        raise ShapesError(one_line(text))
    return results


def _for_inference(shapes: Graph) -> Graph:
    """The shapes without the checks that entailment defeats by design.

    RDFS inference adds every super-property and superclass to the data, so
    closed shapes (sh:closed) and constraints on the values of rdf:type would
    reject what the ontology itself entails; they are switched off.
    """
    relaxed = Graph()
    for triple in shapes:
        relaxed.add(triple)
    for shape in list(relaxed.subjects(SH.closed, None)):
        relaxed.set((shape, SH.closed, Literal(False)))
    for shape in list(relaxed.subjects(SH.path, RDF.type)):
        relaxed.add((shape, SH.deactivated, Literal(True)))
    return relaxed


@dataclass(frozen=True)
class RecordRef:
    """A curated record: its file (relative to the data folder's parent), line and name."""

    file: str
    line: int | None
    record: str | None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: record {self.record!r}" if self.record else where


@dataclass(frozen=True)
class Result:
    """One validation result, with the curated records behind its focus node."""

    severity: URIRef
    shape: Node
    component: URIRef
    focus: Node
    path: str | None
    path_expr: Any
    value: Node | None
    message: str
    constraint: Node | None = None
    label: str | None = None
    locations: tuple[str, ...] = ()
    records: tuple[RecordRef, ...] = ()

    def sort_key(self) -> tuple:
        return (
            SEVERITIES.index(self.severity),
            str(self.shape),
            _n3(self.focus),
            self.path or "",
            _n3(self.value) if self.value is not None else "",
            self.message,
        )


@dataclass
class Report:
    """All results of one validation, in a stable order."""

    results: list[Result]
    inference: str = "none"
    triples: int = 0
    shape_comments: dict[str, str] = field(default_factory=dict)
    engine: str = "oxigraph"
    note: str = ""

    @property
    def conforms(self) -> bool:
        """No sh:Violation (warnings and info allowed, as pySHACL's --allow-warnings)."""
        return self.counts()["Violation"] == 0

    def of(self, severity: URIRef) -> list[Result]:
        return [result for result in self.results if result.severity == severity]

    def counts(self) -> dict[str, int]:
        found = Counter(result.severity for result in self.results)
        return {SEVERITY_NAMES[s]: found[s] for s in SEVERITIES}

    def summary(self) -> str:
        """For example "0 violations, 4 warnings, 88 info"."""
        counts = self.counts()
        return (
            f"{counts['Violation']} violations, {counts['Warning']} warnings, {counts['Info']} info"
        )

    def warning_lines(self) -> list[str]:
        """One line per warning, as the build prints them."""
        return self.lines(SH.Warning)

    @classmethod
    def from_findings(
        cls,
        findings: Iterable[Finding],
        data: Store,
        shapes: Graph,
        inference: str,
        index: RecordIndex,
        engine: str,
    ) -> Report:
        """The report of the findings on the data in a store, each traced to its records."""
        describe = _Describer(data, index)
        collected = []
        for finding in findings:
            label, locations, records = describe(finding.focus, finding.path)
            collected.append(
                Result(
                    severity=finding.severity,
                    shape=finding.shape,
                    component=finding.component,
                    focus=finding.focus,
                    path=_path_text(finding.path) if finding.path is not None else None,
                    path_expr=finding.path,
                    value=finding.value,
                    message=min(finding.messages, default=""),
                    constraint=finding.constraint,
                    label=label,
                    locations=locations,
                    records=records,
                )
            )
        comments = {
            str(shape): one_line(comment)
            for shape, comment in shapes.subject_objects(RDFS.comment)
            if isinstance(shape, URIRef)
        }
        unique = {(r.sort_key(), str(r.component), str(r.constraint)): r for r in collected}
        ordered = [unique[key] for key in sorted(unique)]
        return cls(ordered, inference, len(data), comments, engine)

    # output

    def lines(self, severity: URIRef) -> list[str]:
        """One line per result of a severity: where to fix it, what and why."""
        out = []
        for result in self.of(severity):
            where = str(result.records[0]) if result.records else curie(result.focus)
            path = f": {result.path}" if result.path else ""
            out.append(f"{where}{path}: {result.message}")
        return out

    def to_text(self, source: str = "") -> str:
        """The report for curators: grouped by severity and shape."""
        inference = "RDFS inference" if self.inference == "rdfs" else "no inference"
        engine = ENGINE_NAMES[self.engine]
        head = [
            f"Validated {source} ({self.triples} triples, {inference}, {engine})" if source else ""
        ]
        verdict = "conforms" if self.conforms else "DOES NOT CONFORM"
        head.append(f"{verdict}: {self.summary()}")
        out = [line for line in head if line]
        for severity in SEVERITIES:
            results = self.of(severity)
            if not results:
                continue
            out.append("")
            out.append(f"== {SEVERITY_NAMES[severity]}s ({len(results)}) ==")
            groups: dict[str, list[Result]] = {}
            for result in results:
                groups.setdefault(str(result.shape), []).append(result)
            for shape, members in groups.items():
                out.append("")
                out.append(f"{curie(URIRef(shape))} ({len(members)})")
                if shape in self.shape_comments:
                    out.append(f"  checks: {self.shape_comments[shape]}")
                for result in members:
                    out.extend(_result_text(result))
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        """The report for scripts."""
        document = {
            "conforms": self.conforms,
            "inference": self.inference,
            "engine": self.engine,
            "counts": self.counts(),
            "results": [
                {
                    "severity": SEVERITY_NAMES[r.severity],
                    "shape": str(r.shape) if isinstance(r.shape, URIRef) else None,
                    "component": str(r.component),
                    "focus": str(r.focus),
                    "label": r.label,
                    "path": r.path,
                    "value": str(r.value) if r.value is not None else None,
                    "message": r.message,
                    "locations": list(r.locations),
                    "sources": [
                        {"file": ref.file, "line": ref.line, "record": ref.record}
                        for ref in r.records
                    ],
                }
                for r in self.results
            ],
        }
        # one line: json's fast C encoder does not indent, and a report can hold 100,000 results
        return json.dumps(document, ensure_ascii=False) + "\n"

    def to_graph(self) -> Graph:
        """The standard sh:ValidationReport, with blank nodes named in result order."""
        graph = bind_prefixes(Graph(bind_namespaces="none"))
        graph.bind("sh", SH)
        graph.bind("amhesh", SHAPES)
        report = BNode("report")
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        for number, result in enumerate(self.results, start=1):
            node = BNode(f"r{number:05d}")
            graph.add((report, SH.result, node))
            graph.add((node, RDF.type, SH.ValidationResult))
            graph.add((node, SH.resultSeverity, result.severity))
            graph.add((node, SH.focusNode, result.focus))
            graph.add((node, SH.sourceShape, result.shape))
            graph.add((node, SH.sourceConstraintComponent, result.component))
            if isinstance(result.constraint, URIRef):
                graph.add((node, SH.sourceConstraint, result.constraint))
            if result.path_expr is not None:
                graph.add((node, SH.resultPath, _path_node(result.path_expr, graph, str(node))))
            if result.value is not None:
                graph.add((node, SH.value, result.value))
            if result.message:
                graph.add((node, SH.resultMessage, Literal(result.message, lang="en")))
            for ref in result.records:
                graph.add((node, DCTERMS.source, Literal(str(ref))))
        return graph

    def to_turtle(self) -> bytes:
        return self.to_graph().serialize(format="turtle", encoding="utf-8")


def _result_text(result: Result) -> list[str]:
    focus = curie(result.focus)
    label = f' "{result.label}"' if result.label else ""
    out = [f"  - {focus}{label}"]
    if result.path:
        value = f"   value: {_term_text(result.value)}" if result.value is not None else ""
        out.append(f"      property: {result.path}{value}")
    elif result.value is not None and result.value != result.focus:
        out.append(f"      value: {_term_text(result.value)}")
    out.append(f"      message: {result.message}")
    for ref in result.records:
        out.append(f"      fix in: {ref}")
    if result.locations:
        out.append(f"      source: {'; '.join(result.locations)}")
    return out


def _path_node(expr: Any, graph: Graph, name: str) -> Node:
    """Write a path expression into a graph, naming its blank nodes after `name`."""
    if isinstance(expr, URIRef):
        return expr
    operator, operand = expr
    node = BNode(f"{name}p")
    if operator == "/":
        steps = [_path_node(step, graph, f"{name}s{i}") for i, step in enumerate(operand)]
        Collection(graph, node, steps)
        return node
    if operator == "|":
        alternatives = BNode(f"{name}a")
        steps = [_path_node(step, graph, f"{name}a{i}") for i, step in enumerate(operand)]
        Collection(graph, alternatives, steps)
        graph.add((node, SH.alternativePath, alternatives))
        return node
    graph.add((node, PATH_OPERATORS[operator], _path_node(operand, graph, f"{name}o")))
    return node


# Paths, labels, provenance


def _n3(term: Node) -> str:
    """A term in N-Triples syntax (an IRI without checking it, as it came from an RDF parser)."""
    return f"<{term}>" if isinstance(term, URIRef) else term.n3()


@cache
def _path_text(expr: Any) -> str:
    """A path in SPARQL syntax with CURIEs, such as ^amhe:solution or amhe:a/amhe:b."""
    if isinstance(expr, URIRef):
        return curie(expr)
    operator, operand = expr
    if operator in ("/", "|"):
        return operator.join(_path_text(step) for step in operand)
    if operator == "^":
        return "^" + _path_text(operand)
    return f"({_path_text(operand)}){operator}"


class _Describer:
    """The label, source locations and records of the resources a result is about.

    A result is about its focus node or, where the focus is a literal reached
    by an inverse path (a code shared by several resources), the resources
    sharing it. Lookups are made in the store and remembered per focus.
    """

    def __init__(self, store: Store, index: RecordIndex) -> None:
        self.store = store
        self.index = index
        self.known: dict[tuple, tuple] = {}
        # a pattern naming the default graph is slower; needed only beside named graphs
        self.graph = DefaultGraph() if any(store.named_graphs()) else None

    def __call__(self, focus: Node, path: Any) -> tuple:
        inverse = isinstance(path, tuple) and path[0] == "^" and isinstance(path[1], URIRef)
        key = (focus, path[1]) if isinstance(focus, Literal) and inverse else (focus, None)
        if key not in self.known:
            self.known[key] = self._describe(self._resources(*key))
        return self.known[key]

    def _resources(self, focus: Node, inverse: URIRef | None) -> list:
        if inverse is None:
            return [to_oxigraph(focus)]
        quads = self.store.quads_for_pattern(
            None, NamedNode(inverse), to_oxigraph(focus), self.graph
        )
        return sorted((quad.subject for quad in quads), key=lambda term: term.value)

    def _describe(self, subjects: list) -> tuple:
        labels = sorted(label.value for s in subjects for label in self._objects(s, LABEL))
        locations, records = set(), {}
        for subject in subjects:
            origins = [o for o in self._objects(subject, DERIVED_FROM) if isinstance(o, NamedNode)]
            for origin in origins:
                if _in_document(origin.value):
                    locations.update(label.value for label in self._objects(origin, LABEL))
            own = subject.value if isinstance(subject, NamedNode) else None
            records.update(dict.fromkeys(self.index.trace(own, [o.value for o in origins])))
        return "; ".join(labels) or None, tuple(sorted(locations)), tuple(records)

    def _objects(self, subject, predicate: NamedNode) -> list:
        if isinstance(subject, OxigraphLiteral):
            return []
        quads = self.store.quads_for_pattern(subject, predicate, None, self.graph)
        return [quad.object for quad in quads]


def _in_document(iri: str) -> bool:
    """A part of the source document or a location in it (.../id/source/...)."""
    return iri.startswith(SOURCE_IRI)


def curie(node: Node | None) -> str:
    """A short name for a term: a CURIE with the project's prefixes (id: for instances)."""
    if node is None:
        return ""
    if isinstance(node, URIRef):
        for prefix, namespace in CURIE_PREFIXES:
            if node.startswith(namespace):
                return f"{prefix}:{node[len(namespace) :]}"
        return f"<{node}>"
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _term_text(node: Node) -> str:
    if isinstance(node, Literal):
        if isinstance(node.value, (bool, int, float, Decimal)):
            return str(node)
        return json.dumps(str(node), ensure_ascii=False)
    return curie(node)


# From IRIs to curated records

# IRI kind -> Sources attributes that hold records of that kind
KINDS: dict[str, tuple[str, ...]] = {
    "duty-holder": ("duty_holders",),
    "legislation": ("acts",),
    "figure": ("figures",),
    "research-question": ("research_questions",),
    "intervention-type": ("intervention_types",),
    "characteristic": ("characteristics",),
    "country": ("countries",),
    "study-tally": ("tallies",),
    "intervention": ("interventions",),
    "place": ("places",),
    "organisation": ("organisations",),
    "practice-theme": ("themes",),
    "service": ("services",),
    "initiative": ("initiatives",),
    "barrier": ("barriers", "coproduction_barriers"),
    "ladder": ("participation_groups", "rungs"),
    "co-production-stage": ("stages",),
    "vignette": ("vignettes",),
    "restrictive-practice": ("restrictive_practices",),
    "population-group": ("population_groups",),
    "guideline": ("guidelines",),
    "resource-topic": ("topics",),
    "resource": ("resources",),
    "abbreviation": ("abbreviations",),
}

# kind -> (field of the record holding nested records, field naming a nested record)
NESTED = {
    "legislation": ("provisions", "key"),
    "characteristic": ("subtypes", "key"),
    "co-production-stage": ("actions", "key"),
    "intervention": ("targets", "subtype"),
}

# The data cubes (amhe_kg/cube.py). Data set -> the kind of record whose figure each of its
# observations states, keyed as the observation is (.../cube/table-3/observation/{c}/{t} is
# the `stated_studies` of subtype {c}/{t}). The other data sets are recomputed from Table 5:
# `RecordIndex.trace` follows their observations to the records they count.
STATED_FIGURES = {
    "table-2": "intervention-type",
    "table-3": "characteristic",
    "table-4": "study-tally",
    "table-5-totals": "characteristic",
}
# .../id/cube/{key}/... that is not a data set -> the part of the document it comes from
CUBE_PARTS = {"unit": "appendix-2", "code-list": "table-4"}


class RecordIndex:
    """Finds the curated record (file, line, key) a resource of the graph was built from."""

    def __init__(self, sources: Sources | None) -> None:
        self.sources = sources
        self._yaml: dict[Path, Mapping] = {}
        self._sections = {
            attribute: (filename, section)
            for filename, sections in LAYOUT.items()
            for section, (attribute, _model, _is_list) in sections.items()
        }

    def trace(self, iri: str | None, origins: list[str]) -> tuple[RecordRef, ...]:
        """The records to correct for a resource, given its IRI and prov:wasDerivedFrom IRIs.

        A resource derived from other records of the graph (a recomputed observation names
        the interventions or curated links it counts) is traced to those; any other to its
        own record (`find`).
        """
        counted = {
            ref
            for origin in origins
            if not _in_document(origin) and (ref := self.find(origin)) is not None
        }
        if counted:
            return tuple(sorted(counted, key=lambda r: (r.file, r.line or 0, r.record or "")))
        own = self.find(iri)
        return (own,) if own is not None else ()

    def find(self, iri: str | None) -> RecordRef | None:
        """The record behind an instance IRI, or None for anything else."""
        if self.sources is None or iri is None or not iri.startswith(ID):
            return None
        kind, *keys = iri[len(ID) :].split("/")
        if kind == "dataset" and not keys:
            return self._source([self.sources.document.key])
        if not keys:
            return None
        try:
            if kind == "source":
                return self._source(keys)
            if kind == "solution":
                return self._solution(keys[0])
            if kind == "cube":
                return self._cube(keys)
            return self._record(kind, keys)
        except (KeyError, AttributeError, SourceError):
            return None

    def _record(self, kind: str, keys: list[str]) -> RecordRef | None:
        for attribute in KINDS.get(kind, ()):
            record = getattr(self.sources, attribute).get(keys[0])
            if record is None:
                continue
            ref = self._ref(record)
            nested = NESTED.get(kind)
            rest = keys[2:] if kind == "intervention" and keys[1:2] == ["target"] else keys[1:]
            if nested and rest:
                child = "/".join(rest)
                line = self._nested_line(attribute, keys[0], nested[0], nested[1], child)
                return RecordRef(ref.file, line or ref.line, f"{keys[0]}/{child}")
            return ref
        return None

    def _solution(self, key: str) -> RecordRef | None:
        for attribute in ("barriers", "coproduction_barriers"):
            for barrier in getattr(self.sources, attribute).values():
                if any(solution.key == key for solution in barrier.solutions):
                    ref = self._ref(barrier)
                    line = self._nested_line(attribute, barrier.key, "solutions", "key", key)
                    return RecordRef(ref.file, line or ref.line, f"{barrier.key}/{key}")
        return None

    def _cube(self, keys: list[str]) -> RecordRef | None:
        """A stated figure's record, a study area's tally, or the part a cube resource is of.

        A recomputed observation, a data set, its structure and component specifications
        are traced to their table, a unit of measure and the code list to their part.
        """
        key, *rest = keys
        if key == "study-area":
            return self._study_area("/".join(rest))
        if rest[:1] == ["observation"] and rest[1:] and key in STATED_FIGURES:
            return self._record(STATED_FIGURES[key], rest[1:])
        return self._source([CUBE_PARTS.get(key) or DATASET_BY_KEY[key].part])

    def _study_area(self, key: str) -> RecordRef | None:
        """The first tally of a study area (a joint or unclear row of Table 4)."""
        for tally in self.sources.tallies.values():
            if tally.key == f"{tally.question}-{key}":
                return self._ref(tally)
        return None

    def _source(self, keys: list[str]) -> RecordRef | None:
        document = self.sources.document
        if document is not None and keys == [document.key]:
            return RecordRef(self._file("document.yaml"), self._section_line("document"), None)
        part = self.sources.parts.get(keys[0])
        if part is not None:
            return self._ref(part)
        identifiers = getattr(self.sources, "identifiers", None)
        if identifiers is not None and keys == ["identifiers"]:
            return RecordRef(self._file("identifiers.csv"), None, None)
        return None

    def _ref(self, record) -> RecordRef:
        origin = self.sources.origin(record)
        name = getattr(record, "key", None)
        return RecordRef(self._file(origin.path.name), origin.line, name)

    def _file(self, name: str) -> str:
        return f"{self.sources.data_dir.name}/{name}"

    def _mapping(self, attribute: str) -> Mapping:
        filename, _ = self._sections[attribute]
        path = self.sources.data_dir / filename
        if path not in self._yaml:
            self._yaml[path] = read_yaml(path)
        return self._yaml[path]

    def _section_line(self, attribute: str) -> int | None:
        """The line of a section that is a single record (the document)."""
        section = self._mapping(attribute).get(self._sections[attribute][1])
        return section.line if isinstance(section, Mapping) else None

    def _nested_line(
        self, attribute: str, key: str, list_field: str, key_field: str, child: str
    ) -> int | None:
        """The line of a record nested in another (a provision of an Act, a subtype...)."""
        section = self._mapping(attribute).get(self._sections[attribute][1], [])
        for item in section:
            if isinstance(item, Mapping) and item.get("key") == key:
                for nested in item.get(list_field) or []:
                    if isinstance(nested, Mapping) and nested.get(key_field) == child:
                        return nested.line
        return None


# The command


@click.command("validate", epilog=EXIT_CODES)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--shapes",
    "shapes_files",
    type=click.Path(path_type=Path),
    multiple=True,
    default=[SHAPES_FILE],
    show_default=True,
    help="SHACL shapes (repeat for several files).",
)
@click.option(
    "--inference",
    type=click.Choice(INFERENCE),
    default="none",
    show_default=True,
    help=(
        "none: validate the data as published, with its explicit types. rdfs: first add "
        "what the ontology's RDFS axioms entail (slower; rdfs:range then types a wrongly "
        "linked resource into the expected class, hiding sh:class violations, and closed "
        "shapes and checks of rdf:type are switched off)."
    ),
)
@ontology_option("The ontology whose axioms --inference rdfs applies.")
@data_option("Curated sources, to name the file, line and record behind each result.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="text for people, turtle for a standard sh:ValidationReport, json for scripts.",
)
@click.option(
    "--input-format",
    type=click.Choice(sorted(INPUT_FORMATS)),
    default=None,
    help="Syntax of FILES (default: from the extension: .ttl, .jsonld/.json, .nt).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=None,
    help=(
        "oxigraph: the shapes compiled to SPARQL on Oxigraph (fast; the default without "
        "inference). pyshacl: pySHACL, the reference (the default, and the only engine, "
        "with --inference rdfs)."
    ),
)
@click.option(
    "--check-shapes",
    is_flag=True,
    help="Also check the shapes graph against SHACL-for-SHACL (a few seconds).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to this file instead of standard output.",
)
def command(
    files: tuple[Path, ...],
    shapes_files: tuple[Path, ...],
    inference: str,
    ontology_file: Path,
    data_dir: Path,
    output_format: str,
    input_format: str | None,
    engine: str | None,
    check_shapes: bool,
    output: Path | None,
) -> None:
    """Validate the built graph (or FILES) against the SHACL shapes.

    Each result names the resource, the property, the message, and the curated
    file, line and record to correct.
    """
    files = files or (GRAPH_FILE,)
    if engine == "oxigraph" and inference == "rdfs":
        _fail("--inference rdfs runs on the pyshacl engine: leave out --engine oxigraph")
    try:
        data = load_store(files, INPUT_FORMATS.get(input_format or ""))
        shapes = load_shapes(shapes_files)
        if check_shapes:
            problems = shapes_problems(shapes)
            if problems:
                raise ShapesError("not valid SHACL: " + "; ".join(problems[:5]))
        ontology = read_rdf([ontology_file]) if inference == "rdfs" else None
        sources = _sources_or_none(data_dir)
        report = validate(
            data, shapes, inference=inference, ontology=ontology, sources=sources, engine=engine
        )
    except SourceError as error:
        _fail(str(error))
    except ShapesError as error:
        _fail(f"{', '.join(map(str, shapes_files))}: {error}")
    source = ", ".join(map(str, files))
    if report.note:
        click.echo(f"note: {report.note}", err=True)
    with _without_cycle_collection():
        text = {
            "text": lambda: report.to_text(source),
            "turtle": lambda: report.to_turtle().decode("utf-8"),
            "json": report.to_json,
        }[output_format]()
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot be written ({exc.strerror})")
    sys.exit(0 if report.conforms else 1)


def _sources_or_none(data_dir: Path) -> Sources | None:
    try:
        return load_sources(data_dir)
    except SourceError as error:
        click.echo(f"note: results are not traced to curated records: {error}", err=True)
        return None


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
