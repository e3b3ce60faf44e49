"""SHACL validation compiled to SPARQL and run on Oxigraph.

`compile_shapes` turns a shapes graph into SPARQL queries over all the focus
nodes of a shape at once: one finds the values that break any of the shape's
value constraints (a variable per constraint says which), one its
cardinalities (a NOT EXISTS where one value is all that is required), one
each sh:hasValue, property pair and closed check. Shapes nested in sh:or,
sh:xone, sh:not, sh:and and sh:node become FILTER expressions. A SHACL-SPARQL
constraint runs once per shape with `$this` unbound, and its rows are kept
for the shape's focus nodes (the same answers as pre-binding `$this` where,
as in every constraint of the project's shapes, `$this` is bound by a triple
pattern of the query's top-level group). `run` runs the queries in threads
and returns the results as `Finding`s, which `amhe_kg.validate` also makes
of pySHACL's report, so a report is made the same way whichever engine found
them.

The compiler knows the constraint components of SHACL Core except
sh:qualifiedValueShape, sh:uniqueLang and property-pair constraints on node
shapes, and nested cardinalities other than sh:minCount 1 and sh:maxCount 0;
shapes that use anything else raise `Unsupported`. Literals are checked
against their datatype by XSD rules (Oxigraph's casts), which differ from
pySHACL's Python parsers only on forms such as "1e3"^^xsd:decimal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from itertools import count
from typing import Any

import pyoxigraph
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from amhe_kg.terms import to_oxigraph, to_rdflib

# SPARQL path operator -> SHACL path property
PATH_OPERATORS = {
    "^": SH.inversePath,
    "*": SH.zeroOrMorePath,
    "+": SH.oneOrMorePath,
    "?": SH.zeroOrOnePath,
}
SEVERITIES = (SH.Violation, SH.Warning, SH.Info)
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
RANGES = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
PAIRS = {SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals}
# datatypes whose lexical forms Oxigraph checks when casting
CASTABLE = {
    XSD[name]
    for name in (
        *("integer", "decimal", "float", "double", "boolean", "date", "dateTime", "time"),
        *("duration", "dayTimeDuration", "yearMonthDuration"),
        *("gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay"),
    )
}
# predicates of a shape that the compiler reads or that carry no constraint
KNOWN = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    RDFS.seeAlso,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.path,
    SH.property,
    SH.ignoredProperties,
    SH.flags,
    *TARGETS,
}
VALUE_CONSTRAINTS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH["in"],
    SH.languageIn,
    SH.minLength,
    SH.maxLength,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.node,
    *RANGES,
}
ORDERED_VALUE_CONSTRAINTS = sorted(VALUE_CONSTRAINTS, key=str)
ORDERED_PAIRS = sorted(PAIRS, key=str)
TOP_CONSTRAINTS = {
    *VALUE_CONSTRAINTS,
    SH.minCount,
    SH.maxCount,
    SH.hasValue,
    SH.closed,
    SH.sparql,
    *PAIRS,
}
COMPONENT_NAMES = {
    SH["class"]: "Class",
    SH.datatype: "Datatype",
    SH.nodeKind: "NodeKind",
    SH.pattern: "Pattern",
    SH["in"]: "In",
    SH.languageIn: "LanguageIn",
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH["not"]: "Not",
    SH["and"]: "And",
    SH["or"]: "Or",
    SH.xone: "Xone",
    SH.node: "Node",
    SH.minInclusive: "MinInclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minExclusive: "MinExclusive",
    SH.maxExclusive: "MaxExclusive",
    SH.minCount: "MinCount",
    SH.maxCount: "MaxCount",
    SH.hasValue: "HasValue",
    SH.closed: "Closed",
    SH.sparql: "SPARQL",
    SH.equals: "Equals",
    SH.disjoint: "Disjoint",
    SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals",
}
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"


class Unsupported(Exception):
    """The shapes use something the compiler does not know."""


class ShapesError(Exception):
    """The shapes graph cannot be used: a malformed constraint or SPARQL that does not parse."""


@dataclass(frozen=True)
class Finding:
    """One validation result: `path` as `path_expr` gives it, `messages` as the shape words them."""

    severity: URIRef
    shape: Node
    component: URIRef
    focus: Node
    path: Any
    value: Node | None
    messages: tuple[str, ...]
    constraint: Node | None = None


@dataclass(frozen=True)
class Check:
    """Constraints of one shape as one SPARQL query over all the shape's focus nodes.

    The query selects ?this, and ?value and ?path where the result has them.
    Each row is a result of each of the `components` whose variable is true in
    it (or of every component named with no variable). A SHACL-SPARQL check
    (`constraint` set) keeps only rows whose ?this is a focus node, which
    `focus` selects.
    """

    shape: Node
    components: tuple[tuple[URIRef, str | None], ...]
    severity: URIRef
    messages: tuple[str, ...]
    path: Any
    query: str
    constraint: Node | None = None
    focus: str | None = None


# Compiling


def compile_shapes(shapes: Graph, subclasses: bool = True) -> list[Check]:
    """The checks of every active shape that has focus nodes.

    With `subclasses`, sh:class and sh:targetClass follow rdfs:subClassOf in
    the data, as SHACL requires; without, only rdf:type (for data that has no
    rdfs:subClassOf triples, where the two agree).
    """
    return _Compiler(shapes, subclasses).checks()


class _Compiler:
    def __init__(self, shapes: Graph, subclasses: bool) -> None:
        self.shapes = shapes
        self.type_path = f"{TYPE}/{SUBCLASS}*" if subclasses else TYPE
        self.names = count()

    def checks(self) -> list[Check]:
        focus: dict[Node, list[str]] = {}
        for shape in sorted(self._shapes_with_targets(), key=_sort_key):
            targets = self._targets(shape)
            focus.setdefault(shape, []).extend(targets)
            for prop in self.shapes.objects(shape, SH.property):
                focus.setdefault(prop, []).extend(targets)
        checks = []
        for shape in sorted(focus, key=_sort_key):
            if self._active(shape):
                checks.extend(self._shape_checks(shape, self._focus_pattern(focus[shape])))
        return checks

    def _shapes_with_targets(self) -> Iterator[Node]:
        seen = set()
        for target in TARGETS:
            for shape in self.shapes.subjects(target, None):
                if shape not in seen and self._active(shape):
                    seen.add(shape)
                    yield shape
        for klass in (RDFS.Class, URIRef("http://www.w3.org/2002/07/owl#Class")):
            for shape in self.shapes.subjects(RDF.type, klass):
                if (shape, RDF.type, SH.NodeShape) in self.shapes:
                    raise Unsupported(f"implicit class target of {shape}")

    def _active(self, shape: Node) -> bool:
        return not _true(self.shapes.value(shape, SH.deactivated))

    def _targets(self, shape: Node) -> list[str]:
        g = self.shapes
        patterns = [
            f"?this {self.type_path} {_term(c)} ." for c in g.objects(shape, SH.targetClass)
        ]
        patterns += [f"VALUES ?this {{ {_term(n)} }}" for n in g.objects(shape, SH.targetNode)]
        patterns += [f"?this {_term(p)} [] ." for p in g.objects(shape, SH.targetSubjectsOf)]
        patterns += [f"[] {_term(p)} ?this ." for p in g.objects(shape, SH.targetObjectsOf)]
        return patterns

    def _focus_pattern(self, targets: list[str]) -> str:
        """A pattern binding ?this to each focus node once.

        One rdf:type pattern or one node already does; any other is made distinct.
        """
        targets = sorted(set(targets))
        if len(targets) == 1 and (
            targets[0].startswith("VALUES ")
            or (self.type_path == TYPE and targets[0].startswith(f"?this {TYPE} "))
        ):
            return targets[0]
        union = " UNION ".join(f"{{ {t} }}" for t in targets)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    def _shape_checks(self, shape: Node, focus: str) -> list[Check]:
        params = self._parameters(shape)
        unknown = {p for p in params if str(p).startswith(str(SH))} - KNOWN - TOP_CONSTRAINTS
        if unknown:
            raise Unsupported(f"{shape} uses {', '.join(sorted(map(str, unknown)))}")
        path_node = params.get(SH.path, [None])[0]
        path = self._path(path_node) if path_node is not None else None
        values = f"?this {path} ?value ." if path else "BIND (?this AS ?value)"
        checks = []

        expr = path_expr(self.shapes, path_node) if path_node is not None else None

        def check(query: str, *flags: tuple[URIRef, str | None]) -> None:
            """A query whose rows break the constraints named by parameter and variable."""
            components = tuple((_component(parameter), flag) for parameter, flag in flags)
            checks.append(self._check(shape, params, components, expr, query))

        # every value constraint in one query, a variable true for each one a row breaks
        tests = [
            (parameter, self._ok(parameter, argument, "?value"))
            for parameter in ORDERED_VALUE_CONSTRAINTS
            for argument in params.get(parameter, ())
        ]
        if tests:
            flags = tuple((parameter, f"f{i}") for i, (parameter, _) in enumerate(tests))
            binds = " ".join(
                f"BIND (!COALESCE({ok}, false) AS ?f{i})" for i, (_, ok) in enumerate(tests)
            )
            any_broken = " || ".join(f"?{flag}" for _, flag in flags)
            variables = " ".join(f"?{flag}" for _, flag in flags)
            broken = f"{values} {binds} FILTER ({any_broken})"
            if _is_predicate(expr):
                # a group of its own: Oxigraph scans the predicate's triples once and joins
                # the few that break a constraint with the focus nodes, instead of looking
                # up the values of each focus node
                broken = f"{{ {broken} }}"
            check(f"SELECT DISTINCT ?this ?value {variables} WHERE {{ {focus} {broken} }}", *flags)
        # the cardinalities in one query
        counts = [
            (parameter, operator, _count(parameter, bound))
            for parameter, operator in ((SH.minCount, "<"), (SH.maxCount, ">"))
            for bound in params.get(parameter, ())
        ]
        if counts == [(SH.minCount, "<", 1)] and path:
            # a value required, nothing more: cheaper than counting every focus node's values
            missing = f"FILTER NOT EXISTS {{ {values} }}"
            check(f"SELECT ?this WHERE {{ {focus} {missing} }}", (SH.minCount, None))
        elif counts:
            n = "COUNT(DISTINCT ?value)"
            flags = tuple((parameter, f"c{i}") for i, (parameter, _, _) in enumerate(counts))
            selected = " ".join(
                f"(({n} {op} {bound}) AS ?c{i})" for i, (_, op, bound) in enumerate(counts)
            )
            having = " || ".join(f"{n} {op} {bound}" for _, op, bound in counts)
            check(
                f"SELECT ?this {selected} WHERE {{ {focus} OPTIONAL {{ {values} }} }} "
                f"GROUP BY ?this HAVING ({having})",
                *flags,
            )
        for value in params.get(SH.hasValue, ()):
            if path:
                missing = f"FILTER NOT EXISTS {{ ?this {path} {_term(value)} }}"
                query = f"SELECT ?this WHERE {{ {focus} {missing} }}"
            else:
                query = (
                    f"SELECT ?this ?value WHERE {{ {focus} {values} "
                    f"FILTER (!sameTerm(?this, {_term(value)})) }}"
                )
            check(query, (SH.hasValue, None))
        for parameter in ORDERED_PAIRS:
            for other in params.get(parameter, ()):
                if not path:
                    raise Unsupported(f"{parameter} on node shape {shape}")
                check(self._pair(parameter, other, focus, values), (parameter, None))
        if any(_true(closed) for closed in params.get(SH.closed, ())):
            check(self._closed(shape, params, focus), (SH.closed, None))
        for constraint in params.get(SH.sparql, ()):
            if self._active(constraint):
                checks.append(self._sparql(shape, params, constraint, path_node, focus))
        return checks

    def _parameters(self, shape: Node) -> dict[Node, list[Node]]:
        """A shape's predicates and their objects, in a stable order."""
        params: dict[Node, list[Node]] = {}
        for predicate, obj in self.shapes.predicate_objects(shape):
            params.setdefault(predicate, []).append(obj)
        for objects in params.values():
            objects.sort(key=_sort_key)
        return params

    def _check(self, shape: Node, params: dict, components: tuple, path: Any, query: str) -> Check:
        return Check(
            shape=shape,
            components=components,
            severity=_severity(shape, params),
            messages=tuple(map(str, params.get(SH.message, ()))),
            path=path,
            query=query,
        )

    def _pair(self, parameter: URIRef, other: Node, focus: str, values: str) -> str:
        other = _term(other)
        if parameter == SH.equals:
            return (
                f"SELECT DISTINCT ?this ?value WHERE {{ {focus} "
                f"{{ {values} FILTER NOT EXISTS {{ ?this {other} ?value }} }} UNION "
                f"{{ ?this {other} ?value FILTER NOT EXISTS {{ {values} }} }} }}"
            )
        if parameter == SH.disjoint:
            return (
                f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} ?this {other} ?value . }}"
            )
        operator = "<" if parameter == SH.lessThan else "<="
        return (
            f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} ?this {other} ?other . "
            f"FILTER (!COALESCE(?value {operator} ?other, false)) }}"
        )

    def _closed(self, shape: Node, params: dict, focus: str) -> str:
        g = self.shapes
        allowed = {
            path
            for prop in params.get(SH.property, ())
            if isinstance(path := g.value(prop, SH.path), URIRef)
        }
        for ignored in params.get(SH.ignoredProperties, ()):
            allowed.update(Collection(g, ignored))
        exclude = (
            f"FILTER (?path NOT IN ({', '.join(sorted(map(_term, allowed)))}))" if allowed else ""
        )
        return (
            f"SELECT DISTINCT ?this ?path ?value WHERE {{ {focus} ?this ?path ?value . {exclude} }}"
        )

    def _sparql(
        self, shape: Node, params: dict, constraint: Node, path: Node | None, focus: str
    ) -> Check:
        g = self.shapes
        select = g.value(constraint, SH.select)
        if select is None:
            raise Unsupported(f"{constraint} is not a SPARQL SELECT constraint")
        if path is not None:
            raise Unsupported(f"SPARQL constraint {constraint} on a property shape")
        query = with_prefixes(g, constraint, str(select))
        try:
            pyoxigraph.Store().query(query)
        except SyntaxError as exc:
            detail = " ".join(str(exc).split())
            raise ShapesError(f"{constraint}: SPARQL does not parse: {detail}") from None
        messages = (*g.objects(constraint, SH.message), *params.get(SH.message, ()))
        return Check(
            shape=shape,
            components=((SH.SPARQLConstraintComponent, None),),
            severity=_severity(shape, params),
            messages=tuple(dict.fromkeys(map(str, messages))),
            path=None,
            query=query,
            constraint=constraint,
            focus=f"SELECT DISTINCT ?this WHERE {{ {focus} }}",
        )

    # paths

    def _path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        try:
            return sparql_path(path_expr(self.shapes, node))
        except ShapesError as exc:
            raise Unsupported(str(exc)) from None

    # value nodes: SPARQL expressions true when a value node meets a constraint

    def _ok(self, parameter: URIRef, argument: Node, v: str) -> str:
        g = self.shapes
        if parameter == SH["class"]:
            return f"EXISTS {{ {v} {self.type_path} {_term(argument)} }}"
        if parameter == SH.datatype:
            return _datatype_ok(argument, v)
        if parameter == SH.nodeKind:
            if argument not in NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {argument}")
            return NODE_KINDS[argument].format(v=v)
        if parameter == SH.pattern:
            return _pattern_ok(g, argument, v)
        if parameter == SH["in"]:
            members = [f"sameTerm({v}, {_term(m)})" for m in Collection(g, argument)]
            return "(" + (" || ".join(members) or "false") + ")"
        if parameter == SH.languageIn:
            tags = [f"langMatches(lang({v}), {_string(str(t))})" for t in Collection(g, argument)]
            return f"(isLiteral({v}) && ({' || '.join(tags) or 'false'}))"
        if parameter in (SH.minLength, SH.maxLength):
            operator = ">=" if parameter == SH.minLength else "<="
            return f"(!isBlank({v}) && STRLEN(STR({v})) {operator} {_count(parameter, argument)})"
        if parameter in RANGES:
            return f"({v} {RANGES[parameter]} {_term(argument)})"
        if parameter == SH["not"]:
            return f"!{self._conforms(argument, v)}"
        if parameter == SH.node:
            return self._conforms(argument, v)
        shapes = [self._conforms(s, v) for s in Collection(g, argument)]
        if parameter == SH["and"]:
            return "(" + (" && ".join(shapes) or "true") + ")"
        if parameter == SH["or"]:
            return "(" + (" || ".join(shapes) or "false") + ")"
        return "((" + " + ".join(f"IF({s}, 1, 0)" for s in shapes) + ") = 1)"

    def _conforms(self, shape: Node, v: str) -> str:
        """An expression true when `v` conforms to a nested shape (never an error)."""
        if not self._active(shape):
            return "true"
        params = self._parameters(shape)
        used = {p for p in params if str(p).startswith(str(SH))}
        nested = VALUE_CONSTRAINTS | {SH.minCount, SH.maxCount, SH.hasValue}
        if (used - KNOWN - nested) or (used & set(TARGETS)):
            raise Unsupported(f"nested shape {shape} uses {', '.join(sorted(map(str, used)))}")
        if SH.path in params:
            return self._property_conforms(params, self._path(params[SH.path][0]), v)
        if SH.minCount in params or SH.maxCount in params:
            raise Unsupported(f"cardinality on node shape {shape}")
        parts = [
            f"COALESCE({self._ok(p, a, v)}, false)"
            for p in ORDERED_VALUE_CONSTRAINTS
            for a in params.get(p, ())
        ]
        parts += [f"sameTerm({v}, {_term(value)})" for value in params.get(SH.hasValue, ())]
        parts += [
            self._conforms(prop, v) for prop in params.get(SH.property, ()) if self._active(prop)
        ]
        return "(" + (" && ".join(parts) or "true") + ")"

    def _property_conforms(self, params: dict, path: str, v: str) -> str:
        y = f"?v{next(self.names)}"
        parts = []
        value_checks = [
            f"!COALESCE({self._ok(p, a, y)}, false)"
            for p in ORDERED_VALUE_CONSTRAINTS
            for a in params.get(p, ())
        ]
        if value_checks:
            parts.append(f"NOT EXISTS {{ {v} {path} {y} FILTER ({' || '.join(value_checks)}) }}")
        for minimum in params.get(SH.minCount, ()):
            if _count(SH.minCount, minimum) > 1:
                raise Unsupported(f"nested sh:minCount {minimum}")
            if _count(SH.minCount, minimum) == 1:
                parts.append(f"EXISTS {{ {v} {path} {y} }}")
        for maximum in params.get(SH.maxCount, ()):
            if _count(SH.maxCount, maximum) != 0:
                raise Unsupported(f"nested sh:maxCount {maximum}")
            parts.append(f"NOT EXISTS {{ {v} {path} {y} }}")
        for value in params.get(SH.hasValue, ()):
            parts.append(f"EXISTS {{ {v} {path} {_term(value)} }}")
        return "(" + (" && ".join(parts) or "true") + ")"


