"""Malformed and adversarial curated sources stop the build with one located error.

Each strategy breaks one file of a copy of data/ in one kind of way. Every
generated case runs `amhe-kg build --data <copy> --out <folder>` in-process and
must end with exit code 2, a single `error:` line naming the file, the line
(and record and field) where there is one, and the problem, no traceback, and
nothing written: no output folder, or the previous one untouched, and no
temporary folder beside it.

Hypothesis runs derandomized without an example database, so every run makes
the same cases: 2 per kind (3 for dangling references), 72 in all, in 35-45
seconds on a busy two-core machine; the `slow` run makes ten times as many
(720, about 7 minutes). Per strategy (kinds):

    wrong_type          6   a field of the wrong type; a record or a section that is
                            not a mapping or a list (field, record, section)
    missing_field       4   a required field or a whole section left out
    extra_field         6   an unknown field in a record or its `source`, or an unknown section
    duplicate_key       4   a YAML mapping key twice (yaml); two records with one key (record)
    dangling_reference  6   a reference to a missing record (key, subtype, abbreviation
                            `names`), or a GSS, ODS, Act or section not in identifiers.csv
    long_string         4   a text over 5000 characters (up to 100 000), a URL over 2000
    control_character   6   a control character escaped in a YAML string, raw in a YAML
                            file, raw in identifiers.csv
    not_utf8            4   an invalid UTF-8 sequence; the file in UTF-16, UTF-32, cp1252, Latin-1
    yaml_feature       10   anchor, alias, tag (python/object/apply and others), merge key,
                            a second document
    csv_malformed      12   identifiers.csv: quoting, columns, a stray CR, a bad cell, a
                            duplicate row, a wrong header
    truncated          10   cut inside a flow collection or quoted string, before a section,
                            inside a CSV row; empty YAML and CSV files

Separate tests show that YAML tags cannot run code, read files or reach the
network, and cover an alias bomb, deep nesting and a folder in place of a file.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import re
import shutil
import socket
import string
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from amhe_kg import records as r
from amhe_kg.cli import main
from amhe_kg.sources import LAYOUT
from tests.conftest import DATA, ONTOLOGY, ROOT

SHAPES = ROOT / "shapes" / "amhe-shapes.ttl"
PRISTINE = {path.name: path.read_bytes() for path in DATA.iterdir() if path.is_file()}
YAML_FILES = sorted(LAYOUT)
PARSED = {name: yaml.safe_load(PRISTINE[name]) for name in YAML_FILES}
CSV_LINES = PRISTINE["identifiers.csv"].decode().splitlines(keepends=True)
KEY = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
NAME = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True)


@dataclass
class Case:
    """A broken source file and the error line the build must print for it."""

    filename: str
    content: bytes
    pattern: str  # a regular expression for the start of the error after `error: <path>`


@dataclass
class Spot:
    """One record of a YAML file: its section, index, name, and model."""

    filename: str
    section: str
    index: int | None  # None for a section holding one mapping
    model: type

    def record(self, data: dict) -> dict:
        return data[self.section] if self.index is None else data[self.section][self.index]

    def path(self) -> list:
        return [self.section] if self.index is None else [self.section, self.index]

    def name(self, data: dict) -> str:
        key = self.record(data).get("key")
        if isinstance(key, str):
            return key
        return self.section if self.index is None else f"{self.section}[{self.index + 1}]"


SPOTS = [
    Spot(filename, section, index, model)
    for filename, sections in LAYOUT.items()
    for section, (_, model, is_list) in sections.items()
    for index in (range(len(PARSED[filename][section])) if is_list else [None])
]


def dump(data: dict) -> bytes:
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
    return text.encode("utf-8")


def line_of(content: bytes, path: list) -> int:
    """The 1-based line of the YAML node at `path` (keys and list indices)."""
    node = yaml.compose(content.decode("utf-8"), Loader=yaml.CSafeLoader)
    for part in path:
        if isinstance(part, int):
            node = node.value[part]
        else:
            node = next(value for key, value in node.value if key.value == part)
    return node.start_mark.line + 1


def parsed(filename: str) -> dict:
    """A fresh copy of a curated YAML file's data."""
    return copy.deepcopy(PARSED[filename])


