"""The mapping review's tables as RDF Data Cube datasets, stated and recomputed.

Tables 2, 3 and 4, and the totals printed under Table 5, are published as
`qb:DataSet`s holding the figures as printed. The counts the graph can
recompute from Table 5's rows are published beside them as derived data sets,
so that a query can set stated and recomputed figures side by side.

The observations are built normalised (section 10 of the Data Cube
recommendation): each states its data set, a value for every dimension, the
measure and every attribute, and every component specification states
`qb:componentProperty` as well as `qb:dimension`, `qb:measure` or
`qb:attribute`. The one thing left to normalisation is the type closure of the
component properties (`amhe:refArea a qb:DimensionProperty`, ...): in the
ontology such a type would make the property an individual too, which the
project's OWL 2 DL rules forbid, so phase 1 of the algorithm derives it from
the structure definitions. `check_integrity` runs both phases before the
integrity constraints, so abbreviated cubes are checked correctly too.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import DefaultGraph, RdfFormat, Store
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from amhe_kg import records as r
from amhe_kg.graph import subtype_iri, text
from amhe_kg.namespaces import AMHE, ID, QB, bind_prefixes, iri
from amhe_kg.sources import Sources

INTEGRITY_DIR = Path(__file__).with_name("qb_integrity")
AREA_CODE_LIST = iri("cube", "code-list", "study-area")
UNIT_CODE_LIST = iri("scheme", "units")


@dataclass(frozen=True)
class Component:
    """A component property of the cubes and how it appears in their CSV files."""

    key: str
    prop: URIRef
    kind: str  # dimension | measure | attribute
    label: str

    @property
    def column(self) -> str:
        return self.key.replace("-", "_")


COMPONENTS = {
    c.key: c
    for c in (
        Component("intervention-type", AMHE.refInterventionType, "dimension", "intervention type"),
        Component(
            "characteristic", AMHE.refCharacteristic, "dimension", "characteristic or subtype"
        ),
        Component("research-question", AMHE.refResearchQuestion, "dimension", "research question"),
        Component("area", AMHE.refArea, "dimension", "study area"),
        Component(
            "number-of-included-studies",
            AMHE.numberOfIncludedStudies,
            "measure",
            "number of included studies",
        ),
        Component(
            "number-of-interventions",
            AMHE.numberOfInterventions,
            "measure",
            "number of interventions",
        ),
        Component(
            "number-of-curated-interventions",
            AMHE.numberOfCuratedInterventions,
            "measure",
            "number of interventions with a curated target",
        ),
        Component("unit", AMHE.unitOfMeasure, "attribute", "unit of measure"),
        Component("source-table", AMHE.sourceTable, "attribute", "source table"),
    )
}
ATTRIBUTES = ("unit", "source-table")

# Units of measure: key -> (label, definition); both come from Appendix 2's tables.
UNITS = {
    "study": (
        "study",
        "An included study of the mapping review, counted as the review's tables count them.",
    ),
    "intervention": ("intervention", "An intervention of Table 5, that is, one row of the table."),
}


@dataclass(frozen=True)
class Dataset:
    """One data set: what it holds, its dimensions, its measure and unit."""

    key: str
    title: str
    description: str
    part: str
    dimensions: tuple[str, ...]
    measure: str
    unit: str
    derived: bool = False
    compare: tuple[str, ...] = ()

    @property
    def subject(self) -> URIRef:
        return iri("cube", self.key)

    @property
    def structure(self) -> URIRef:
        return iri("cube", self.key, "structure")

    @property
    def components(self) -> tuple[Component, ...]:
        keys = (*self.dimensions, self.measure, *ATTRIBUTES)
        return tuple(COMPONENTS[key] for key in keys)


DATASETS = (
    Dataset(
        "table-2",
        "Table 2: included studies per intervention type",
        "The number of included studies of each intervention type, as Table 2 prints it. "
        "A study may be of several types.",
        "table-2",
        ("intervention-type",),
        "number-of-included-studies",
        "study",
    ),
    Dataset(
        "table-3",
        "Table 3: included studies per characteristic and subtype",
        "The number of included studies by characteristic subtype and by characteristic, as "
        "Table 3 prints them: an observation of a subtype holds the table's 'by characteristic "
        "subtype' figure, an observation of a characteristic its 'by characteristic' figure. "
        "For Religion the table prints 3 by subtype and 2 by characteristic; both are published "
        "as printed.",
        "table-3",
        ("characteristic",),
        "number-of-included-studies",
        "study",
    ),
    Dataset(
        "table-4",
        "Table 4: studies per country and research question",
        "The number of primary studies conducted in each country, for each research question, "
        "as Table 4 prints it, one observation per printed row. A row naming one country has "
        "that country as its study area; a joint row ('Austria & Russia', 'Chile & Colombia') "
        "has a country group linked to both countries, as the table gives one count for the "
        "pair; the 'Unclear' row has a study area that names no country.",
        "table-4",
        ("research-question", "area"),
        "number-of-included-studies",
        "study",
    ),
    Dataset(
        "table-5-totals",
        "Table 5: printed totals per characteristic and subtype",
        "The totals printed under Table 5: the number of interventions ticked for each "
        "characteristic subtype ('Total by characteristic subtype') and each characteristic "
        "('Total by characteristic type'), as printed.",
        "table-5",
        ("characteristic",),
        "number-of-interventions",
        "intervention",
    ),
    Dataset(
        "table-5-interventions-per-type",
        "Interventions per intervention type, recomputed from Table 5",
        "The number of rows of Table 5 that list each intervention type, counted from the "
        "graph's interventions; compare with the number of included studies Table 2 states.",
        "table-5",
        ("intervention-type",),
        "number-of-interventions",
        "intervention",
        derived=True,
        compare=("table-2",),
    ),
    Dataset(
        "table-5-curated-per-subtype",
        "Interventions per characteristic subtype with a curated target, recomputed from Table 5",
        "The number of Table 5 interventions whose own name says they target each "
        "characteristic subtype (curated links). Table 5's columns were lost in the text "
        "extraction, so these are the interventions known to target a subtype, not the "
        "table's column counts; a subtype no intervention is linked to has no observation "
        "(unknown, not zero). Compare with Table 3 and with Table 5's printed totals.",
        "table-5",
        ("characteristic",),
        "number-of-curated-interventions",
        "intervention",
        derived=True,
        compare=("table-3", "table-5-totals"),
    ),
    Dataset(
        "table-5-curated-per-type-and-subtype",
        "Interventions per intervention type and characteristic subtype with a curated target, "
        "recomputed from Table 5",
        "The number of Table 5 interventions of each intervention type whose own name says "
        "they target each characteristic subtype (curated links). Only combinations with at "
        "least one such intervention have an observation; the others are unknown, not zero.",
        "table-5",
        ("intervention-type", "characteristic"),
        "number-of-curated-interventions",
        "intervention",
        derived=True,
        compare=("table-5-curated-per-subtype",),
    ),
)
DATASET_BY_KEY = {d.key: d for d in DATASETS}


@dataclass
class Row:
    """One observation as a row of its data set's CSV file."""

    observation: URIRef
    values: dict[str, URIRef]
    figure: int
    note: str | None = None


