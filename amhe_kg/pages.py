"""The HTML pages of the published dataset, shared by `amhe-kg serve` and `amhe-kg site`.

Pages are addressed by a logical path ("" for the landing page, "id/service/x",
"class/Service", "queries", "ontology"). A `Linker` turns a logical path into a
URL: root-relative for the server, relative with `.html` for the static site.
Every value from the graph is escaped.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from amhe_kg import charts, dataset
from amhe_kg.graph import DATASET_TITLE, LICENCE
from amhe_kg.namespaces import AMHE, ID, ONTOLOGY_IRI, SCHEMA
from amhe_kg.queryfile import QueryFile
from amhe_kg.results import DISPLAY_PREFIXES

LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title, SCHEMA.name, FOAF.name)
DESCRIPTIONS = (DCTERMS.description, SKOS.definition, RDFS.comment, AMHE.summary)
EXTERNAL = (OWL.sameAs, SCHEMA.sameAs, AMHE.definedInLegislation, SKOS.exactMatch)
RDF_FORMATS = {
    "ttl": ("text/turtle", "Turtle"),
    "jsonld": ("application/ld+json", "JSON-LD"),
    "nt": ("application/n-triples", "N-Triples"),
    "rdf": ("application/rdf+xml", "RDF/XML"),
}
STYLE = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:0 1rem 3rem;
color:#1a1a1a;line-height:1.45}header{border-bottom:1px solid #ccc;padding:.6rem 0}
header nav a{margin-right:1rem}a{color:#0645ad}code{font-size:.9em;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;
padding:.3rem .5rem;text-align:left;vertical-align:top}td:first-child{width:30%}
th{background:#f0f0f0}
textarea{width:100%;font-family:monospace;font-size:.85rem}.muted{color:#555}
section.query{border-top:1px solid #ddd;padding-top:.5rem}
button{font-size:1rem;padding:.3rem 1rem}.error{color:#a00000}
"""
GALLERY_JS = """"use strict";
document.querySelectorAll("form.run-query").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var out = form.querySelector("output");
    var endpoint = document.body.dataset.endpoint;
    var graph = form.dataset.form === "CONSTRUCT" || form.dataset.form === "DESCRIBE";
    var query = form.querySelector("textarea").value;
    out.textContent = "Running…";
    fetch(endpoint + "?query=" + encodeURIComponent(query), {
      headers: {Accept: graph ? "application/n-triples" : "application/sparql-results+json"}
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (t) { throw new Error(t); });
      }
      return graph ? response.text() : response.json();
    }).then(function (data) {
      out.textContent = "";
      if (graph) {
        var pre = document.createElement("pre");
        pre.textContent = data;
        out.appendChild(pre);
        return;
      }
      if (data.boolean !== undefined) {
        out.textContent = String(data.boolean);
        return;
      }
      var table = document.createElement("table");
      table.className = "results";
      var head = table.createTHead().insertRow();
      data.head.vars.forEach(function (v) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = v;
        head.appendChild(th);
      });
      var body = table.createTBody();
      data.results.bindings.forEach(function (b) {
        var row = body.insertRow();
        data.head.vars.forEach(function (v) {
          var cell = row.insertCell();
          var term = b[v];
          if (!term) {
            return;
          }
          if (term.type === "uri" && /^https?:/.test(term.value)) {
            var a = document.createElement("a");
            var base = document.body.dataset.idBase;
            a.href = term.value.indexOf(base) === 0
              ? document.body.dataset.idPrefix + term.value.slice(base.length) +
                document.body.dataset.idSuffix
              : term.value;
            a.textContent = term.value;
            cell.appendChild(a);
          } else {
            cell.textContent = term.value;
          }
        });
      });
      var caption = table.createCaption();
      caption.textContent = data.results.bindings.length + " rows";
      out.appendChild(table);
    }).catch(function (error) {
      out.textContent = "The query failed: " + error.message;
      out.className = "error";
    });
  });
});
"""


PAGE_PREFIXES = sorted(
    [*DISPLAY_PREFIXES, ("dcat", str(DCAT)), ("void", "http://rdfs.org/ns/void#")],
    key=lambda item: -len(item[1]),
)