def _is_predicate(path: Any) -> bool:
    """A path expression (`path_expr`) that is one predicate or its inverse."""
    return isinstance(path, URIRef) or (
        isinstance(path, tuple) and path[0] == "^" and isinstance(path[1], URIRef)
    )


def _severity(shape: Node, params: dict) -> URIRef:
    """The shape's severity, as the object in SEVERITIES (compared by identity first)."""
    severity = params.get(SH.severity, [SH.Violation])[0]
    if severity not in SEVERITIES:
        raise ShapesError(f"{shape}: sh:severity must be sh:Violation, sh:Warning or sh:Info")
    return SEVERITIES[SEVERITIES.index(severity)]


def _true(value: Node | None) -> bool:
    return isinstance(value, Literal) and value.value is True


def _count(parameter: URIRef, value: Node) -> int:
    if not (isinstance(value, Literal) and value.datatype == XSD.integer) or value.ill_typed:
        name = str(parameter).removeprefix(str(SH))
        raise ShapesError(f"sh:{name} must be a literal with datatype xsd:integer, not {value}")
    return int(value)


def _datatype_ok(datatype: Node, v: str) -> str:
    if datatype == RDF.langString:
        return f'(isLiteral({v}) && lang({v}) != "")'
    typed = f"isLiteral({v}) && datatype({v}) = {_term(datatype)}"
    if datatype in CASTABLE:
        typed += f" && isLiteral(COALESCE({_term(datatype)}({v}), <urn:invalid>))"
    return f"({typed})"


