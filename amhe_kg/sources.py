"""Load the curated files in data/ into checked records.

Each file is read with the safe YAML reader, each record is checked against its
model in `records`, and every reference between records is resolved. The first
problem stops loading with a `SourceError` naming the file, line, record and
field.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from amhe_kg import records as r
from amhe_kg.errors import SourceError
from amhe_kg.yamlfile import Mapping, read_text, read_yaml

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


def _name(record: BaseModel) -> str:
    for attribute in ("key", "code", "term"):
        value = getattr(record, attribute, None)
        if value is not None:
            return str(value)
    return type(record).__name__.lower()  # the co-production `definition`, the one keyless record


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
    header = list(r.Identifier.model_fields)
    rows = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    identifiers: dict[str, r.Identifier] = {}
    try:
        if next(rows, None) != header:
            raise SourceError(path, None, None, f"the header must be {','.join(header)}", 1)
        for row in rows:
            if not row:
                continue
            number = rows.line_num
            cells = dict(zip(header, row, strict=False))
            name = f"{cells.get('system')}:{cells.get('identifier')}"
            if len(row) != len(header):
                raise SourceError(path, name, None, "wrong number of columns", number)
            values = {k: v for k, v in cells.items() if v != ""}
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
    except csv.Error as exc:
        raise SourceError(path, None, None, f"not valid CSV: {exc}", rows.line_num) from None
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
            where = f"{section}[{index + 1}]"
            record = _validate(sources, path, model, item, where, raw.lines[index])
            if record.key in kind:
                raise sources.fail(record, "key", f"duplicate key {record.key!r} in {section}")
            kind[record.key] = record
        sources.kinds[attribute] = kind


def _validate(
    sources: Sources,
    path: Path,
    model: type[BaseModel],
    raw: Any,
    where: str,
    line: int | None = None,
):
    if not isinstance(raw, Mapping):
        raise SourceError(path, where, None, "must be a mapping", line)
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

    records = [record for kind in s.kinds.values() for record in kind.values()]
    for record in [*records, s.definition]:
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
        within = {p.key: [p.within] if p.within else [] for p in act.provisions}
        for provision in act.provisions:
            if keys.count(provision.key) > 1:
                raise s.fail(act, "provisions", f"duplicate provision key {provision.key!r}")
            if provision.within is not None:
                name = f"provisions.{provision.key}.within"
                need(act, name, provision.within, keys, "provision")
                if _in_cycle(provision.key, within):
                    raise s.fail(act, name, "provisions lie within each other in a cycle")
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

    broader = {t.key: [t.broader] if t.broader else [] for t in s.intervention_types.values()}
    for itype in s.intervention_types.values():
        if itype.broader is not None:
            need(itype, "broader", itype.broader, s.intervention_types, "intervention type")
            if _in_cycle(itype.key, broader):
                raise s.fail(itype, "broader", "intervention types are broader than each other")

    for characteristic in s.characteristics.values():
        keys = [t.key for t in characteristic.subtypes]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise s.fail(characteristic, "subtypes", f"duplicate subtype key {duplicates[0]!r}")

    for stage in s.stages.values():
        keys = [action.key for action in stage.actions]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise s.fail(stage, "actions", f"duplicate action key {duplicates[0]!r}")

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

    within = {place.key: place.within for place in s.places.values()}
    for place in s.places.values():
        for outer in place.within:
            need(place, "within", outer, s.places, "place")
        if _in_cycle(place.key, within):
            raise s.fail(place, "within", "places contain each other in a cycle")

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
        need(guideline, "group", guideline.group, s.population_groups, "population group")
        for group in guideline.also_groups:
            need(guideline, "also_groups", group, s.population_groups, "population group")

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


def _in_cycle(key: str, parents: dict[str, list[str]]) -> bool:
    """Whether following `parents` from `key` leads back to it."""
    seen, frontier = {key}, list(parents[key])
    while frontier:
        outer = frontier.pop()
        if outer == key:
            return True
        if outer not in seen:
            seen.add(outer)
            frontier.extend(parents.get(outer, []))
    return False
