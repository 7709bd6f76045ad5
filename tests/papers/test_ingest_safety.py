"""Ingest under hostile and careless inputs (issue 18, items 2, 4, 5, 8, 10): links, FIFOs, deep
folders, fake archives, two runs into one file, a full disk, odd file names, every input failing."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.lock_holder import holding_lock
from sciplan.jsonl import JsonlBusyError, read_jsonl
from sciplan.papers import ingest

SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]
NOTES = "# Field Notes\n\n## Methods\n" + "We measured lysis times carefully. " * 12


def _cap() -> None:
    # Every command here meets hostile input: a bug must fail the test, not exhaust the machine.
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = 4 * 1024**3 if hard == resource.RLIM_INFINITY else min(hard, 4 * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=180, env=env, preexec_fn=_cap)


def _remove_deep(root: Path) -> None:
    """Remove a deep chain of folders without recursion."""
    chain = [str(root)]
    while os.path.isdir(chain[-1] + "/d"):
        chain.append(chain[-1] + "/d")
    for folder in reversed(chain):
        for name in os.listdir(folder):
            if name != "d":
                os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


def _failures(path: Path) -> dict[str, str]:
    return {f["input"]: f["error"] for f in read_jsonl(path)}


def test_links_out_of_a_papers_folder_are_refused_and_links_inside_it_are_read(tmp_path):
    root = tmp_path / "papers"
    root.mkdir()
    (root / "notes.md").write_text(NOTES)
    secret = tmp_path / "secret.md"
    secret.write_text("# Private\n\n## Keys\n" + "a private text that must never reach an LLM API. " * 10)
    (root / "passwd.txt").symlink_to("/etc/passwd")
    (root / "leak.md").symlink_to(secret)
    (root / "sub").mkdir()
    (root / "sub" / "same.md").symlink_to(root / "notes.md")  # inside the folder: fine (and a duplicate)
    summary = ingest([root], tmp_path / "out" / "papers.jsonl")
    assert summary.written == 1 and summary.skipped == 1 and summary.failed == 2
    fails = _failures(summary.failures)
    assert set(fails) == {str(root / "passwd.txt"), str(root / "leak.md")}
    assert all("symbolic link leads outside" in e for e in fails.values())
    texts = " ".join(json.dumps(p) for p in read_jsonl(summary.out))
    assert "root:" not in texts and "private text" not in texts


def test_a_fifo_a_device_and_a_deep_folder_are_failures_and_the_run_goes_on(tmp_path):
    first, last = tmp_path / "first.md", tmp_path / "last.md"
    first.write_text(NOTES)
    last.write_text(NOTES.replace("Field", "Other").replace("lysis", "growth"))
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    deep = tmp_path / "deep"
    node = str(deep)
    os.mkdir(node)
    for _ in range(1000):  # deeper than Python's recursion limit (made without recursion too)
        node += "/d"
        os.mkdir(node)
    Path(node, "bottom.md").write_text(NOTES.replace("lysis", "bottom"))
    try:
        summary = ingest([first, fifo, "/dev/null", deep, last], tmp_path / "papers.jsonl")
    finally:
        _remove_deep(deep)  # pytest's own clean-up recurses and would fail on it
    assert summary.written == 3 and summary.failed == 2
    fails = _failures(summary.failures)
    assert "not a regular file" in fails[str(fifo)] and "not a regular file" in fails["/dev/null"]


def test_a_text_file_named_like_an_archive_is_not_a_latex_paper(tmp_path):
    fake = tmp_path / "2501.00001.tar.gz"
    fake.write_text("just some notes\n" * 30)
    summary = ingest([fake], tmp_path / "papers.jsonl")
    assert summary.written == 0 and summary.failed == 1
    assert "neither gzip, tar nor LaTeX" in _failures(summary.failures)[str(fake)]


def test_a_second_ingest_into_the_same_file_is_refused_before_it_reads_or_writes(tmp_path):
    note = tmp_path / "notes.md"
    note.write_text(NOTES)
    out = tmp_path / "papers.jsonl"
    with holding_lock(out):  # another run holds the file
        with pytest.raises(JsonlBusyError, match=str(out)):
            ingest([note], out)
        cli = run("ingest", str(note), "--out", str(out))
        assert cli.returncode == 1 and "Traceback" not in cli.stderr
        assert f"{out}: another process is writing to this file" in " ".join(cli.stderr.split())
    assert out.read_text() == ""


def test_two_ingests_at_once_into_one_file_lose_nothing_and_repeat_nothing(corpus, tmp_path):
    out = tmp_path / "papers.jsonl"
    procs = [subprocess.Popen([*SCIPLAN, "ingest", str(corpus), "--out", str(out)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, preexec_fn=_cap) for _ in range(2)]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for p in procs:
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    # Either they ran one after the other (the second skipped all) or the second was refused.
    assert all(rc == 0 or "another process is writing" in err for rc, err in results), results
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["pmc:PMC2599765", "pmc:PMC3166277", "pmc:PMC3460867"]


def test_a_full_disk_ends_the_run_with_one_clear_line(tmp_path):
    note = tmp_path / "notes.md"
    note.write_text(NOTES)
    cli = run("ingest", str(note), "--out", "/dev/full", "--failures", "/dev/full")
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert "/dev/full: cannot append a record (the disk is full)" in " ".join(cli.stderr.split())


def test_every_input_failing_exits_non_zero_and_control_characters_are_not_printed(tmp_path):
    evil = tmp_path / "bad\x1b[2J\x1b]0;pwned\x07.pdf"
    evil.write_bytes(b"%PDF-1.4 not really")
    out = tmp_path / "papers.jsonl"
    cli = run("ingest", str(evil), "--out", str(out))
    assert cli.returncode == 1, cli.stdout
    assert "every input failed" in cli.stderr
    assert "\x1b" not in cli.stdout + cli.stderr and "\x07" not in cli.stdout + cli.stderr
    assert "\\x1b[2J" in cli.stdout + cli.stderr
    ok = tmp_path / "notes.md"
    ok.write_text(NOTES)
    assert run("ingest", str(evil), str(ok), "--out", str(out)).returncode == 0  # one good input: success


@pytest.mark.parametrize("kind", ["folder", "binary", "latin-1", "negative limit"])
def test_a_bad_config_file_is_one_clear_line(tmp_path, kind):
    cfg = tmp_path / "ingest.yaml"
    if kind == "folder":
        cfg.mkdir()
    elif kind == "binary":
        cfg.write_bytes(bytes(range(256)) * 4)
    elif kind == "latin-1":
        cfg.write_bytes("min_chars: 10 # r\xe9sum\xe9\n".encode("latin-1"))
    else:
        cfg.write_text("limits:\n  max_seconds: -1\n")
    note = tmp_path / "notes.md"
    note.write_text(NOTES)
    cli = run("ingest", str(note), "--out", str(tmp_path / "p.jsonl"), "--config", str(cfg))
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert str(cfg) in " ".join(cli.stderr.split())
    if kind == "negative limit":
        assert "limits.max_seconds" in cli.stderr


def test_the_papers_folder_is_left_as_it_was(tmp_path):
    root = tmp_path / "papers"
    root.mkdir()
    (root / "notes.md").write_text(NOTES)
    (root / "link.md").symlink_to("/etc/hostname")
    before = sorted(p.name for p in root.iterdir())
    ingest([root], tmp_path / "papers.jsonl")
    assert sorted(p.name for p in root.iterdir()) == before
    shutil.rmtree(root)