def _pattern_ok(g: Graph, shape_pattern: Node, v: str) -> str:
    flags = [g.value(s, SH.flags) for s in g.subjects(SH.pattern, shape_pattern)]
    flag = str(flags[0]) if flags and flags[0] is not None else ""
    regex = f"REGEX(STR(?x), {_string(str(shape_pattern))}, {_string(flag)})"
    try:
        list(pyoxigraph.Store().query(f'SELECT * WHERE {{ BIND ("" AS ?x) FILTER {regex} }}'))
    except (SyntaxError, OSError, ValueError) as exc:
        raise Unsupported(f"sh:pattern {str(shape_pattern)!r}: {exc}") from None
    return f"(!isBlank({v}) && {regex.replace('?x', v)})"


def _component(parameter: URIRef) -> URIRef:
    return SH[f"{COMPONENT_NAMES[parameter]}ConstraintComponent"]


def _term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = _string(str(term))
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype or XSD.string}>"
    raise Unsupported(f"a blank node where a constant is needed: {term}")


def _string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _sort_key(node: Node) -> tuple[str, str]:
    return (type(node).__name__, str(node))


def with_prefixes(shapes: Graph, constraint: Node, query: str) -> str:
    """A SHACL-SPARQL query with the PREFIX declarations its sh:prefixes name."""
    declared = []
    for prefixes in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(prefixes, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            declared.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join([*declared, query])


# Running


def run(
    store: pyoxigraph.Store, checks: list[Check], workers: int | None = None
) -> Iterator[Finding]:
    """The results of the checks on the store's default graph, in no particular order.

    Oxigraph evaluates a query without holding the interpreter lock, so
    `workers` threads (one per processor) run the checks while the caller
    reads the results of those that have finished.
    """
    convert = cache(to_rdflib)
    pool = ThreadPoolExecutor(workers or os.cpu_count() or 1)
    try:
        asked = {pool.submit(_solutions, store, check): check for check in checks}
        for answer in as_completed(asked):
            check, (variables, solutions) = asked[answer], answer.result()
            for solution in solutions:
                row = {
                    name: convert(term)
                    for name, term in zip(variables, solution, strict=True)
                    if term is not None
                }
                for component, flag in check.components:
                    if flag is None or row[flag].value is True:
                        yield _finding(check, component, row)
    finally:
        pool.shutdown(cancel_futures=True)


def _solutions(store: pyoxigraph.Store, check: Check) -> tuple[list[str], list[tuple]]:
    """The variables and rows of a check's answer, in Oxigraph's terms.

    A SHACL-SPARQL check keeps the distinct rows whose ?this is a focus node.
    """
    solutions = store.query(check.query)
    variables = [v.value for v in solutions.variables]
    rows = [tuple(solution) for solution in solutions]
    if check.focus is None:
        return variables, rows
    this = variables.index("this") if "this" in variables else None
    if this is None or any(row[this] is None for row in rows):
        raise Unsupported(f"{check.constraint} does not bind $this")
    focus = {solution["this"] for solution in store.query(check.focus)}
    return variables, [row for row in dict.fromkeys(rows) if row[this] in focus]


def _finding(check: Check, component: URIRef, row: dict[str, Node]) -> Finding:
    value = row.get("value", row["this"] if check.constraint is not None else None)
    messages = check.messages or _generic(check.shape, component)
    if check.constraint is not None:
        messages = tuple(_fill(m, row, value) for m in messages)
    return Finding(
        severity=check.severity,
        shape=check.shape,
        component=component,
        focus=row["this"],
        path=row.get("path", check.path),
        value=value,
        messages=messages,
        constraint=check.constraint,
    )


def _fill(message: str, row: dict[str, Node], value: Node | None) -> str:
    """A SHACL-SPARQL message with {?var} and {$var} replaced by the row's values."""
    values = {**row, "value": value} if value is not None else row
    return re.sub(
        r"\{[?$](\w+)\}",
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0),
        message,
    )