def record_error(spot: Spot, data: dict, field: str, problem: str, line: int = 0) -> Case:
    """The case of a record-level error, located at the record's first line."""
    content = dump(data)
    line = line or line_of(content, spot.path())
    pattern = (
        f":{line}: record {re.escape(repr(spot.name(data)))}: "
        f"field '{re.escape(field)}(\\.[^']*)?': {problem}"
    )
    return Case(spot.filename, content, pattern)


# -- strategies ---------------------------------------------------------------

SOURCED = [s for s in SPOTS if isinstance(s.record(PARSED[s.filename]).get("source"), dict)]


@st.composite
def wrong_type(draw, kind: str) -> Case:
    spot = draw(st.sampled_from(SPOTS))
    data = parsed(spot.filename)
    scalar = st.one_of(st.integers(), st.text(string.ascii_letters, min_size=1, max_size=10))
    if kind == "section" and spot.index is not None:
        data[spot.section] = draw(scalar)
        problem = f":1: field '{spot.section}': must be a list of records"
        return Case(spot.filename, dump(data), problem)
    if kind != "field" and spot.index is None:
        data[spot.section] = draw(scalar)
        return Case(spot.filename, dump(data), f": record '{spot.section}': must be a mapping")
    if kind != "field":
        data[spot.section][spot.index] = draw(st.one_of(scalar, st.lists(scalar, max_size=2)))
        content = dump(data)
        name = re.escape(f"'{spot.section}[{spot.index + 1}]'")
        pattern = f":{line_of(content, spot.path())}: record {name}: must be a mapping"
        return Case(spot.filename, content, pattern)
    record = spot.record(data)
    field = draw(st.sampled_from(sorted(k for k, v in record.items() if v is not None)))
    value = record[field]
    text = st.text(string.ascii_letters + " –£é", min_size=1, max_size=20)
    integer = st.integers(min_value=-(10**6), max_value=10**6)
    fraction = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x))
    date = st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 1, 1))
    if isinstance(value, bool):
        wrong = st.one_of(integer, text, st.lists(st.booleans(), min_size=1, max_size=2))
    elif isinstance(value, int | float):
        options = [text, st.booleans(), date, st.lists(integer, min_size=1, max_size=2)]
        if field not in ("min", "max"):
            options.append(fraction)
        wrong = st.one_of(options)
    elif isinstance(value, str):
        wrong = st.one_of(integer, fraction, st.booleans(), date, st.lists(text, max_size=2))
    elif isinstance(value, list):
        wrong = st.one_of(integer, st.booleans(), text.filter(lambda s: s.strip()))
    else:  # a mapping: `source`
        wrong = st.one_of(integer, text, st.lists(integer, max_size=2))
    record[field] = draw(wrong)
    return record_error(spot, data, field, "Input should be ")


@st.composite
def missing_field(draw, kind: str) -> Case:
    spot = draw(st.sampled_from(SPOTS))
    data = parsed(spot.filename)
    if kind == "section":
        del data[spot.section]
        content = dump(data) if data else b"# all sections removed\n"
        if not data:
            return Case(spot.filename, content, ": the top level must be a mapping")
        return Case(spot.filename, content, f":1: field '{spot.section}': missing section")
    record = spot.record(data)
    required = [f for f, info in spot.model.model_fields.items() if info.is_required()]
    field = draw(st.sampled_from(required))
    del record[field]
    return record_error(spot, data, field, "Field required")


@st.composite
def extra_field(draw, kind: str) -> Case:
    spot = draw(st.sampled_from(SPOTS if kind != "source" else SOURCED))
    data = parsed(spot.filename)
    value = draw(st.one_of(st.integers(), st.text(string.ascii_letters, max_size=10)))
    if kind == "section":
        name = draw(NAME.filter(lambda n: n not in data))
        data[name] = value
        sections = re.escape(str(sorted(LAYOUT[spot.filename])))
        pattern = f": field '{name}': unknown section; expected {sections}"
        return Case(spot.filename, dump(data), pattern)
    record = spot.record(data)
    if kind == "source":
        name = draw(NAME.filter(lambda n: n not in r.Source.model_fields))
        record["source"][name] = value
        content = dump(data)
        line = line_of(content, [*spot.path(), "source"])
        return record_error(spot, data, "source", "Extra inputs are not permitted", line)
    name = draw(NAME.filter(lambda n: n not in spot.model.model_fields))
    record[name] = value
    return record_error(spot, data, name, "Extra inputs are not permitted")


