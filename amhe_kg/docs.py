"""`amhe-kg docs`: HTML documentation of the ontology, with examples from the data.

A single self-contained page in the manner of LODE and pyLODE: the ontology's
metadata, how to cite it, its class hierarchy, then every class and property
with its label, definition, domain, range, alignments to other vocabularies,
disjointness, inverse, and an example from the data with its statements; then
the reused terms of other vocabularies and the namespaces. The page is also
well-formed XML, and the same input gives the same bytes. Two Mermaid class
diagrams are written beside it: the alignments and the relations.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from html import escape
from pathlib import Path

import click
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN, XSD
from rdflib.term import Node

from amhe_kg.errors import SourceError
from amhe_kg.namespaces import AMHE, ID, ONTOLOGY_IRI
from amhe_kg.options import data_option, ontology_option, out_option
from amhe_kg.reason import (
    Curies,
    class_closure,
    load_extra,
    load_graphs,
    merge,
    write_atomic,
)

DOCS_DIR = "docs"
INDEX_FILE = "index.html"
EXAMPLE_LINES = 8
SHORT = 90

KINDS = {
    OWL.Class: ("class", "c"),
    OWL.ObjectProperty: ("object property", "op"),
    OWL.DatatypeProperty: ("datatype property", "dp"),
    OWL.AnnotationProperty: ("annotation property", "ap"),
}
SECTIONS = (
    ("classes", "Classes", OWL.Class),
    ("object-properties", "Object properties", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
    ("annotation-properties", "Annotation properties", OWL.AnnotationProperty),
)


@dataclass
class Docs:
    """The ontology and the data, with the lookups the page needs."""

    ontology: Graph
    data: Graph

    def __post_init__(self) -> None:
        both = self.ontology + self.data
        self.curie = Curies(self.ontology)
        self.superclasses = class_closure(self.ontology)
        self.instances: dict[URIRef, list[URIRef]] = defaultdict(list)
        for s, cls in sorted(self.data.subject_objects(RDF.type)):
            for sup in sorted(self.superclasses.get(cls, {cls})):
                if isinstance(s, URIRef) and s not in self.instances[sup]:
                    self.instances[sup].append(s)
        self.labels: dict[Node, str] = {}
        for s, o in sorted(both.subject_objects(RDFS.label)):
            self.labels.setdefault(s, str(o))

    def terms(self, kind: URIRef, own: bool = True) -> list[URIRef]:
        found = {s for s in self.ontology.subjects(RDF.type, kind) if isinstance(s, URIRef)}
        return sorted(t for t in found if str(t).startswith(str(AMHE)) == own)

    def kind(self, term: URIRef) -> URIRef | None:
        return next((k for k in KINDS if (term, RDF.type, k) in self.ontology), None)

    def label(self, term: Node) -> str:
        return self.labels.get(term, self.curie(term))

    def value(self, term: URIRef, predicate: URIRef) -> str:
        return str(self.ontology.value(term, predicate, default=""))

    def objects(self, term: URIRef, predicate: URIRef) -> list[Node]:
        return sorted(self.ontology.objects(term, predicate))

    def subjects(self, predicate: URIRef, term: URIRef) -> list[Node]:
        return sorted(s for s in self.ontology.subjects(predicate, term) if isinstance(s, URIRef))


def anchor(term: Node) -> str:
    """The fragment a term's entry has on the page: its local name for AMHE terms."""
    text = str(term)
    if text.startswith(str(AMHE)):
        return text[len(str(AMHE)) :]
    return "x-" + "".join(c if c.isalnum() else "-" for c in text.split("//", 1)[-1])


def link(docs: Docs, term: Node) -> str:
    """A link to a term: to its entry on the page where it has one, else to its IRI."""
    if isinstance(term, Literal):
        return f"<code>{escape(docs.curie.literal(term, 60))}</code>"
    if docs.kind(term) is not None:
        return f'<a href="#{escape(anchor(term))}"><code>{escape(docs.curie(term))}</code></a>'
    return f'<a href="{escape(str(term))}"><code>{escape(docs.curie(term))}</code></a>'