@dataclass
class Code:
    """How a dimension value is labelled in the CSV files (as in the graph)."""

    label: str
    notation: str | int | None = None


@dataclass
class CubeBuilder:
    """Builds the data sets one table at a time, keeping their rows for the CSV files."""

    s: Sources
    g: Graph = field(default_factory=lambda: bind_prefixes(Graph(bind_namespaces="none")))
    rows: dict[str, list[Row]] = field(default_factory=dict)
    codes: dict[URIRef, Code] = field(default_factory=dict)

    def build(self) -> Graph:
        self.code_lists()
        for dataset in DATASETS:
            self.dataset(dataset)
        self.table_2()
        self.table_3_and_5_totals()
        self.table_4()
        self.interventions_per_type()
        self.curated()
        return self.g

    # helpers

    def add(self, subject: URIRef, predicate: URIRef, obj) -> None:
        self.g.add((subject, predicate, obj))

    def resource(
        self, subject: URIRef, types: list[URIRef], label: str, derived_from: list[URIRef]
    ) -> URIRef:
        for rdf_type in types:
            self.add(subject, RDF.type, rdf_type)
        self.add(subject, RDFS.label, text(label))
        for origin in derived_from:
            self.add(subject, PROV.wasDerivedFrom, origin)
        return subject

    def row_location(self, part: str, row: int) -> URIRef:
        return iri("source", part, "row", row)

    # structure

    def code_lists(self) -> None:
        appendix = iri("source", "appendix-2")
        label = "Units of measure of the mapping review's tables"
        scheme = self.resource(UNIT_CODE_LIST, [SKOS.ConceptScheme], label, [appendix])
        self.add(scheme, SKOS.prefLabel, text(label))
        for key, (label, definition) in UNITS.items():
            unit = self.resource(iri("cube", "unit", key), [SKOS.Concept], label, [appendix])
            self.add(unit, SKOS.prefLabel, text(label))
            self.add(unit, SKOS.definition, text(definition))
            self.add(unit, SKOS.inScheme, scheme)
            self.add(unit, SKOS.topConceptOf, scheme)
            self.add(scheme, SKOS.hasTopConcept, unit)
        self.resource(
            AREA_CODE_LIST,
            [QB.HierarchicalCodeList],
            "Study areas of Table 4",
            [iri("source", "table-4")],
        )
        self.add(
            AREA_CODE_LIST,
            DCTERMS.description,
            text(
                "The study areas Table 4 prints a row for: a country, a group of countries "
                "printed as one row (whose members are its children), or an unclear country."
            ),
        )
        self.add(AREA_CODE_LIST, QB.parentChildProperty, AMHE.memberCountry)

    def dataset(self, d: Dataset) -> None:
        part = iri("source", d.part)
        self.resource(d.subject, [QB.DataSet], d.title, [part])
        self.add(d.subject, DCTERMS.title, text(d.title))
        self.add(d.subject, DCTERMS.description, text(d.description))
        self.add(d.subject, QB.structure, d.structure)
        for other in d.compare:
            self.add(d.subject, RDFS.seeAlso, DATASET_BY_KEY[other].subject)
        short = d.title.split(":")[0] if not d.derived else d.title
        self.resource(
            d.structure, [QB.DataStructureDefinition], f"Structure of the data set {short}", [part]
        )
        for order, component in enumerate(d.components, start=1):
            spec = iri("cube", d.key, "structure", component.key)
            self.resource(
                spec,
                [QB.ComponentSpecification],
                f"{component.label} ({component.kind} of the data set {short})",
                [part],
            )
            self.add(d.structure, QB.component, spec)
            self.add(spec, QB[component.kind], component.prop)
            self.add(spec, QB.componentProperty, component.prop)
            self.add(spec, QB.order, Literal(order))
            if component.kind == "attribute":
                self.add(spec, QB.componentRequired, Literal(True))
        self.rows[d.key] = []

    def observation(
        self,
        d: Dataset,
        segments: list[str],
        values: dict[str, URIRef],
        figure: int,
        label: str,
        derived_from: list[URIRef],
        note: str | None = None,
    ) -> None:
        subject = iri("cube", d.key, "observation", *segments)
        self.resource(subject, [QB.Observation], label, derived_from)
        self.add(subject, QB.dataSet, d.subject)
        for key in d.dimensions:
            self.add(subject, COMPONENTS[key].prop, values[key])
        self.add(subject, COMPONENTS[d.measure].prop, Literal(figure))
        self.add(subject, AMHE.unitOfMeasure, iri("cube", "unit", d.unit))
        self.add(subject, AMHE.sourceTable, iri("source", d.part))
        if note:
            self.add(subject, SKOS.editorialNote, text(note))
        self.rows[d.key].append(Row(subject, values, figure, note))

    # dimension values

    def intervention_type(self, key: str) -> URIRef:
        itype = self.s.intervention_types[key]
        subject = iri("intervention-type", key)
        self.codes[subject] = Code(_text(itype.label), itype.abbreviation)
        return subject

    def characteristic(self, key: str, sub_key: str | None = None) -> URIRef:
        c = self.s.characteristics[key]
        if sub_key is None:
            subject = subtype_iri(key)
            self.codes[subject] = Code(_text(c.label), str(c.number))
            return subject
        sub = next(t for t in c.subtypes if t.key == sub_key)
        subject = subtype_iri(f"{key}/{sub_key}")
        self.codes[subject] = Code(_text(sub.label), f"{c.number}{sub.letter}")
        return subject

    def area(self, tally) -> URIRef:
        """A country, or the study area of a joint or an unclear row, in the code list."""
        if len(tally.countries) == 1:
            country = self.s.countries[tally.countries[0]]
            subject = iri("country", country.key)
            self.codes[subject] = Code(_text(country.label), country.alpha3)
        else:
            key = tally.key.removeprefix(f"{tally.question}-")
            subject = iri("cube", "study-area", key)
            if subject not in self.codes:
                location = self.row_location(tally.source.part, tally.source.row)
                types = [AMHE.StudyArea, AMHE.CountryGroup] if tally.countries else [AMHE.StudyArea]
                self.resource(subject, types, tally.printed, [location])
                description = (
                    "Countries Table 4 prints as one row, with one count of studies for the pair."
                    if tally.countries
                    else "Studies whose country the mapping review could not determine "
                    "(Table 4 prints them as 'Unclear')."
                )
                self.add(subject, DCTERMS.description, text(description))
                for country in tally.countries:
                    self.add(subject, AMHE.memberCountry, iri("country", country))
                self.codes[subject] = Code(_text(tally.printed))
        self.add(AREA_CODE_LIST, QB.hierarchyRoot, subject)
        return subject

    # the data sets

    def table_2(self) -> None:
        d = DATASET_BY_KEY["table-2"]
        for itype in self.s.intervention_types.values():
            n = itype.stated_studies
            self.observation(
                d,
                [itype.key],
                {"intervention-type": self.intervention_type(itype.key)},
                n,
                f"Table 2, {itype.label} ({itype.abbreviation}): {_count(n, 'included study')}",
                [self.row_location(itype.source.part, itype.source.row)],
                itype.note,
            )

    def table_3_and_5_totals(self) -> None:
        table_3, totals = DATASET_BY_KEY["table-3"], DATASET_BY_KEY["table-5-totals"]
        table_5 = iri("source", "table-5")
        for c in self.s.characteristics.values():
            row = self.row_location(c.source.part, c.source.row)
            value = {"characteristic": self.characteristic(c.key)}
            self.observation(
                table_3,
                [c.key],
                value,
                c.stated_studies,
                f"Table 3, {c.label} (by characteristic): "
                f"{_count(c.stated_studies, 'included study')}",
                [row],
                c.note,
            )
            self.observation(
                totals,
                [c.key],
                value,
                c.table5_total,
                f"Table 5, total by characteristic type, {c.label}: "
                f"{_count(c.table5_total, 'intervention')}",
                [table_5],
                c.note,
            )
            for t in c.subtypes:
                value = {"characteristic": self.characteristic(c.key, t.key)}
                self.observation(
                    table_3,
                    [c.key, t.key],
                    value,
                    t.stated_studies,
                    f"Table 3, {c.label} / {t.label} (by characteristic subtype): "
                    f"{_count(t.stated_studies, 'included study')}",
                    [row],
                    t.note,
                )
                self.observation(
                    totals,
                    [c.key, t.key],
                    value,
                    t.table5_total,
                    f"Table 5, total by characteristic subtype, {c.label} / {t.label}: "
                    f"{_count(t.table5_total, 'intervention')}",
                    [table_5],
                    t.note,
                )

    def table_4(self) -> None:
        d = DATASET_BY_KEY["table-4"]
        for tally in self.s.tallies.values():
            question = self.s.research_questions[tally.question]
            rq = iri("research-question", question.key)
            self.codes[rq] = Code(_text(question.label), question.number)
            self.observation(
                d,
                [tally.key],
                {"research-question": rq, "area": self.area(tally)},
                tally.studies,
                f"Table 4, research question {question.number}, {tally.printed}: "
                f"{_count(tally.studies, 'study')}",
                [self.row_location(tally.source.part, tally.source.row)],
                tally.note,
            )

    def interventions_per_type(self) -> None:
        d = DATASET_BY_KEY["table-5-interventions-per-type"]
        for itype in self.s.intervention_types.values():
            rows = [i for i in self.s.interventions.values() if itype.key in i.types]
            self.observation(
                d,
                [itype.key],
                {"intervention-type": self.intervention_type(itype.key)},
                len(rows),
                f"Table 5 rows of type {itype.label} ({itype.abbreviation}): "
                f"{_count(len(rows), 'intervention')} (recomputed)",
                [iri("source", "table-5"), *(iri("intervention", i.key) for i in rows)],
            )

    def curated(self) -> None:
        per_subtype = DATASET_BY_KEY["table-5-curated-per-subtype"]
        per_pair = DATASET_BY_KEY["table-5-curated-per-type-and-subtype"]
        links: dict[str, list[tuple[r.Intervention, URIRef]]] = {}
        for i in self.s.interventions.values():
            for target in i.targets:
                link = iri("intervention", i.key, "target", *target.subtype.split("/"))
                links.setdefault(target.subtype, []).append((i, link))
        for c in self.s.characteristics.values():
            for t in c.subtypes:
                found = links.get(f"{c.key}/{t.key}", [])
                if not found:
                    continue
                subtype = self.characteristic(c.key, t.key)
                name = f"{c.label} / {t.label}"
                self.observation(
                    per_subtype,
                    [c.key, t.key],
                    {"characteristic": subtype},
                    len(found),
                    f"Interventions with the curated target {name}: {len(found)} (recomputed)",
                    [iri("source", "table-5"), *(link for _, link in found)],
                )
                for itype in self.s.intervention_types.values():
                    of_type = [link for i, link in found if itype.key in i.types]
                    if not of_type:
                        continue
                    self.observation(
                        per_pair,
                        [itype.key, c.key, t.key],
                        {
                            "intervention-type": self.intervention_type(itype.key),
                            "characteristic": subtype,
                        },
                        len(of_type),
                        f"Interventions of type {itype.abbreviation} with the curated target "
                        f"{name}: {len(of_type)} (recomputed)",
                        [iri("source", "table-5"), *of_type],
                    )