@st.composite
def duplicate_key(draw, kind: str) -> Case:
    spot = draw(st.sampled_from([s for s in SPOTS if s.index is not None]))
    data = parsed(spot.filename)
    records = data[spot.section]
    if kind == "record" and len(records) > 1:
        first = draw(st.integers(0, len(records) - 1).filter(lambda i: i != spot.index))
        later = Spot(spot.filename, spot.section, max(first, spot.index), spot.model)
        key = records[min(first, spot.index)]["key"]
        later.record(data)["key"] = key
        problem = re.escape(f"duplicate key {key!r} in {spot.section}")
        return record_error(later, data, "key", problem)
    text = dump(data).decode()
    node = yaml.compose(text, Loader=yaml.CSafeLoader).value
    node = next(value for key, value in node if key.value == spot.section).value[spot.index]
    field = draw(st.sampled_from(sorted(spot.record(data))))
    lines = text.splitlines(keepends=True)
    end = node.end_mark.line if node.end_mark.column == 0 else node.end_mark.line + 1
    lines.insert(end, f"{' ' * node.start_mark.column}{field}: 1\n")
    pattern = f": not valid YAML: line {end + 1}: duplicate key {re.escape(repr(field))}"
    return Case(spot.filename, "".join(lines).encode(), pattern)


def _references(data: dict, filename: str) -> list[tuple[list, str, str]]:
    """(path to a reference in `data`, field the error names, kind of target) in a file."""
    found = []
    for section, (_, _, is_list) in LAYOUT[filename].items():
        for index, record in enumerate(data[section] if is_list else [data[section]]):
            base = [section, index] if is_list else [section]
            if isinstance(record.get("source"), dict):
                found.append(([*base, "source", "part"], "source.part", "key"))
            for field in FIELDS_REFERRING.get((filename, section), ()):
                if field in LIST_FIELDS:
                    value = record.get(field, [])
                    found += [([*base, field, i], field, "key") for i in range(len(value) + 1)]
                else:
                    found.append(([*base, field], field, "key"))
            for i in range(len(record.get("targets", []))):
                found.append(([*base, "targets", i, "subtype"], "targets", "subtype"))
            for i, provision in enumerate(record.get("provisions", [])):
                for field, kind in (
                    ("within", "key"),
                    ("duty_holder", "key"),
                    ("legislation_id", "section"),
                ):
                    name = f"provisions.{provision['key']}.{field}"
                    found.append(([*base, "provisions", i, field], name, kind))
                cites = provision.get("cites", [])
                name = f"provisions.{provision['key']}.cites"
                found.append(([*base, "provisions", i, "cites", len(cites)], name, "key"))
            for field, kind in IDENTIFIER_FIELDS.get(filename, {}).items():
                if record.get(field):
                    found.append(([*base, field], field, kind))
            for i in range(len(record.get("equality_act_sections", []))):
                found.append(
                    ([*base, "equality_act_sections", i], "equality_act_sections", "number")
                )
            if record.get("names"):
                found.append(([*base, "names"], "names", "names"))
    return found


FIELDS_REFERRING = {
    ("document.yaml", "parts"): ["part_of"],
    ("legislation.yaml", "acts"): ["cited_in"],
    ("intervention_types.yaml", "intervention_types"): ["broader"],
    ("countries.yaml", "tallies"): ["question", "countries"],
    ("interventions.yaml", "interventions"): ["types"],
    ("places.yaml", "places"): ["within"],
    ("services.yaml", "services"): ["themes", "providers", "partners", "locations"],
    ("initiatives.yaml", "initiatives"): ["organisation", "partners"],
    ("coproduction.yaml", "rungs"): ["group"],
    ("vignettes.yaml", "vignettes"): ["characteristics", "barriers"],
    ("nice_guidelines.yaml", "groups"): ["characteristics"],
    ("nice_guidelines.yaml", "guidelines"): ["group", "also_groups"],
    ("resources.yaml", "resources"): ["topic"],
}
LIST_FIELDS = {
    "countries", "types", "within", "themes", "providers", "partners", "locations",
    "characteristics", "barriers", "also_groups",
}  # fmt: skip
IDENTIFIER_FIELDS = {
    "places.yaml": {"gss": "gss"},
    "organisations.yaml": {"ods_code": "ods"},
    "legislation.yaml": {"citation": "citation"},
}
REFERENCES = [
    (filename, path, field, kind)
    for filename in YAML_FILES
    for path, field, kind in _references(PARSED[filename], filename)
]
LISTED = PRISTINE["identifiers.csv"].decode()