def links(docs: Docs, terms: list[Node], empty: str = "—") -> str:
    return ", ".join(link(docs, t) for t in terms) if terms else escape(empty)


def short(text: str, limit: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def instance_link(docs: Docs, node: Node) -> str:
    if isinstance(node, Literal):
        return f"<code>{escape(docs.curie.literal(node, 60))}</code>"
    label = docs.labels.get(node)
    code = f"<code>{escape(_instance_name(node))}</code>"
    shown = f"{escape(short(label, 60))} {code}" if label else code
    return f'<a href="{escape(str(node))}">{shown}</a>'


def _instance_name(node: Node) -> str:
    text = str(node)
    return "id:" + text[len(str(ID)) :] if text.startswith(str(ID)) else f"<{text}>"


def statements(docs: Docs, subject: URIRef, focus: URIRef | None = None) -> str:
    """Some of a resource's statements, Turtle-like, for an example; its type and
    label first, then those of the focus property."""
    rows = sorted(
        docs.data.predicate_objects(subject),
        key=lambda po: (
            po[0] != RDF.type,
            po[0] != RDFS.label,
            po[0] != focus,
            str(po[0]),
            str(po[1]),
        ),
    )
    lines = [_instance_name(subject)]
    for predicate, obj in rows[:EXAMPLE_LINES]:
        if isinstance(obj, Literal):
            value = docs.curie.literal(obj, 60)
        else:
            value = short(docs.curie(obj) if predicate == RDF.type else _instance_name(obj), 70)
        name = "a" if predicate == RDF.type else docs.curie(predicate)
        lines.append(f"    {name} {value} ;")
    if len(rows) > EXAMPLE_LINES:
        lines.append(f"    # … {len(rows) - EXAMPLE_LINES} more")
    lines[-1] = lines[-1].rstrip(" ;") + " ." if lines[-1].endswith(";") else lines[-1]
    return "\n".join(lines)


def row(name: str, content: str, cls: str = "") -> str:
    attribute = f' class="{cls}"' if cls else ""
    return f"<dt{attribute}>{escape(name)}</dt><dd{attribute}>{content}</dd>"


def class_entry(docs: Docs, term: URIRef) -> str:
    supers = docs.objects(term, RDFS.subClassOf)
    own = [s for s in supers if str(s).startswith(str(AMHE))]
    aligned = [s for s in supers if not str(s).startswith(str(AMHE))]
    equivalent = docs.objects(term, OWL.equivalentClass)
    disjoint = sorted(
        set(docs.objects(term, OWL.disjointWith)) | set(docs.subjects(OWL.disjointWith, term))
    )
    rows = [
        row("IRI", f"<code>{escape(str(term))}</code>"),
        row("Subclass of", links(docs, own)),
        row("Aligned to", _alignment(docs, aligned, equivalent, "subclass of"), "alignment"),
        row("Subclasses", links(docs, docs.subjects(RDFS.subClassOf, term))),
        row("Disjoint with", links(docs, disjoint)),
        row("In domain of", links(docs, docs.subjects(RDFS.domain, term))),
        row("In range of", links(docs, docs.subjects(RDFS.range, term))),
    ]
    instances = docs.instances.get(term, [])
    rows.append(row("Instances in the data", str(len(instances))))
    rows.append(row("Example", _example(docs, instances[0] if instances else None), "example"))
    return _entry(docs, term, rows)


def property_entry(docs: Docs, term: URIRef) -> str:
    kind = docs.kind(term)
    supers = docs.objects(term, RDFS.subPropertyOf)
    own = [s for s in supers if str(s).startswith(str(AMHE))]
    aligned = [s for s in supers if not str(s).startswith(str(AMHE))]
    uses = sorted(docs.data.subject_objects(term), key=lambda so: (str(so[0]), str(so[1])))
    characteristics = [
        name
        for name, flag in (("functional", OWL.FunctionalProperty),)
        if (term, RDF.type, flag) in docs.ontology
    ]
    rows = [
        row("IRI", f"<code>{escape(str(term))}</code>"),
        row("Domain", _stated(docs, docs.objects(term, RDFS.domain), _used_on(docs, uses))),
        row("Range", _stated(docs, docs.objects(term, RDFS.range), _values(docs, uses))),
        row("Sub-property of", links(docs, own)),
        row(
            "Aligned to",
            _alignment(
                docs, aligned, docs.objects(term, OWL.equivalentProperty), "sub-property of"
            ),
            "alignment",
        ),
        row("Sub-properties", links(docs, docs.subjects(RDFS.subPropertyOf, term))),
        row(
            "Inverse of",
            links(
                docs,
                sorted(
                    set(docs.objects(term, OWL.inverseOf)) | set(docs.subjects(OWL.inverseOf, term))
                ),
            ),
        ),
    ]
    if kind != OWL.AnnotationProperty:
        rows.append(row("Characteristics", escape(", ".join(characteristics) or "—")))
    rows.append(row("Uses in the data", str(len(uses))))
    if uses:
        subject, value = uses[0]
        example = (
            f"{instance_link(docs, subject)} → {instance_link(docs, value)}"
            f"<pre>{escape(statements(docs, subject, term))}</pre>"
        )
    else:
        example = "<em>not used in the data</em>"
    rows.append(row("Example", example, "example"))
    return _entry(docs, term, rows)


def _entry(docs: Docs, term: URIRef, rows: list[str]) -> str:
    kind, badge = KINDS[docs.kind(term)]
    definition = docs.value(term, SKOS.definition) or docs.value(term, RDFS.comment)
    return (
        f'<article class="term" id="{escape(anchor(term))}">'
        f"<h3>{escape(docs.label(term))} "
        f'<span class="badge {badge}" title="{escape(kind)}">{escape(kind)}</span></h3>'
        f'<p class="curie"><code>{escape(docs.curie(term))}</code></p>'
        f'<p class="definition">{escape(definition)}</p>'
        f"<dl>{''.join(rows)}</dl></article>"
    )


def _alignment(docs: Docs, supers: list[Node], equivalents: list[Node], sub: str) -> str:
    parts = [f"{link(docs, s)} <small>({sub})</small>" for s in supers]
    parts += [f"{link(docs, e)} <small>(equivalent)</small>" for e in equivalents]
    return ", ".join(parts) if parts else "—"


def _stated(docs: Docs, stated: list[Node], used: str) -> str:
    if stated:
        return links(docs, stated)
    return f"<em>not stated</em>{'; ' + used if used else ''}"


def _used_on(docs: Docs, uses: list[tuple[Node, Node]]) -> str:
    types = sorted({t for s, _ in uses for t in docs.data.objects(s, RDF.type)})
    return f"used on {links(docs, types)}" if types else ""


def _values(docs: Docs, uses: list[tuple[Node, Node]]) -> str:
    types: set[Node] = set()
    for _, value in uses:
        if isinstance(value, Literal):
            types.add(value.datatype or (RDF.langString if value.language else XSD.string))
        else:
            types |= set(docs.data.objects(value, RDF.type))
    return f"values are {links(docs, sorted(types))}" if types else ""


def _example(docs: Docs, instance: URIRef | None) -> str:
    if instance is None:
        return "<em>no instance in the data</em>"
    return f"{instance_link(docs, instance)}<pre>{escape(statements(docs, instance))}</pre>"


def hierarchy(docs: Docs) -> str:
    """AMHE classes as a nested list, with the classes of other vocabularies each is aligned to."""
    classes = docs.terms(OWL.Class)
    children: dict[URIRef | None, list[URIRef]] = defaultdict(list)
    for cls in classes:
        parents = [p for p in docs.objects(cls, RDFS.subClassOf) if p in classes]
        for parent in parents or [None]:
            children[parent].append(cls)

    def tree(parent: URIRef | None) -> str:
        items = []
        for cls in sorted(children.get(parent, []), key=docs.label):
            aligned = [
                p for p in docs.objects(cls, RDFS.subClassOf) if not str(p).startswith(str(AMHE))
            ]
            note = f' <span class="aligned">⊑ {links(docs, aligned)}</span>' if aligned else ""
            entry = f'<a href="#{escape(anchor(cls))}">{escape(docs.label(cls))}</a>'
            items.append(f"<li>{entry}{note}{tree(cls)}</li>")
        return f"<ul>{''.join(items)}</ul>" if items else ""

    return f'<div class="tree">{tree(None)}</div>'


def reused_table(docs: Docs) -> str:
    """The terms of other vocabularies the ontology declares, what they are and who uses them."""
    rows = []
    for kind in KINDS:
        for term in docs.terms(kind, own=False):
            aligned = sorted(
                {s for s in docs.ontology.subjects(RDFS.subClassOf, term) if isinstance(s, URIRef)}
                | {
                    s
                    for s in docs.ontology.subjects(RDFS.subPropertyOf, term)
                    if isinstance(s, URIRef)
                }
            )
            used = sum(1 for _ in docs.data.triples((None, term, None))) + sum(
                1 for _ in docs.data.triples((None, RDF.type, term))
            )
            defined_by = docs.ontology.value(term, RDFS.isDefinedBy)
            rows.append(
                f'<tr id="{escape(anchor(term))}">'
                f"<td>{link(docs, term).replace('#' + anchor(term), str(term))}</td>"
                f"<td>{escape(KINDS[kind][0])}</td>"
                f"<td>{escape(docs.label(term))}</td>"
                f"<td>{escape(docs.value(term, RDFS.comment))}</td>"
                f"<td>{links(docs, aligned)}</td>"
                f"<td>{used}</td>"
                f"<td>{_vocabulary_link(defined_by)}</td></tr>"
            )
    head = (
        "<tr><th>term</th><th>kind</th><th>label</th><th>what it is, and its use here</th>"
        "<th>AMHE terms aligned to it</th><th>uses</th><th>defined by</th></tr>"
    )
    return f'<table class="reused"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _vocabulary_link(iri: Node | None) -> str:
    if iri is None:
        return "—"
    shown = str(iri).split("://", 1)[-1]
    return f'<a href="{escape(str(iri))}">{escape(shown)}</a>'


def metadata(docs: Docs) -> str:
    onto = ONTOLOGY_IRI
    fields = (
        ("IRI", [onto]),
        ("Version IRI", docs.objects(onto, OWL.versionIRI)),
        ("Version", docs.objects(onto, OWL.versionInfo)),
        ("Prior version", docs.objects(onto, OWL.priorVersion)),
        ("Created", docs.objects(onto, DCTERMS.created)),
        ("Modified", docs.objects(onto, DCTERMS.modified)),
        ("Creator", docs.objects(onto, DCTERMS.creator)),
        ("Publisher", docs.objects(onto, DCTERMS.publisher)),
        ("Licence", docs.objects(onto, DCTERMS.license)),
        ("Source", docs.objects(onto, DCTERMS.source)),
        ("Preferred prefix", docs.objects(onto, VANN.preferredNamespacePrefix)),
        ("Namespace", docs.objects(onto, VANN.preferredNamespaceUri)),
    )
    rows = []
    for name, values in fields:
        shown = [
            escape(str(v))
            if isinstance(v, Literal)
            else f'<a href="{escape(str(v))}">{escape(str(v))}</a>'
            for v in values
        ]
        rows.append(row(name, "<br/>".join(shown) or "—"))
    return f'<dl class="metadata">{"".join(rows)}</dl>'


CSS = """
:root { --ink: #1d2433; --muted: #5b6478; --line: #d9dee8; --accent: #1f5fa8;
  --bg: #ffffff; --panel: #f5f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
  sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); text-decoration: underline; text-decoration-thickness: 1px;
  text-underline-offset: 2px; text-decoration-color: #9db5d6; }
a:hover { text-decoration-color: currentColor; }
#toc a, .tree li > a { text-decoration: none; }
#toc a:hover, .tree li > a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 13px; }
#toc { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto;
  padding: 20px 16px; background: var(--panel); border-right: 1px solid var(--line); }
#toc h2 { font-size: 15px; margin: 0 0 8px; }
#toc ul { list-style: none; margin: 0; padding-left: 10px; }
#toc > ul { padding-left: 0; }
#toc li { margin: 2px 0; font-size: 13px; }
#toc li.group { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 6px; }
#toc details { display: contents; }
#toc details summary { cursor: pointer; font-size: 12px; color: var(--muted);
  list-style: none; padding: 0 6px; border-radius: 8px; border: 1px solid var(--line);
  background: var(--bg); line-height: 1.4; }
#toc details summary::-webkit-details-marker { display: none; }
#toc details summary::after { content: " ▸"; }
#toc details[open] summary::after { content: " ▾"; }
#toc details summary:hover, #toc details summary:focus-visible { color: var(--ink);
  border-color: var(--muted); }
#toc details ul { flex-basis: 100%; padding-left: 10px; }
.hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
main { margin-left: 250px; padding: 28px 40px 60px; max-width: 1180px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 40px 0 12px; padding-bottom: 6px;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 18px; margin: 0 0 2px; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
dl { display: grid; grid-template-columns: 170px 1fr; gap: 4px 14px; margin: 10px 0 0; }
dt { color: var(--muted); font-weight: 600; font-size: 13px; padding-top: 2px; }
dd { margin: 0; overflow-wrap: anywhere; }
.metadata { background: var(--panel); padding: 14px 16px; border-radius: 8px; }
.term { border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px;
  margin: 14px 0; background: #fff; }
.term:target { outline: 3px solid #f0b429; }
.curie { margin: 0; color: var(--muted); }
.definition { margin: 8px 0 0; font-size: 15px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 8px;
  border-radius: 10px; vertical-align: middle; color: #fff; }
.badge.c { background: #a85800; } .badge.op { background: #1f5fa8; }
.badge.dp { background: #2a7a3b; } .badge.ap { background: #7a4fb5; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 10px; margin: 6px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.tree ul { list-style: none; margin: 0; padding-left: 22px; border-left: 1px dotted var(--line); }
.tree > ul { padding-left: 0; border-left: 0; }
.tree li { margin: 3px 0; }
.aligned { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
table.reused { table-layout: fixed; }
table.reused td { overflow-wrap: break-word; }
table.reused th:nth-child(1) { width: 20%; } table.reused th:nth-child(2) { width: 8%; }
table.reused th:nth-child(3) { width: 10%; } table.reused th:nth-child(4) { width: 29%; }
table.reused th:nth-child(5) { width: 19%; } table.reused th:nth-child(6) { width: 5%; }
table.reused th:nth-child(7) { width: 9%; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); }
.legend span { margin-right: 14px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media (max-width: 900px) { #toc { position: static; width: auto; height: auto; }
  main { margin-left: 0; padding: 20px; } dl { grid-template-columns: 1fr; } }
"""


def page(ontology: Graph, data: Graph) -> str:
    """The documentation page."""
    docs = Docs(ontology, data)
    title = docs.value(ONTOLOGY_IRI, DCTERMS.title) or "AMHE ontology"
    version = docs.value(ONTOLOGY_IRI, OWL.versionInfo)
    citation = docs.value(ONTOLOGY_IRI, DCTERMS.bibliographicCitation)
    toc = [
        '<li><a href="#overview">Overview</a></li>',
        '<li><a href="#hierarchy">Class hierarchy</a></li>',
    ]
    body = []
    for key, name, kind in SECTIONS:
        terms = docs.terms(kind)
        entries = [
            class_entry(docs, t) if kind == OWL.Class else property_entry(docs, t) for t in terms
        ]
        toc_items = "".join(
            f'<li><a href="#{escape(anchor(t))}">{escape(docs.label(t))}</a></li>' for t in terms
        )
        toc.append(
            f'<li class="group"><a href="#{key}">{escape(name)}</a>'
            f'<details><summary><span class="count">{len(terms)}</span>'
            f'<span class="hidden"> {escape(name.lower())}, list them</span></summary>'
            f"<ul>{toc_items}</ul></details></li>"
        )
        body.append(f'<section id="{key}"><h2>{escape(name)}</h2>{"".join(entries)}</section>')
    toc += [
        '<li><a href="#reused">Reused terms</a></li>',
        '<li><a href="#namespaces">Namespaces</a></li>',
        '<li><a href="#legend">Legend</a></li>',
    ]
    namespaces = "".join(
        f"<tr><td><code>{escape(prefix)}:</code></td><td><code>{escape(ns)}</code></td></tr>"
        for prefix, ns in sorted(docs.curie.prefixes)
    )
    legend = "".join(
        f'<span><span class="badge {badge}">{escape(kind)}</span></span>'
        for kind, badge in KINDS.values()
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<nav id="toc"><h2>{escape(title)}</h2><ul>{"".join(toc)}</ul></nav>
<main>
<header>
<h1>{escape(title)}</h1>
<p class="subtitle">Version {escape(version)} · <code>{escape(str(ONTOLOGY_IRI))}</code></p>
</header>
<section id="overview">
<h2>Overview</h2>
<p>{escape(docs.value(ONTOLOGY_IRI, DCTERMS.description))}</p>
{metadata(docs)}
<h3>How to cite</h3>
<p>{escape(citation)}</p>
<h3>Download</h3>
<p>The ontology: <a href="../ontology.ttl">Turtle</a>, <a href="../ontology.jsonld">JSON-LD</a>,
<a href="../ontology.nt">N-Triples</a>. Class diagrams (Mermaid):
<a href="alignments.mmd">alignments</a>, <a href="relations.mmd">relations</a>.</p>
</section>
<section id="hierarchy">
<h2>Class hierarchy</h2>
<p>The AMHE classes, each with the classes of other vocabularies it is a subclass of (⊑).</p>
{hierarchy(docs)}
</section>
{"".join(body)}
<section id="reused">
<h2>Reused terms</h2>
<p>Terms of other vocabularies, declared with the OWL kind the AMHE data uses them as.
The vocabularies are not imported.</p>
{reused_table(docs)}
</section>
<section id="namespaces">
<h2>Namespaces</h2>
<table><tbody>{namespaces}</tbody></table>
</section>
<section id="legend">
<h2>Legend</h2>
<p class="legend">{legend}</p>
<p>Instance IRIs are shown as <code>id:…</code>, short for <code>{escape(str(ID))}</code>.</p>
</section>
<footer>Generated by <code>amhe-kg docs</code> from the AMHE ontology,
version {escape(version)}.</footer>
</main>
</body>
</html>
"""


VOCABULARIES = {
    "schema": "schema.org",
    "skos": "SKOS",
    "prov": "PROV-O",
    "org": "W3C Organization Ontology",
    "eli": "ELI",
    "foaf": "FOAF",
}


def _node(docs: Docs, term: Node) -> str:
    return docs.curie(term).replace(":", "_").replace("-", "_")


def alignment_diagram(ontology: Graph) -> str:
    """A Mermaid flowchart of the AMHE classes and the classes of other vocabularies
    each is a subclass of, grouped by vocabulary."""
    docs = Docs(ontology, Graph())
    classes = docs.terms(OWL.Class)
    edges = [
        (cls, sup)
        for cls in classes
        for sup in docs.objects(cls, RDFS.subClassOf)
        if not str(sup).startswith(str(AMHE))
    ]
    lines = ["flowchart LR"]
    lines.append("  subgraph AMHE")
    for cls in sorted({c for c, _ in edges}, key=docs.curie):
        lines.append(f'    {_node(docs, cls)}["{docs.curie(cls)}"]')
    lines.append("  end")
    for prefix, title in VOCABULARIES.items():
        members = sorted({s for _, s in edges if docs.curie(s).startswith(f"{prefix}:")})
        if members:
            lines.append(f'  subgraph {prefix}["{title}"]')
            lines += [f'    {_node(docs, s)}["{docs.curie(s)}"]' for s in members]
            lines.append("  end")
    lines += [f"  {_node(docs, c)} --> {_node(docs, s)}" for c, s in edges]
    return "\n".join(lines) + "\n"


def relation_diagram(ontology: Graph) -> str:
    """A Mermaid class diagram of the object properties whose domain and range are
    both AMHE classes, and the subclasses among AMHE classes."""
    docs = Docs(ontology, Graph())
    classes = docs.terms(OWL.Class)
    subclasses = [
        (sup, cls)
        for cls in classes
        for sup in docs.objects(cls, RDFS.subClassOf)
        if sup in classes
    ]
    relations = [
        (domain, rng, prop)
        for prop in docs.terms(OWL.ObjectProperty)
        for domain in docs.objects(prop, RDFS.domain)
        for rng in docs.objects(prop, RDFS.range)
        if domain in classes and rng in classes
    ]
    shown = {c for pair in subclasses for c in pair} | {c for d, r, _ in relations for c in (d, r)}
    lines = ["classDiagram", "  direction LR"]
    lines += [f'  class {_node(docs, c)}["{docs.curie(c)}"]' for c in sorted(shown)]
    lines += [f"  {_node(docs, sup)} <|-- {_node(docs, cls)}" for sup, cls in subclasses]
    lines += [
        f"  {_node(docs, d)} --> {_node(docs, r)} : {anchor(prop)}" for d, r, prop in relations
    ]
    return "\n".join(lines) + "\n"


DIAGRAMS = {"alignments.mmd": alignment_diagram, "relations.mmd": relation_diagram}


def write(ontology: Graph, data: Graph, out_dir: Path) -> list[Path]:
    """Write the page and the diagram to out_dir/docs; the paths written."""
    folder = Path(out_dir) / DOCS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    files = {INDEX_FILE: page(ontology, data)}
    files |= {name: make_diagram(ontology) for name, make_diagram in DIAGRAMS.items()}
    for file_name, text in files.items():
        write_atomic(folder / file_name, text.encode("utf-8"))
    return [folder / file_name for file_name in files]


@click.command("docs")
@data_option("Folder of curated source files (for the examples).")
@ontology_option("The ontology in Turtle.")
@out_option(f"Output folder; the documentation goes to its {DOCS_DIR}/ folder.")
@click.option(
    "--extra",
    "extra_files",
    type=click.Path(path_type=Path),
    multiple=True,
    help="More RDF to take examples from (repeatable), e.g. the data cubes.",
)
def command(
    data_dir: Path, ontology_file: Path, out_dir: Path, extra_files: tuple[Path, ...]
) -> None:
    """Write the ontology's HTML documentation, with examples from the data.

    Writes docs/index.html (one self-contained page) and two Mermaid class
    diagrams, docs/alignments.mmd and docs/relations.mmd, in the output folder.

    Exit codes: 0 written; 2 the input could not be read.
    """
    try:
        ontology, data = load_graphs(data_dir, ontology_file)
        data = merge(data, *load_extra(extra_files))
    except SourceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    for path in write(ontology, data, out_dir):
        click.echo(f"  {path}")