def curie(term: Node) -> str:
    """A term shortened with the project's prefixes (and those of the dataset description)."""
    text = str(term)
    for prefix, namespace in PAGE_PREFIXES:
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def logical_path(term: Node) -> str | None:
    """The page a term has on the site ("id/...", "ontology#Term"), or None if it has none."""
    text = str(term)
    if text.startswith(str(ID)) and len(text) > len(str(ID)):
        return "id/" + text[len(str(ID)) :]
    if text.startswith(str(AMHE)):
        return "ontology#" + text[len(str(AMHE)) :]
    if text == str(ONTOLOGY_IRI):
        return "ontology"
    return None


def class_path(cls: Node) -> str:
    """The logical path of a class's index page."""
    return "class/" + re.sub(r"[^A-Za-z0-9]+", "-", curie(cls)).strip("-")


@dataclass
class Linker:
    """Turns logical paths into URLs: `static` for the site (.html; relative, or under `root`),
    else root-relative paths for the server."""

    static: bool = False
    root: str | None = None

    def file(self, path: str) -> str:
        """The file a logical page path is written to on the static site."""
        page, _, _ = path.partition("#")
        return (page or "index") + ".html"

    def url(self, target: str, current: str, page: bool = True) -> str:
        page_path, hash_sign, fragment = target.partition("#")
        if not self.static:
            return "/" + page_path + hash_sign + fragment
        to = self.file(page_path) if page else page_path
        if self.root is not None:
            return self.root + to + hash_sign + fragment
        here = posixpath.dirname(self.file(current))
        return posixpath.relpath(to, here or ".") + hash_sign + fragment


