"""A build stopped by a signal leaves the previous outputs as they were.

`write` fills a temporary folder beside the output folder and swaps it in only
at the end. These tests stop a build with SIGKILL, SIGTERM and SIGINT: first
at exact points of the write (the signal sent from inside it), then a real
build in a subprocess at several moments of its run. The output folder must
afterwards hold exactly the old files or exactly the new ones; after SIGTERM
and SIGINT nothing else may be left beside it, and after SIGKILL the next
build removes what the killed one left.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from amhe_kg.build import Build, _exchange, write
from tests.conftest import DATA, ONTOLOGY, ROOT

SHAPES = ROOT / "shapes" / "amhe-shapes.ttl"
STAGING = ".out-build-"


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def beside(out: Path) -> list[str]:
    """Everything in the output folder's parent except the output folder itself."""
    return sorted(p.name for p in out.parent.iterdir() if p != out)


# -- a signal at an exact point of the write ----------------------------------

WRITER = """
import os, signal, sys
from pathlib import Path
from amhe_kg.build import Build, write

out, signum, after = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
files = {f"file-{n:02}.txt": f"new {n}\\n".encode() for n in range(20)}
written = []
original = Path.write_bytes

def write_bytes(self, data):
    written.append(self)
    if len(written) == after:
        os.kill(os.getpid(), signum)
    return original(self, data)

Path.write_bytes = write_bytes
write(Build(None, None, [], files), out)
"""


@pytest.fixture
def old_out(tmp_path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for n in range(3):
        (out / f"old-{n}.txt").write_text(f"old {n}\n")
    return out


def interrupt_write(out: Path, signum: int, after: int) -> subprocess.CompletedProcess:
    """Run `write` in a subprocess that sends itself `signum` on writing file number `after`."""
    args = [sys.executable, "-c", WRITER, str(out), str(int(signum)), str(after)]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("after", [1, 10, 20])
@pytest.mark.parametrize(
    ("signum", "returncode"),
    [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, None)],
    ids=["SIGTERM", "SIGINT"],
)
def test_sigterm_or_sigint_while_writing_removes_the_temporary_folder(
    old_out, signum, returncode, after
):
    before = hashes(old_out)
    result = interrupt_write(old_out, signum, after)
    assert result.returncode != 0
    if returncode is not None:
        assert result.returncode == returncode, result.stderr
        assert "Traceback" not in result.stderr
    else:
        assert "KeyboardInterrupt" in result.stderr
    assert hashes(old_out) == before
    assert beside(old_out) == []


def test_sigkill_while_writing_leaves_a_folder_the_next_build_removes(old_out):
    before = hashes(old_out)
    result = interrupt_write(old_out, signal.SIGKILL, 5)
    assert result.returncode == -signal.SIGKILL
    assert hashes(old_out) == before
    [leftover] = beside(old_out)
    assert leftover.startswith(STAGING)
    assert len(list((old_out.parent / leftover).iterdir())) == 4

    write(Build(None, None, [], {"new.txt": b"new\n"}), old_out)
    assert hashes(old_out) == {"new.txt": hashlib.sha256(b"new\n").hexdigest()}
    assert beside(old_out) == []


def test_the_write_replaces_the_folder_and_leaves_nothing_beside_it(old_out):
    write(Build(None, None, [], {"a.txt": b"a\n", "b.txt": b"b\n"}), old_out)
    assert sorted(p.name for p in old_out.iterdir()) == ["a.txt", "b.txt"]
    assert beside(old_out) == []


@pytest.mark.skipif(sys.platform != "linux", reason="renameat2 is a Linux call")
def test_two_folders_swap_in_one_step(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from-a").write_text("a")
    (tmp_path / "b").mkdir()
    assert _exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]
    assert list((tmp_path / "a").iterdir()) == []


def test_a_write_outside_the_main_thread_leaves_signal_handling_alone(old_out):
    handler = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=write, args=(Build(None, None, [], {"a": b"a"}), old_out))
    thread.start()
    thread.join()
    assert [p.name for p in old_out.iterdir()] == ["a"]
    assert signal.getsignal(signal.SIGTERM) == handler


# -- a real build stopped at several moments -----------------------------------


def run_build(data: Path, out: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "amhe_kg", "build", "--data", str(data)]
    args += ["--ontology", str(ONTOLOGY), "--shapes", str(SHAPES), "--out", str(out), "--quiet"]
    return subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The outputs of the real data (old) and of a changed copy (new), and a build's duration."""
    root = tmp_path_factory.mktemp("versions")
    data = root / "data"
    shutil.copytree(DATA, data)
    places = data / "places.yaml"
    places.write_text(places.read_text().replace("label: Leeds\n", "label: Leeds city\n", 1))
    durations = []
    for source, out in ((DATA, root / "old"), (data, root / "new")):
        started = time.monotonic()
        assert run_build(source, out).wait(timeout=600) == 0
        durations.append(time.monotonic() - started)
    old, new = hashes(root / "old"), hashes(root / "new")
    assert old != new and old.keys() == new.keys()
    return root, data, old, new, min(durations)


MOMENTS = (0.1, 0.3, 0.5, 0.75)  # fractions of a build's duration


def stop(process: subprocess.Popen, signum: int, out: Path, moment) -> str:
    """Send `signum` after `moment` seconds, or once the build's temporary folder exists."""
    if moment == "staging":
        while process.poll() is None and not any(n.startswith(STAGING) for n in beside(out)):
            time.sleep(0.001)
    else:
        time.sleep(moment)
    process.send_signal(signum)
    return process.communicate(timeout=600)[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name
)
def test_a_build_stopped_at_any_moment_keeps_the_previous_outputs(signum, versions, tmp_path):
    root, data, old, new, duration = versions
    out = tmp_path / "out"
    outcomes = []
    # Four moments of the run, then the moment the write begins (tried up to three
    # times, since the signal may arrive after a short write has finished).
    for moment in [*(m * duration for m in MOMENTS), "staging", "staging", "staging"]:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(root / "old", out)
        process = run_build(data, out)
        stderr = stop(process, signum, out, moment)
        after = hashes(out)
        assert after in (old, new), (moment, process.returncode)
        if signum == signal.SIGTERM:
            assert "Traceback" not in stderr
        if signum != signal.SIGKILL:
            assert beside(out) == [], (moment, process.returncode)
        outcomes.append((moment, process.returncode, after == old))
        if moment == "staging" and process.returncode != 0 and after == old:
            break
    stopped = [outcome for outcome in outcomes if outcome[1] != 0]
    assert len(stopped) >= 2, outcomes
    last_moment, last_returncode, last_kept_old = outcomes[-1]
    assert last_moment == "staging" and last_returncode != 0 and last_kept_old, outcomes

    if signum == signal.SIGKILL:
        assert any(name.startswith(STAGING) for name in beside(out)), outcomes
        assert run_build(data, out).wait(timeout=600) == 0
        assert hashes(out) == new
        assert beside(out) == []
