"""The reader contract: every reader runs in a child with a memory and a time bound (issue 18, item 1).

The bombs here are small (tens of KB on disk) and every test that reads one runs in a
subprocess whose own address space is capped, so a broken bound can never take the
machine down: the worst case is that subprocess failing.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from sciplan.papers import ArchiveLimits, IngestConfig, PaperError, read_bytes
from sciplan.papers.bounded import run_bounded
from sciplan.papers.pdf import import_pymupdf

SRC = Path(__file__).resolve().parents[2] / "src"
_CAP = 3 * 1024**3  # the test subprocess's own ceiling, far below the machine's memory


def pdf_bomb(repeats: int) -> bytes:
    """A one-page PDF whose compressed content stream repeats a text operator `repeats` times."""
    pymupdf = import_pymupdf()
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "seed", fontname="helv")
    xref = page.get_contents()[0]
    font = re.search(rb"/(\w+) \d+ Tf", doc.xref_stream(xref)).group(1)  # type: ignore[union-attr]
    op = b"BT /" + font + b" 9 Tf 72 700 Td (lorem ipsum dolor sit amet) Tj ET\n"
    doc.update_stream(xref, op * repeats, compress=True)
    return doc.tobytes(deflate=True)


def _capped_python(code: str, timeout: float = 240) -> dict:
    """Run `code` in a fresh Python under a hard address-space cap; it prints one JSON line."""

    def cap() -> None:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = _CAP if hard == resource.RLIM_INFINITY else min(hard, _CAP)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))

    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


BOMB_READ = """
    import json, sys
    from sciplan.papers import ArchiveLimits, read_bytes
    from sciplan.papers.samples import gzipped
    sys.path.insert(0, {tests!r})
    from test_bounded import pdf_bomb
    bomb = pdf_bomb(400_000)  # ~70 KB on disk, hundreds of MB once its text is laid out
    limits = ArchiveLimits(max_memory_bytes=256 * 2**20, max_seconds={seconds})
    out = {{"size": len(bomb)}}
    for name, data in (("bomb.pdf", bomb), ("2501.00001.gz", gzipped(bomb))):
        try:
            read_bytes(data, name, limits=limits)
            out[name] = "read"
        except Exception as exc:
            out[name] = type(exc).__name__ + ": " + str(exc)
    print(json.dumps(out))
"""


def test_a_pdf_bomb_is_refused_by_the_memory_bound_in_pdf_and_eprint_form():
    got = _capped_python(BOMB_READ.format(tests=str(Path(__file__).parent), seconds=120))
    assert got["size"] < 200_000
    for name in ("bomb.pdf", "2501.00001.gz"):  # an e-print holding a PDF takes the same path
        assert got[name].startswith("PaperError: " + name), got
        assert "max_memory_bytes" in got[name]


def test_a_reader_past_its_time_is_stopped():
    got = _capped_python(BOMB_READ.format(tests=str(Path(__file__).parent), seconds=0.5).replace(
        "256 * 2**20", "2048 * 2**20"))
    assert "max_seconds" in got["bomb.pdf"], got


def test_the_character_cap_bounds_a_pdf_below_the_memory_cap(two_column_pdf):
    with pytest.raises(PaperError, match=r"max_chars"):
        read_bytes(two_column_pdf, "paper.pdf", limits=ArchiveLimits(max_chars=2000))
    paper = read_bytes(two_column_pdf, "paper.pdf", limits=ArchiveLimits(max_pages=1))
    assert paper.meta["pages"] == 1


def test_ingest_records_a_bomb_as_a_failure_and_goes_on(tmp_path):
    """The run that once died at 18 GB: the bomb is one failure line; the paper after it is written."""
    code = f"""
        import json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from test_bounded import pdf_bomb
        from sciplan.papers import ingest, IngestConfig, ArchiveLimits
        root = Path({str(tmp_path)!r}) / "in"
        root.mkdir()
        (root / "a-bomb.pdf").write_bytes(pdf_bomb(400_000))
        (root / "b-notes.md").write_text("# Notes\\n\\n## Methods\\n" + "We measured lysis times. " * 20)
        cfg = IngestConfig(limits=ArchiveLimits(max_memory_bytes=256 * 2**20))
        s = ingest([root], Path({str(tmp_path)!r}) / "papers.jsonl", config=cfg)
        print(json.dumps({{"written": s.written, "failed": s.failed}}))
    """
    got = _capped_python(code)
    assert got == {"written": 1, "failed": 1}
    failure = json.loads((tmp_path / "failures.jsonl").read_text())
    assert failure["input"].endswith("a-bomb.pdf") and "max_memory_bytes" in failure["error"]


def test_errors_and_results_cross_the_process_boundary():
    assert run_bounded(lambda: {"x": [1, 2]}, "x") == {"x": [1, 2]}
    with pytest.raises(PaperError, match="^in: bad$"):
        run_bounded(lambda: (_ for _ in ()).throw(PaperError("in: bad")), "in")
    with pytest.raises(ZeroDivisionError):
        run_bounded(lambda: 1 / 0, "x")
    # A reader that kills its own process (a crash in C code) is a failure of that input only.
    with pytest.raises(PaperError, match="^crash: "):
        run_bounded(lambda: os.kill(os.getpid(), 9), "crash")


def test_plain_readers_work_under_the_contract(pmc_files):
    paper = read_bytes(pmc_files["plos"].read_bytes(), str(pmc_files["plos"]))
    assert paper.title and paper.sections


@pytest.mark.parametrize("field", ["max_files", "max_total_bytes", "max_file_bytes", "max_memory_bytes",
                                   "max_seconds", "max_pages", "max_chars"])
def test_limits_must_be_positive(field):
    for bad in (-1, 0):
        with pytest.raises(ValidationError, match=field):
            ArchiveLimits(**{field: bad})
    with pytest.raises(ValidationError, match="min_chars"):
        IngestConfig(min_chars=-5)



def test_the_pdf_reader_does_not_load_pymupdfs_onnx_layout_model():
    """PyMuPDF 2 imports its layout package (onnxruntime, ~260 MB of address space) unless told not to."""
    code = """
        import json, sys
        from sciplan.papers.pdf import import_pymupdf
        import_pymupdf()
        print(json.dumps({"onnx": "onnxruntime" in sys.modules, "layout": sys.modules.get("pymupdf.layout")}))
    """
    assert _capped_python(code) == {"onnx": False, "layout": None}
