"""`amhe-kg reason`: HermiT over the ontology and the data.

owlready2 loads the ontology and the data (as N-Triples) and runs HermiT, which
checks consistency, classifies the classes and properties and finds each
resource's types. The command then writes two graphs, like the base and full
releases of OBO ontologies: the asserted graph (ontology plus data) and the
reasoned graph (the asserted one plus what the reasoning entails: every named
type of each resource and the property values entailed through the
sub-property and inverse axioms). When HermiT finds the ontology and data
inconsistent, the command explains the clash from the axioms involved.

The OWL 2 DL profile is checked with the OWL API's profile checker: OWL API 5
where Debian's libowlapi-java is installed, otherwise the OWL API 3 bundled in
owlready2's HermiT.jar. The checker is a single Java source file run with the
`java` launcher, which needs a JDK; where there is none the check is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click
import owlready2
from owlready2 import World, sync_reasoner_hermit
from owlready2.base import OwlReadyError, OwlReadyInconsistentOntologyError
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node
from rdflib.util import guess_format

from amhe_kg.build import load_ontology
from amhe_kg.errors import SourceError
from amhe_kg.export import to_ntriples
from amhe_kg.graph import build_graph
from amhe_kg.namespaces import PREFIXES, bind_prefixes
from amhe_kg.options import data_option, ontology_option, out_option
from amhe_kg.sources import load_sources

ASSERTED_FILE = "amhe-asserted.nt"
REASONED_FILE = "amhe-reasoned.nt"
REPORT_FILE = "reasoning.txt"
INFERRED_ONTOLOGY = "https://w3id.org/amhe/ontology/inferred"

HERMIT_JAR = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
DEBIAN_OWLAPI = Path("/usr/share/java/owlapi-distribution.jar")

PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty)
NOT_TYPES = {OWL.Thing, OWL.NamedIndividual}

NO_JAVA = (
    "Java was not found on PATH. HermiT runs on Java (8 or newer): install a Java "
    "runtime, e.g. `apt-get install default-jdk-headless` (a JDK also runs the "
    "OWL 2 DL profile check)."
)

NO_EXPLANATION = (
    "no disjointness, functional-property or datatype clash was found in the axioms; "
    "an OWL explanation tool (e.g. Protege's, with HermiT) can find the axioms involved"
)

PROFILE_CHECK_SOURCE = """
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class ProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            String text = violation.toString().replace('\\n', ' ');
            System.out.println(violation.getClass().getSimpleName() + ": " + text);
        }
    }
}
"""


class JavaNotFoundError(RuntimeError):
    """There is no Java to run HermiT with."""


@dataclass
class Profile:
    """The result of the OWL 2 DL profile check."""

    checker: str
    violations: list[str] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class Reasoning:
    """What reasoning over the ontology and the data found."""

    asserted: Graph
    consistent: bool
    explanation: list[str] = field(default_factory=list)
    unsatisfiable: list[URIRef] = field(default_factory=list)
    superclasses: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    reasoned: Graph | None = None
    inferred_types: list[tuple[URIRef, URIRef]] = field(default_factory=list)
    inferred_values: list[tuple[Node, URIRef, Node]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


def load_graphs(data_dir: Path, ontology_file: Path) -> tuple[Graph, Graph]:
    """The ontology and the data graph built from the curated sources."""
    return load_ontology(ontology_file), build_graph(load_sources(data_dir))


def find_java() -> str | None:
    """The Java launcher owlready2 will run, or None."""
    return shutil.which(owlready2.JAVA_EXE)


def merge(*graphs: Graph) -> Graph:
    """One graph of all the triples, with the project's prefixes and the ontology's."""
    merged = bind_prefixes(Graph(bind_namespaces="none"))
    for graph in graphs:
        for prefix, namespace in graph.namespaces():
            if prefix and prefix not in dict(merged.namespaces()):
                merged.bind(prefix, namespace)
        for triple in graph:
            merged.add(triple)
    return merged


def reason(asserted: Graph) -> Reasoning:
    """Run HermiT over the asserted graph (ontology plus data) and collect what it entails."""
    if find_java() is None:
        raise JavaNotFoundError(NO_JAVA)
    start = time.monotonic()
    inferred = run_hermit(asserted)
    seconds = time.monotonic() - start
    if inferred is None:
        return Reasoning(asserted, False, explain(asserted) or [NO_EXPLANATION], seconds=seconds)
    superclasses = class_closure(asserted, inferred)
    unsatisfiable = sorted(
        c for c, supers in superclasses.items() if OWL.Nothing in supers and c != OWL.Nothing
    )
    result = Reasoning(asserted, True, [], unsatisfiable, superclasses, seconds=seconds)
    if unsatisfiable:
        result.explanation = explain_unsatisfiable(asserted, unsatisfiable)
        return result
    types = inferred_types(asserted, inferred, superclasses)
    values = inferred_values(asserted, inferred)
    reasoned = merge(asserted)
    for s, p, o in inferred:
        if p in (RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf) and o != OWL.Thing:
            reasoned.add((s, p, o))
    for individual, cls in types:
        reasoned.add((individual, RDF.type, cls))
    for triple in values:
        reasoned.add(triple)
    result.reasoned = reasoned
    result.inferred_types = types
    result.inferred_values = values
    return result


def run_hermit(asserted: Graph) -> Graph | None:
    """HermiT's inferences as a graph, or None when the input is inconsistent.

    owlready2 reads N-Triples, so the graph is written as such first. HermiT is
    told to ignore datatypes outside the OWL 2 datatype map (the data's xsd:gYear
    and xsd:duration values are annotations, but data merged in with --extra may
    use such datatypes on data properties).
    """
    with tempfile.TemporaryDirectory(prefix="amhe-reason-") as tmp:
        path = Path(tmp) / "asserted.nt"
        path.write_bytes(to_ntriples(asserted))
        world = World()
        try:
            world.get_ontology(path.as_uri()).load(format="ntriples")
            inferences = world.get_ontology(INFERRED_ONTOLOGY)
            sync_reasoner_hermit(inferences, ignore_unsupported_datatypes=True, debug=0)
        except OwlReadyInconsistentOntologyError:
            world.close()
            return None
        inferred = Graph(bind_namespaces="none")
        for s, p, o in world.as_rdflib_graph().get_context(inferences).triples((None, None, None)):
            if s == URIRef(INFERRED_ONTOLOGY) or not isinstance(s, URIRef):
                continue
            inferred.add((s, p, o))
        world.close()
    return inferred


def class_closure(asserted: Graph, inferred: Graph | None = None) -> dict[URIRef, set[URIRef]]:
    """Every named class and all its named superclasses (itself included)."""
    edges: dict[URIRef, set[URIRef]] = defaultdict(set)
    classes: set[URIRef] = set(asserted.subjects(RDF.type, OWL.Class))
    for graph in (asserted, inferred) if inferred is not None else (asserted,):
        for s, o in graph.subject_objects(RDFS.subClassOf):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                edges[s].add(o)
                classes |= {s, o}
        for s, o in graph.subject_objects(OWL.equivalentClass):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                edges[s].add(o)
                edges[o].add(s)
                classes |= {s, o}
        for s, o in graph.subject_objects(RDF.type):
            if o == OWL.Class and isinstance(s, URIRef):
                classes.add(s)
    return {c: _reach(c, edges) for c in classes}


def property_closure(graph: Graph, inferred: Graph | None = None) -> dict[URIRef, set[URIRef]]:
    """Every object and datatype property and all its super-properties (itself included)."""
    edges: dict[URIRef, set[URIRef]] = defaultdict(set)
    properties = {s for kind in PROPERTY_KINDS for s in graph.subjects(RDF.type, kind)}
    for g in (graph, inferred) if inferred is not None else (graph,):
        for s, o in g.subject_objects(RDFS.subPropertyOf):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                edges[s].add(o)
        for s, o in g.subject_objects(OWL.equivalentProperty):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                edges[s].add(o)
                edges[o].add(s)
    return {p: _reach(p, edges) for p in properties if isinstance(p, URIRef)}


def _reach(start: URIRef, edges: dict[URIRef, set[URIRef]]) -> set[URIRef]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def inverses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """Each property's declared inverses, both ways."""
    result: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, q in graph.subject_objects(OWL.inverseOf):
        result[p].add(q)
        result[q].add(p)
    return result


