"""Malformed RDF given to `amhe-kg validate FILE` and `amhe-kg query --graph FILE`.

Every input ends in exit code 2 with one line on stderr naming the file and the syntax problem
(or in 0 or 1 when it happens to be valid RDF), with no traceback, within a time bound, and a
JSON-LD @context given by IRI is refused without any network or file access. The inputs are
mutations of a sample of the real graph written as the build writes it, random bytes, invalid
UTF-8, deep nesting, huge literals, bad IRIs and escapes, and the W3C negative syntax tests.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from amhe_kg.cli import main
from amhe_kg.export import to_jsonld, to_ntriples, to_turtle
from amhe_kg.namespaces import bind_prefixes
from amhe_kg.queryfile import QueryError
from amhe_kg.store import EmbeddedStore
from tests.conftest import ID, ROOT

W3C = Path(__file__).parent / "w3c"
CASE_LIMIT = 10.0
FORMATS = {  # extension: (name in messages, pyoxigraph format)
    "ttl": ("Turtle", pyoxigraph.RdfFormat.TURTLE),
    "jsonld": ("JSON-LD", pyoxigraph.RdfFormat.JSON_LD),
    "nt": ("N-Triples", pyoxigraph.RdfFormat.N_TRIPLES),
}
SAMPLE_RESOURCES = (
    "service/black-thrive",
    "characteristic/religion",
    "guideline/ng44",
    "legislation/equality-act-2010",
)
SHAPES = (
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "<http://example.org/S> a sh:NodeShape ;\n"
    "    sh:targetClass <https://w3id.org/amhe/ontology#Service> ;\n"
    "    sh:property [ sh:path <http://www.w3.org/2000/01/rdf-schema#label> ; sh:minCount 1 ] .\n"
)
# Pieces that mean something in one of the three syntaxes, or break them.
TOKENS = [
    "<",
    ">",
    '"',
    "'",
    '"""',
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ".",
    ";",
    ",",
    ":",
    "_:",
    "_:b0",
    "@",
    "@en",
    "@prefix",
    "@base",
    "PREFIX",
    "^^",
    "#",
    "\\",
    "\\u",
    "\\u00",
    "\\uD800",
    "\\U0011FFFF",
    "\\q",
    "\\n",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\ufeff",
    "\u2028",
    "<http://exa mple.org/>",
    "<http://[::1>",
    "<javascript:alert(1)>",
    "<>",
    "<relative>",
    "<<",
    ">>",
    "<<(",
    ")>>",
    "a",
    "true",
    "null",
    "1e99999",
    "-0.0e-0",
    '"@context"',
    '"@id"',
    '"@type"',
    '"@list"',
    '"@graph"',
    '"@value"',
    '"@language"',
    '"@version"',
    '"@import"',
    '"@reverse"',
    '"@included"',
    '"@nest"',
    '"@base"',
    "é",
    "𝔸",
    "\ud7ff",
    "\ud800",
]
INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3(",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x80",
    b"\xe2\x82",
]


