"""The ingest stage on a folder of real and hostile inputs: failures recorded, the run goes on, re-runs skip."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import zlib
from datetime import date
from pathlib import Path

import pytest

from helpers.samples import encrypted_pdf, image_only_pdf, paper_eprint, paper_latex_files
from sciplan.config import load_config
from sciplan.jsonl import read_jsonl, read_records
from sciplan.papers import IngestConfig, PaperFilter, ingest
from sciplan.records import Paper


def _tar_gz(members: list[tuple[str, bytes] | tarfile.TarInfo]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, real_papers, pmc_files, two_column_pdf) -> tuple[Path, dict[str, str]]:
    """Good papers of every kind beside hostile inputs; returns the folder and {hostile file: expected error}."""
    root = tmp_path_factory.mktemp("inputs")
    for path in pmc_files.values():
        shutil.copy(path, root / path.name)
    project = root / "latex-project"
    for name, data in paper_latex_files(real_papers["bmc"]).items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_bytes(data)
    (root / "plos-two-column.pdf").write_bytes(two_column_pdf)
    (root / "2508.00001.tar.gz").write_bytes(paper_eprint(real_papers["ehp"]))
    single = paper_latex_files(real_papers["plos"], split=False)["main.tex"]
    (root / "single.tex.gz").write_bytes(gzip.compress(single, mtime=0))
    (root / "notes.md").write_text("# Field Notes\n\n## Methods\n" + "We measured lysis times carefully. " * 12)
    latin = ("\\documentclass{article}\\usepackage[latin1]{inputenc}\\title{\xc9tude}\\begin{document}"
             "\\section{M\xe9thodes}" + "Les donn\xe9es ont \xe9t\xe9 analys\xe9es. " * 12 + "\\end{document}")
    (root / "latin1.tex").write_bytes(latin.encode("latin-1"))
    (root / ".hidden.pdf").write_bytes(b"ignored")
    (root / "figure.png").write_bytes(b"\x89PNG ignored")

    hostile = root / "hostile"
    hostile.mkdir()
    tex = b"\\documentclass{article}\\begin{document}\\section{S}text\\end{document}"
    (hostile / "traversal.tar.gz").write_bytes(
        _tar_gz([("main.tex", tex), ("../../outside.tex", b"x"), ("/etc/cron.d/evil", b"x"), _symlink("l", "/etc")]))
    (hostile / "symlink.tar.gz").write_bytes(_tar_gz([("main.tex", tex), _symlink("link.tex", "/etc/passwd")]))
    huge = tarfile.TarInfo("big.bin")
    huge.size = 1 << 40
    (hostile / "huge-member.tar.gz").write_bytes(gzip.compress(huge.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 1024))
    (hostile / "many-files.tar.gz").write_bytes(_tar_gz([(f"f{i}.txt", b"") for i in range(20_000)]))
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(comp.compress(b"\0" * (1 << 20)) for _ in range(100)) + comp.flush()
    (hostile / "bomb.tex.gz").write_bytes(bomb)
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    (hostile / "laughs.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY l0 "lol">{levels}]><article>&l9;</article>')
    (hostile / "encrypted.pdf").write_bytes(encrypted_pdf(two_column_pdf))
    (hostile / "scanned.pdf").write_bytes(image_only_pdf(two_column_pdf))
    (hostile / "truncated.pdf").write_bytes(two_column_pdf[: len(two_column_pdf) // 3])
    (hostile / "binary.tex").write_bytes(b"\\documentclass\x00\x00\xff\xfe")
    expected = {
        "traversal.tar.gz": "climbs out with '..'",
        "symlink.tar.gz": "is a link (to '/etc/passwd')",
        "huge-member.tar.gz": "over the 67,108,864-byte limit",
        "many-files.tar.gz": "more than 5,000 members",
        "bomb.tex.gz": "gzip data expands past",
        "laughs.xml": "the XML declares entities",
        "encrypted.pdf": "encrypted PDF",
        "scanned.pdf": "no text layer",
        "truncated.pdf": "truncated or damaged PDF",
        "binary.tex": "binary data",
    }
    return root, expected


def test_mixed_folder_good_papers_written_hostile_ones_recorded(mixed_folder, real_papers, tmp_path):
    root, expected = mixed_folder
    out = tmp_path / "run" / "papers.jsonl"
    summary = ingest([root], out)
    papers = read_records(out, Paper)
    failures = list(read_jsonl(out.with_name("failures.jsonl")))

    assert summary.written == 9 and summary.failed == len(expected) and summary.skipped == 0
    assert len(papers) == 9 and len({p.id for p in papers}) == 9
    formats = sorted(p.source_format for p in papers)
    assert formats == ["jats", "jats", "jats", "latex", "latex", "latex", "latex", "markdown", "pdf"]
    assert {p.id for p in papers} >= {"pmc:PMC3460867", "pmc:PMC3166277", "pmc:PMC2599765"}
    # The same articles came back through LaTeX, the e-print and the PDF with their titles.
    titles = [p.title for p in papers]
    # PLOS: JATS, two-column PDF, gzipped .tex; BMC: JATS, LaTeX folder; EHP: JATS, tar.gz e-print.
    assert [titles.count(real_papers[k].title) for k in ("plos", "bmc", "ehp")] == [3, 2, 2]
    etude = next(p for p in papers if p.title == "Étude")
    assert etude.sections[0].heading == "Méthodes"
    # Every hostile input is one failure line naming its file, with a clear reason.
    by_name = {Path(f["input"]).name: f for f in failures}
    assert set(by_name) == set(expected)
    for name, message in expected.items():
        assert by_name[name]["stage"] == "ingest"
        assert name in by_name[name]["error"] and message in by_name[name]["error"], by_name[name]
    assert not (root.parent / "outside.tex").exists()


def test_rerun_skips_everything_already_written(mixed_folder, tmp_path):
    root, expected = mixed_folder
    out = tmp_path / "papers.jsonl"
    first = ingest([root], out)
    second = ingest([root], out)
    assert second.written == 0 and second.skipped == first.written
    assert second.failed == len(expected)  # failed inputs are tried again
    assert len(read_records(out, Paper)) == first.written


def test_same_paper_twice_is_written_once(pmc_files, tmp_path):
    copy = tmp_path / "copy-of-plos.xml"
    copy.write_bytes(pmc_files["plos"].read_bytes() + b"\n")  # other bytes, same article id
    summary = ingest([pmc_files["plos"], copy, pmc_files["plos"]], tmp_path / "p.jsonl")
    assert (summary.written, summary.skipped) == (1, 2)


def test_a_reader_crash_is_a_failure_not_a_crash(pmc_files, tmp_path, monkeypatch):
    import sciplan.papers.readers as readers

    def broken(data, source, **kw):
        raise ZeroDivisionError("reader bug")

    monkeypatch.setattr(readers, "read_jats", broken)
    out = tmp_path / "p.jsonl"
    summary = ingest([pmc_files["plos"], pmc_files["bmc"]], out)
    assert summary.failed == 2 and summary.written == 0
    failure = next(read_jsonl(out.with_name("failures.jsonl")))
    assert "unexpected ZeroDivisionError: reader bug" in failure["error"]


def test_too_little_text_is_a_failure(tmp_path):
    (tmp_path / "stub.md").write_text("# Title\n\n## Intro\nToo short.\n")
    out = tmp_path / "p.jsonl"
    summary = ingest([tmp_path / "stub.md"], out)
    assert summary.failed == 1
    assert "too little text" in next(read_jsonl(out.with_name("failures.jsonl")))["error"]


def test_filters_apply_to_local_files(pmc_files, tmp_path):
    config = IngestConfig(filters=PaperFilter(from_date=date(2010, 1, 1), licenses=["CC-BY"]))
    summary = ingest(list(pmc_files.values()), tmp_path / "p.jsonl", config=config)
    # PLOS (2012, CC-BY) and BMC (2011, CC-BY-2.0) pass; EHP is public domain and from 2008.
    assert (summary.written, summary.filtered) == (2, 1)
    assert "dated 2008-08-01, before 2010-01-01" in summary.filtered_reasons[0]


def test_unknown_inputs_fail_and_the_rest_goes_on(pmc_files, tmp_path):
    out = tmp_path / "p.jsonl"
    summary = ingest(["/no/such/file.pdf", "zenodo:42", pmc_files["bmc"]], out, failures=tmp_path / "f.jsonl")
    assert (summary.written, summary.failed) == (1, 2)
    errors = [f["error"] for f in read_jsonl(tmp_path / "f.jsonl")]
    assert errors[0].startswith("/no/such/file.pdf: no such file or folder")
    assert errors[1].startswith("zenodo:42: unknown source")


def test_a_torn_last_line_does_not_stop_a_rerun(pmc_files, tmp_path):
    out = tmp_path / "p.jsonl"
    ingest([pmc_files["plos"]], out)
    with open(out, "ab") as fh:
        fh.write(b'{"id": "pmc:PMC1", "title": "half a li')
    summary = ingest([pmc_files["plos"], pmc_files["bmc"]], out)
    assert (summary.written, summary.skipped) == (1, 1)
    assert [p.id for p in read_records(out, Paper)] == ["pmc:PMC3460867", "pmc:PMC3166277"]


def test_ingest_config_loads_from_yaml(tmp_path):
    path = tmp_path / "ingest.yaml"
    path.write_text(
        "filters:\n  from_date: 2025-08-01\n  to_date: 2025-09-30\n  domains: [cs, stat]\n"
        "limits:\n  max_files: 100\nsources:\n  arxiv:\n    interval_s: 5\n  http:\n    contact: me@example.org\n"
    )
    config = load_config(path, IngestConfig)
    assert config.filters.domains == ["cs", "statistics"] and config.limits.max_files == 100
    assert config.sources.arxiv.interval_s == 5 and "mailto:me@example.org" in config.sources.http.agent()
