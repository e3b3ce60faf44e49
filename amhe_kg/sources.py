"""Load the curated files in data/ into checked records.

Each file is read with the safe YAML reader, each record is checked against its
model in `records`, and every reference between records is resolved. The first
problem stops loading with a `SourceError` naming the file, line, record and
field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from amhe_kg import records as r
from amhe_kg.errors import SourceError
from amhe_kg.yamlfile import Mapping, read_yaml

# file -> top-level key -> (attribute of Sources, model, is a list)
LAYOUT: dict[str, dict[str, tuple[str, type[BaseModel], bool]]] = {
    "document.yaml": {
        "document": ("document", r.Document, False),
        "parts": ("parts", r.Part, True),
    },
    "legislation.yaml": {
        "duty_holders": ("duty_holders", r.DutyHolder, True),
        "acts": ("acts", r.Act, True),
    },
    "figures.yaml": {"figures": ("figures", r.KeyFigure, True)},
    "research_questions.yaml": {
        "research_questions": ("research_questions", r.ResearchQuestion, True)
    },
    "intervention_types.yaml": {
        "intervention_types": ("intervention_types", r.InterventionType, True)
    },
    "characteristics.yaml": {"characteristics": ("characteristics", r.Characteristic, True)},
    "countries.yaml": {
        "countries": ("countries", r.Country, True),
        "tallies": ("tallies", r.Tally, True),
    },
    "interventions.yaml": {"interventions": ("interventions", r.Intervention, True)},
    "places.yaml": {"places": ("places", r.Place, True)},
    "organisations.yaml": {"organisations": ("organisations", r.Organisation, True)},
    "services.yaml": {
        "themes": ("themes", r.Theme, True),
        "services": ("services", r.Service, True),
    },
    "initiatives.yaml": {"initiatives": ("initiatives", r.Initiative, True)},
    "barriers.yaml": {"barriers": ("barriers", r.Barrier, True)},
    "coproduction.yaml": {
        "definition": ("definition", r.Definition, False),
        "groups": ("participation_groups", r.Group, True),
        "rungs": ("rungs", r.Rung, True),
        "stages": ("stages", r.Stage, True),
    },
    "coproduction_barriers.yaml": {"barriers": ("coproduction_barriers", r.Barrier, True)},
    "vignettes.yaml": {"vignettes": ("vignettes", r.Vignette, True)},
    "restrictive_practice.yaml": {
        "definitions": ("restrictive_practices", r.RestrictivePractice, True)
    },
    "nice_guidelines.yaml": {
        "groups": ("population_groups", r.PopulationGroup, True),
        "guidelines": ("guidelines", r.Guideline, True),
    },
    "resources.yaml": {
        "topics": ("topics", r.Topic, True),
        "resources": ("resources", r.HelpfulResource, True),
    },
    "abbreviations.yaml": {"abbreviations": ("abbreviations", r.Abbreviation, True)},
}


@dataclass
class Origin:
    """Where a record was read from."""

    path: Path
    line: int


@dataclass
class Sources:
    """All curated records, each kind a dict from key to record in file order."""

    data_dir: Path
    document: r.Document | None = None
    definition: r.Definition | None = None
    origins: dict[int, Origin] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> dict[str, Any]:
        kinds = self.__dict__.get("kinds", {})
        if name in kinds:
            return kinds[name]
        raise AttributeError(name)

    def origin(self, record: BaseModel) -> Origin:
        """The file and line a record was read from."""
        return self.origins[id(record)]

    def fail(self, record: BaseModel, field_name: str | None, problem: str) -> SourceError:
        """An error located at a record."""
        origin = self.origin(record)
        return SourceError(origin.path, _name(record), field_name, problem, origin.line)


def _name(record: BaseModel) -> str | None:
    for attribute in ("key", "code", "term"):
        value = getattr(record, attribute, None)
        if value is not None:
            return str(value)
    return None


def load_sources(data_dir: Path) -> Sources:
    """Read, check and cross-reference every curated file in `data_dir`."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise SourceError(data_dir, None, None, "no such folder of curated sources")
    sources = Sources(data_dir=data_dir)
    for filename, sections in LAYOUT.items():
        _load_file(sources, data_dir / filename, sections)
    sources.kinds["identifiers"] = _load_identifiers(sources, data_dir / IDENTIFIERS)
    _check_references(sources)
    return sources


IDENTIFIERS = "identifiers.csv"