@pytest.fixture(scope="module")
def samples(data) -> dict[str, bytes]:
    """A few resources of the real graph, written in each syntax as the build writes them."""
    sample = bind_prefixes(Graph(bind_namespaces="none"))
    for path in SAMPLE_RESOURCES:
        triples = list(data.triples((URIRef(ID[path]), None, None)))
        assert triples, path
        for triple in triples:
            sample.add(triple)
    return {"ttl": to_turtle(sample), "jsonld": to_jsonld(sample), "nt": to_ntriples(sample)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder for the generated files, with a one-shape shapes file and no curated data."""
    path = tmp_path_factory.mktemp("rdf-inputs")
    (path / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    (path / "no-data").mkdir()
    return path


class Overrun(Exception):
    """A case ran past its time bound."""


@contextlib.contextmanager
def time_bound(seconds: float = CASE_LIMIT):
    """Interrupt the case with Overrun after `seconds`, and fail it if it took longer."""

    def overrun(signum, frame):
        raise Overrun(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < seconds


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """The document with one to four edits: truncations, deletions, insertions, swaps."""
    document = original
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(document)))
        edit = draw(st.sampled_from(["truncate", "delete", "insert", "byte", "repeat", "utf8"]))
        if edit == "truncate":
            document = document[:at]
        elif edit == "delete":
            document = document[:at] + document[at + draw(st.integers(1, 40)) :]
        elif edit == "insert":
            piece = draw(st.sampled_from(TOKENS) | st.text(max_size=8))
            document = document[:at] + piece.encode("utf-8", "surrogatepass") + document[at:]
        elif edit == "byte":
            document = document[:at] + bytes([draw(st.integers(0, 255))]) + document[at + 1 :]
        elif edit == "repeat":
            span = document[at : at + draw(st.integers(1, 30))]
            document = document[:at] + span * draw(st.integers(2, 50)) + document[at:]
        else:
            document = document[:at] + draw(st.sampled_from(INVALID_UTF8)) + document[at:]
    return document


def nested(ext: str, depth: int) -> bytes:
    """A document nested `depth` levels deep in the syntax's own way."""
    p = "<http://example.org/p>"
    if ext == "jsonld":
        text = '{"@id": "http://example.org/s", "http://example.org/p": '
        return (text + '{"@list": ' * depth + "1" + "}" * depth + "}").encode()
    if ext == "ttl":
        return (
            f"<http://example.org/s> {p} " + f"[ {p} " * depth + "1" + " ]" * depth + " ."
        ).encode()
    triple = f"<<( <http://example.org/s> {p} "
    return (f"<http://example.org/s> {p} " + triple * depth + "1" + " )>>" * depth + " .").encode()


def huge(ext: str, size: int) -> bytes:
    """One triple with a literal of `size` characters, some of them escaped."""
    value = ("x" * 97 + "\\n\\" + '"') * (size // 100)
    if ext == "jsonld":
        return f'{{"@id": "http://example.org/s", "http://example.org/p": "{value}"}}'.encode()
    return f'<http://example.org/s> <http://example.org/p> "{value}" .'.encode()


def documents(ext: str):
    """Mutations of the sample, and the other kinds of bad or unusual input."""

    @st.composite
    def draw_one(draw, samples):
        kind = draw(st.sampled_from(["mutated"] * 6 + ["bytes", "text", "nested", "huge"]))
        if kind == "mutated":
            return draw(mutated(samples[ext]))
        if kind == "bytes":
            return draw(st.binary(max_size=300))
        if kind == "text":
            pieces = draw(st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=60))
            return "".join(pieces).encode("utf-8", "surrogatepass")
        if kind == "nested":
            return nested(ext, draw(st.integers(1, 400)))
        return huge(ext, draw(st.sampled_from([10_000, 1_000_000])))

    return draw_one


def reference(document: bytes, ext: str, path: Path) -> list[pyoxigraph.Quad] | None:
    """The quads Oxigraph reads from the document, in any graph; None if it reads none."""
    try:
        document.decode("utf-8")
        return list(pyoxigraph.parse(document, FORMATS[ext][1], base_iri=path.resolve().as_uri()))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None


def validate(path: Path, folder: Path):
    args = ["--shapes", str(folder / "shapes.ttl"), "--data", str(folder / "no-data")]
    return CliRunner().invoke(main, ["validate", *args, str(path)])


def assert_validate_refused_or_read(result, path: Path, document: bytes, ext: str) -> None:
    """Exit 2 with one line naming the file and the problem, or 0/1 for RDF Oxigraph reads."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    expected = reference(document, ext, path)
    if result.exit_code == 2:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        problem = rf"(not valid {FORMATS[ext][0]}: \S.{{8,}}|not UTF-8 text \(.+\))"
        assert re.fullmatch(rf"error: {re.escape(str(path))}: {problem}", lines[0]), lines[0]
        assert expected is None, f"valid RDF refused: {lines[0]}"
    else:
        assert result.exit_code in (0, 1), result.output
        assert expected is not None, "invalid RDF read"
        assert f"Validated {path} ({len({q.triple for q in expected})} triple" in result.stdout


def assert_loader_refused_or_read(path: Path, document: bytes, ext: str) -> None:
    """The embedded store's loader: a one-line QueryError naming the file, or the graph."""
    try:
        store = EmbeddedStore.from_file(path)
    except QueryError as error:
        message = str(error)
        assert message.isprintable(), message
        assert re.fullmatch(rf"{re.escape(str(path))}: cannot load the graph: \S.{{8,}}", message)
        assert reference(document, ext, path) is None, f"valid RDF refused: {message}"
    else:
        assert len(set(reference(document, ext, path))) == len(store.store)


def write(folder: Path, ext: str, document: bytes) -> Path:
    path = folder / f"case.{ext}"
    path.write_bytes(document)
    return path


FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=600,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_validate_refuses_bad_rdf_with_one_line(ext, samples, folder):
    @FUZZ
    @given(documents(ext)(samples))
    def check(document):
        path = write(folder, ext, document)
        with time_bound():
            result = validate(path, folder)
        assert_validate_refused_or_read(result, path, document, ext)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_the_query_loader_refuses_bad_rdf_with_one_line(ext, samples, folder):
    @FUZZ
    @given(documents(ext)(samples))
    def check(document):
        path = write(folder, ext, document)
        with time_bound():
            assert_loader_refused_or_read(path, document, ext)

    check()


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_the_sample_reads_whole_in_both_commands(ext, samples, folder):
    path = write(folder, ext, samples[ext])
    assert len(reference(samples[ext], ext, path)) > 40
    assert_validate_refused_or_read(validate(path, folder), path, samples[ext], ext)
    assert_loader_refused_or_read(path, samples[ext], ext)


def test_relative_iris_resolve_against_the_file_in_both_commands(folder):
    path = write(folder, "ttl", b"@prefix ex: <vocab#> .\n<> ex:p <other.ttl> .\n")
    result = validate(path, folder)
    assert result.exit_code == 0 and f"Validated {path} (1 triple" in result.stdout
    query = folder / "all.rq"
    query.write_text("SELECT ?s ?p ?o { ?s ?p ?o }\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", str(query), "-g", str(path), "-f", "csv"])
    here = folder.resolve().as_uri()
    expected = f"s,p,o\r\n{here}/case.ttl,{here}/vocab#p,{here}/other.ttl\r\n"
    assert result.stdout_bytes.decode() == expected, result.output