def _set(data, path: list, value) -> None:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, []) if isinstance(node, dict) else node[part]
    if isinstance(node, list) and path[-1] == len(node):
        node.append(value)
    else:
        node[path[-1]] = value


@st.composite
def dangling_reference(draw, target: str) -> Case:
    is_record = target == "record"
    references = [ref for ref in REFERENCES if (ref[3] in ("key", "subtype", "names")) == is_record]
    filename, path, field, kind = draw(st.sampled_from(references))
    data = parsed(filename)
    if kind == "key":
        value = "no-such-" + draw(KEY)
    elif kind == "subtype":
        value = "no-such-" + draw(KEY) + "/" + draw(KEY)
    elif kind == "names":
        named = draw(st.sampled_from(["organisation", "intervention-type", "characteristic"]))
        value = f"{named}/no-such-{draw(KEY)}"
    elif kind == "number":
        value = str(draw(st.integers(200, 99999)))
    elif kind == "section":
        value = f"section/{draw(st.integers(200, 99999))}"
    elif kind == "gss":
        value = draw(st.from_regex(r"[EWSNK][0-9]{8}", fullmatch=True))
    elif kind == "ods":
        value = draw(st.from_regex(r"[A-Z0-9]{3,5}", fullmatch=True))
    else:
        value = f"ukpga/{draw(st.integers(1200, 2100))}/{draw(st.integers(1, 999))}"
    if f",{value}," in LISTED:
        value = {"gss": "K99999999", "ods": "ZZZZZ", "citation": "ukpga/1200/999"}[kind]
    _set(data, path, value)
    index = path[1] if isinstance(path[1], int) else None
    spot = next(
        s for s in SPOTS if s.filename == filename and s.section == path[0] and s.index == index
    )
    if kind in ("key", "subtype", "names"):
        shown = value.partition("/")[2] if kind == "names" else value
        problem = f"unknown [a-z -]+ {re.escape(repr(shown))}"
    else:
        problem = f"'[^']*{re.escape(value)}' is not listed in identifiers\\.csv"
    return record_error(spot, data, field, problem)


TEXT_FIELDS = [
    (spot, field)
    for spot in SPOTS
    for field, value in spot.record(PARSED[spot.filename]).items()
    if isinstance(value, str)
    and field
    in {
        "label", "title", "summary", "description", "definition", "evidence", "experience",
        "note", "population", "quote", "term", "abbreviation", "printed", "attributed_to",
        "publisher", "inequality_issue", "could_be_better", "rights_holder",
    }
]  # fmt: skip
URL_FIELDS = [
    (spot, field)
    for spot in SPOTS
    for field in ("url", "homepage")
    if isinstance(spot.record(PARSED[spot.filename]).get(field), str)
]


@st.composite
def long_string(draw, kind: str) -> Case:
    chunk = draw(st.text(string.ascii_letters + string.punctuation + "–£éü", min_size=1))
    if kind == "text":
        spot, field = draw(st.sampled_from(TEXT_FIELDS))
        limit = 5000
        value = chunk * (draw(st.integers(limit + 1, 20 * limit)) // len(chunk) + 1)
    else:
        spot, field = draw(st.sampled_from(URL_FIELDS))
        limit = 2000
        value = "https://example.org/" + "a" * draw(st.integers(limit, 10 * limit))
    data = parsed(spot.filename)
    spot.record(data)[field] = value
    problem = f"String should have at most {limit} characters"
    return record_error(spot, data, field, problem)


# Control characters PyYAML refuses in a file and str.strip() leaves in place.
RAW_CONTROL = [chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x1C), *range(0x7F, 0x85)]]
RAW_CONTROL += [chr(c) for c in range(0x86, 0xA0)]
# Control characters that reach a record through an escape in a YAML string.
ESCAPED_CONTROL = [chr(c) for c in [*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]
ESCAPED_CONTROL += ["\u2028", "\u2029"]


@st.composite
def control_character(draw, kind: str) -> Case:
    if kind != "escaped":
        filename = draw(st.sampled_from(YAML_FILES)) if kind == "raw" else "identifiers.csv"
        text = PRISTINE[filename].decode()
        at = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(RAW_CONTROL))
        content = (text[:at] + char + text[at:]).encode()
        line = text.count("\n", 0, at) + 1
        if filename == "identifiers.csv":
            return Case(filename, content, f":{line}: .+")
        problem = f"not valid YAML: line {line}: unacceptable character #x{ord(char):04x}"
        return Case(filename, content, f": {problem}: (control|special) characters are not allowed")
    spot, field = draw(st.sampled_from(TEXT_FIELDS))
    data = parsed(spot.filename)
    record = spot.record(data)
    value = record[field]
    at = draw(st.integers(1, len(value) - 1))
    char = draw(st.sampled_from(ESCAPED_CONTROL))
    record[field] = value[:at] + char + value[at:]
    problem = f"Value error, contains the control character U\\+{ord(char):04X}"
    return record_error(spot, data, field, problem)