def individuals(asserted: Graph) -> set[URIRef]:
    """The resources the data types, describes with a property, or links to.

    IRIs met only as the object of owl:sameAs (aliases in other datasets) are
    left out: the reasoned graph does not repeat the graph's facts about them.
    """
    terms = ontology_terms(asserted)
    objectprops = set(asserted.subjects(RDF.type, OWL.ObjectProperty))
    dataprops = set(asserted.subjects(RDF.type, OWL.DatatypeProperty))
    found = {s for s in asserted.subjects(RDF.type, None) if isinstance(s, URIRef)}
    for s, p, o in asserted:
        if p in objectprops:
            found |= {x for x in (s, o) if isinstance(x, URIRef)}
        elif p in dataprops and isinstance(s, URIRef):
            found.add(s)
    return found - terms


def ontology_terms(graph: Graph) -> set[URIRef]:
    """The IRIs the ontology declares: the ontology, its classes, properties and datatypes."""
    kinds = (
        OWL.Ontology,
        OWL.Class,
        RDFS.Datatype,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
    )
    return {s for kind in kinds for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}


def inferred_types(
    asserted: Graph, inferred: Graph, superclasses: dict[URIRef, set[URIRef]]
) -> list[tuple[URIRef, URIRef]]:
    """(resource, class) for every named type entailed and not asserted, sorted."""
    added = set()
    for individual in individuals(asserted):
        direct = set(asserted.objects(individual, RDF.type)) | set(
            inferred.objects(individual, RDF.type)
        )
        entailed = set()
        for cls in direct:
            entailed |= superclasses.get(cls, {cls})
        for cls in entailed - NOT_TYPES - set(asserted.objects(individual, RDF.type)):
            if isinstance(cls, URIRef):
                added.add((individual, cls))
    return sorted(added)