@dataclass
class Pages:
    """The graph with the lookups the pages need, and how to link."""

    graph: Graph
    ontology: Graph
    linker: Linker = field(default_factory=Linker)
    endpoint: str | None = "/sparql"
    downloads: dict[str, int] = field(default_factory=dict)
    charts: bool = False
    triples: int | None = None

    def __post_init__(self) -> None:
        both = self.graph + self.ontology
        self.labels: dict[Node, str] = {}
        for predicate in LABELS:
            for s, o in sorted(both.subject_objects(predicate)):
                self.labels.setdefault(s, str(o))
        self.incoming: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
        for s, p, o in sorted(self.graph):
            if isinstance(o, URIRef) and p != RDF.type:
                self.incoming[o].append((s, p))
        self.classes: dict[Node, list[URIRef]] = defaultdict(list)
        for s, cls in sorted(self.graph.subject_objects(RDF.type)):
            if isinstance(s, URIRef) and str(s).startswith(str(ID)):
                self.classes[cls].append(s)

    def resources(self) -> list[URIRef]:
        """Every IRI of the graph under the instance namespace that is the subject of a triple."""
        found = {s for s in self.graph.subjects() if isinstance(s, URIRef)}
        return sorted(s for s in found if str(s).startswith(str(ID)) and str(s) != str(ID))

    def label(self, term: Node) -> str:
        return self.labels.get(term, curie(term))

    def link(self, term: Node, current: str) -> str:
        """A term as HTML: a link to its page, to its IRI when external, or a literal."""
        if isinstance(term, Literal):
            lang = f' lang="{escape(term.language)}"' if term.language else ""
            return f"<span{lang}>{escape(str(term))}</span>"
        path = logical_path(term)
        if path is not None and (path.startswith("ontology") or (term, None, None) in self.graph):
            href = self.linker.url(path, current)
            label = self.labels.get(term)
            text = f"{escape(label)} <code>{escape(curie(term))}</code>" if label else ""
            return f'<a href="{escape(href)}">{text or f"<code>{escape(curie(term))}</code>"}</a>'
        return (
            f'<a href="{escape(str(term))}" rel="external"><code>{escape(curie(term))}</code></a>'
        )

    # Layout

    def layout(self, title: str, body: str, current: str, head: str = "", scripts: str = "") -> str:
        url = self.linker.url
        endpoint = f' data-endpoint="{escape(self.endpoint)}"' if self.endpoint else ""
        endpoint += (
            f' data-id-base="{escape(str(ID))}"'
            f' data-id-prefix="{escape(url("id", current, False))}/"'
            f' data-id-suffix="{".html" if self.linker.static else ""}"'
        )
        nav = "".join(
            f'<a href="{escape(url(target, current))}">{escape(text)}</a>'
            for target, text in (
                ("", "Home"),
                ("queries", "Query gallery"),
                ("ontology", "Ontology"),
            )
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)} – AMHE knowledge graph</title>\n"
            f'<link rel="stylesheet" href="{escape(url("static/style.css", current, False))}">\n'
            f"{head}</head>\n<body{endpoint}>\n"
            f'<header><nav aria-label="Site">{nav}</nav></header>\n'
            f"<main>\n{body}</main>\n{scripts}</body>\n</html>\n"
        )

    # Pages

    def resource(self, subject: URIRef) -> str:
        """The page of one resource: label, description, types, links both ways, source, ids."""
        current = logical_path(subject) or ""
        g = self.graph
        parts = [f"<h1>{escape(self.label(subject))}</h1>"]
        parts.append(f'<p class="muted">IRI: <code>{escape(str(subject))}</code></p>')
        types = sorted(g.objects(subject, RDF.type))
        if types:
            links = ", ".join(
                f'<a href="{escape(self.linker.url(class_path(t), current))}">'
                f"{escape(self.label(t))}</a> <code>{escape(curie(t))}</code>"
                for t in types
            )
            parts.append(f"<p>Type: {links}</p>")
        for predicate in DESCRIPTIONS:
            for text in sorted(g.objects(subject, predicate)):
                parts.append(f'<p class="description">{self.link(text, current)}</p>')
        alternates = " · ".join(
            f'<a href="{escape(self.linker.url(current + "." + ext, current, False))}" '
            f'type="{escape(media)}">{escape(name)}</a>'
            for ext, (media, name) in RDF_FORMATS.items()
            if ext in self.formats()
        )
        parts.append(f"<p>This resource as data: {alternates}</p>")
        statements = [
            (p, o)
            for p, o in sorted(g.predicate_objects(subject))
            if p not in (RDF.type, *DESCRIPTIONS)
        ]
        parts.append(self._table("Statements", ("Property", "Value"), statements, current))
        incoming = self.incoming.get(subject, [])
        parts.append(
            self._table(
                "Linked from", ("Resource", "Property"), incoming, current, empty="No links."
            )
        )
        parts.append(self._source(subject, current))
        parts.append(self._identifiers(subject, current))
        alternate_links = "".join(
            f'<link rel="alternate" type="{escape(media)}" '
            f'href="{escape(self.linker.url(current + "." + ext, current, False))}">\n'
            for ext, (media, _) in RDF_FORMATS.items()
            if ext in self.formats()
        )
        return self.layout(self.label(subject), "\n".join(parts) + "\n", current, alternate_links)

    def formats(self) -> tuple[str, ...]:
        return tuple(RDF_FORMATS)

    def _table(
        self,
        title: str,
        header: tuple[str, str],
        rows: list[tuple[Node, Node]],
        current: str,
        empty: str = "None.",
    ) -> str:
        slug = title.lower().replace(" ", "-")
        if not rows:
            return f'<h2 id="{slug}">{escape(title)}</h2>\n<p>{escape(empty)}</p>'
        body = "\n".join(
            f"<tr><td>{self.link(a, current)}</td><td>{self.link(b, current)}</td></tr>"
            for a, b in rows
        )
        return (
            f'<h2 id="{slug}">{escape(title)}</h2>\n<table>\n<thead><tr>'
            f'<th scope="col">{escape(header[0])}</th><th scope="col">{escape(header[1])}</th>'
            f"</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
        )

    def _source(self, subject: URIRef, current: str) -> str:
        g = self.graph
        items = []
        for location in sorted(g.objects(subject, PROV.wasDerivedFrom)):
            details = []
            for part in sorted(g.objects(location, DCTERMS.isPartOf)):
                details.append(f"in {self.link(part, current)}")
            for predicate, name in (
                (AMHE.rowNumber, "row"),
                (AMHE.itemNumber, "item"),
                (AMHE.firstLine, "first line"),
                (AMHE.lastLine, "last line"),
            ):
                for value in g.objects(location, predicate):
                    details.append(f"{escape(name)} {escape(str(value))}")
            items.append(f"<li>{self.link(location, current)} {', '.join(details)}</li>")
        for note in sorted(g.objects(subject, SKOS.editorialNote)):
            items.append(f"<li>Curators' note: {self.link(note, current)}</li>")
        body = "<ul>\n" + "\n".join(items) + "\n</ul>" if items else "<p>Not recorded.</p>"
        return f'<h2 id="source">Where it came from</h2>\n{body}'

    def _identifiers(self, subject: URIRef, current: str) -> str:
        g = self.graph
        rows = []
        for p, o in sorted(g.predicate_objects(subject)):
            if p == RDF.type or not isinstance(o, URIRef):
                continue
            if p in EXTERNAL or logical_path(o) is None:
                rows.append((p, o))
        for identifier in sorted(g.objects(subject, SCHEMA.identifier)):
            for value in g.objects(identifier, SCHEMA.value):
                rows.append((SCHEMA.identifier, value))
        return self._table(
            "External identifiers", ("Property", "Identifier"), rows, current, "None."
        )

    def class_index(self, cls: Node) -> str:
        """The list of a class's instances."""
        current = class_path(cls)
        members = sorted(self.classes.get(cls, []), key=lambda s: (self.label(s).lower(), s))
        items = "\n".join(f"<li>{self.link(s, current)}</li>" for s in members)
        body = (
            f"<h1>{escape(self.label(cls))} <code>{escape(curie(cls))}</code></h1>\n"
            f"<p>{len(members)} resources. Class: {self.link(cls, current)}</p>\n"
            f"<ul>\n{items}\n</ul>\n"
        )
        return self.layout(self.label(cls), body, current)

    def landing(self) -> str:
        """What the dataset is, its downloads, its documentation and its classes."""
        current = ""
        url = self.linker.url
        void_path = ".well-known/void" + (".ttl" if self.linker.static else "")
        downloads = "\n".join(
            f'<tr><td><a href="{escape(url("download/" + name, current, False))}">'
            f"{escape(name)}</a></td><td>{escape(dataset.media_type(name))}</td>"
            f"<td>{size:,}</td></tr>"
            for name, size in sorted(self.downloads.items())
        )
        classes = "\n".join(
            f'<li><a href="{escape(url(class_path(cls), current))}">{escape(self.label(cls))}</a>'
            f" <code>{escape(curie(cls))}</code> ({len(members)})</li>"
            for cls, members in sorted(self.classes.items(), key=lambda kv: curie(kv[0]))
        )
        endpoint = (
            f'<p>SPARQL 1.1 endpoint: <a href="{escape(self.endpoint)}">'
            f"<code>{escape(self.endpoint)}</code></a> (GET or POST, read-only).</p>\n"
            if self.endpoint
            else ""
        )
        body = (
            f"<h1>{escape(DATASET_TITLE)}</h1>\n<p>{escape(dataset.DESCRIPTION)}</p>\n"
            f"<p>{self.triples or len(self.graph):,} triples. Licence: "
            f'<a href="{escape(str(LICENCE))}">CC BY 4.0</a>; the facts are from '
            "<cite>Advancing Mental Health Equality</cite>, © National Collaborating Centre "
            "for Mental Health 2019.</p>\n"
            "<h2>Documentation</h2>\n<ul>\n"
            f'<li><a href="{escape(url("ontology", current))}">The ontology</a></li>\n'
            f'<li><a href="{escape(url("download/validation.ttl", current, False))}">'
            "The SHACL validation report</a></li>\n"
            f'<li><a href="{escape(url(void_path, current, False))}">'
            "The dataset description (VoID and DCAT)</a></li>\n"
            f'<li><a href="{escape(url("queries", current))}">The query gallery</a></li>\n'
            f"</ul>\n{endpoint}"
            '<h2>Downloads</h2>\n<table>\n<thead><tr><th scope="col">File</th>'
            '<th scope="col">Media type</th><th scope="col">Bytes</th></tr></thead>\n'
            f"<tbody>\n{downloads}\n</tbody>\n</table>\n"
            f"<h2>Resources by class</h2>\n<ul>\n{classes}\n</ul>\n"
        )
        if self.charts:
            prefix = url("charts", current, False) + "/"
            body += f"<h2>Evidence map</h2>\n{charts.figures_html(prefix)}"
        return self.layout(DATASET_TITLE, body, current)

    def gallery(self, queries: list[tuple[QueryFile, str]]) -> str:
        """The ready-made queries, each runnable in the page when there is an endpoint."""
        current = "queries"
        sections = []
        for query, text in queries:
            rows = max(6, min(24, text.count("\n") + 1))
            button = (
                '<button type="submit">Run</button>'
                if self.endpoint
                else "<p>No SPARQL endpoint is configured for this copy of the site.</p>"
            )
            sections.append(
                f'<section class="query" id="q-{escape(query.name)}">\n'
                f"<h2>{escape(query.title)}</h2>\n<p>{escape(query.question)}</p>\n"
                f'<form class="run-query" data-form="{escape(query.form)}">\n'
                f'<label for="text-{escape(query.name)}">Query <code>{escape(query.name)}'
                f"</code></label>\n"
                f'<textarea id="text-{escape(query.name)}" rows="{rows}">'
                f"{escape(text)}</textarea>\n"
                f'{button}\n<output aria-live="polite"></output>\n</form>\n</section>'
            )
        body = (
            "<h1>Query gallery</h1>\n<p>The ready-made queries, with their default "
            "parameters bound. Edit a query and run it; the answer is shown as a table.</p>\n"
            + "\n".join(sections)
            + "\n"
        )
        script = (
            f'<script src="{escape(self.linker.url("static/gallery.js", current, False))}">'
            "</script>\n"
        )
        return self.layout("Query gallery", body, current, scripts=script)

    def endpoint_help(self) -> str:
        """What the SPARQL endpoint accepts, for a person who opens its address."""
        current = "sparql"
        example = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"
        body = (
            "<h1>SPARQL endpoint</h1>\n"
            "<p>This address answers SPARQL 1.1 queries (the SPARQL 1.1 Protocol): "
            "<code>GET ?query=…</code>, or <code>POST</code> the query as "
            "<code>application/sparql-query</code> or as the <code>query</code> field of "
            "<code>application/x-www-form-urlencoded</code>. Results come as SPARQL JSON, XML, "
            "CSV or TSV, and graphs as Turtle, N-Triples, JSON-LD or RDF/XML, as the Accept "
            "header asks. It is read-only, and a query has a time limit.</p>\n"
            f"<pre><code>curl -H 'Accept: text/csv' --data-urlencode "
            f"'query={escape(example)}' {escape(self.endpoint or '')}</code></pre>\n"
            "<p>Ready-made queries are in the "
            f'<a href="{escape(self.linker.url("queries", current))}">query gallery</a>.</p>\n'
        )
        return self.layout("SPARQL endpoint", body, current)

    def not_found(self, path: str) -> str:
        """A page for an address the dataset does not have (a long address is shortened)."""
        shown = path if len(path) <= 200 else path[:200] + "…"
        body = (
            "<h1>Not found</h1>\n"
            f"<p>The dataset has no resource at <code>{escape(shown)}</code>.</p>\n"
            f'<p>Start from the <a href="{escape(self.linker.url("", "x"))}">home page</a>, '
            f"which lists every class, or search the labels in the "
            f'<a href="{escape(self.linker.url("queries", "x"))}#q-search-labels">'
            "query gallery</a>.</p>\n"
        )
        return self.layout("Not found", body, "x")


def resource_graph(graph: Graph, subject: URIRef) -> Graph:
    """A resource's description: its own triples, and the triples that point to it."""
    out = Graph(bind_namespaces="none")
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace)
    for triple in graph.triples((subject, None, None)):
        out.add(triple)
    for triple in graph.triples((None, None, subject)):
        out.add(triple)
    return out
