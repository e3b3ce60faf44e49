"""The shapes of the curated records, one model per kind (see data/README.md)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# Control characters (all but the line feed a block scalar may hold) and the
# Unicode line and paragraph separators: invisible in an editor, never meant.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _no_control(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"contains the control character U+{ord(found.group()):04X}")
    return value


Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
SubtypeRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$")
]
CharacteristicRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)?$")
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
    AfterValidator(_no_control),
]
Url = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s<>\"{}|\\^`]+$", max_length=2000),
    AfterValidator(_no_control),
]
# Far above any figure the document prints, and low enough that sums stay
# within the 64-bit integers the JSON-LD writer accepts.
LARGEST = 10**12
Count = Annotated[int, Field(ge=0, le=LARGEST, strict=True)]
Number = Annotated[int, Field(ge=1, le=LARGEST, strict=True)]


def _finite(value: float | int) -> float | int:
    if not -LARGEST <= value <= LARGEST:  # NaN fails every comparison
        raise ValueError(f"must be a number from -{LARGEST} to {LARGEST}")
    return value


Amount = Annotated[float | int, AfterValidator(_finite)]


class Record(BaseModel):
    """Any curated record: no unknown fields, values checked strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Source(Record):
    """Where a record came from: a part of the document and a row or item in it."""

    part: Key
    row: Number | None = None
    item: Number | None = None

    @model_validator(mode="after")
    def _one_locator(self) -> Source:
        if (self.row is None) == (self.item is None):
            raise ValueError("give exactly one of 'row' (a table row) or 'item'")
        return self


class Sourced(Record):
    """A record with a key, a source location and an optional curator's note."""

    key: Key
    source: Source
    note: Text | None = None


# document.yaml


class Document(Record):
    key: Key
    title: Text
    publisher: Text
    place: Text
    issued: Annotated[int, Field(ge=1900, le=2100, strict=True)]
    rights_holder: Text


class Part(Record):
    key: Key
    title: Text
    part_of: Key | None = None
    lines: Annotated[list[Number], Field(min_length=2, max_length=2)]


# legislation.yaml


class DutyHolder(Sourced):
    label: Text


class Provision(Record):
    key: Key
    kind: Literal["section", "article", "subsection"]
    number: Text
    title: Text | None = None
    legislation_id: Annotated[str, StringConstraints(pattern=r"^section/\d+[A-Z]*$")] | None = None
    within: Key | None = None
    duty_holder: Key | None = None
    quote: Text | None = None
    summary: Text | None = None
    cites: list[Key] = []
    note: Text | None = None


class Act(Sourced):
    label: Text
    year: Annotated[int, Field(ge=1200, le=2100, strict=True)]
    citation: Annotated[str, StringConstraints(pattern=r"^[a-z]+/\d{4}/\d+$")]
    url: Url | None = None
    references: list[Number] = []
    cited_in: Key | None = None
    provisions: list[Provision] = []


# figures.yaml


class KeyFigure(Sourced):
    label: Text
    case: Literal["economic", "moral"]
    summary: Text
    min: Amount | None = None
    max: Amount | None = None
    unit: Literal["GBP", "GBP-billion", "year"]
    per: Annotated[str, StringConstraints(pattern=r"^P(\d+Y)?(\d+M)?(\d+D)?$")] | None = None
    references: list[Number] = []
    attributed_to: Text | None = None


# research_questions.yaml, intervention_types.yaml, characteristics.yaml


class ResearchQuestion(Sourced):
    number: Number
    label: Text
    short_label: Text


class InterventionType(Sourced):
    abbreviation: Text
    label: Text
    stated_studies: Count
    broader: Key | None = None


class Subtype(Record):
    key: Key
    letter: Annotated[str, StringConstraints(pattern=r"^[a-z]$")]
    label: Text
    stated_studies: Count
    table5_total: Count
    note: Text | None = None


class Characteristic(Sourced):
    number: Number
    label: Text
    protected: bool
    equality_act_sections: list[Annotated[str, StringConstraints(pattern=r"^\d+$")]] = []
    stated_studies: Count
    table5_total: Count
    subtypes: list[Subtype] = Field(min_length=1)


# countries.yaml