def _load_identifiers(sources: Sources, path: Path) -> dict[str, r.Identifier]:
    """The verified external identifiers, keyed by `system:identifier`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(path, None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise SourceError(path, None, None, f"not UTF-8 text ({exc.reason})") from None
    try:
        rows = list(csv.DictReader(text.splitlines(), strict=True))
    except csv.Error as exc:
        raise SourceError(path, None, None, f"not valid CSV: {exc}") from None
    identifiers: dict[str, r.Identifier] = {}
    for number, row in enumerate(rows, start=2):
        name = f"{row.get('system')}:{row.get('identifier')}"
        if None in row or None in row.values():
            raise SourceError(path, name, None, "wrong number of columns", number)
        values = {k: v for k, v in row.items() if v != ""}
        try:
            identifier = r.Identifier.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            field_name = ".".join(str(p) for p in error["loc"]) or None
            raise SourceError(path, name, field_name, error["msg"], number) from None
        if name in identifiers:
            raise SourceError(path, name, "identifier", "listed twice", number)
        sources.origins[id(identifier)] = Origin(path, number)
        identifiers[name] = identifier
    return identifiers


def _load_file(sources: Sources, path: Path, sections: dict[str, tuple]) -> None:
    data = read_yaml(path)
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise SourceError(path, None, unknown[0], f"unknown section; expected {sorted(sections)}")
    for section, (attribute, model, is_list) in sections.items():
        if section not in data:
            raise SourceError(path, None, section, "missing section", data.line)
        raw = data[section]
        if not is_list:
            setattr(sources, attribute, _validate(sources, path, model, raw, section))
            continue
        if not isinstance(raw, list):
            raise SourceError(path, None, section, "must be a list of records", data.line)
        kind: dict[str, Any] = {}
        for index, item in enumerate(raw):
            record = _validate(sources, path, model, item, f"{section}[{index + 1}]")
            if record.key in kind:
                raise sources.fail(record, "key", f"duplicate key {record.key!r} in {section}")
            kind[record.key] = record
        sources.kinds[attribute] = kind


def _validate(sources: Sources, path: Path, model: type[BaseModel], raw: Any, where: str):
    if not isinstance(raw, Mapping):
        raise SourceError(path, where, None, "must be a mapping")
    name = raw.get("key") if isinstance(raw.get("key"), str) else where
    try:
        record = model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = [str(part) for part in error["loc"]]
        line = _line_of(raw, error["loc"])
        raise SourceError(path, name, ".".join(location) or None, error["msg"], line) from None
    sources.origins[id(record)] = Origin(path, raw.line)
    return record


def _line_of(raw: Mapping, loc: tuple) -> int:
    """The line of the innermost mapping on the path to a failing field."""
    line, node = raw.line, raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping):
            line = node.line
    return line


def _check_references(s: Sources) -> None:
    parts = s.parts
    for part in parts.values():
        if part.part_of is not None and part.part_of not in parts:
            raise s.fail(part, "part_of", f"unknown part {part.part_of!r}")
    subtypes = {f"{c.key}/{t.key}": t for c in s.characteristics.values() for t in c.subtypes}
    characteristic_refs = set(s.characteristics) | set(subtypes)

    def need(record, field_name, value, known, what):
        if value not in known:
            raise s.fail(record, field_name, f"unknown {what} {value!r}")

    for kind in s.kinds.values():
        for record in kind.values():
            source = getattr(record, "source", None)
            if not isinstance(source, r.Source):
                continue
            need(record, "source.part", source.part, parts, "part")
            is_table = source.part.startswith("table-")
            if is_table != (source.row is not None):
                expected = "row" if is_table else "item"
                raise s.fail(record, "source", f"part {source.part!r} is located by {expected!r}")

    for act in s.acts.values():
        if act.cited_in is not None:
            need(act, "cited_in", act.cited_in, parts, "part")
        keys = [p.key for p in act.provisions]
        for provision in act.provisions:
            if keys.count(provision.key) > 1:
                raise s.fail(act, "provisions", f"duplicate provision key {provision.key!r}")
            if provision.within is not None:
                need(act, f"provisions.{provision.key}.within", provision.within, keys, "provision")
            if provision.duty_holder is not None:
                need(
                    act,
                    f"provisions.{provision.key}.duty_holder",
                    provision.duty_holder,
                    s.duty_holders,
                    "duty holder",
                )
            for cited in provision.cites:
                need(act, f"provisions.{provision.key}.cites", cited, s.acts, "act")

    for itype in s.intervention_types.values():
        if itype.broader is not None:
            need(itype, "broader", itype.broader, s.intervention_types, "intervention type")

    for characteristic in s.characteristics.values():
        keys = [t.key for t in characteristic.subtypes]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise s.fail(characteristic, "subtypes", f"duplicate subtype key {duplicates[0]!r}")

    for tally in s.tallies.values():
        need(tally, "question", tally.question, s.research_questions, "research question")
        for country in tally.countries:
            need(tally, "countries", country, s.countries, "country")

    for intervention in s.interventions.values():
        for itype in intervention.types:
            need(intervention, "types", itype, s.intervention_types, "intervention type")
        targeted = [t.subtype for t in intervention.targets]
        for subtype in targeted:
            need(intervention, "targets", subtype, subtypes, "characteristic subtype")
            if targeted.count(subtype) > 1:
                raise s.fail(intervention, "targets", f"subtype {subtype!r} given twice")
        if len(targeted) > intervention.ticks:
            raise s.fail(
                intervention,
                "targets",
                f"{len(targeted)} curated targets but the row prints only "
                f"{intervention.ticks} ticks",
            )

    for place in s.places.values():
        for outer in place.within:
            need(place, "within", outer, s.places, "place")
        _check_no_cycle(s, place)

    for service in s.services.values():
        for theme in service.themes:
            need(service, "themes", theme, s.themes, "theme")
        for field_name in ("providers", "partners"):
            for org in getattr(service, field_name):
                need(service, field_name, org, s.organisations, "organisation")
        for place in service.locations:
            need(service, "locations", place, s.places, "place")
        for subtype in service.population_subtypes:
            need(service, "population_subtypes", subtype, subtypes, "characteristic subtype")

    for initiative in s.initiatives.values():
        need(initiative, "organisation", initiative.organisation, s.organisations, "organisation")
        for org in initiative.partners:
            need(initiative, "partners", org, s.organisations, "organisation")

    solutions: dict[str, str] = {}
    for barrier in [*s.barriers.values(), *s.coproduction_barriers.values()]:
        for solution in barrier.solutions:
            known = solutions.setdefault(solution.key, solution.label)
            if known != solution.label:
                raise s.fail(
                    barrier,
                    f"solutions.{solution.key}",
                    f"solution key used before with another label ({known!r})",
                )
    shared = sorted(set(s.barriers) & set(s.coproduction_barriers))
    if shared:
        raise s.fail(
            s.coproduction_barriers[shared[0]],
            "key",
            "barrier keys must differ across Tables 6 and 8",
        )

    ranks = [rung.rank for rung in s.rungs.values()]
    for rung in s.rungs.values():
        need(rung, "group", rung.group, s.participation_groups, "group")
        if ranks.count(rung.rank) > 1:
            raise s.fail(rung, "rank", f"rank {rung.rank} given to more than one rung")

    for vignette in s.vignettes.values():
        for ref in vignette.characteristics:
            need(vignette, "characteristics", ref, characteristic_refs, "characteristic")
        for barrier in vignette.barriers:
            need(vignette, "barriers", barrier, s.barriers, "barrier")

    for group in s.population_groups.values():
        for ref in group.characteristics:
            need(group, "characteristics", ref, characteristic_refs, "characteristic")
    for guideline in s.guidelines.values():
        if guideline.key != guideline.code.lower():
            raise s.fail(
                guideline, "key", f"must be the code in lower case ({guideline.code.lower()!r})"
            )
        for group in [guideline.group, *guideline.also_groups]:
            need(guideline, "group", group, s.population_groups, "population group")

    for resource in s.resources.values():
        need(resource, "topic", resource.topic, s.topics, "topic")

    named = {
        "organisation": set(s.organisations),
        "intervention-type": set(s.intervention_types),
        "characteristic": characteristic_refs,
    }
    for abbreviation in s.abbreviations.values():
        if abbreviation.names is not None:
            kind, _, key = abbreviation.names.partition("/")
            need(abbreviation, "names", key, named[kind], kind)


def _check_no_cycle(s: Sources, place: r.Place) -> None:
    seen, frontier = {place.key}, list(place.within)
    while frontier:
        key = frontier.pop()
        if key == place.key:
            raise s.fail(place, "within", "places contain each other in a cycle")
        if key not in seen:
            seen.add(key)
            frontier.extend(s.places[key].within)
