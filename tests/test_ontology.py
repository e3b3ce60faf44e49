"""The ontology: declared, labelled and defined terms, OWL 2 DL, metadata and alignments."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN, XSD

from amhe_kg import reason
from amhe_kg.namespaces import ONTOLOGY_IRI, SCHEMA
from tests.conftest import AMHE

ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
PROV = "http://www.w3.org/ns/prov#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"

KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
# Built-in terms of RDF, RDFS and OWL that need no declaration.
BUILT_IN = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    RDFS.seeAlso,
    RDFS.isDefinedBy,
    OWL.sameAs,
    OWL.versionInfo,
    OWL.Thing,
}
# The OWL 2 datatype map (the datatypes the data and the ranges use are all here).
OWL2_DATATYPES = {
    RDF.PlainLiteral,
    RDF.XMLLiteral,
    RDFS.Literal,
    OWL.real,
    OWL.rational,
    *(XSD[name] for name in ("decimal", "integer", "nonNegativeInteger", "nonPositiveInteger")),
    *(XSD[name] for name in ("positiveInteger", "negativeInteger", "long", "int", "short")),
    *(XSD[name] for name in ("byte", "unsignedLong", "unsignedInt", "unsignedShort")),
    *(XSD[name] for name in ("unsignedByte", "double", "float", "string", "normalizedString")),
    *(XSD[name] for name in ("token", "language", "Name", "NCName", "NMTOKEN", "boolean")),
    *(XSD[name] for name in ("hexBinary", "base64Binary", "anyURI", "dateTime", "dateTimeStamp")),
}


@pytest.fixture(scope="module")
def curie(onto) -> reason.Curies:
    return reason.Curies(onto)


def kinds_of(onto: Graph) -> dict[URIRef, set[URIRef]]:
    found: dict[URIRef, set[URIRef]] = {}
    for kind in KINDS:
        for term in onto.subjects(RDF.type, kind):
            found.setdefault(term, set()).add(kind)
    return found


def declared(onto: Graph, kind: URIRef) -> set[URIRef]:
    return {t for t in onto.subjects(RDF.type, kind) if isinstance(t, URIRef)}


def test_every_term_has_exactly_one_kind(onto, curie):
    two_kinds = sorted(curie(t) for t, kinds in kinds_of(onto).items() if len(kinds) > 1)
    assert two_kinds == []


def test_every_term_has_a_label_and_a_definition(onto, curie):
    """AMHE terms carry skos:definition; reused terms an rdfs:comment and rdfs:isDefinedBy."""
    missing = []
    for term in sorted(kinds_of(onto)):
        own = str(term).startswith(str(AMHE))
        labels = [o for o in onto.objects(term, RDFS.label) if isinstance(o, Literal)]
        definition = SKOS.definition if own else RDFS.comment
        definitions = [o for o in onto.objects(term, definition) if str(o).strip()]
        if len(labels) != 1 or labels[0].language != "en":
            missing.append(f"{curie(term)}: one English rdfs:label")
        if len(definitions) != 1:
            missing.append(f"{curie(term)}: one {'skos:definition' if own else 'rdfs:comment'}")
        if not own and (term, RDFS.isDefinedBy, None) not in onto:
            missing.append(f"{curie(term)}: rdfs:isDefinedBy")
    assert missing == []


def test_every_term_used_in_the_data_is_declared(onto, data, curie):
    """Every predicate and class the data uses is declared in the ontology (RDF, RDFS and
    OWL built-ins aside), so the reused vocabularies' terms too."""
    kinds = kinds_of(onto)
    used = Counter()
    for _s, p, o in data:
        used[p] += 1
        if p == RDF.type:
            used[o] += 1
    undeclared = sorted(
        f"{curie(t)} ({n} uses)" for t, n in used.items() if t not in kinds and t not in BUILT_IN
    )
    assert undeclared == []


def test_every_class_the_data_uses_is_declared_as_a_class(onto, data, curie):
    classes = declared(onto, OWL.Class)
    wrong = sorted({curie(o) for o in data.objects(None, RDF.type)} - {curie(c) for c in classes})
    assert wrong == []


def test_properties_are_used_as_the_kind_they_are_declared(onto, data, curie):
    """Object properties take IRIs, datatype properties literals (annotation properties
    may take either)."""
    objectprops = declared(onto, OWL.ObjectProperty)
    dataprops = declared(onto, OWL.DatatypeProperty)
    wrong = Counter()
    for _s, p, o in data:
        if (p in objectprops and isinstance(o, Literal)) or (
            p in dataprops and not isinstance(o, Literal)
        ):
            wrong[curie(p)] += 1
    assert dict(wrong) == {}


def test_no_punning_of_a_class_or_property_as_an_individual(onto, data, curie):
    """No declared class or property is typed as a member of a class, in the ontology
    or the data (OWL 2 DL would allow some punning; this ontology uses none)."""
    terms = set(kinds_of(onto))
    classes = declared(onto, OWL.Class)
    punned = sorted(
        curie(s)
        for g in (onto, data)
        for s, o in g.subject_objects(RDF.type)
        if s in terms and o in classes
    )
    assert punned == []
    used_as_individual = sorted(
        curie(o)
        for _s, p, o in data
        if p not in (RDF.type,) and isinstance(o, URIRef) and o in terms
    )
    assert used_as_individual == []