def _generic(shape: Node, component: URIRef) -> tuple[str, ...]:
    name = str(component).removeprefix(str(SH)).removesuffix("ConstraintComponent")
    return (f"{name} constraint of {shape} not met",)


# Paths


def path_expr(graph: Graph, path: Node) -> Any:
    """A SHACL path as an IRI or (operator, operand): ("^", p), ("/", (p, q)), ("|", ...)."""
    if isinstance(path, URIRef):
        return path
    if graph.value(path, RDF.first) is not None:
        return ("/", tuple(path_expr(graph, step) for step in Collection(graph, path)))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return ("|", tuple(path_expr(graph, step) for step in Collection(graph, alternatives)))
    for operator, predicate in PATH_OPERATORS.items():
        operand = graph.value(path, predicate)
        if operand is not None:
            return (operator, path_expr(graph, operand))
    raise ShapesError(f"not a SHACL path: {path}")


def sparql_path(expr: Any) -> str:
    """A path expression in SPARQL property path syntax."""
    if isinstance(expr, URIRef):
        return _term(expr)
    operator, operand = expr
    if operator in ("/", "|"):
        return "(" + operator.join(sparql_path(step) for step in operand) + ")"
    if operator == "^":
        return f"^{sparql_path(operand)}"
    return f"({sparql_path(operand)}){operator}"


def to_store(graph: Graph) -> pyoxigraph.Store:
    """A store holding an rdflib graph in its default graph.

    Oxigraph keeps a valid typed literal in its canonical form ("2.0"^^xsd:decimal
    as "2"), so results name such values canonically.
    """
    store = pyoxigraph.Store()
    store.extend(
        pyoxigraph.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph
    )
    return store
