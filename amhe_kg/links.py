"""External links: linksets with VoID, an SSSOM mapping table, and their checks.

The links themselves are made by the graph builder from the curated data; this
module finds them in the graph, describes them as VoID linksets, exports them as
SSSOM, and checks each against its system's pattern and the verified list in
data/identifiers.csv (and, on request, that each external IRI resolves).
"""

from __future__ import annotations

import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import click
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, XSD

from amhe_kg import records as r
from amhe_kg.errors import SourceError
from amhe_kg.graph import DATASET, IDENTIFIER_LIST, build_graph
from amhe_kg.namespaces import (
    AMHE,
    EU_COUNTRY,
    ID,
    LEGISLATION_ID,
    NICE_GUIDANCE,
    ODS_SYSTEM,
    SCHEMA,
    STATISTICAL_GEOGRAPHY,
    bind_prefixes,
    iri,
)
from amhe_kg.options import data_option
from amhe_kg.sources import load_sources

VOID = Namespace("http://rdfs.org/ns/void#")


@dataclass(frozen=True)
class Linkset:
    """The links from the graph to one external system, by one predicate."""

    key: str
    title: str
    predicate: URIRef
    namespace: Namespace
    pattern: str
    target_title: str
    target_homepage: str
    curie_prefix: str


LINKSETS = (
    Linkset(
        "legislation-gov-uk",
        "Acts and sections to their legislation.gov.uk identifiers",
        OWL.sameAs,
        LEGISLATION_ID,
        r"^http://www\.legislation\.gov\.uk/id/ukpga/\d{4}/\d+(/section/\d+[A-Z]*)?$",
        "legislation.gov.uk",
        "https://www.legislation.gov.uk/",
        "lgu",
    ),
    Linkset(
        "equality-act-2010",
        "Protected characteristics to the Equality Act 2010 sections that define them",
        AMHE.definedInLegislation,
        LEGISLATION_ID,
        r"^http://www\.legislation\.gov\.uk/id/ukpga/2010/15/section/\d+$",
        "legislation.gov.uk",
        "https://www.legislation.gov.uk/",
        "lgu",
    ),
    Linkset(
        "ons-geography",
        "Places to ONS statistical geographies",
        SCHEMA.sameAs,
        STATISTICAL_GEOGRAPHY,
        r"^http://statistics\.data\.gov\.uk/id/statistical-geography/[EWSNK]\d{8}$",
        "ONS statistical geographies",
        "https://statistics.data.gov.uk/",
        "gss",
    ),
    Linkset(
        "eu-country",
        "Countries to the EU Publications Office country authority",
        SCHEMA.sameAs,
        EU_COUNTRY,
        r"^http://publications\.europa\.eu/resource/authority/country/[A-Z]{3}$",
        "EU Publications Office country authority",
        "https://op.europa.eu/en/web/eu-vocabularies",
        "eucountry",
    ),
    Linkset(
        "nice-guidance",
        "Guidelines to their NICE guidance pages",
        SCHEMA.url,
        NICE_GUIDANCE,
        r"^https://www\.nice\.org\.uk/guidance/(ng|cg|ph|qs)\d+$",
        "NICE guidance",
        "https://www.nice.org.uk/guidance",
        "nice",
    ),
)
ODS_PATTERN = r"^[A-Z0-9]{3,5}$"
CONFIDENCE = {"yes": 1.0, "pattern": 0.9, "weak": 0.7}


@dataclass(frozen=True)
class Link:
    """One link from a resource of the graph to an external IRI."""

    linkset: Linkset
    subject: URIRef
    object: URIRef


def find_links(graph: Graph) -> list[Link]:
    """Every external link in the graph, sorted by linkset, subject and object."""
    links = [
        Link(linkset, s, o)
        for linkset in LINKSETS
        for s, o in graph.subject_objects(linkset.predicate)
        if isinstance(o, URIRef) and str(o).startswith(str(linkset.namespace))
    ]
    return sorted(links, key=lambda link: (link.linkset.key, str(link.subject), str(link.object)))


def ods_codes(graph: Graph) -> list[tuple[URIRef, str]]:
    """(organisation, ODS code) pairs, sorted."""
    return sorted((s, str(o)) for s, o in graph.subject_objects(AMHE.odsCode))


def linkset_graph(graph: Graph) -> Graph:
    """The links and their VoID description, as a graph of their own."""
    out = bind_prefixes(Graph(bind_namespaces="none"))
    out.bind("void", VOID)
    links = find_links(graph)
    out.add((DATASET, RDF.type, VOID.Dataset))
    out.add(
        (
            DATASET,
            RDFS.label,
            Literal("Advancing Mental Health Equality knowledge graph", lang="en"),
        )
    )
    out.add((DATASET, VOID.uriSpace, Literal(str(ID))))
    for linkset in LINKSETS:
        subject = iri("linkset", linkset.key)
        target = iri("dataset", linkset.key)
        members = [link for link in links if link.linkset is linkset]
        out.add((subject, RDF.type, VOID.Linkset))
        out.add((subject, RDFS.label, Literal(linkset.title, lang="en")))
        out.add((subject, VOID.subjectsTarget, DATASET))
        out.add((subject, VOID.objectsTarget, target))
        out.add((subject, VOID.linkPredicate, linkset.predicate))
        out.add((subject, VOID.triples, Literal(len(members), datatype=XSD.integer)))
        out.add((subject, DCTERMS.source, IDENTIFIER_LIST))
        out.add((target, RDF.type, VOID.Dataset))
        out.add((target, RDFS.label, Literal(linkset.target_title, lang="en")))
        out.add((target, FOAF.homepage, URIRef(linkset.target_homepage)))
        out.add((target, VOID.uriSpace, Literal(str(linkset.namespace))))
        for link in members:
            out.add((link.subject, linkset.predicate, link.object))
    return out