def inferred_values(asserted: Graph, inferred: Graph) -> list[tuple[Node, URIRef, Node]]:
    """Property values entailed through sub-property and inverse axioms, not asserted, sorted."""
    supers = property_closure(asserted, inferred)
    inverse = inverses(asserted)
    facts = {(s, p, o) for s, p, o in asserted if p in supers}
    todo = list(facts)
    while todo:
        s, p, o = todo.pop()
        derived = [(s, q, o) for q in supers.get(p, {p})]
        if not isinstance(o, Literal):
            derived += [(o, r, s) for q in supers.get(p, {p}) for r in inverse.get(q, ())]
        for triple in derived:
            if triple not in facts:
                facts.add(triple)
                todo.append(triple)
    return sorted(t for t in facts if t not in asserted)


# Explaining an inconsistency


def explain(asserted: Graph) -> list[str]:
    """Clashes behind an inconsistency, found from the axioms: disjoint types
    (asserted or through domains, ranges and owl:sameAs), functional data
    properties with two values, and values outside a property's datatype.
    Empty when there are none of these."""
    curie = Curies(asserted)
    superclasses = class_closure(asserted)
    disjoint = disjoint_pairs(asserted)
    reasons = type_reasons(asserted, curie)
    problems = []
    for individual in sorted(set(reasons) & individuals(asserted)):
        why_typed: dict[URIRef, str] = {}
        for cls, why in sorted(reasons[individual]):
            for sup in sorted(superclasses.get(cls, {cls})):
                why_typed.setdefault(sup, why if sup == cls else f"as {curie(cls)}, {why}")
        for a, b in sorted(disjoint):
            if a in why_typed and b in why_typed:
                problems.append(
                    f"<{individual}> is {curie(a)} ({why_typed[a]}) and {curie(b)} "
                    f"({why_typed[b]}), which are disjoint ({curie(a)} owl:disjointWith {curie(b)})"
                )
    problems += functional_clashes(asserted, curie)
    problems += datatype_clashes(asserted, curie)
    return problems