INVALID_UTF8 = [
    b"\x80",
    b"\xbf",
    b"\xc0\xaf",
    b"\xc1\xbf",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf5\x80\x80\x80",
    b"\xfe",
    b"\xff",
]


def _invalid_at(content: bytes) -> int:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    raise AssertionError("the content is valid UTF-8")


@st.composite
def not_utf8(draw, kind: str) -> Case:
    filename = draw(st.sampled_from([*YAML_FILES, "identifiers.csv"]))
    original = PRISTINE[filename]
    if kind == "encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-32", "cp1252", "latin-1"]))
        content = original.decode().encode(encoding, errors="replace")
        if content.isascii():  # nothing outside ASCII that this encoding writes differently
            content = original.decode().encode("utf-16")
        at = _invalid_at(content)
        line = content.count(b"\n", 0, at) + 1
    else:
        starts = [i for i, b in enumerate(original) if not 0x80 <= b <= 0xBF]
        at = draw(st.sampled_from([*starts, len(original)]))
        content = original[:at] + draw(st.sampled_from(INVALID_UTF8)) + b"a" + original[at:]
        line = original.count(b"\n", 0, at) + 1
    return Case(filename, content, f": not UTF-8 text \\(.+ at line {line}, byte {at}\\)")


TAGS = [
    "!!python/object/apply:os.system",
    "!!python/object/new:subprocess.Popen",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple",
    "!!binary",
    "!!str",
    "!!int",
    "!!set",
    "!!omap",
    "!<tag:yaml.org,2002:str>",
    "!include",
    "!",
]