SSSOM_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "comment",
)


def sssom_table(graph: Graph, identifiers: dict[str, r.Identifier]) -> str:
    """The links as an SSSOM/TSV mapping table with its metadata block."""
    by_iri = {ident.iri: ident for ident in identifiers.values() if ident.iri}
    prefixes = {
        "amheid": str(ID),
        "amhe": str(AMHE),
        "owl": str(OWL),
        "schema": str(SCHEMA),
        "semapv": "https://w3id.org/semapv/vocab/",
        **{linkset.curie_prefix: str(linkset.namespace) for linkset in LINKSETS},
    }
    lines = ["# curie_map:"]
    lines += [f"#   {prefix}: {namespace}" for prefix, namespace in sorted(prefixes.items())]
    lines += [
        "# mapping_set_id: https://w3id.org/amhe/id/mappings",
        "# mapping_set_title: Links from the AMHE knowledge graph to external identifier systems",
        "# license: https://creativecommons.org/licenses/by/4.0/",
        "\t".join(SSSOM_COLUMNS),
    ]
    for link in find_links(graph):
        verified = by_iri.get(str(link.object))
        if link.linkset.key == "nice-guidance":
            confidence, comment = 1.0, "NICE guidance code printed in Appendix 10"
            object_label = str(graph.value(link.subject, DCTERMS.identifier))
        else:
            confidence = CONFIDENCE[verified.confirmed]
            comment = f"verified: {verified.confirmed}; source: {verified.source}"
            object_label = verified.name
        row = (
            _curie(link.subject, "amheid", ID),
            str(graph.value(link.subject, RDFS.label)),
            _predicate_curie(link.linkset.predicate),
            _curie(link.object, link.linkset.curie_prefix, link.linkset.namespace),
            object_label,
            "semapv:ManualMappingCuration",
            f"{confidence:.1f}",
            comment,
        )
        lines.append("\t".join(_cell(value) for value in row))
    return "\n".join(lines) + "\n"


def _curie(value: URIRef, prefix: str, namespace: Namespace) -> str:
    return f"{prefix}:{str(value)[len(str(namespace)) :]}"


def _predicate_curie(predicate: URIRef) -> str:
    for prefix, namespace in (("owl", OWL), ("schema", SCHEMA), ("amhe", AMHE)):
        if str(predicate).startswith(str(namespace)):
            return _curie(predicate, prefix, namespace)
    raise ValueError(predicate)


def _cell(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def check_links(graph: Graph, identifiers: dict[str, r.Identifier]) -> list[str]:
    """Problems with the graph's external identifiers; empty when all are verified."""
    problems = []
    verified = {ident.iri for ident in identifiers.values() if ident.iri}
    for link in find_links(graph):
        target = str(link.object)
        if not re.match(link.linkset.pattern, target):
            problems.append(
                f"{link.subject}: {target} does not match the {link.linkset.key} pattern"
            )
        elif link.linkset.key == "nice-guidance":
            code = str(graph.value(link.subject, DCTERMS.identifier, default=""))
            if target != str(NICE_GUIDANCE[code.lower()]):
                problems.append(f"{link.subject}: {target} is not the page of its code {code!r}")
        elif target not in verified:
            problems.append(f"{link.subject}: {target} is not in the verified identifiers")
    ods = {ident.identifier for ident in identifiers.values() if ident.system == "nhs-ods"}
    for organisation, code in ods_codes(graph):
        if not re.match(ODS_PATTERN, code):
            problems.append(f"{organisation}: ODS code {code!r} does not match {ODS_PATTERN}")
        elif code not in ods:
            problems.append(f"{organisation}: ODS code {code!r} is not in the verified identifiers")
    return problems


def resolve(iris: list[str], timeout: float = 10.0) -> list[str]:
    """Problems resolving each IRI over HTTP (following redirects); empty when all resolve."""
    problems = []
    for target in iris:
        request = urllib.request.Request(target, method="HEAD")  # noqa: S310 - http(s) IRIs only
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            problems.append(f"{target}: {getattr(exc, 'reason', exc)}")
            continue
        if status >= 400:
            problems.append(f"{target}: HTTP {status}")
    return problems


@click.command("links")
@data_option("Folder of curated source files.")
@click.option(
    "--check",
    is_flag=True,
    help="Check every identifier offline against its pattern and the verified list.",
)
@click.option(
    "--online",
    is_flag=True,
    help="Also check that each external IRI resolves (needs network access).",
)
def command(data_dir: Path, check: bool, online: bool) -> None:
    """List the external links by target system, and check them.

    Exit codes: 0 all links verified (or listed); 1 a link failed a check;
    2 the input could not be read.
    """
    try:
        sources = load_sources(data_dir)
    except SourceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    graph = build_graph(sources)
    links = find_links(graph)
    for linkset in LINKSETS:
        count = sum(link.linkset is linkset for link in links)
        predicate = _predicate_curie(linkset.predicate)
        click.echo(f"{linkset.key:<20} {count:>4}  {predicate:<26} {linkset.title}")
    click.echo(
        f"{'nhs-ods':<20} {len(ods_codes(graph)):>4}  {'amhe:odsCode':<26} "
        f"NHS trusts' ODS codes (identifier system {ODS_SYSTEM})"
    )
    problems = []
    if check or online:
        problems += check_links(graph, sources.identifiers)
    if online:
        problems += resolve(sorted({str(link.object) for link in links}))
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if check or online:
        click.echo(f"{len(links)} links checked, {len(problems)} problems")
    sys.exit(1 if problems else 0)