def explain_unsatisfiable(asserted: Graph, classes: list[URIRef]) -> list[str]:
    """Why each unsatisfiable class can have no instances."""
    curie = Curies(asserted)
    superclasses = class_closure(asserted)
    disjoint = disjoint_pairs(asserted)
    problems = []
    for cls in classes:
        supers = superclasses.get(cls, {cls})
        pairs = sorted((a, b) for a, b in disjoint if a in supers and b in supers)
        detail = "; ".join(f"{curie(a)} owl:disjointWith {curie(b)}" for a, b in pairs)
        problems.append(
            f"{curie(cls)} can have no instances"
            + (f": it is a subclass of disjoint classes ({detail})" if detail else "")
        )
    return problems


def disjoint_pairs(graph: Graph) -> set[tuple[URIRef, URIRef]]:
    """Pairs of disjoint named classes, each pair in sorted order."""
    pairs = set()
    for a, b in graph.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            pairs.add((min(a, b), max(a, b)))
    return pairs


def type_reasons(graph: Graph, curie: Curies) -> dict[URIRef, set[tuple[URIRef, str]]]:
    """For each resource, (class, why) for its asserted types and those its property
    values give it through rdfs:domain and rdfs:range, merged over owl:sameAs."""
    supers = property_closure(graph)
    inverse = inverses(graph)
    domains = _by_property(graph, RDFS.domain)
    ranges = _by_property(graph, RDFS.range)
    classes = set(graph.subjects(RDF.type, OWL.Class))
    reasons: dict[URIRef, set[tuple[URIRef, str]]] = defaultdict(set)
    for s, cls in graph.subject_objects(RDF.type):
        if isinstance(s, URIRef) and cls in classes:
            reasons[s].add((cls, "asserted type"))
    for s, p, o in graph:
        if p not in supers:
            continue
        for q in sorted(supers[p]):
            via = f"from <{s}> {curie(p)} <{o}>" if not isinstance(o, Literal) else ""
            for cls in domains.get(q, ()):
                reasons[s].add((cls, f"domain of {curie(q)}" + (f", {via}" if via else "")))
            if isinstance(o, URIRef):
                for cls in ranges.get(q, ()):
                    if cls in classes:
                        reasons[o].add((cls, f"range of {curie(q)}, {via}"))
                for r in inverse.get(q, ()):
                    for cls in domains.get(r, ()):
                        reasons[o].add((cls, f"domain of {curie(r)}, the inverse of {via}"))
                    for cls in ranges.get(r, ()):
                        if cls in classes:
                            reasons[s].add((cls, f"range of {curie(r)}, the inverse of {via}"))
    for group in same_as_groups(graph):
        merged = set().union(*(reasons.get(member, set()) for member in group))
        for member in group:
            reasons[member] = {
                (cls, why if (cls, why) in reasons.get(member, set()) else f"{why}, via owl:sameAs")
                for cls, why in merged
            }
    return reasons


def _by_property(graph: Graph, predicate: URIRef) -> dict[URIRef, set[URIRef]]:
    result: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, cls in graph.subject_objects(predicate):
        result[p].add(cls)
    return result