# The W3C RDF 1.1 negative syntax tests


W3C_NEGATIVE = [
    pytest.param(path, id=f"{path.parent.name}/{path.name}")
    for suite in ("turtle", "ntriples")
    for path in sorted((W3C / suite).iterdir())
]


def test_the_w3c_negative_syntax_tests_are_all_there():
    assert len([p for p in W3C_NEGATIVE if p.values[0].suffix == ".ttl"]) == 78
    assert len([p for p in W3C_NEGATIVE if p.values[0].suffix == ".nt"]) == 27


@pytest.mark.parametrize("w3c", W3C_NEGATIVE)
def test_a_w3c_negative_syntax_test_is_refused_by_both_commands(w3c, folder):
    ext = w3c.suffix.lstrip(".")
    document = w3c.read_bytes()
    path = write(folder, ext, document)
    with time_bound():
        result = validate(path, folder)
    assert result.exit_code == 2, result.output
    assert_validate_refused_or_read(result, path, document, ext)
    with pytest.raises(QueryError, match=rf"^{re.escape(str(path))}: cannot load the graph: "):
        EmbeddedStore.from_file(path)


# A representative subset through the whole command line, query worker included


REPRESENTATIVE = {
    "ttl-unterminated-string": ("ttl", b'<http://e/s> <http://e/p> "abc .\n', "line 1"),
    "ttl-bad-escape": ("ttl", b'<http://e/s> <http://e/p> "a\\qb" .\n', "line 1"),
    "ttl-space-in-iri": ("ttl", b"<http://e/s> <http://e/a b> <http://e/o> .\n", "line 1"),
    "ttl-undeclared-prefix": ("ttl", b"ex:s ex:p ex:o .\n", "ex"),
    "ttl-lone-surrogate-escape": ("ttl", b'<http://e/s> <http://e/p> "\\uD800" .\n', "line 1"),
    "ttl-truncated": ("ttl", b"@prefix ex: <http://e/> .\nex:s ex:p [ ex:q ", "line 2"),
    "ttl-invalid-utf-8": ("ttl", b'<http://e/s> <http://e/p> "caf\xe9" .\n', "UTF-8"),
    "nt-relative-iri": ("nt", b"<s> <http://e/p> <http://e/o> .\n", "line 1"),
    "nt-prefixed-name": ("nt", b"<http://e/s> ex:p <http://e/o> .\n", "line 1"),
    "nt-no-final-dot": ("nt", b"<http://e/s> <http://e/p> <http://e/o>\n", "line"),
    "nt-nul-byte": ("nt", b"<http://e/s> <http://e/p> <http://e/\x00> .\n", "line 1"),
    "jsonld-not-json": ("jsonld", b'{"@id": "http://e/s", ', "line 1"),
    "jsonld-id-not-a-string": ("jsonld", b'{"@id": 5, "http://e/p": "x"}', "@id"),
    "jsonld-bad-context": ("jsonld", b'{"@context": 5, "@id": "http://e/s"}', "context"),
    "jsonld-bad-version": ("jsonld", b'{"@context": {"@version": 2.0}}', "version"),
    "jsonld-random-bytes": ("jsonld", bytes(range(256)), "UTF-8|line 1 column 1"),
}


