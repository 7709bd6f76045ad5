"""Format detection and dispatch for local files and folders."""

from __future__ import annotations

import gzip

import pytest

from helpers.samples import paper_eprint
from sciplan.papers import PaperError, detect_format, read_bytes, read_path


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("a.nxml", b"<?xml version='1.0'?><article/>", "jats"),
        ("noext", b"<!DOCTYPE article PUBLIC ...><article/>", "jats"),
        ("paper.bin", b"%PDF-1.7\n", "pdf"),
        ("paper.txt", b"%PDF-1.7\n", "pdf"),
        ("2401.01234", gzip.compress(b"\\documentclass{article}"), "eprint"),
        ("main", b"\\documentclass{article}\\begin{document}", "latex"),
        ("x.md", b"# T", "markdown"),
        ("x.txt", b"T", "text"),
    ],
)
def test_detect_format_sniffs_content_first(name, data, fmt):
    assert detect_format(name, data) == fmt


def test_unknown_format_names_the_file():
    with pytest.raises(PaperError, match="data.bin: unknown format"):
        detect_format("data.bin", b"\x01\x02 plain bytes")


def test_real_jats_file_keeps_its_pmc_id(pmc_files):
    p = read_path(pmc_files["plos"])
    assert p.id == "pmc:PMC3460867"
    assert len(p.ids["sha256"]) == 64


def test_local_file_id_is_the_hash_of_the_file(real_papers, tmp_path):
    eprint = paper_eprint(real_papers["ehp"])
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tgz"
    a.write_bytes(eprint)
    b.write_bytes(eprint)
    pa, pb = read_path(a), read_path(b)
    assert pa.id == pb.id and pa.id.startswith("file:")
    assert pa.ids["sha256"] == read_bytes(eprint, "c.tar.gz").ids["sha256"]


def test_missing_path_and_plain_folder_are_clear_errors(tmp_path):
    with pytest.raises(PaperError, match="nope.pdf: no such file"):
        read_path(tmp_path / "nope.pdf")
    (tmp_path / "notes").mkdir()
    with pytest.raises(PaperError, match="folder without a main .tex file"):
        read_path(tmp_path / "notes")