def same_as_groups(graph: Graph) -> list[set[URIRef]]:
    """Resources made the same by owl:sameAs, in groups of two or more."""
    parent: dict[URIRef, URIRef] = {}

    def find(x: URIRef) -> URIRef:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in graph.subject_objects(OWL.sameAs):
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        parent[find(a)] = find(b)
    groups: dict[URIRef, set[URIRef]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return [g for g in groups.values() if len(g) > 1]


def functional_clashes(graph: Graph, curie: Curies) -> list[str]:
    """Functional data properties with more than one value on a resource."""
    problems = []
    functional = set(graph.subjects(RDF.type, OWL.FunctionalProperty)) & set(
        graph.subjects(RDF.type, OWL.DatatypeProperty)
    )
    for p in sorted(functional):
        values: dict[Node, set[Literal]] = defaultdict(set)
        for s, o in graph.subject_objects(p):
            if isinstance(o, Literal):
                values[s].add(o)
        for s, found in sorted(values.items()):
            if len(found) > 1:
                shown = ", ".join(sorted(curie.literal(v) for v in found))
                problems.append(
                    f"<{s}> has {len(found)} values of the functional {curie(p)}: {shown}"
                )
    return problems


NUMERIC = {
    URIRef(f"http://www.w3.org/2001/XMLSchema#{name}")
    for name in ("integer", "decimal", "int", "long", "nonNegativeInteger", "positiveInteger")
}


def datatype_clashes(graph: Graph, curie: Curies) -> list[str]:
    """Literal values outside their property's datatype (for the datatypes HermiT checks)."""
    problems = []
    for p, datatype in sorted(graph.subject_objects(RDFS.range)):
        if (p, RDF.type, OWL.DatatypeProperty) not in graph:
            continue
        for s, o in sorted(graph.subject_objects(p)):
            if isinstance(o, Literal) and not _fits(o, datatype):
                problems.append(f"<{s}> {curie(p)} {curie.literal(o)} is not a {curie(datatype)}")
    return problems


def _fits(value: Literal, datatype: Node) -> bool:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    if datatype == URIRef(f"{xsd}integer"):
        return value.datatype in NUMERIC - {URIRef(f"{xsd}decimal")} and value.ill_typed is not True
    if datatype == URIRef(f"{xsd}decimal"):
        return value.datatype in NUMERIC and value.ill_typed is not True
    if datatype == URIRef(f"{xsd}boolean"):
        return value.datatype == URIRef(f"{xsd}boolean") and value.ill_typed is not True
    if datatype == URIRef(f"{xsd}string"):
        return value.language is None and value.datatype in (None, URIRef(f"{xsd}string"))
    if datatype == RDF.PlainLiteral:
        return value.datatype in (None, URIRef(f"{xsd}string"))
    return True


# The OWL 2 DL profile


def profile_check(graph: Graph) -> Profile:
    """The OWL API's OWL 2 DL profile violations of a graph (ontology plus data)."""
    java = find_java()
    if java is None:
        return Profile("OWL API", skipped=NO_JAVA)
    if DEBIAN_OWLAPI.exists():
        checker, classpath = "OWL API 5 (Debian libowlapi-java)", f"{DEBIAN_OWLAPI.parent}/*"
    else:
        checker, classpath = "OWL API 3 (bundled in owlready2's HermiT.jar)", str(HERMIT_JAR)
    with tempfile.TemporaryDirectory(prefix="amhe-profile-") as tmp:
        source = Path(tmp) / "ProfileCheck.java"
        source.write_text(PROFILE_CHECK_SOURCE, encoding="utf-8")
        data = Path(tmp) / "graph.nt"
        data.write_bytes(to_ntriples(graph))
        command = [java, "-cp", classpath, str(source), str(data)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        reason_text = done.stderr.strip().splitlines()[:3]
        if "jdk.compiler" in done.stderr or "javac" in done.stderr:
            return Profile(checker, skipped="the Java launcher cannot compile the checker: no JDK")
        return Profile(checker, skipped="the checker failed: " + " ".join(reason_text))
    return Profile(checker, sorted(line for line in done.stdout.splitlines() if line.strip()))


# Reporting

BARE = {XSD.integer, XSD.decimal, XSD.boolean}


class Curies:
    """Compact names for IRIs, with the project's prefixes and the ontology's."""

    def __init__(self, graph: Graph) -> None:
        known = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        for prefix, namespace in graph.namespaces():
            if prefix and prefix not in known and not prefix.startswith("ns"):
                known[prefix] = str(namespace)
        self.prefixes = sorted(known.items(), key=lambda item: -len(item[1]))

    def __call__(self, term: Node) -> str:
        text = str(term)
        for prefix, namespace in self.prefixes:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace) :]}"
        return f"<{text}>" if isinstance(term, URIRef) else text

    def literal(self, value: Literal, limit: int | None = None) -> str:
        """A literal as Turtle writes it, with a compact datatype; shortened to limit characters."""
        if value.datatype in BARE and value.ill_typed is not True:
            return str(value)
        lexical = " ".join(str(value).split())
        if limit is not None and len(lexical) > limit:
            lexical = lexical[: limit - 1].rstrip() + "…"
        lexical = lexical.replace("\\", "\\\\").replace('"', '\\"')
        if value.language:
            return f'"{lexical}"@{value.language}'
        if value.datatype:
            return f'"{lexical}"^^{self(value.datatype)}'
        return f'"{lexical}"'