def assert_one_line_error(result, path: Path, hint: str, printable: bool = True) -> None:
    """Exit 2, nothing on stdout, and one line on stderr naming the file and the problem."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), result.stderr
    assert re.search(hint, lines[0], re.IGNORECASE), lines[0]
    if printable:
        assert lines[0].isprintable(), lines[0]


@pytest.mark.parametrize("case", sorted(REPRESENTATIVE))
def test_the_command_line_refuses_bad_rdf_with_one_line(case, folder):
    ext, document, hint = REPRESENTATIVE[case]
    path = write(folder, ext, document)
    assert_one_line_error(validate(path, folder), path, hint, printable=False)
    with time_bound(60):
        result = CliRunner().invoke(main, ["query", "key-figures", "--graph", str(path)])
    assert_one_line_error(result, path, hint)


CONTROL = b"<http://e/s> <http://e/p> <http://e/\x1b[2J\x00> .\n"


def test_query_writes_control_characters_of_the_input_as_escapes(folder):
    path = write(folder, "nt", CONTROL)
    result = CliRunner().invoke(main, ["query", "key-figures", "--graph", str(path)])
    assert_one_line_error(result, path, r"line 1.*\\x1b")


def test_query_escapes_control_characters_of_the_data_in_a_table_only(folder):
    path = write(folder, "nt", b'<http://e/s> <http://e/p> "red\\u001B[31m\\u0000" .\n')
    query = folder / "all.rq"
    query.write_text("SELECT ?o { ?s ?p ?o }\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", str(query), "--graph", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == "red\\x1b[31m\\x00"
    csv = CliRunner().invoke(main, ["query", str(query), "--graph", str(path), "-f", "csv"])
    assert csv.stdout_bytes == b"o\r\nred\x1b[31m\x00\r\n"


def test_validate_writes_control_characters_of_the_input_as_escapes(folder):
    path = write(folder, "nt", CONTROL)
    assert_one_line_error(validate(path, folder), path, "line 1")


# Nesting deep enough to overflow a recursive parser's stack


DEEP = {
    "jsonld-objects": ("jsonld", 8_000),
    "turtle-triple-terms": ("ttl", 100_000),
}
# JSON-LD takes some seconds to reach the depth where its parser fails.
DEEP_CASES = [
    pytest.param("jsonld-objects", marks=pytest.mark.slow),
    pytest.param("turtle-triple-terms"),
]


def deep_file(folder: Path, case: str) -> Path:
    ext, depth = DEEP[case]
    if ext == "jsonld":
        document = '{"http://example.org/p": ' * depth + "1" + "}" * depth
    else:
        document = nested("nt", depth).decode()
    path = folder / f"deep-{case}.{ext}"
    path.write_text(document, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", DEEP_CASES)
def test_a_deeply_nested_graph_is_refused_by_query(case, folder):
    path = deep_file(folder, case)
    result = CliRunner().invoke(main, ["query", "key-figures", "--graph", str(path)])
    assert_one_line_error(result, path, "cannot load the graph: the RDF parser crashed")


@pytest.mark.parametrize("case", DEEP_CASES)
def test_a_deeply_nested_graph_is_refused_by_validate(case, folder):
    path = deep_file(folder, case)
    args = ["--shapes", str(folder / "shapes.ttl"), "--data", str(folder / "no-data")]
    done = subprocess.run(
        [sys.executable, "-m", "amhe_kg", "validate", *args, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-300:])
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ")


# JSON-LD contexts are never fetched


class CountingServer(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that serves a JSON-LD context and counts every connection."""

    def __init__(self) -> None:
        self.connections = 0
        context = b'{"@context": {"name": "http://example.org/fetched#name"}}'

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(context)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def verify_request(self, request, client_address) -> bool:
        self.connections += 1
        return True