def _text(value: str) -> str:
    return str(text(value))


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {plural}"


def build_cubes(sources: Sources) -> Graph:
    """The Data Cube data sets of Tables 2 to 5, stated and recomputed."""
    return CubeBuilder(sources).build()


# CSV on the Web


def csv_files(sources: Sources) -> dict[str, bytes]:
    """File name -> bytes: each data set as CSV, with its CSV on the Web metadata."""
    builder = CubeBuilder(sources)
    builder.build()
    files: dict[str, bytes] = {}
    for d in DATASETS:
        name = f"cube-{d.key}.csv"
        columns = _columns(d)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column["name"] for column in columns if not column.get("virtual")])
        for row in builder.rows[d.key]:
            writer.writerow(_cells(d, row, builder.codes))
        files[name] = buffer.getvalue().encode("utf-8")
        metadata = {
            "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
            "url": name,
            "dc:title": d.title,
            "dc:description": d.description,
            "dc:source": {"@id": str(iri("source", d.part))},
            "rdfs:seeAlso": {"@id": str(d.subject)},
            "tableSchema": {
                "columns": columns,
                "primaryKey": "observation",
                "aboutUrl": "{+observation}",
            },
        }
        files[f"{name}-metadata.json"] = (
            json.dumps(metadata, ensure_ascii=False, indent=1) + "\n"
        ).encode("utf-8")
    return files