def _values(node):
    """(key node, value node, whether their mapping is in block style) of single-line values."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if value.start_mark.line == value.end_mark.line:
                yield key, value, not node.flow_style
            yield from _values(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _values(item)


VALUES = {name: list(_values(yaml.compose(PRISTINE[name].decode()))) for name in YAML_FILES}


@st.composite
def yaml_feature(draw, feature: str) -> Case:
    filename = draw(st.sampled_from(YAML_FILES))
    text = PRISTINE[filename].decode()
    if feature == "document":
        content = text + "---\n" + text
        line = text.count("\n") + 1
        return Case(filename, content.encode(), f": not valid YAML: line {line}: .*document")
    key, value, _ = draw(
        st.sampled_from([v for v in VALUES[filename] if v[2] or feature != "merge"])
    )
    start, end = value.start_mark.index, value.end_mark.index
    line = value.start_mark.line + 1
    if feature == "anchor":
        content = f"{text[:start]}&{draw(NAME)} {text[start:]}"
        problem = "anchors are not allowed"
    elif feature == "alias":
        content = f"{text[:start]}*{draw(NAME)}{text[end:]}"
        problem = "aliases are not allowed"
    elif feature == "tag":
        tag = draw(st.one_of(st.sampled_from(TAGS), NAME.map(lambda n: f"!{n}")))
        content = f"{text[:start]}{tag} {text[start:]}"
        problem = "tags are not allowed"
    else:
        at = text.index("\n", end) + 1
        indent = " " * key.start_mark.column
        content = f"{text[:at]}{indent}<<: {{{key.value}: {draw(NAME)}}}\n{text[at:]}"
        line += 1
        problem = re.escape("merge keys ('<<') are not allowed")
    return Case(filename, content.encode(), f": not valid YAML: line {line}: {problem}")


CSV_KINDS = {
    "quoting": ["garbage-after-quote", "unclosed-quote"],
    "columns": ["extra-column", "missing-column"],
    "stray-cr": ["stray-cr"],
    "bad-cell": ["bad-system", "bad-confirmed", "bad-iri", "empty-name"],
    "duplicate-row": ["duplicate-row"],
    "header": ["header"],
}
CSV_FIELDS = list(r.Identifier.model_fields)
UNQUOTED_ROWS = [n for n in range(2, len(CSV_LINES) + 1) if '"' not in CSV_LINES[n - 1]]


@st.composite
def csv_malformed(draw, group: str) -> Case:
    lines = list(CSV_LINES)
    number = draw(st.sampled_from(UNQUOTED_ROWS))
    cells = lines[number - 1].rstrip("\n").split(",")
    name = re.escape(repr(f"{cells[0]}:{cells[2]}"))
    word = NAME.filter(lambda w: w not in ("yes", "weak", "pattern", *CSV_FIELDS))
    kind = draw(st.sampled_from(CSV_KINDS[group]))
    if kind == "garbage-after-quote":
        column = draw(st.integers(0, len(cells) - 1))
        cells[column] = f'"{cells[column]}"{draw(word)}'
        pattern = f":{number}: not valid CSV: ',' expected after '\"'"
    elif kind == "extra-column":
        cells.insert(draw(st.integers(0, len(cells))), draw(word))
        pattern = f":{number}: record '[^']*': wrong number of columns"
    elif kind == "missing-column":
        del cells[draw(st.integers(0, len(cells) - 1))]
        pattern = f":{number}: record '[^']*': wrong number of columns"
    elif kind == "stray-cr":
        row = ",".join(cells)
        at = draw(st.integers(1, len(row) - 1))
        cells = [row[:at] + "\r" + row[at:]]
        pattern = f":{number}: .+"
    elif kind == "unclosed-quote":
        column = draw(st.integers(0, len(cells) - 1))
        cells[column] = '"' + cells[column]
        pattern = ":[0-9]+: .+"  # the next quote in the file decides where the error shows
    elif kind == "duplicate-row":
        lines.append(lines[number - 1])
        number = len(lines)
        pattern = f":{number}: record {name}: field 'identifier': listed twice"
    elif kind == "header":
        header = list(CSV_FIELDS)
        header[draw(st.integers(0, len(header) - 1))] = draw(word)
        lines[0] = ",".join(header) + "\n"
        pattern = f":1: the header must be {','.join(CSV_FIELDS)}"
    else:
        field, value, problem = {
            "bad-system": ("system", draw(word), "Input should be "),
            "bad-confirmed": ("confirmed", draw(word), "Input should be "),
            "bad-iri": ("iri", "ftp://" + draw(word), "String should match pattern"),
            "empty-name": ("name", "", "Field required"),
        }[kind]
        cells[CSV_FIELDS.index(field)] = value
        name = re.escape(repr(f"{cells[0]}:{cells[2]}"))
        pattern = f":{number}: record {name}: field '{field}': {problem}"
    if kind not in ("duplicate-row", "header"):
        lines[number - 1] = ",".join(cells) + "\n"
    return Case("identifiers.csv", "".join(lines).encode(), pattern)


def _cut_points(text: str) -> list[int]:
    """Offsets strictly inside a flow collection or a quoted string of a YAML text."""
    points, opened = [], []
    for token in yaml.scan(text):
        if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
            opened.append(token.end_mark.index)
        elif isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken):
            points.append((opened.pop(), token.start_mark.index))
        elif isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
            points.append((token.start_mark.index + 1, token.end_mark.index - 1))
    inside = {i for start, end in points for i in range(start, end)}
    return sorted(i for i in inside if text[i - 1] != "'")  # '' inside '...' is a quote


CUT_POINTS = {name: _cut_points(PRISTINE[name].decode()) for name in YAML_FILES}


@st.composite
def truncated(draw, kind: str) -> Case:
    if kind == "inside":
        filename = draw(st.sampled_from([f for f in YAML_FILES if CUT_POINTS[f]]))
        text = PRISTINE[filename].decode()
        at = draw(st.sampled_from(CUT_POINTS[filename]))
        return Case(filename, text[:at].encode(), ": not valid YAML: line [0-9]+: .+")
    if kind == "section":
        filename = draw(st.sampled_from(YAML_FILES))
        text = PRISTINE[filename].decode()
        section = draw(st.sampled_from(list(LAYOUT[filename])))
        at = re.search(f"^{section}:", text, re.MULTILINE).start()
        missing = [s for s in LAYOUT[filename] if f"\n{s}:" not in "\n" + text[:at]]
        if len(missing) == len(LAYOUT[filename]):
            return Case(filename, text[:at].encode(), ": the top level must be a mapping")
        line = yaml.compose(text[:at]).start_mark.line + 1
        pattern = f":{line}: field '{missing[0]}': missing section"
        return Case(filename, text[:at].encode(), pattern)
    if kind == "empty":
        filename = draw(st.sampled_from(YAML_FILES))
        content = draw(st.sampled_from([b"", b"\n", b"   \n\n", b"# nothing here\n", b"---\n"]))
        return Case(filename, content, ": the top level must be a mapping")
    if kind == "csv-empty":
        content = draw(st.sampled_from([b"", b"\n", b"\r\n"]))
        expected = ",".join(r.Identifier.model_fields)
        return Case("identifiers.csv", content, f":1: the header must be {expected}")
    number = draw(st.integers(2, len(CSV_LINES)))
    row = CSV_LINES[number - 1].rstrip("\n")
    at = draw(st.integers(1, len(row) - 1))
    content = "".join(CSV_LINES[: number - 1]) + row[:at]
    return Case("identifiers.csv", content.encode(), f":{number}: .+")


# strategy -> the kinds of malformation it makes, each tried COUNT[strategy] times
STRATEGIES = {
    wrong_type: ["field", "record", "section"],
    missing_field: ["field", "section"],
    extra_field: ["record", "source", "section"],
    duplicate_key: ["yaml", "record"],
    dangling_reference: ["record", "identifier"],
    long_string: ["text", "url"],
    control_character: ["escaped", "raw", "raw-csv"],
    not_utf8: ["sequence", "encoding"],
    yaml_feature: ["anchor", "alias", "tag", "merge", "document"],
    csv_malformed: list(CSV_KINDS),
    truncated: ["inside", "section", "empty", "csv-row", "csv-empty"],
}
COUNT = {strategy: 2 for strategy in STRATEGIES} | {dangling_reference: 3}
CASES = [(f, kind) for f, kinds in STRATEGIES.items() for kind in kinds]


# -- running the build --------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A folder holding a copy of data/; each case breaks one file and restores it."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(DATA, root / "data")
    return root


def build(data: Path, out: Path):
    args = ["build", "--data", str(data), "--ontology", str(ONTOLOGY)]
    args += ["--shapes", str(SHAPES), "--out", str(out), "--quiet"]
    return CliRunner().invoke(main, args)


def assert_rejected(root: Path, case: Case, previous: bool) -> None:
    """The build of `root/data` with `case` applied fails cleanly and writes nothing."""
    data, out = root / "data", root / "out"
    if previous:
        out.mkdir()
        (out / "amhe.ttl").write_bytes(b"# the previous build\n")
    target = data / case.filename
    target.write_bytes(case.content)
    try:
        result = build(data, out)
    finally:
        target.write_bytes(PRISTINE[case.filename])
        after = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else None
        shutil.rmtree(out, ignore_errors=True)
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert re.match(re.escape(f"error: {target}") + case.pattern, lines[0]), (
        case.pattern,
        lines[0][:1000],
    )
    assert after == ({"amhe.ttl": b"# the previous build\n"} if previous else None)
    assert sorted(p.name for p in root.iterdir()) == ["data"]


def check_strategy(root: Path, strategy, count: int) -> None:
    @settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=count,
        phases=[Phase.explicit, Phase.generate],  # shrinking such large inputs takes minutes
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=strategy, previous=st.booleans())
    def check(case: Case, previous: bool) -> None:
        assert_rejected(root, case, previous)

    check()


@pytest.mark.parametrize(
    ("strategy", "kind"), CASES, ids=[f"{f.__name__}-{kind}" for f, kind in CASES]
)
def test_malformed_source_is_a_located_error_and_writes_nothing(strategy, kind, workspace):
    check_strategy(workspace, strategy(kind), COUNT[strategy])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("strategy", "kind"), CASES, ids=[f"{f.__name__}-{kind}" for f, kind in CASES]
)
def test_many_malformed_sources(strategy, kind, workspace):
    check_strategy(workspace, strategy(kind), 10 * COUNT[strategy])


# -- YAML cannot run code, read files or reach the network --------------------


@pytest.fixture
def listener():
    """A local TCP port; a connection to it waits in its backlog to be seen."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