@pytest.fixture
def server():
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def watched_file(tmp_path):
    """A named pipe standing for a local context file; `.opened` tells whether it was opened.

    Opening a pipe for reading waits for a writer, so the watcher sees any reader.
    """
    pipe = tmp_path / "context.jsonld"
    os.mkfifo(pipe)
    state = {"opened": False, "stop": False}

    def watch():
        while not state["stop"]:
            try:
                fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.002)
                continue
            state["opened"] = True
            os.write(fd, b'{"@context": {"name": "http://example.org/read#name"}}')
            os.close(fd)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield pipe, state
    finally:
        state["stop"] = True
        thread.join(5)


def remote_contexts(port: int, pipe: Path) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}/context.jsonld"
    return {
        "http": f'"{url}"',
        "https": f'"https://127.0.0.1:{port}/context.jsonld"',
        "in-a-list": f'["{url}", {{"other": "http://example.org/other"}}]',
        "import": f'{{"@version": 1.1, "@import": "{url}"}}',
        "scoped": f'{{"thing": {{"@id": "http://example.org/thing", "@context": "{url}"}}}}',
        "file": f'"{pipe.as_uri()}"',
        "relative": '"context.jsonld"',
        "etc-passwd": '"file:///etc/passwd"',
    }


CONTEXT_CASES = sorted(remote_contexts(0, Path("/x")))


@pytest.mark.parametrize("command", ["validate", "query"])
@pytest.mark.parametrize("case", CONTEXT_CASES)
def test_a_json_ld_context_by_iri_is_refused_unfetched(
    case, command, server, watched_file, folder, monkeypatch
):
    pipe, state = watched_file
    context = remote_contexts(server.server_address[1], pipe)[case]
    document = (
        f'{{"@context": {context}, "@id": "http://example.org/s", "name": "x", '
        '"thing": {"name": "y"}}'
    )
    path = pipe.parent / "document.jsonld"
    path.write_text(document, encoding="utf-8")
    calls = []

    def no_connection(sock, address):
        calls.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr("socket.socket.connect", no_connection)
    if command == "validate":
        result = validate(path, folder)
    else:
        with time_bound(60):
            result = CliRunner().invoke(main, ["query", "key-figures", "--graph", str(path)])
    assert_one_line_error(result, path, "context")
    assert calls == []
    assert server.connections == 0
    assert not state["opened"]