def hierarchy_lines(result: Reasoning, curie: Curies) -> list[str]:
    """The reasoned hierarchy of named classes as an indented tree under owl:Thing."""
    classes = {c for c in result.superclasses if c not in (OWL.Thing, OWL.Nothing)}
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for cls in classes:
        supers = result.superclasses[cls] - {cls, OWL.Thing}
        parents = {
            s for s in supers if not any(s in result.superclasses.get(o, ()) for o in supers - {s})
        }
        for parent in parents or {OWL.Thing}:
            direct[parent].add(cls)
    lines = ["owl:Thing"]

    def walk(node: URIRef, depth: int) -> None:
        for child in sorted(direct.get(node, ()), key=curie):
            lines.append("  " * depth + curie(child))
            walk(child, depth + 1)

    walk(OWL.Thing, 1)
    return lines


def report_lines(result: Reasoning, profile: Profile | None, files: dict[str, int]) -> list[str]:
    """The reasoning report (no timings, so the same input gives the same report)."""
    curie = Curies(result.asserted)
    individuals_count = len(individuals(result.asserted))
    lines = [
        "AMHE reasoning report",
        f"Reasoner: HermiT, run by owlready2 {owlready2.VERSION} "
        "(datatypes outside the OWL 2 datatype map are ignored)",
        f"Input: {len(result.asserted)} triples (ontology and data), "
        f"{individuals_count} individuals",
        f"Consistent: {'yes' if result.consistent else 'NO'}",
    ]
    if not result.consistent:
        lines.append("Explanation:")
        lines += [f"  - {line}" for line in result.explanation]
        return lines
    if result.unsatisfiable:
        lines.append("Unsatisfiable classes:")
        lines += [f"  - {line}" for line in result.explanation]
        return lines
    lines.append("Unsatisfiable classes: none")
    if profile is not None:
        if profile.skipped:
            lines.append(f"OWL 2 DL profile: not checked ({profile.skipped})")
        elif profile.violations:
            lines.append(
                f"OWL 2 DL profile: {len(profile.violations)} violations ({profile.checker})"
            )
            lines += [f"  - {v}" for v in profile.violations]
        else:
            lines.append(f"OWL 2 DL profile: no violations ({profile.checker})")
    tree = hierarchy_lines(result, curie)
    lines += ["", f"Inferred class hierarchy ({len(tree) - 1} named classes):", *tree]
    per_class = Counter(curie(cls) for _, cls in result.inferred_types)
    resources = len({s for s, _ in result.inferred_types})
    lines += [
        "",
        f"Inferred types added to the data: {len(result.inferred_types)} on {resources} resources",
        *_table(per_class),
    ]
    per_property = Counter(curie(p) for _, p, _ in result.inferred_values)
    lines += [
        "",
        f"Inferred property values added: {len(result.inferred_values)}",
        *_table(per_property),
    ]
    if files:
        lines += ["", "Files:"] + [f"  {name}  ({count} triples)" for name, count in files.items()]
    return lines