class Country(Sourced):
    label: Text
    alpha2: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    alpha3: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Tally(Sourced):
    question: Key
    printed: Text
    countries: list[Key]
    studies: Count


# interventions.yaml


class Target(Record):
    subtype: SubtypeRef
    evidence: Text


class Intervention(Sourced):
    label: Text
    references: list[Number] = Field(min_length=1)
    types: list[Key] = Field(min_length=1)
    ticks: Count
    targets: list[Target] = []


# identifiers.csv


class Identifier(Record):
    system: Literal[
        "ons-gss",
        "nhs-ods",
        "legislation",
        "legislation-section",
        "equality-act-2010",
        "eu-country",
        "wikidata",
    ]
    name: Text
    identifier: Text
    iri: Url | None = None
    source: Text
    confirmed: Literal["yes", "weak", "pattern"]


# places.yaml, organisations.yaml


class Place(Sourced):
    label: Text
    kind: Literal["borough", "city", "county", "region", "country"]
    within: list[Key] = []
    gss: Annotated[str, StringConstraints(pattern=r"^[EWSNK]\d{8}$")] | None = None


ORGANISATION_KINDS = (
    "nhs-trust",
    "nhs-body",
    "government",
    "regulator",
    "local-authority",
    "police",
    "charity",
    "professional-body",
    "academic",
    "partnership",
    "company",
    "other",
)
CONTRIBUTION_ROLES = (
    "development-team",
    "nhs-england-team",
    "sharing-and-learning-event",
    "special-acknowledgements",
    "steering-group",
)


class Organisation(Sourced):
    label: Text
    kind: Literal[ORGANISATION_KINDS]
    alt_labels: list[Text] = []
    homepage: Url | None = None
    ods_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,5}$")] | None = None
    contributions: list[Literal[CONTRIBUTION_ROLES]] = []


# services.yaml, initiatives.yaml


class Theme(Sourced):
    label: Text


class Service(Sourced):
    label: Text
    summary: Text
    population: Text
    population_subtypes: list[SubtypeRef] = []
    themes: list[Key] = Field(min_length=1)
    awards: list[Text] = []
    providers: list[Key] = []
    partners: list[Key] = []
    locations: list[Key] = Field(min_length=1)
    national: bool = False
    links: list[Url] = []
    outcomes: list[Text] = []


class Initiative(Sourced):
    label: Text
    organisation: Key
    description: Text
    partners: list[Key] = []
    links: list[Url] = []


# barriers.yaml, coproduction_barriers.yaml


class Solution(Record):
    key: Key
    label: Text
    note: Text | None = None


class Barrier(Sourced):
    label: Text
    solutions: list[Solution] = Field(min_length=1)


# coproduction.yaml


class Definition(Record):
    quote: Text
    attributed_to: Text
    source: Source


class Group(Sourced):
    label: Text
    description: Text


class Rung(Sourced):
    label: Text
    rank: Number
    group: Key


class Action(Record):
    key: Key
    label: Text
    note: Text | None = None


class Stage(Sourced):
    label: Text
    order: Number
    actions: list[Action] = Field(min_length=1)


# vignettes.yaml, restrictive_practice.yaml


class Vignette(Sourced):
    label: Text
    experience: Text
    inequality_issue: Text
    could_be_better: Text
    characteristics: list[CharacteristicRef] = []
    barriers: list[Key] = []
    evidence: Text


class RestrictivePractice(Sourced):
    label: Text
    definition: Text


# nice_guidelines.yaml


class PopulationGroup(Sourced):
    label: Text
    characteristics: list[CharacteristicRef] = []


class Guideline(Sourced):
    code: Annotated[str, StringConstraints(pattern=r"^(NG|CG|PH|QS)\d+$")]
    title: Text
    group: Key
    also_groups: list[Key] = []
    url: Url


# resources.yaml, abbreviations.yaml


class Topic(Sourced):
    label: Text


class HelpfulResource(Sourced):
    title: Text
    publisher: Text | None = None
    topic: Key
    url: Url


class Abbreviation(Sourced):
    term: Text
    definition: Text
    names: (
        Annotated[
            str,
            StringConstraints(
                pattern=r"^(organisation|intervention-type|characteristic)/[a-z0-9-]+(/[a-z0-9-]+)?$"
            ),
        ]
        | None
    ) = None