def payloads(marker: Path, port: int) -> list[str]:
    """YAML values that would write `marker`, read a file, or connect to `port`."""
    return [
        f'!!python/object/apply:os.system ["touch {marker}"]',
        f"!!python/object/apply:subprocess.call [[touch, {marker}]]",
        f"!!python/object/new:subprocess.Popen [[touch, {marker}]]",
        f'!!python/object/apply:builtins.open ["{marker}", "w"]',
        f'!!python/object/apply:socket.create_connection [["127.0.0.1", {port}]]',
        f'!!python/object/apply:urllib.request.urlopen ["http://127.0.0.1:{port}/"]',
        "!!python/object/apply:subprocess.check_output [[cat, /etc/passwd]]",
        "!include /etc/passwd",
        "!!python/name:os.system",
    ]


def test_the_payloads_act_under_an_unsafe_loader(tmp_path, listener):
    marker = tmp_path / "marker"
    port = listener.getsockname()[1]
    yaml.unsafe_load(payloads(marker, port)[0])
    assert marker.exists()
    yaml.unsafe_load(payloads(marker, port)[4]).close()
    listener.accept()[0].close()
    assert b"root:" in yaml.unsafe_load(payloads(marker, port)[6])


def assert_refused(data: Path, path: Path, tmp_path: Path, listener) -> None:
    marker, out = tmp_path / "marker", tmp_path / "out"
    result = build(data, out)
    assert result.exit_code == 2, result.output
    assert re.fullmatch(
        re.escape(f"error: {path}: not valid YAML: line ") + r"\d+: tags are not allowed \(.+\)\n",
        result.output,
    ), result.output
    assert "root:" not in result.output
    assert not marker.exists()
    assert not out.exists()
    with pytest.raises(BlockingIOError):
        listener.accept()