def _columns(d: Dataset) -> list[dict]:
    def term(uri: URIRef) -> str:
        return str(uri)

    columns: list[dict] = [
        {
            "name": "observation",
            "titles": "observation",
            "datatype": "anyURI",
            "required": True,
            "suppressOutput": True,
        }
    ]
    for key in d.dimensions:
        component = COMPONENTS[key]
        name = component.column
        columns.append(
            {
                "name": name,
                "titles": component.label,
                "datatype": "anyURI",
                "required": True,
                "propertyUrl": term(component.prop),
                "valueUrl": f"{{+{name}}}",
            }
        )
        code_property = {
            "intervention-type": ("skos:notation", "string"),
            "characteristic": ("skos:notation", "string"),
            "research-question": (term(AMHE.questionNumber), "integer"),
            "area": (term(AMHE.iso3166Alpha3), "string"),
        }[key]
        columns.append(
            {
                "name": f"{name}_code",
                "titles": f"{component.label} code",
                "datatype": code_property[1],
                "aboutUrl": f"{{+{name}}}",
                "propertyUrl": code_property[0],
            }
        )
        columns.append(
            {
                "name": f"{name}_label",
                "titles": f"{component.label} label",
                "datatype": "string",
                "lang": "en",
                "aboutUrl": f"{{+{name}}}",
                "propertyUrl": "rdfs:label",
            }
        )
    measure = COMPONENTS[d.measure]
    columns.append(
        {
            "name": measure.column,
            "titles": measure.label,
            "datatype": "integer",
            "required": True,
            "propertyUrl": term(measure.prop),
        }
    )
    for key in ATTRIBUTES:
        component = COMPONENTS[key]
        columns.append(
            {
                "name": component.column,
                "titles": component.label,
                "datatype": "anyURI",
                "required": True,
                "propertyUrl": term(component.prop),
                "valueUrl": f"{{+{component.column}}}",
            }
        )
    columns.append(
        {
            "name": "note",
            "titles": "editorial note",
            "datatype": "string",
            "lang": "en",
            "propertyUrl": "skos:editorialNote",
        }
    )
    columns.append({"virtual": True, "propertyUrl": "rdf:type", "valueUrl": "qb:Observation"})
    columns.append({"virtual": True, "propertyUrl": "qb:dataSet", "valueUrl": str(d.subject)})
    return columns


