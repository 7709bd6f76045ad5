"""Safe archive reading: traversal, links, devices, file-count and size limits, gzip bombs."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
import zlib

import pytest

from sciplan.papers import ArchiveLimits, PaperError, UnsafeArchiveError, gunzip, read_path, read_tar, read_tree
from sciplan.papers.archive import unpack_eprint

TEX = b"\\documentclass{article}\\title{T}\\begin{document}\\section{S}Text of a section.\\end{document}"


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.GNU_FORMAT) as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def test_good_eprint_reads_wanted_members_only():
    data = _tar([("main.tex", TEX), ("fig.png", b"\x89PNG" + b"0" * 100), ("sub/a.tex", b"x")])
    files = read_tar(data, "ok.tar.gz", want=lambda n: n.endswith(".tex"))
    assert files == {"main.tex": TEX, "sub/a.tex": b"x"}


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (("../../etc/evil.tex", b"x"), r"member '../../etc/evil.tex' climbs out with '\.\.'"),
        (("/etc/passwd", b"x"), r"member '/etc/passwd' has an absolute path"),
        (("a/../../b.tex", b"x"), "member 'a/../../b.tex' climbs out"),
        (_link("main.tex", "/etc/passwd"), r"member 'main.tex' is a link \(to '/etc/passwd'\)"),
        (_link("hard.tex", "main.tex", tarfile.LNKTYPE), r"member 'hard.tex' is a link \(to 'main.tex'\)"),
    ],
)
def test_hostile_members_refuse_the_whole_archive(member, message):
    data = _tar([("main.tex", TEX), member])
    with pytest.raises(UnsafeArchiveError, match=r"hostile\.tar\.gz: " + message):
        read_tar(data, "hostile.tar.gz")


def test_devices_and_fifos_are_refused():
    for kind in (tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE):
        info = tarfile.TarInfo("dev")
        info.type = kind
        with pytest.raises(UnsafeArchiveError, match="device, fifo or special file"):
            read_tar(_tar([("main.tex", TEX), info]), "dev.tar.gz")


def test_traversal_tarball_through_the_reader_names_the_file(tmp_path):
    path = tmp_path / "evil.tar.gz"
    path.write_bytes(_tar([("main.tex", TEX), ("../escape.tex", b"x"), _link("l", "/etc/passwd")]))
    with pytest.raises(UnsafeArchiveError, match=str(path)):
        read_path(path)
    assert not (tmp_path.parent / "escape.tex").exists()


def test_twenty_thousand_files_hit_the_count_limit_fast():
    members = [("main.tex", TEX)] + [(f"f/{i}.txt", b"") for i in range(20_000)]
    data = _tar(members)
    started = time.monotonic()
    with pytest.raises(UnsafeArchiveError, match="many.tar.gz: more than 5,000 members"):
        read_tar(data, "many.tar.gz")
    assert time.monotonic() - started < 5


def test_huge_member_is_refused_from_its_header():
    # A header that claims 1 TiB: refused before any data is read.
    info = tarfile.TarInfo("huge.bin")
    info.size = 1 << 40
    raw = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    data = gzip.compress(bytes(raw) + b"\0" * 1024, mtime=0)
    with pytest.raises(UnsafeArchiveError, match=r"huge\.tar\.gz: member 'huge.bin' is 1,099,511,627,776 bytes"):
        read_tar(data, "huge.tar.gz")


def test_total_size_limit():
    data = _tar([(f"{i}.tex", b"x" * 4000) for i in range(5)])
    with pytest.raises(UnsafeArchiveError, match="expands past the 10,000-byte limit"):
        read_tar(data, "big.tar.gz", ArchiveLimits(max_total_bytes=10_000))


def _zeros_gz(n: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    out = [comp.compress(chunk) for _ in range(n >> 20)]
    return b"".join(out) + comp.flush()


def test_gzip_bomb_single_file_stops_at_the_limit(tmp_path):
    bomb = _zeros_gz(128 << 20)  # 128 MiB of zeros in about 130 kB
    assert len(bomb) < 200_000
    path = tmp_path / "paper.tex.gz"
    path.write_bytes(bomb)
    started = time.monotonic()
    with pytest.raises(UnsafeArchiveError, match=r"paper\.tex\.gz: gzip data expands past the 67,108,864-byte limit"):
        read_path(path)
    assert time.monotonic() - started < 10


def test_gunzip_limits_and_corruption():
    assert gunzip(gzip.compress(b"abc"), "a.gz") == b"abc"
    with pytest.raises(UnsafeArchiveError, match="small.gz"):
        gunzip(gzip.compress(b"a" * 2000), "small.gz", max_bytes=1000)
    with pytest.raises(PaperError, match="cut.gz: corrupt or truncated gzip"):
        gunzip(gzip.compress(b"a" * 5000)[:20], "cut.gz")


def test_truncated_tarball_is_a_clear_error():
    data = _tar([("main.tex", TEX), ("b.tex", os.urandom(50_000))])
    with pytest.raises(PaperError, match="cut.tar.gz: corrupt or truncated"):
        read_tar(data[: len(data) // 2], "cut.tar.gz")


def test_unpack_eprint_kinds():
    assert unpack_eprint(gzip.compress(TEX), "e")[0] == "tex"
    assert unpack_eprint(gzip.compress(b"%PDF-1.5 ..."), "e") == ("pdf", b"%PDF-1.5 ...")
    kind, files = unpack_eprint(_tar([("main.tex", TEX)]), "e")
    assert kind == "tree" and files == {"main.tex": TEX}


def test_read_tree_refuses_links_leading_outside(tmp_path):
    outside = tmp_path / "secret.tex"
    outside.write_text("secret")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.tex").write_bytes(TEX)
    (root / "inside.tex").symlink_to(root / "main.tex")
    assert set(read_tree(root)) == {"main.tex", "inside.tex"}
    (root / "leak.tex").symlink_to(outside)
    with pytest.raises(UnsafeArchiveError, match="leak.tex: symbolic link leads outside"):
        read_tree(root)
