"""Turn the checked curated records into the AMHE knowledge graph."""

from __future__ import annotations

import re
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

from amhe_kg import records as r
from amhe_kg.namespaces import (
    AMHE,
    EU_COUNTRY,
    LEGISLATION_ID,
    NICE_GUIDANCE,
    ODS_SYSTEM,
    SCHEMA,
    STATISTICAL_GEOGRAPHY,
    bind_prefixes,
    iri,
)
from amhe_kg.sources import Sources

EN = "en"
IDENTIFIER_LIST = iri("source", "identifiers")
DATASET = iri("dataset")
DATASET_TITLE = "Advancing Mental Health Equality knowledge graph"
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
EQUALITY_ACT_2010 = "ukpga/2010/15"

# Concept schemes: key -> (label, the part the scheme is derived from)
SCHEMES = {
    "characteristics": ("Characteristics and characteristic subtypes", "table-3"),
    "intervention-types": ("Intervention types", "table-2"),
    "practice-themes": ("Positive practice themes", "appendix-3"),
    "duty-holders": ("Bodies that the cited legislation places duties on", "table-1"),
    "co-production-ladder": ("The ladder of co-production", "figure-1"),
    "restrictive-practices": ("Restrictive practice definitions", "appendix-9"),
    "population-groups": ("NICE guidance population groups", "appendix-10"),
    "resource-topics": ("Helpful resource topics", "helpful-resources"),
    "glossary": ("Abbreviations", "abbreviations"),
}


def text(value: str) -> Literal:
    """An English text literal with the whitespace of the source folded."""
    return Literal(re.sub(r"\s+", " ", value).strip(), lang=EN)


def decimal(value: float | int) -> Literal:
    """An xsd:decimal in canonical form (always with a fractional part), as Turtle writes it."""
    lexical = format(Decimal(str(value)).normalize(), "f")
    return Literal(lexical if "." in lexical else f"{lexical}.0", datatype=XSD.decimal)


def subtype_iri(ref: str) -> URIRef:
    """The IRI of a characteristic (`race`) or subtype (`race/minority-ethnicity`)."""
    return iri("characteristic", *ref.split("/"))