def _cells(d: Dataset, row: Row, codes: dict[URIRef, Code]) -> list[str]:
    cells = [str(row.observation)]
    for key in d.dimensions:
        value = row.values[key]
        code = codes[value]
        cells += [str(value), "" if code.notation is None else str(code.notation), code.label]
    cells.append(str(row.figure))
    cells += [str(iri("cube", "unit", d.unit)), str(iri("source", d.part))]
    cells.append(_text(row.note) if row.note else "")
    return cells


# Integrity constraints


@dataclass(frozen=True)
class Constraint:
    """One integrity constraint of the Data Cube recommendation (section 11.1)."""

    key: str
    title: str
    query: str
    instances: str | None = None


def integrity_constraints() -> list[Constraint]:
    """IC-1 to IC-21 as published, in order (IC-19 as its two queries)."""
    constraints = []
    for path in sorted(INTEGRITY_DIR.glob("ic-*.rq")):
        if path.stem.endswith("-instances"):
            continue
        query = path.read_text(encoding="utf-8")
        title = query.splitlines()[0].removeprefix("# ").strip()
        instances = path.with_name(f"{path.stem}-instances.rq")
        constraints.append(
            Constraint(
                path.stem,
                title,
                query,
                instances.read_text(encoding="utf-8") if instances.exists() else None,
            )
        )
    return constraints


