"""External links: specific links checked by hand, the checks, linksets and SSSOM."""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from amhe_kg import links
from amhe_kg.namespaces import SCHEMA
from amhe_kg.sources import load_sources
from tests.conftest import AMHE, DATA, ID

VOID = links.VOID


@pytest.fixture(scope="module")
def identifiers():
    return load_sources(DATA).identifiers


def test_an_act_and_its_sections_link_to_legislation_gov_uk(graph):
    act = ID["legislation/equality-act-2010"]
    assert (act, OWL.sameAs, URIRef("http://www.legislation.gov.uk/id/ukpga/2010/15")) in graph
    duty = ID["legislation/equality-act-2010/section-149"]
    section_149 = URIRef("http://www.legislation.gov.uk/id/ukpga/2010/15/section/149")
    assert list(graph.objects(duty, OWL.sameAs)) == [section_149]
    # A subsection (64J(1)) is not the section it belongs to, so it is not linked as the same.
    assert (
        list(graph.objects(ID["legislation/mental-health-act-1983/section-64j-1"], OWL.sameAs))
        == []
    )
    # Human Rights Act articles sit in a schedule whose identifier pattern is not verified.
    article = ID["legislation/human-rights-act-1998/article-14"]
    assert list(graph.objects(article, OWL.sameAs)) == []


def test_protected_characteristics_link_to_the_sections_that_define_them(graph):
    def sections(key):
        return sorted(
            str(o).rsplit("/", 1)[-1]
            for o in graph.objects(ID[f"characteristic/{key}"], AMHE.definedInLegislation)
        )

    assert sections("race") == ["9"]
    assert sections("sexual-orientation-and-gender-reassignment") == ["12", "7"]
    assert sections("pregnancy-or-maternity") == ["17"]
    protected = {
        str(s).rsplit("/", 1)[-1]
        for s in graph.subjects(AMHE.protectedUnderEqualityAct2010, Literal(True))
    }
    unprotected = {
        str(s).rsplit("/", 1)[-1]
        for s in graph.subjects(AMHE.protectedUnderEqualityAct2010, Literal(False))
    }
    assert unprotected == {"socioeconomic-status", "location", "specific-groups", "other"}
    assert len(protected) == 7
    assert sections("location") == []


def test_a_service_place_and_its_region_code(graph):
    (place,) = graph.objects(ID["service/steps2change"], AMHE.location)
    assert place == ID["place/lincolnshire"]
    ons = "http://statistics.data.gov.uk/id/statistical-geography/"
    assert (place, SCHEMA.sameAs, URIRef(ons + "E10000019")) in graph
    (leeds,) = graph.objects(ID["service/rainbow-alliance"], AMHE.location)
    region = graph.value(leeds, AMHE.within)
    assert graph.value(region, AMHE.gssCode) == Literal("E12000003")
    assert (region, SCHEMA.sameAs, URIRef(ons + "E12000003")) in graph
    # A region whose code is not verified has no code and no ONS link.
    midlands = ID["place/west-midlands"]
    assert graph.value(ID["place/staffordshire"], AMHE.within) == midlands
    assert list(graph.objects(midlands, SCHEMA.sameAs)) == []