@pytest.mark.parametrize("index", range(9))
def test_a_yaml_tag_cannot_run_code_or_reach_files_or_the_network(
    index, data_copy, tmp_path, listener
):
    payload = payloads(tmp_path / "marker", listener.getsockname()[1])[index]
    path = data_copy / "places.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  label: Leeds\n", f"  label: {payload}\n", 1))
    assert_refused(data_copy, path, tmp_path, listener)


@pytest.mark.parametrize("where", ["key", "document"])
def test_a_yaml_tag_on_a_key_or_the_document_cannot_run_code(where, data_copy, tmp_path, listener):
    payload = payloads(tmp_path / "marker", listener.getsockname()[1])[0]
    path = data_copy / "places.yaml"
    text = path.read_text(encoding="utf-8")
    if where == "key":
        text = text.replace("  label: Leeds\n", f"  ? {payload}\n  : Leeds\n", 1)
    else:
        text = f"--- {payload}\n"
    path.write_text(text, encoding="utf-8")
    assert_refused(data_copy, path, tmp_path, listener)


def test_an_alias_bomb_is_refused_before_it_expands(data_copy, tmp_path):
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for earlier, name in itertools.pairwise("abcdefghij"):
        bomb += f"{name}: &{name} [{', '.join([f'*{earlier}'] * 10)}]\n"
    path = data_copy / "figures.yaml"
    path.write_text(bomb, encoding="utf-8")
    result = build(data_copy, tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == f"error: {path}: not valid YAML: line 1: anchors are not allowed\n"


def test_deep_nesting_is_a_yaml_error(data_copy, tmp_path):
    path = data_copy / "figures.yaml"
    path.write_text("figures: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    result = build(data_copy, tmp_path / "out")
    assert result.exit_code == 2
    # libyaml's own limit, where the installed PyYAML has it; else Python's recursion limit
    assert re.fullmatch(
        f"error: {re.escape(str(path))}: not valid YAML: "
        r"(line 1: exceeded maximum nesting depth|nested too deeply)\n",
        result.output,
    )


def test_a_folder_in_place_of_a_source_file(data_copy, tmp_path):
    path = data_copy / "figures.yaml"
    path.unlink()
    path.mkdir()
    result = build(data_copy, tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == f"error: {path}: cannot be read (Is a directory)\n"