def _store(graphs: tuple[Graph, ...], normalise: bool) -> Store:
    store = Store()
    for graph in graphs:
        store.load(graph.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)
    if normalise:
        for phase in ("normalise-1.ru", "normalise-2.ru"):
            store.update((INTEGRITY_DIR / phase).read_text(encoding="utf-8"))
    return store


def normalised(*graphs: Graph) -> Graph:
    """The union of the graphs after the recommendation's normalisation algorithm."""
    data = _store(graphs, True).dump(format=RdfFormat.N_TRIPLES, from_graph=DefaultGraph())
    return Graph().parse(data=data, format="nt")


def check_integrity(*graphs: Graph, normalise: bool = True) -> list[str]:
    """The titles of the integrity constraints the union of the graphs violates.

    Pass the graph with the cubes and the ontology that declares their
    component properties. The graphs are copied into a store and normalised
    there first (unless `normalise` is false); they are not changed.
    """
    store = _store(graphs, normalise)
    failures = []
    for constraint in integrity_constraints():
        queries = [constraint.query]
        if constraint.instances is not None:
            properties = sorted(str(s["p"].value) for s in store.query(constraint.instances))
            queries = [constraint.query.replace("<$p>", f"<{p}>") for p in properties]
        if any(bool(store.query(query)) for query in queries):
            failures.append(constraint.title)
    return failures


def observation_counts(graph: Graph) -> dict[str, int]:
    """Data set key -> number of observations in the graph."""
    counts: Counter[str] = Counter()
    for _, dataset in graph.subject_objects(QB.dataSet):
        counts[str(dataset).removeprefix(str(ID["cube/"]))] += 1
    return dict(counts)