def test_a_guideline_code_and_page(graph):
    ng26 = ID["guideline/ng26"]
    assert str(graph.value(ng26, SCHEMA.url)) == "https://www.nice.org.uk/guidance/ng26"
    printed = "https://www.nice.org.uk/guidance/ng26/chapter/recommendations-for-research"
    assert str(graph.value(ng26, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"))) == printed


def test_a_trust_carries_its_ods_code_in_the_fhir_system(graph):
    trust = ID["organisation/south-london-and-maudsley-nhs-foundation-trust"]
    identifier = graph.value(trust, SCHEMA.identifier)
    assert (identifier, RDF.type, SCHEMA.PropertyValue) in graph
    assert str(graph.value(identifier, SCHEMA.propertyID)) == (
        "https://fhir.nhs.uk/Id/ods-organization-code"
    )
    assert graph.value(identifier, SCHEMA.value) == Literal("RV5")


def test_a_country_code_and_authority_iri(graph):
    uk = ID["country/gb"]
    assert graph.value(uk, AMHE.iso3166Alpha3) == Literal("GBR")
    authority = "http://publications.europa.eu/resource/authority/country/"
    assert graph.value(uk, SCHEMA.sameAs) == URIRef(authority + "GBR")
    # Kenya's authority IRI could not be verified, so it has its ISO codes only.
    assert list(graph.objects(ID["country/ke"], SCHEMA.sameAs)) == []
    assert graph.value(ID["country/ke"], AMHE.iso3166Alpha2) == Literal("KE")


def test_every_link_matches_its_pattern_and_is_verified(graph, identifiers):
    assert links.check_links(graph, identifiers) == []
    counts = Counter(link.linkset.key for link in links.find_links(graph))
    assert counts == {
        "legislation-gov-uk": 15,  # 6 Acts and 9 sections
        "equality-act-2010": 8,  # 7 protected characteristics, one defined by two sections
        "ons-geography": 9,
        "eu-country": 15,
        "nice-guidance": 32,
    }


def test_the_check_catches_an_unverified_or_malformed_identifier(graph, identifiers):
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    leeds = ID["place/leeds"]
    broken.add((leeds, SCHEMA.sameAs, URIRef(links.STATISTICAL_GEOGRAPHY + "E08000099")))
    broken.add((ID["place/lambeth"], SCHEMA.sameAs, URIRef(links.STATISTICAL_GEOGRAPHY + "X1")))
    broken.add((ID["organisation/nacro"], AMHE.odsCode, Literal("ZZZ")))
    problems = links.check_links(broken, identifiers)
    assert problems == [
        f"{ID['place/lambeth']}: {links.STATISTICAL_GEOGRAPHY}X1 does not match the "
        "ons-geography pattern",
        f"{leeds}: {links.STATISTICAL_GEOGRAPHY}E08000099 is not in the verified identifiers",
        f"{ID['organisation/nacro']}: ODS code 'ZZZ' is not in the verified identifiers",
    ]


def test_linksets_are_described_with_void_and_hold_the_links(graph):
    linksets = links.linkset_graph(graph)
    ons = ID["linkset/ons-geography"]
    assert (ons, RDF.type, VOID.Linkset) in linksets
    assert linksets.value(ons, VOID.linkPredicate) == SCHEMA.sameAs
    assert linksets.value(ons, VOID.triples).toPython() == 9
    target = linksets.value(ons, VOID.objectsTarget)
    assert str(linksets.value(target, VOID.uriSpace)) == str(links.STATISTICAL_GEOGRAPHY)
    link_triples = {(s, p, o) for s, p, o in linksets if p in {OWL.sameAs, SCHEMA.sameAs}}
    assert link_triples <= set(graph)
    assert len(link_triples) == 15 + 9 + 15
    roundtrip = Graph().parse(data=linksets.serialize(format="turtle"), format="turtle")
    assert isomorphic(roundtrip, linksets)


def test_sssom_table_is_valid_and_agrees_with_the_graph(graph, identifiers, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sssom.constants import SchemaValidationType
        from sssom.parsers import parse_sssom_table
        from sssom.validators import validate

    path = tmp_path / "mappings.sssom.tsv"
    path.write_text(links.sssom_table(graph, identifiers), encoding="utf-8")
    mappings = parse_sssom_table(path)
    reports = validate(
        mappings, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness]
    )
    assert all(report.results == [] for report in reports.values())
    expected = {
        (str(link.subject), str(link.linkset.predicate), str(link.object))
        for link in links.find_links(graph)
    }
    found = {
        tuple(
            mappings.converter.expand(row[c]) for c in ("subject_id", "predicate_id", "object_id")
        )
        for _, row in mappings.df.iterrows()
    }
    assert found == expected
    row = mappings.df[mappings.df.subject_id == "amheid:country/ie"].iloc[0]
    assert (row.object_id, row.confidence) == ("eucountry:IRL", 1.0)


def test_sssom_validation_rejects_a_bad_justification(graph, identifiers, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sssom.constants import SchemaValidationType
        from sssom.parsers import parse_sssom_table
        from sssom.validators import validate

    table = links.sssom_table(graph, identifiers).replace(
        "semapv:ManualMappingCuration", "made-up", 1
    )
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(table, encoding="utf-8")
    reports = validate(
        parse_sssom_table(path), [SchemaValidationType.JsonSchema], fail_on_error=False
    )
    messages = [str(result) for result in reports[SchemaValidationType.JsonSchema].results]
    assert any("made-up" in message for message in messages)


def test_links_command_lists_and_checks():
    result = CliRunner().invoke(links.command, ["--data", str(DATA), "--check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[:2] == ["legislation-gov-uk", "15"]
    assert "79 links checked, 0 problems" in result.output


def test_links_command_exits_1_on_a_problem(data_copy):
    path = data_copy / "places.yaml"
    path.write_text(path.read_text().replace("gss: E08000035", "gss: E08000099"))
    result = CliRunner().invoke(links.command, ["--data", str(data_copy), "--check"])
    assert result.exit_code == 1
    assert "E08000099 is not in the verified identifiers" in result.stderr


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.do_HEAD()

    def do_HEAD(self):
        if self.path == "/id/thing":
            self.send_response(303)
            self.send_header("Location", "/doc/thing")
        elif self.path == "/doc/thing":
            self.send_response(200)
        else:
            self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_resolve_follows_redirects_and_reports_failures():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        problems = links.resolve([f"{base}/id/thing", f"{base}/missing"], timeout=5)
        assert problems == [f"{base}/missing: HTTP 404"]
    finally:
        server.shutdown()