class GraphBuilder:
    """Builds the graph one kind of record at a time."""

    def __init__(self, sources: Sources) -> None:
        self.s = sources
        self.g = bind_prefixes(Graph(bind_namespaces="none"))

    def build(self) -> Graph:
        """The whole graph."""
        self.document()
        self.schemes()
        self.legislation()
        self.figures()
        self.mapping_review()
        self.interventions()
        self.places_and_organisations()
        self.services()
        self.initiatives()
        self.barriers()
        self.coproduction()
        self.vignettes()
        self.restrictive_practices()
        self.guidelines()
        self.resources()
        self.abbreviations()
        return self.g

    # helpers

    def add(self, subject: URIRef, predicate: URIRef, obj) -> None:
        if obj is not None:
            self.g.add((subject, predicate, obj))

    def resource(
        self,
        subject: URIRef,
        types: list[URIRef],
        label: str,
        record=None,
        description: str | None = None,
        *,
        source: r.Source | None = None,
        note: str | None = None,
    ) -> URIRef:
        """Type, label, description, provenance and note of one resource.

        `source` and `note` default to the record's; a part of a record (a
        provision of an act, a subtype of a characteristic) passes its own.
        """
        if record is not None:
            source, note = record.source, record.note
        for rdf_type in types:
            self.add(subject, RDF.type, rdf_type)
        self.add(subject, RDFS.label, text(label))
        if description:
            self.add(subject, DCTERMS.description, text(description))
        if source is not None:
            self.add(subject, PROV.wasDerivedFrom, self.location(source))
        if note:
            self.add(subject, SKOS.editorialNote, text(note))
        return subject

    def concept(
        self,
        subject: URIRef,
        types: list[URIRef],
        label: str,
        scheme: str,
        record=None,
        broader: URIRef | None = None,
        notation: str | None = None,
        **provenance,
    ) -> URIRef:
        """A SKOS concept in one of the schemes, with its place in the hierarchy."""
        self.resource(subject, [SKOS.Concept, *types], label, record, **provenance)
        self.add(subject, SKOS.prefLabel, text(label))
        self.add(subject, SKOS.inScheme, iri("scheme", scheme))
        if notation is not None:
            self.add(subject, SKOS.notation, Literal(notation))
        if broader is None:
            self.add(subject, SKOS.topConceptOf, iri("scheme", scheme))
            self.add(iri("scheme", scheme), SKOS.hasTopConcept, subject)
        else:
            self.add(subject, SKOS.broader, broader)
            self.add(broader, SKOS.narrower, subject)
        return subject

    def location(self, source: r.Source) -> URIRef:
        """The source row or item a record came from, described once."""
        kind, number = ("row", source.row) if source.row is not None else ("item", source.item)
        subject = iri("source", source.part, kind, number)
        if (subject, RDF.type, AMHE.SourceLocation) not in self.g:
            part = self.s.parts[source.part]
            short = part.title.split(":")[0]
            self.resource(subject, [AMHE.SourceLocation], f"{short}, {kind} {number}")
            self.add(subject, DCTERMS.isPartOf, iri("source", source.part))
            self.add(subject, AMHE.rowNumber if kind == "row" else AMHE.itemNumber, Literal(number))
        return subject

    def part_iri(self, key: str) -> URIRef:
        return iri("source", key)

    # the document

    def document(self) -> None:
        doc = self.s.document
        subject = iri("source", doc.key)
        self.resource(subject, [AMHE.SourceDocument], doc.title)
        self.add(subject, DCTERMS.title, text(doc.title))
        self.add(subject, DCTERMS.publisher, iri("organisation", _slug(doc.publisher)))
        self.add(subject, DCTERMS.issued, Literal(str(doc.issued), datatype=XSD.gYear))
        self.add(subject, AMHE.placeOfPublication, text(doc.place))
        self.add(subject, DCTERMS.rightsHolder, iri("organisation", _slug(doc.rights_holder)))
        self.resource(DATASET, [DCAT.Dataset], DATASET_TITLE)
        self.add(DATASET, DCTERMS.license, LICENCE)
        self.add(
            DATASET,
            DCTERMS.rights,
            text(
                f"The facts are taken from {doc.title}, © {doc.rights_holder} {doc.issued}, "
                "and each is cited by appendix, table and row; this graph of them is "
                "published under CC BY 4.0."
            ),
        )
        self.add(DATASET, DCTERMS.source, subject)
        self.resource(IDENTIFIER_LIST, [AMHE.ReferenceList], "Verified external identifiers")
        self.add(
            IDENTIFIER_LIST,
            DCTERMS.description,
            text(
                "The external identifiers the graph links to (ONS GSS codes, NHS ODS codes, "
                "legislation.gov.uk identifiers, EU country authority IRIs), each checked "
                "against a public source."
            ),
        )
        for part in self.s.parts.values():
            kind = {"table": AMHE.Table, "figure": AMHE.Figure}.get(
                part.key.split("-")[0], AMHE.Appendix
            )
            p = self.resource(self.part_iri(part.key), [kind], part.title)
            self.add(p, DCTERMS.title, text(part.title))
            self.add(p, DCTERMS.isPartOf, self.part_iri(part.part_of) if part.part_of else subject)
            self.add(p, AMHE.firstLine, Literal(part.lines[0]))
            self.add(p, AMHE.lastLine, Literal(part.lines[1]))

    def schemes(self) -> None:
        for key, (label, part) in SCHEMES.items():
            subject = iri("scheme", key)
            self.resource(subject, [SKOS.ConceptScheme], label)
            self.add(subject, SKOS.prefLabel, text(label))
            self.add(subject, PROV.wasDerivedFrom, self.part_iri(part))

    # Appendix 1

    def legislation(self) -> None:
        for holder in self.s.duty_holders.values():
            self.concept(
                iri("duty-holder", holder.key),
                [AMHE.DutyHolder],
                holder.label,
                "duty-holders",
                holder,
            )
        for act in self.s.acts.values():
            subject = iri("legislation", act.key)
            self.resource(subject, [AMHE.Legislation], act.label, act)
            self.add(subject, DCTERMS.date, Literal(str(act.year), datatype=XSD.gYear))
            self.add(subject, AMHE.legislationCitation, Literal(act.citation))
            self.add(subject, OWL.sameAs, LEGISLATION_ID[act.citation])
            self.add(subject, SCHEMA.url, URIRef(act.url) if act.url else None)
            for number in act.references:
                self.add(subject, AMHE.referenceNumber, Literal(number))
            if act.cited_in:
                self.add(subject, AMHE.citedIn, self.part_iri(act.cited_in))
            for provision in act.provisions:
                p = iri("legislation", act.key, provision.key)
                label = f"{act.label}, {provision.kind} {provision.number}"
                if provision.title:
                    label += f": {provision.title}"
                self.resource(
                    p,
                    [AMHE.LegislativeProvision],
                    label,
                    description=provision.summary,
                    source=act.source,
                    note=provision.note,
                )
                self.add(p, AMHE.provisionKind, Literal(provision.kind))
                self.add(p, SKOS.notation, Literal(provision.number))
                self.add(p, DCTERMS.title, text(provision.title) if provision.title else None)
                self.add(p, AMHE.legislation, subject)
                self.add(subject, AMHE.hasProvision, p)
                if provision.legislation_id:
                    self.add(
                        p, OWL.sameAs, LEGISLATION_ID[f"{act.citation}/{provision.legislation_id}"]
                    )
                parent = (
                    iri("legislation", act.key, provision.within) if provision.within else subject
                )
                self.add(p, DCTERMS.isPartOf, parent)
                if provision.duty_holder:
                    self.add(p, AMHE.dutyHolder, iri("duty-holder", provision.duty_holder))
                self.add(p, AMHE.quote, text(provision.quote) if provision.quote else None)
                for cited in provision.cites:
                    self.add(p, DCTERMS.references, iri("legislation", cited))

    def figures(self) -> None:
        for figure in self.s.figures.values():
            subject = iri("figure", figure.key)
            self.resource(subject, [AMHE.KeyFigure], figure.label, figure, figure.summary)
            self.add(subject, AMHE.case, Literal(figure.case))
            for predicate, value in ((AMHE.minValue, figure.min), (AMHE.maxValue, figure.max)):
                if value is not None:
                    self.add(subject, predicate, decimal(value))
            self.add(subject, AMHE.unit, Literal(figure.unit))
            if figure.per:
                self.add(subject, AMHE.period, Literal(figure.per, datatype=XSD.duration))
            for number in figure.references:
                self.add(subject, AMHE.referenceNumber, Literal(number))
            if figure.attributed_to:
                self.add(subject, AMHE.attributedTo, text(figure.attributed_to))

    # Appendix 2

    def mapping_review(self) -> None:
        for question in self.s.research_questions.values():
            subject = iri("research-question", question.key)
            self.resource(subject, [AMHE.ResearchQuestion], question.label, question)
            self.add(subject, AMHE.questionNumber, Literal(question.number))
            self.add(subject, AMHE.shortTitle, text(question.short_label))
        for itype in self.s.intervention_types.values():
            subject = iri("intervention-type", itype.key)
            broader = iri("intervention-type", itype.broader) if itype.broader else None
            self.concept(
                subject,
                [AMHE.InterventionType],
                itype.label,
                "intervention-types",
                itype,
                broader,
                itype.abbreviation,
            )
            self.add(subject, AMHE.statedStudyCount, Literal(itype.stated_studies))
        for characteristic in self.s.characteristics.values():
            subject = subtype_iri(characteristic.key)
            self.concept(
                subject,
                [AMHE.Characteristic],
                characteristic.label,
                "characteristics",
                characteristic,
                notation=str(characteristic.number),
            )
            self.add(subject, AMHE.statedStudyCount, Literal(characteristic.stated_studies))
            self.add(subject, AMHE.statedTable5Total, Literal(characteristic.table5_total))
            self.add(subject, AMHE.protectedUnderEqualityAct2010, Literal(characteristic.protected))
            for section in characteristic.equality_act_sections:
                self.add(
                    subject,
                    AMHE.definedInLegislation,
                    LEGISLATION_ID[f"{EQUALITY_ACT_2010}/section/{section}"],
                )
            for sub in characteristic.subtypes:
                s = subtype_iri(f"{characteristic.key}/{sub.key}")
                self.concept(
                    s,
                    [AMHE.CharacteristicSubtype],
                    sub.label,
                    "characteristics",
                    broader=subject,
                    notation=f"{characteristic.number}{sub.letter}",
                    source=characteristic.source,
                    note=sub.note,
                )
                self.add(s, AMHE.statedStudyCount, Literal(sub.stated_studies))
                self.add(s, AMHE.statedTable5Total, Literal(sub.table5_total))
        for country in self.s.countries.values():
            subject = iri("country", country.key)
            self.resource(subject, [AMHE.Country], country.label, country)
            self.add(subject, AMHE.iso3166Alpha2, Literal(country.alpha2))
            self.add(subject, AMHE.iso3166Alpha3, Literal(country.alpha3))
            if f"eu-country:{country.alpha3}" in self.s.identifiers:
                self.add(subject, SCHEMA.sameAs, EU_COUNTRY[country.alpha3])
        for tally in self.s.tallies.values():
            subject = iri("study-tally", tally.key)
            question = self.s.research_questions[tally.question]
            label = f"{tally.printed} (research question {question.number})"
            self.resource(subject, [AMHE.StudyTally], label, tally)
            self.add(subject, AMHE.printedLabel, text(tally.printed))
            self.add(subject, AMHE.researchQuestion, iri("research-question", tally.question))
            for country in tally.countries:
                self.add(subject, AMHE.country, iri("country", country))
            self.add(subject, AMHE.numberOfStudies, Literal(tally.studies))

    def interventions(self) -> None:
        for intervention in self.s.interventions.values():
            subject = iri("intervention", intervention.key)
            self.resource(subject, [AMHE.Intervention], intervention.label, intervention)
            for itype in intervention.types:
                self.add(subject, AMHE.interventionType, iri("intervention-type", itype))
            for number in intervention.references:
                self.add(subject, AMHE.referenceNumber, Literal(number))
            self.add(subject, AMHE.tickCount, Literal(intervention.ticks))
            for target in intervention.targets:
                subtype = subtype_iri(target.subtype)
                self.add(subject, AMHE.curatedTarget, subtype)
                evidence = iri(
                    "intervention", intervention.key, "target", *target.subtype.split("/")
                )
                label = f"{intervention.label} targets {self._label(subtype)} (curated)"
                self.resource(evidence, [AMHE.CuratedLink], label, source=intervention.source)
                self.add(evidence, AMHE.linkSubject, subject)
                self.add(evidence, AMHE.linkObject, subtype)
                self.add(evidence, AMHE.evidence, text(target.evidence))

    # Appendix 3

    def places_and_organisations(self) -> None:
        for place in self.s.places.values():
            subject = iri("place", place.key)
            self.resource(subject, [AMHE.Place], place.label, place)
            self.add(subject, AMHE.placeKind, Literal(place.kind))
            for outer in place.within:
                self.add(subject, AMHE.within, iri("place", outer))
            if place.gss:
                self.add(subject, AMHE.gssCode, Literal(place.gss))
                self.add(subject, SCHEMA.sameAs, STATISTICAL_GEOGRAPHY[place.gss])
        for org in self.s.organisations.values():
            subject = iri("organisation", org.key)
            self.resource(subject, [AMHE.Organisation], org.label, org)
            self.add(subject, AMHE.organisationKind, Literal(org.kind))
            for alt in org.alt_labels:
                self.add(subject, SKOS.altLabel, text(alt))
            self.add(subject, FOAF.homepage, URIRef(org.homepage) if org.homepage else None)
            if org.ods_code:
                self.ods_identifier(subject, org)
            for role in org.contributions:
                self.add(subject, AMHE.contributionRole, Literal(role))

    def ods_identifier(self, subject: URIRef, org: r.Organisation) -> None:
        """An NHS trust's ODS code, in its FHIR identifier system."""
        self.add(subject, AMHE.odsCode, Literal(org.ods_code))
        identifier = iri("organisation", org.key, "ods-code")
        self.resource(
            identifier, [SCHEMA.PropertyValue], f"ODS code {org.ods_code}", source=org.source
        )
        self.add(identifier, SCHEMA.propertyID, Literal(ODS_SYSTEM))
        self.add(identifier, SCHEMA.value, Literal(org.ods_code))
        self.add(identifier, DCTERMS.source, IDENTIFIER_LIST)
        self.add(subject, SCHEMA.identifier, identifier)

    def services(self) -> None:
        for theme in self.s.themes.values():
            self.concept(
                iri("practice-theme", theme.key),
                [AMHE.PracticeTheme],
                theme.label,
                "practice-themes",
                theme,
            )
        for service in self.s.services.values():
            subject = iri("service", service.key)
            self.resource(subject, [AMHE.Service], service.label, service, service.summary)
            self.add(subject, AMHE.population, text(service.population))
            for ref in service.population_subtypes:
                self.add(subject, AMHE.servesSubtype, subtype_iri(ref))
            for theme in service.themes:
                self.add(subject, AMHE.practiceTheme, iri("practice-theme", theme))
            for award in service.awards:
                self.add(subject, SCHEMA.award, text(award))
            for org in service.providers:
                self.add(subject, AMHE.providedBy, iri("organisation", org))
            for org in service.partners:
                self.add(subject, AMHE.partner, iri("organisation", org))
            for place in service.locations:
                self.add(subject, AMHE.location, iri("place", place))
            self.add(subject, AMHE.nationalService, Literal(service.national))
            for link in service.links:
                self.add(subject, RDFS.seeAlso, URIRef(link))
            for outcome in service.outcomes:
                self.add(subject, AMHE.reportedOutcome, text(outcome))

    # Appendix 8

    def initiatives(self) -> None:
        for initiative in self.s.initiatives.values():
            subject = iri("initiative", initiative.key)
            self.resource(
                subject, [AMHE.Initiative], initiative.label, initiative, initiative.description
            )
            self.add(subject, AMHE.ledBy, iri("organisation", initiative.organisation))
            for org in initiative.partners:
                self.add(subject, AMHE.partner, iri("organisation", org))
            for link in initiative.links:
                self.add(subject, RDFS.seeAlso, URIRef(link))

    # Appendices 4 and 6

    def barriers(self) -> None:
        tables = (
            (self.s.barriers, [AMHE.Barrier]),
            (self.s.coproduction_barriers, [AMHE.Barrier, AMHE.CoProductionBarrier]),
        )
        for barriers, types in tables:
            for barrier in barriers.values():
                subject = iri("barrier", barrier.key)
                self.resource(subject, types, barrier.label, barrier)
                for solution in barrier.solutions:
                    s = iri("solution", solution.key)
                    if (s, RDF.type, AMHE.Solution) not in self.g:
                        self.resource(s, [AMHE.Solution], solution.label)
                    self.add(s, PROV.wasDerivedFrom, self.location(barrier.source))
                    if solution.note:
                        self.add(s, SKOS.editorialNote, text(solution.note))
                    self.add(subject, AMHE.solution, s)

    # Appendix 5

    def coproduction(self) -> None:
        for group in self.s.participation_groups.values():
            subject = iri("ladder", group.key)
            self.concept(
                subject, [AMHE.ParticipationGroup], group.label, "co-production-ladder", group
            )
            self.add(subject, SKOS.definition, text(group.description))
        for rung in self.s.rungs.values():
            subject = iri("ladder", rung.key)
            self.concept(
                subject,
                [AMHE.LadderRung],
                rung.label,
                "co-production-ladder",
                rung,
                iri("ladder", rung.group),
            )
            self.add(subject, AMHE.rank, Literal(rung.rank))
        definition = self.s.definition
        top = max(self.s.rungs.values(), key=lambda rung: rung.rank)
        subject = iri("ladder", top.key)
        self.add(subject, SKOS.definition, text(definition.quote))
        self.add(subject, AMHE.attributedTo, text(definition.attributed_to))
        self.add(subject, PROV.wasDerivedFrom, self.location(definition.source))
        for stage in self.s.stages.values():
            subject = iri("co-production-stage", stage.key)
            self.resource(subject, [AMHE.CoProductionStage], stage.label, stage)
            self.add(subject, AMHE.stageOrder, Literal(stage.order))
            for action in stage.actions:
                a = iri("co-production-stage", stage.key, action.key)
                self.resource(
                    a,
                    [AMHE.CoProductionAction],
                    action.label,
                    source=stage.source,
                    note=action.note,
                )
                self.add(subject, AMHE.action, a)
                self.add(a, AMHE.stage, subject)

    # Appendices 7, 9, 10

    def vignettes(self) -> None:
        for vignette in self.s.vignettes.values():
            subject = iri("vignette", vignette.key)
            self.resource(subject, [AMHE.Vignette], vignette.label, vignette)
            self.add(subject, AMHE.experience, text(vignette.experience))
            self.add(subject, AMHE.inequalityIssue, text(vignette.inequality_issue))
            self.add(subject, AMHE.couldBeBetter, text(vignette.could_be_better))
            for ref in vignette.characteristics:
                self.add(subject, AMHE.illustratesCharacteristic, subtype_iri(ref))
            for barrier in vignette.barriers:
                self.add(subject, AMHE.illustratesBarrier, iri("barrier", barrier))
            self.add(subject, AMHE.evidence, text(vignette.evidence))

    def restrictive_practices(self) -> None:
        for practice in self.s.restrictive_practices.values():
            subject = iri("restrictive-practice", practice.key)
            self.concept(
                subject,
                [AMHE.RestrictivePractice],
                practice.label,
                "restrictive-practices",
                practice,
            )
            self.add(subject, SKOS.definition, text(practice.definition))

    def guidelines(self) -> None:
        for group in self.s.population_groups.values():
            subject = iri("population-group", group.key)
            self.concept(subject, [AMHE.PopulationGroup], group.label, "population-groups", group)
            for ref in group.characteristics:
                self.add(subject, AMHE.relatedCharacteristic, subtype_iri(ref))
        for guideline in self.s.guidelines.values():
            subject = iri("guideline", guideline.key)
            self.resource(subject, [AMHE.Guideline], guideline.title, guideline)
            self.add(subject, DCTERMS.identifier, Literal(guideline.code))
            for group in [guideline.group, *guideline.also_groups]:
                self.add(subject, AMHE.populationGroup, iri("population-group", group))
            page = NICE_GUIDANCE[guideline.code.lower()]
            self.add(subject, SCHEMA.url, page)
            if guideline.url != str(page):
                self.add(subject, RDFS.seeAlso, URIRef(guideline.url))

    # Helpful resources and abbreviations

    def resources(self) -> None:
        for topic in self.s.topics.values():
            self.concept(
                iri("resource-topic", topic.key),
                [AMHE.ResourceTopic],
                topic.label,
                "resource-topics",
                topic,
            )
        for resource in self.s.resources.values():
            subject = iri("resource", resource.key)
            self.resource(subject, [AMHE.HelpfulResource], resource.title, resource)
            if resource.publisher:
                self.add(subject, AMHE.publisherName, text(resource.publisher))
            self.add(subject, AMHE.topic, iri("resource-topic", resource.topic))
            self.add(subject, SCHEMA.url, URIRef(resource.url))

    def abbreviations(self) -> None:
        for abbreviation in self.s.abbreviations.values():
            subject = iri("abbreviation", abbreviation.key)
            self.concept(subject, [AMHE.Abbreviation], abbreviation.term, "glossary", abbreviation)
            self.add(subject, SKOS.definition, text(abbreviation.definition))
            if abbreviation.names:
                named = iri(*abbreviation.names.split("/"))
                self.add(subject, AMHE.abbreviates, named)
                self.add(named, SKOS.altLabel, text(abbreviation.term))

    def _label(self, subject: URIRef) -> str:
        return str(self.g.value(subject, RDFS.label))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def build_graph(sources: Sources) -> Graph:
    """The knowledge graph for the curated sources."""
    return GraphBuilder(sources).build()