def test_no_annotation_property_is_used_as_an_object_or_datatype_property(onto, curie):
    annotation = declared(onto, OWL.AnnotationProperty)
    logical = declared(onto, OWL.ObjectProperty) | declared(onto, OWL.DatatypeProperty)
    characteristics = {
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
    }
    offenders = set()
    for p in annotation:
        if any((p, RDF.type, c) in onto for c in characteristics):
            offenders.add(f"{curie(p)} has a property characteristic")
        if (p, OWL.inverseOf, None) in onto or (None, OWL.inverseOf, p) in onto:
            offenders.add(f"{curie(p)} has an inverse")
        for sup in onto.objects(p, RDFS.subPropertyOf):
            if sup in logical:
                offenders.add(f"{curie(p)} is a sub-property of {curie(sup)}")
        for sub in onto.subjects(RDFS.subPropertyOf, p):
            if sub in logical:
                offenders.add(f"{curie(sub)} is a sub-property of {curie(p)}")
        if (None, OWL.onProperty, p) in onto:
            offenders.add(f"{curie(p)} is used in a restriction")
    assert sorted(offenders) == []


def test_every_object_and_datatype_property_has_a_range_in_owl2(onto, curie):
    """Ranges name declared classes (object properties) or datatypes of the OWL 2
    datatype map (datatype properties); no rdf:langString, which OWL 2 lacks."""
    classes = declared(onto, OWL.Class)
    wrong = []
    for p in sorted(declared(onto, OWL.ObjectProperty)):
        wrong += [
            f"{curie(p)} range {curie(r)}" for r in onto.objects(p, RDFS.range) if r not in classes
        ]
        wrong += [
            f"{curie(p)} domain {curie(d)}"
            for d in onto.objects(p, RDFS.domain)
            if d not in classes
        ]
    for p in sorted(declared(onto, OWL.DatatypeProperty)):
        wrong += [
            f"{curie(p)} range {curie(r)}"
            for r in onto.objects(p, RDFS.range)
            if r not in OWL2_DATATYPES
        ]
        wrong += [
            f"{curie(p)} domain {curie(d)}"
            for d in onto.objects(p, RDFS.domain)
            if d not in classes
        ]
    assert wrong == []


def test_data_property_values_use_the_owl2_datatype_map(onto, data, curie):
    """Literals of datatype properties in the data have OWL 2 datatypes (dates and
    durations, outside the map, are only ever annotation values)."""
    dataprops = declared(onto, OWL.DatatypeProperty)
    wrong = Counter()
    for _s, p, o in data:
        datatype = o.datatype if isinstance(o, Literal) else None
        if p in dataprops and datatype is not None and datatype not in OWL2_DATATYPES:
            wrong[f"{curie(p)} {curie(datatype)}"] += 1
    assert dict(wrong) == {}


def test_axioms_are_only_stated_about_amhe_terms(onto, curie):
    """Reused terms are declared and described, never given new axioms (no hijacking)."""
    allowed = {RDF.type, RDFS.label, RDFS.comment, RDFS.isDefinedBy}
    hijacked = sorted(
        f"{curie(s)} {curie(p)}"
        for s, p, _o in onto
        if isinstance(s, URIRef)
        and s != ONTOLOGY_IRI
        and not str(s).startswith(str(AMHE))
        and p not in allowed
    )
    assert hijacked == []


def test_no_blank_nodes_so_the_published_files_are_deterministic(onto):
    assert not [t for t in onto if any(isinstance(x, BNode) for x in t)]