def _table(counts: Counter) -> list[str]:
    width = max((len(name) for name in counts), default=0)
    return [f"  {name:<{width}}  {n:>5}" for name, n in sorted(counts.items())]


def write_outputs(result: Reasoning, out_dir: Path) -> dict[str, int]:
    """Write the asserted and reasoned graphs beside the build's files; name -> triples."""
    out_dir.mkdir(parents=True, exist_ok=True)
    assert result.reasoned is not None
    files = {}
    for name, graph in ((ASSERTED_FILE, result.asserted), (REASONED_FILE, result.reasoned)):
        write_atomic(out_dir / name, to_ntriples(graph))
        files[name] = len(graph)
    return files


def write_atomic(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)
    Path(tmp).replace(path)


def load_extra(paths: Iterable[Path]) -> list[Graph]:
    """Extra RDF files to reason over with the graph, in any syntax rdflib reads."""
    graphs = []
    for path in paths:
        graph = Graph(bind_namespaces="none")
        try:
            graph.parse(path, format=guess_format(str(path)) or "turtle")
        except FileNotFoundError:
            raise SourceError(path, None, None, "file not found") from None
        except Exception as exc:  # rdflib raises several unrelated types for bad RDF
            raise SourceError(path, None, None, f"not valid RDF: {exc}") from None
        graphs.append(graph)
    return graphs


@click.command("reason")
@data_option("Folder of curated source files.")
@ontology_option("The ontology in Turtle.")
@out_option(f"Output folder: {ASSERTED_FILE}, {REASONED_FILE} and {REPORT_FILE} are written there.")
@click.option(
    "--extra",
    "extra_files",
    type=click.Path(path_type=Path),
    multiple=True,
    help="More RDF to reason over with the graph (repeatable), e.g. your own data.",
)
@click.option(
    "--profile/--no-profile",
    default=True,
    show_default=True,
    help="Check the OWL 2 DL profile with the OWL API (needs a JDK).",
)
def command(
    data_dir: Path, ontology_file: Path, out_dir: Path, extra_files: tuple[Path, ...], profile: bool
) -> None:
    """Reason over the ontology and the data with HermiT.

    Reports whether they are consistent, the inferred class hierarchy and the
    types the reasoning adds, and writes the asserted and the reasoned graph
    (sorted N-Triples) to the output folder.

    Exit codes: 0 consistent; 1 inconsistent, a class can have no instances, or
    the OWL 2 DL profile is violated (explained on stdout); 2 the input could
    not be read, or Java is missing.
    """
    if find_java() is None:
        click.echo(f"error: {NO_JAVA}", err=True)
        sys.exit(2)
    try:
        ontology, data = load_graphs(data_dir, ontology_file)
        asserted = merge(ontology, data, *load_extra(extra_files))
    except SourceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    try:
        result = reason(asserted)
    except JavaNotFoundError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except OwlReadyError as error:
        click.echo(f"error: HermiT failed: {error}", err=True)
        sys.exit(2)
    checked = profile_check(asserted) if profile and result.ok else None
    files = write_outputs(result, out_dir) if result.ok else {}
    lines = report_lines(result, checked, files)
    if result.ok:
        write_atomic(out_dir / REPORT_FILE, ("\n".join(lines) + "\n").encode("utf-8"))
    click.echo("\n".join(lines))
    click.echo(f"\nHermiT took {result.seconds:.1f} s")
    if not result.consistent:
        click.echo("error: the ontology and the data are inconsistent (see above)", err=True)
        sys.exit(1)
    if result.unsatisfiable:
        click.echo("error: some classes can have no instances (see above)", err=True)
        sys.exit(1)
    if checked is not None and checked.violations:
        click.echo("error: the ontology and the data are not in OWL 2 DL (see above)", err=True)
        sys.exit(1)
