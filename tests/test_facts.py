"""Facts from every appendix, checked against the source document by hand.

Seed line numbers refer to shared/seed/000_32b3c55c8f9d3afb.txt.
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from tests.conftest import AMHE, ID

PREFIXES = """
PREFIX amhe: <https://w3id.org/amhe/ontology#>
BASE <https://w3id.org/amhe/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
"""


def rows(graph, query):
    """The rows of a SELECT query as tuples of plain Python strings."""
    return sorted(tuple(str(v) for v in row) for row in graph.query(PREFIXES + query))


def labels(graph, subject, predicate):
    return sorted(str(graph.value(o, RDFS.label)) for o in graph.objects(subject, predicate))


def count(graph, rdf_type):
    return len(set(graph.subjects(RDF.type, rdf_type)))


# Appendix 1


def test_equality_act_2010_cites_sections_13_20_and_149(graph):
    act = ID["legislation/equality-act-2010"]
    assert graph.value(act, AMHE.legislationCitation) == Literal("ukpga/2010/15")
    assert labels(graph, act, AMHE.hasProvision) == [
        "Equality Act 2010, section 13: Duty to not discriminate",
        "Equality Act 2010, section 149: Public Sector Equality Duty",
        "Equality Act 2010, section 20: Duty to make adjustments",
    ]


def test_health_and_social_care_act_duties_and_their_holders(graph):
    found = rows(
        graph,
        """SELECT ?number ?holder WHERE {
             ?p amhe:legislation <legislation/health-and-social-care-act-2012> ;
                dcterms:isPartOf <legislation/health-and-social-care-act-2012> ;
                skos:notation ?number ; amhe:dutyHolder/rdfs:label ?holder }""",
    )
    assert found == [
        ("175", "NHS trusts"),
        ("23", "the Board"),
        ("26", "Commissioning Groups"),
        ("4", "Secretary of State"),
        ("62", "Monitor"),
    ]
    item = ID["legislation/health-and-social-care-act-2012/section-26-14z1"]
    assert graph.value(item, DCTERMS.title) == Literal(
        "Duty as to promoting integration", lang="en"
    )
    assert (
        graph.value(item, DCTERMS.isPartOf)
        == ID["legislation/health-and-social-care-act-2012/section-26"]
    )


def test_human_rights_act_articles(graph):
    found = rows(
        graph,
        """SELECT ?n WHERE { ?p amhe:legislation <legislation/human-rights-act-1998> ;
                                amhe:provisionKind "article" ; skos:notation ?n }""",
    )
    assert sorted(int(n) for (n,) in found) == [2, 3, 5, 7, 8, 9, 14]


def test_mental_health_act_provision_cites_the_equality_act_2006(graph):
    found = rows(
        graph,
        """SELECT ?p WHERE { ?p amhe:legislation <legislation/mental-health-act-1983> ;
                                dcterms:references <legislation/equality-act-2006> }""",
    )
    assert len(found) == 1
    assert count(graph, AMHE.Legislation) == 6


def test_mental_capacity_act_best_interests_quote(graph):
    section = ID["legislation/mental-capacity-act-2005/section-4"]
    quote = str(graph.value(section, AMHE.quote))
    assert "(a) the person’s age or appearance" in quote


def test_economic_and_moral_figures(graph):
    eip = ID["figure/eip-return-on-investment"]
    assert graph.value(eip, AMHE.minValue).toPython() == Decimal("15")
    assert str(graph.value(eip, AMHE.period)) == "P10Y"
    productivity = ID["figure/lost-productivity-from-health-inequalities"]
    assert graph.value(productivity, AMHE.minValue).toPython() == Decimal("31")
    assert graph.value(productivity, AMHE.maxValue).toPython() == Decimal("33")
    assert str(graph.value(productivity, AMHE.unit)) == "GBP-billion"
    life = ID["figure/life-expectancy-gap-serious-mental-illness"]
    assert str(graph.value(life, AMHE.case)) == "moral"
    assert (graph.value(life, AMHE.minValue), graph.value(life, AMHE.maxValue)) == (
        Literal(Decimal("10.0")),
        Literal(Decimal("20.0")),
    )


# Appendix 2


def test_three_research_questions(graph):
    found = rows(
        graph,
        """SELECT ?n ?t WHERE { ?q a amhe:ResearchQuestion ;
                                   amhe:questionNumber ?n ; amhe:shortTitle ?t }""",
    )
    assert [n for n, _ in found] == ["1", "2", "3"]
    assert found[2][1] == (
        "Barriers and facilitators to interventions to address mental health inequalities"
    )


def test_table_2_intervention_types_and_stated_counts(graph):
    found = dict(
        rows(
            graph,
            "SELECT ?code ?n WHERE { ?t a amhe:InterventionType ; skos:notation ?code ;"
            " amhe:statedStudyCount ?n }",
        )
    )
    assert found == {
        "DET": "23", "PPS": "35", "RSCT": "13", "EC": "3", "PFIP": "12", "IATS": "4",
        "IAPT": "5", "ELLS": "3", "O": "2", "oHBC": "2", "oCA": "10", "oT": "10", "PRF": "0",
    }  # fmt: skip
    assert graph.value(ID["intervention-type/oca"], SKOS.broader) == ID["intervention-type/o"]


def test_table_3_characteristics_and_subtypes(graph):
    race = ID["characteristic/race"]
    assert graph.value(race, AMHE.statedStudyCount) == Literal(36)
    found = rows(
        graph,
        """SELECT ?label ?n WHERE { ?s skos:broader <characteristic/race> ;
                                       skos:prefLabel ?label ; amhe:statedStudyCount ?n }""",
    )
    assert found == [
        ("Immigrants", "5"),
        ("Indigenous communities", "4"),
        ("Minority ethnicity", "27"),
    ]
    assert count(graph, AMHE.Characteristic) == 11
    assert count(graph, AMHE.CharacteristicSubtype) == 23
    ses = ID["characteristic/socioeconomic-status/low-ses"]
    assert graph.value(ses, AMHE.statedStudyCount) == Literal(61)
    assert graph.value(ses, SKOS.notation) == Literal("8a")


def test_religion_records_what_each_table_states(graph):
    religion = ID["characteristic/religion"]
    subtype = ID["characteristic/religion/religion"]
    assert graph.value(religion, AMHE.statedStudyCount) == Literal(2)
    assert graph.value(subtype, AMHE.statedStudyCount) == Literal(3)
    assert graph.value(subtype, AMHE.statedTable5Total) == Literal(2)
    assert (religion, SKOS.editorialNote, None) in graph


def test_table_4_countries_per_research_question(graph):
    found = rows(
        graph,
        """SELECT ?q (SUM(?n) AS ?total) (COUNT(?t) AS ?rows) WHERE {
             ?t a amhe:StudyTally ; amhe:researchQuestion/amhe:questionNumber ?q ;
                amhe:numberOfStudies ?n } GROUP BY ?q""",
    )
    # seed lines 424-472: RQ1 rows sum to 86 over 19 rows, RQ2 to 5 over 3, RQ3 to 32 over 9
    assert found == [("1", "86", "19"), ("2", "5", "3"), ("3", "32", "9")]
    usa = ID["study-tally/rq1-usa"]
    assert graph.value(usa, AMHE.numberOfStudies) == Literal(35)
    assert graph.value(graph.value(usa, AMHE.country), AMHE.iso3166Alpha2) == Literal("US")


def test_joint_country_rows_stay_joint_but_link_both(graph):
    joint = ID["study-tally/rq1-austria-russia"]
    assert str(graph.value(joint, AMHE.printedLabel)) == "Austria & Russia"
    codes = sorted(
        str(graph.value(c, AMHE.iso3166Alpha2)) for c in graph.objects(joint, AMHE.country)
    )
    assert codes == ["AT", "RU"]
    assert graph.value(joint, AMHE.numberOfStudies) == Literal(1)
    assert list(graph.objects(ID["study-tally/rq1-unclear"], AMHE.country)) == []


def test_table_5_interventions(graph):
    assert count(graph, AMHE.Intervention) == 97
    vital = ID["intervention/vitalsign-6"]
    assert str(graph.value(vital, RDFS.label)) == "VitalSign 6"
    assert list(graph.objects(vital, AMHE.referenceNumber)) == [Literal(87)]
    assert list(graph.objects(vital, AMHE.interventionType)) == [ID["intervention-type/iats"]]
    assert graph.value(vital, AMHE.tickCount) == Literal(3)
    parenting = ID["intervention/incredible-years-parenting-programs"]
    assert sorted(int(n) for n in graph.objects(parenting, AMHE.referenceNumber)) == list(
        range(15, 22)
    )
    iapt = ID["intervention/improving-access-to-psychological-therapies-iapt"]
    assert graph.value(iapt, AMHE.tickCount) == Literal(7)
    mom = ID["intervention/mom-care"]
    assert sorted(str(t) for t in graph.objects(mom, AMHE.interventionType)) == [
        str(ID["intervention-type/oca"]),
        str(ID["intervention-type/pps"]),
    ]


def test_table_5_ticks_add_up_to_the_printed_column_totals(graph):
    (total,) = rows(graph, "SELECT (SUM(?t) AS ?n) WHERE { ?i amhe:tickCount ?t }")
    assert total == ("187",)  # 27+5+4+2+3+1+4+5+2+23+7+3+6+3+61+1+3+8+4+1+1+3+10, seed line 888


def test_interventions_per_type_match_table_2(graph):
    found = dict(
        rows(
            graph,
            """SELECT ?code (COUNT(?i) AS ?n) WHERE {
                 ?i amhe:interventionType/skos:notation ?code } GROUP BY ?code""",
        )
    )
    assert found["DET"] == "23" and found["PPS"] == "35" and found["oCA"] == "10"
    assert "PRF" not in found


def test_curated_targets_carry_their_evidence(graph):
    deaf = ID["intervention/emotional-intelligence-training-programme-for-deaf-students"]
    subtype = ID["characteristic/disability/physical-or-sensory-impairment"]
    assert (deaf, AMHE.curatedTarget, subtype) in graph
    link = ID[
        "intervention/emotional-intelligence-training-programme-for-deaf-students/target/"
        "disability/physical-or-sensory-impairment"
    ]
    assert (link, RDF.type, AMHE.CuratedLink) in graph
    assert graph.value(link, AMHE.linkSubject) == deaf
    assert graph.value(link, AMHE.linkObject) == subtype
    assert "deaf students" in str(graph.value(link, AMHE.evidence))
    # No intervention has more curated targets than the ticks its row prints.
    over = rows(
        graph,
        """SELECT ?i WHERE { ?i amhe:tickCount ?t .
             { SELECT ?i (COUNT(?s) AS ?n) WHERE { ?i amhe:curatedTarget ?s } GROUP BY ?i }
             FILTER (?n > ?t) }""",
    )
    assert over == []


# Appendix 3


def test_services_providers_and_places(graph):
    assert count(graph, AMHE.Service) == 11
    rainbow = ID["service/rainbow-alliance"]
    assert labels(graph, rainbow, AMHE.providedBy) == [
        "Leeds and York Partnership NHS Foundation Trust"
    ]
    assert labels(graph, rainbow, AMHE.location) == ["Leeds"]
    homeless = ID["service/kings-health-partners-pathway-homeless-team"]
    assert labels(graph, homeless, AMHE.providedBy) == [
        "Guy's and St Thomas' NHS Foundation Trust",
        "South London and Maudsley NHS Foundation Trust",
    ]
    assert labels(graph, homeless, AMHE.location) == ["Lambeth", "Southwark"]
    lambeth = ID["place/lambeth"]
    assert graph.value(lambeth, AMHE.within) == ID["place/london"]
    assert graph.value(lambeth, AMHE.gssCode) == Literal("E09000022")


def test_black_thrive_has_partners_but_no_provider(graph):
    black_thrive = ID["service/black-thrive"]
    assert list(graph.objects(black_thrive, AMHE.providedBy)) == []
    assert "Lambeth Council" in labels(graph, black_thrive, AMHE.partner)
    assert len(labels(graph, black_thrive, AMHE.partner)) == 5


def test_national_services(graph):
    found = rows(graph, "SELECT ?l WHERE { ?s amhe:nationalService true ; rdfs:label ?l }")
    assert found == [
        ("Foundation for People with Learning Disabilities",),
        ("Parenting and Child Service",),
    ]


def test_service_outcomes_keep_the_printed_figures(graph):
    outcomes = " ".join(
        str(o) for o in graph.objects(ID["service/dial-house-touchstone"], AMHE.reportedOutcome)
    )
    assert "£7.50–£12.50" in outcomes
    trust = ID["organisation/pennine-care-nhs-foundation-trust"]
    assert graph.value(trust, AMHE.odsCode) == Literal("RT2")


# Appendices 4 and 6


def test_table_6_barriers_and_a_shared_solution(graph):
    table6 = rows(
        graph,
        """SELECT ?b WHERE { ?b a amhe:Barrier
                             FILTER NOT EXISTS { ?b a amhe:CoProductionBarrier } }""",
    )
    assert len(table6) == 21
    shared = ID["solution/awareness-campaigning-and-education"]
    answering = sorted(str(b) for b in graph.subjects(AMHE.solution, shared))
    assert answering == [
        str(ID["barrier/institutional-racism-and-discrimination"]),
        str(ID["barrier/own-attitudes-to-mental-health-self-stigma"]),
    ]
    assert labels(graph, ID["barrier/language"], AMHE.solution) == [
        "Ensure access to interpreters and translated materials",
        "Provide basic mental health training to interpreters",
    ]


def test_table_8_coproduction_barriers(graph):
    assert count(graph, AMHE.CoProductionBarrier) == 11
    assert labels(graph, ID["barrier/financial-barriers"], AMHE.solution) == [
        "Consider how payment may affect people who receive welfare benefits",
        "Ensure fair payment for contributors",
    ]


# Appendix 5


def test_ladder_of_coproduction(graph):
    found = rows(
        graph,
        """SELECT ?rank ?rung ?group WHERE { ?r a amhe:LadderRung ; amhe:rank ?rank ;
             skos:prefLabel ?rung ; skos:broader/skos:prefLabel ?group }""",
    )
    assert sorted(found, key=lambda row: int(row[0])) == [
        ("1", "Coercion", "Doing to"),
        ("2", "Educating", "Doing to"),
        ("3", "Informing", "Doing for"),
        ("4", "Consultation", "Doing for"),
        ("5", "Engagement", "Doing for"),
        ("6", "Co-design", "Doing with"),
        ("7", "Co-production", "Doing with"),
    ]
    definition = str(graph.value(ID["ladder/co-production"], SKOS.definition))
    assert definition.startswith("Co-production is an ongoing partnership")


def test_table_7_stages_with_their_bullets_in_the_right_place(graph):
    found = rows(
        graph,
        "SELECT ?o ?l (COUNT(?a) AS ?n) WHERE { ?s amhe:stageOrder ?o ; rdfs:label ?l ;"
        " amhe:action ?a } GROUP BY ?o ?l",
    )
    assert found == [
        ("1", "Identifying inequalities", "5"),
        ("2", "Generating ideas and problem solving", "6"),
        ("3", "Tackling inequalities; implementing change", "4"),
        ("4", "Evaluating and improving services", "4"),
    ]
    first = " ".join(labels(graph, ID["co-production-stage/identifying-inequalities"], AMHE.action))
    assert "data collection" in first
    second = " ".join(
        labels(graph, ID["co-production-stage/generating-ideas-and-problem-solving"], AMHE.action)
    )
    assert "blank page" in second


# Appendix 7


def test_vignettes(graph):
    found = rows(graph, "SELECT ?l WHERE { ?v a amhe:Vignette ; rdfs:label ?l }")
    assert found == [
        (n,) for n in sorted(["Benny", "Lia", "Danny", "Joshua", "Jerome", "Claudia", "John"])
    ]
    claudia = ID["vignette/claudia"]
    assert (
        claudia,
        AMHE.illustratesBarrier,
        ID["barrier/male-female-wards-and-gender-identity"],
    ) in graph
    assert (
        ID["vignette/lia"],
        AMHE.illustratesCharacteristic,
        ID["characteristic/race/minority-ethnicity"],
    ) in graph


# Appendices 8 and 9


def test_sharing_and_learning_initiatives(graph):
    cqc = ID["organisation/care-quality-commission"]
    led = sorted(str(graph.value(i, RDFS.label)) for i in graph.subjects(AMHE.ledBy, cqc))
    assert "Equally Outstanding" in led
    project = ID["initiative/race-disparities-in-mental-health-project"]
    assert len(list(graph.objects(project, AMHE.partner))) == 7  # seed lines 2455-2461


def test_restrictive_practice_definitions(graph):
    assert count(graph, AMHE.RestrictivePractice) == 3
    seclusion = str(graph.value(ID["restrictive-practice/seclusion"], SKOS.definition))
    assert seclusion.startswith("The supervised confinement and isolation of a patient")


# Appendix 10


def test_nice_guidelines_by_group(graph):
    found = rows(
        graph,
        """SELECT ?group (COUNT(?g) AS ?n) WHERE { ?g a amhe:Guideline ;
             amhe:populationGroup/skos:prefLabel ?group } GROUP BY ?group""",
    )
    assert dict(found) == {
        "Highly relevant": "1",
        "Children and young people": "16",  # 14 in the group, and CG128 and CG170 "also"
        "Pregnancy and maternity": "3",
        "Disability": "7",
        "Personality disorders": "2",
        "Older adults": "5",
    }
    assert count(graph, AMHE.Guideline) == 32
    ng44 = ID["guideline/ng44"]
    assert graph.value(ng44, DCTERMS.identifier) == Literal("NG44")
    assert str(graph.value(ng44, RDFS.label)).startswith("Community engagement")


# Helpful resources, abbreviations, Appendix 11


def test_helpful_resources(graph):
    assert count(graph, AMHE.HelpfulResource) == 46
    assert count(graph, AMHE.ResourceTopic) == 13
    found = rows(
        graph,
        """SELECT ?url WHERE { ?r rdfs:label "Care Opinion"@en ; schema:url ?url }""",
    )
    assert found == [("https://www.careopinion.org.uk/",)]


def test_abbreviations_label_what_they_name(graph):
    assert count(graph, AMHE.Abbreviation) == 20
    cqc = ID["organisation/care-quality-commission"]
    assert (ID["abbreviation/cqc"], AMHE.abbreviates, cqc) in graph
    assert Literal("CQC", lang="en") in set(graph.objects(cqc, SKOS.altLabel))


def test_contributing_organisations_without_people(graph):
    found = rows(
        graph,
        """SELECT ?l WHERE { ?o amhe:contributionRole "sharing-and-learning-event" ;
                                rdfs:label ?l }""",
    )
    assert len(found) == 7  # seed lines 2665-2677
    persons = rows(graph, 'SELECT ?s WHERE { ?s ?p ?o FILTER (CONTAINS(STR(?o), "Shubulade")) }')
    assert persons == []


# Provenance


def test_a_fact_says_which_table_and_row_it_came_from(graph):
    found = rows(
        graph,
        """SELECT ?table ?row WHERE { <intervention/vitalsign-6> prov:wasDerivedFrom ?loc .
             ?loc amhe:rowNumber ?row ; dcterms:isPartOf/dcterms:title ?table }""",
    )
    assert found == [
        (
            "Table 5: Intervention types aimed at populations possessing specific characteristics",
            "66",
        )
    ]
    location = graph.value(ID["service/black-thrive"], PROV.wasDerivedFrom)
    assert str(graph.value(location, RDFS.label)) == "Appendix 3, item 2"