def test_ontology_metadata(onto):
    def one(predicate):
        values = list(onto.objects(ONTOLOGY_IRI, predicate))
        assert len(values) == 1, predicate
        return values[0]

    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    version = str(one(OWL.versionInfo))
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert one(OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version}")
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.bibliographicCitation):
        value = one(predicate)
        assert isinstance(value, Literal) and value.language == "en" and len(value) > 20
    assert version in str(one(DCTERMS.bibliographicCitation))
    assert one(DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert str(one(DCTERMS.creator)) and str(one(DCTERMS.publisher))
    for predicate in (DCTERMS.created, DCTERMS.modified):
        assert one(predicate).datatype == XSD.date
    assert one(DCTERMS.created).toPython() <= one(DCTERMS.modified).toPython()
    assert str(one(VANN.preferredNamespacePrefix)) == "amhe"
    assert str(one(VANN.preferredNamespaceUri)) == str(AMHE)
    sources = set(onto.objects(ONTOLOGY_IRI, DCTERMS.source))
    assert URIRef("https://w3id.org/amhe/id/source/amhe-2019") in sources
    assert any("Advancing Mental Health Equality" in str(s) for s in sources)


def test_the_source_document_the_ontology_cites_is_in_the_data(data):
    assert (
        URIRef("https://w3id.org/amhe/id/source/amhe-2019"),
        RDF.type,
        AMHE.SourceDocument,
    ) in data


@pytest.mark.parametrize(
    ("term", "predicate", "target"),
    [
        (AMHE.Service, RDFS.subClassOf, SCHEMA.Service),
        (AMHE.Organisation, RDFS.subClassOf, URIRef(ORG + "Organization")),
        (AMHE.Organisation, RDFS.subClassOf, SCHEMA.Organization),
        (AMHE.Legislation, RDFS.subClassOf, SCHEMA.Legislation),
        (AMHE.Legislation, RDFS.subClassOf, URIRef(ELI + "LegalResource")),
        (AMHE.LegislativeProvision, RDFS.subClassOf, URIRef(ELI + "LegalResourceSubdivision")),
        (AMHE.Guideline, RDFS.subClassOf, SCHEMA.MedicalGuideline),
        (AMHE.Place, RDFS.subClassOf, SCHEMA.Place),
        (AMHE.SourceLocation, RDFS.subClassOf, URIRef(PROV + "Entity")),
        (AMHE.DocumentPart, RDFS.subClassOf, URIRef(PROV + "Entity")),
        (AMHE.Characteristic, RDFS.subClassOf, SKOS.Concept),
        (AMHE.KeyFigure, RDFS.subClassOf, SCHEMA.QuantitativeValue),
        (AMHE.providedBy, RDFS.subPropertyOf, SCHEMA.provider),
        (AMHE.hasProvision, RDFS.subPropertyOf, URIRef(ELI + "has_part")),
        (AMHE.legislation, RDFS.subPropertyOf, URIRef(ELI + "is_part_of")),
        (AMHE.within, RDFS.subPropertyOf, SCHEMA.containedInPlace),
        (AMHE.relatedCharacteristic, RDFS.subPropertyOf, SKOS.relatedMatch),
        (AMHE.numberOfStudies, RDFS.subPropertyOf, URIRef(SDMX_MEASURE + "obsValue")),
        (AMHE.gssCode, RDFS.subPropertyOf, DCTERMS.identifier),
    ],
)
def test_alignment(onto, term, predicate, target):
    assert (term, predicate, target) in onto


def test_alignments_are_subsumptions_not_equivalences(onto):
    """Each AMHE class is narrower than the standard class (a service *the source
    recommends*), so no owl:equivalentClass pulls other data into AMHE classes."""
    assert list(onto.subject_objects(OWL.equivalentClass)) == []
    assert list(onto.subject_objects(OWL.equivalentProperty)) == []


def test_every_skos_concept_class_is_a_subclass_of_skos_concept(onto, data, curie):
    concept_classes = {
        t for s in data.subjects(RDF.type, SKOS.Concept) for t in data.objects(s, RDF.type)
    } - {SKOS.Concept}
    missing = sorted(
        curie(c) for c in concept_classes if (c, RDFS.subClassOf, SKOS.Concept) not in onto
    )
    assert missing == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (AMHE.Service, AMHE.Guideline),
        (AMHE.Legislation, AMHE.Organisation),
        (AMHE.Organisation, AMHE.Place),
        (AMHE.Barrier, AMHE.Solution),
        (AMHE.Characteristic, AMHE.CharacteristicSubtype),
        (AMHE.Organisation, AMHE.DutyHolder),
    ],
)
def test_disjoint(onto, a, b):
    assert (a, OWL.disjointWith, b) in onto or (b, OWL.disjointWith, a) in onto


def test_disjointness_domains_and_ranges_hold_on_the_data(onto, data):
    """No resource gets two disjoint types, asserted or through a domain or range, and
    no functional data property has two values (the check HermiT makes, in Python)."""
    assert reason.explain(reason.merge(onto, data)) == []


def test_the_explanation_names_a_resource_typed_as_two_disjoint_classes(onto, data):
    bad = Graph()
    both = URIRef("https://w3id.org/amhe/id/test/both")
    bad.add((both, RDF.type, AMHE.Service))
    bad.add((both, RDF.type, AMHE.Guideline))
    (problem,) = reason.explain(reason.merge(onto, data, bad))
    assert str(both) in problem
    assert "amhe:Guideline owl:disjointWith amhe:Service" in problem


@pytest.mark.slow
def test_ontology_and_data_are_in_the_owl2_dl_profile(onto, data):
    """The OWL API's OWL 2 DL profile checker finds no violation in ontology plus data."""
    profile = reason.profile_check(reason.merge(onto, data))
    if profile.skipped:
        pytest.skip(profile.skipped)
    assert profile.violations == []


@pytest.mark.slow
def test_the_profile_checker_reports_a_property_of_two_kinds(onto, data):
    bad = Graph()
    bad.add((AMHE.rank, RDF.type, OWL.ObjectProperty))
    profile = reason.profile_check(reason.merge(onto, bad))
    if profile.skipped:
        pytest.skip(profile.skipped)
    assert profile.violations
    assert all("rank" in v for v in profile.violations), profile.violations
