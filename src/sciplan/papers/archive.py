"""Safe reading of archives and folders: tar(.gz) e-prints, gzip files, source trees.

Nothing is written to disk: wanted members are read into memory. An archive is refused
as a whole, before anything is returned, when a member has an absolute path or `..`,
is a link or a device, or when the file count or the uncompressed size passes a limit.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from sciplan.papers.errors import PaperError, UnsafeArchiveError

__all__ = ["ArchiveLimits", "gunzip", "is_gzip", "is_tar", "read_tar", "read_tree", "unpack_eprint"]

_MiB = 1024 * 1024


class ArchiveLimits(BaseModel):
    """Bounds on what one input may expand to, and on the reader that reads it (every value > 0)."""

    model_config = ConfigDict(extra="forbid")

    max_files: int = Field(5000, gt=0)
    max_total_bytes: int = Field(256 * _MiB, gt=0)
    max_file_bytes: int = Field(64 * _MiB, gt=0)
    # The reader contract (papers/bounded.py): every reader runs in a child process
    # with this much address space and this much wall-clock time.
    max_memory_bytes: int = Field(2048 * _MiB, gt=0)
    max_seconds: float = Field(120.0, gt=0)
    # PDF counterparts of the LaTeX reader's character cap.
    max_pages: int = Field(200, gt=0)
    max_chars: int = Field(5_000_000, gt=0)


def is_gzip(data: bytes) -> bool:
    """True when `data` starts with the gzip magic number."""
    return data[:2] == b"\x1f\x8b"


def is_tar(head: bytes) -> bool:
    """True when `head` (at least 262 bytes of the uncompressed start) is a POSIX/GNU tar header."""
    return len(head) >= 262 and head[257:262] == b"ustar"


def gunzip(data: bytes, source: str, limits: ArchiveLimits | None = None, *, max_bytes: int | None = None) -> bytes:
    """Decompress gzip `data`, refusing output larger than the limit (a gzip bomb)."""
    limit = max_bytes if max_bytes is not None else (limits or ArchiveLimits()).max_total_bytes
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1 << 20):
                out += chunk
                if len(out) > limit:
                    raise UnsafeArchiveError(
                        f"{source}: gzip data expands past the {limit:,}-byte limit (a gzip bomb?); refused"
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise PaperError(f"{source}: corrupt or truncated gzip data ({exc})") from None
    return bytes(out)


def _peek_gunzip(data: bytes, n: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            return fh.read(n)
    except (OSError, EOFError, zlib.error):
        return b""


def _safe_name(name: str, source: str) -> str:
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{source}: member {name!r} has an absolute path; archive refused")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise UnsafeArchiveError(f"{source}: member {name!r} climbs out with '..'; archive refused")
    norm = posixpath.normpath("/".join(p for p in parts if p not in ("", ".")) or ".")
    return norm


def read_tar(
    data: bytes,
    source: str,
    limits: ArchiveLimits | None = None,
    want: Callable[[str], bool] = lambda name: True,
) -> dict[str, bytes]:
    """The wanted regular files of a tar or tar.gz archive as {relative path: bytes}, checked first."""
    limits = limits or ArchiveLimits()
    out: dict[str, bytes] = {}
    count = total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            # Check every header before reading any data, so a hostile member refuses the lot.
            members = []
            while (member := tar.next()) is not None:
                count += 1
                if count > limits.max_files:
                    raise UnsafeArchiveError(
                        f"{source}: more than {limits.max_files:,} members; archive refused (file-count limit)"
                    )
                name = _safe_name(member.name, source)
                if member.issym() or member.islnk():
                    raise UnsafeArchiveError(
                        f"{source}: member {member.name!r} is a link (to {member.linkname!r}); archive refused"
                    )
                if member.isdir():
                    continue
                if not member.isreg():
                    raise UnsafeArchiveError(
                        f"{source}: member {member.name!r} is a device, fifo or special file; archive refused"
                    )
                if member.size > limits.max_file_bytes:
                    raise UnsafeArchiveError(
                        f"{source}: member {member.name!r} is {member.size:,} bytes, over the "
                        f"{limits.max_file_bytes:,}-byte limit; archive refused"
                    )
                total += member.size
                if total > limits.max_total_bytes:
                    raise UnsafeArchiveError(
                        f"{source}: archive expands past the {limits.max_total_bytes:,}-byte limit; refused"
                    )
                members.append((name, member))
            for name, member in members:
                if want(name):
                    fh = tar.extractfile(member)
                    if fh is not None:
                        out[name] = fh.read(limits.max_file_bytes + 1)
    except UnsafeArchiveError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise PaperError(f"{source}: corrupt or truncated tar archive ({exc})") from None
    return out


def read_tree(
    root: str | os.PathLike[str],
    limits: ArchiveLimits | None = None,
    want: Callable[[str], bool] = lambda name: True,
) -> dict[str, bytes]:
    """The wanted files under a folder as {relative path: bytes}; links leading outside it are refused."""
    limits = limits or ArchiveLimits()
    base = Path(root)
    real_base = base.resolve()
    out: dict[str, bytes] = {}
    count = total = 0
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in sorted(filenames):
            path = Path(dirpath) / fname
            rel = path.relative_to(base).as_posix()
            count += 1
            if count > limits.max_files:
                raise UnsafeArchiveError(f"{base}: more than {limits.max_files:,} files; folder refused")
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_base):
                    raise UnsafeArchiveError(f"{path}: symbolic link leads outside {base} (to {target}); refused")
            if not path.is_file():
                continue
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise UnsafeArchiveError(f"{path}: {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit")
            total += size
            if total > limits.max_total_bytes:
                raise UnsafeArchiveError(f"{base}: folder holds more than {limits.max_total_bytes:,} bytes; refused")
            if want(rel):
                out[rel] = path.read_bytes()
    return out


def unpack_eprint(
    data: bytes, source: str, limits: ArchiveLimits | None = None, want: Callable[[str], bool] = lambda n: True
) -> tuple[str, bytes | dict[str, bytes]]:
    """What an arXiv e-print holds: ("pdf", bytes), ("tree", files) or ("tex", bytes of one file)."""
    limits = limits or ArchiveLimits()
    head = _peek_gunzip(data, 512) if is_gzip(data) else data[:512]
    if is_gzip(data) and not head:
        raise PaperError(f"{source}: corrupt gzip data")
    if is_tar(head):
        return "tree", read_tar(data, source, limits, want)
    body = gunzip(data, source, limits, max_bytes=limits.max_file_bytes) if is_gzip(data) else data
    if body.startswith(b"%PDF"):
        return "pdf", body
    return "tex", body
