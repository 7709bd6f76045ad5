"""JSONL files of records: whole-line atomic appends, fsync, and a tolerant reader.

A writer appends each record as one `os.write` of one complete line on an `O_APPEND`
descriptor and fsyncs it, so a crash leaves at most one torn line at the end of the
file. The reader skips (and reports) such a torn last line; the next writer to open
the file cuts it off before appending, so later records never fuse with it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar

__all__ = ["JsonlWriter", "JsonlReport", "read_jsonl", "read_records", "append_records", "ids_in"]

log = logging.getLogger(__name__)

# Defaults to any record, so `JsonlWriter(path)` needs no type argument.
T = TypeVar("T", bound=BaseModel, default=BaseModel)


@dataclass
class JsonlReport:
    """What a read found besides good records: a torn tail and bad lines (1-based)."""

    path: Path
    records: int = 0
    torn_tail: bool = False
    bad_lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.torn_tail and not self.bad_lines


def _trim_torn_tail(path: Path) -> int:
    """Cut an unterminated last line off `path`; return how many bytes were cut."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return 0
        # Walk back to the last newline in chunks; the torn line is rarely long.
        pos, chunk = size, 65536
        keep = 0
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            block = fh.read(pos - start)
            nl = block.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    log.warning("%s: cut a torn last line (%d bytes) left by an interrupted write", path, size - keep)
    return size - keep


class JsonlWriter(Generic[T]):
    """Appends records to a JSONL file, one durable line per record.

    Use as a context manager. `fsync=False` trades durability for speed where a
    lost tail only costs recomputation.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.written = 0
        self._fd: int | None = None

    def open(self) -> "JsonlWriter[T]":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _trim_torn_tail(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self

    def write(self, record: T | BaseModel) -> None:
        """Append one record as one line, then fsync."""
        if self._fd is None:
            self.open()
        assert self._fd is not None
        line = (record.model_dump_json() + "\n").encode("utf-8")
        view = memoryview(line)
        # One write is atomic for O_APPEND on local filesystems; loop only for the
        # rare short write so the line is never left half-written by us.
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        if self.fsync:
            os.fsync(self._fd)
        self.written += 1

    def write_all(self, records: Iterable[T]) -> int:
        """Append many records; return how many were written."""
        n = 0
        for rec in records:
            self.write(rec)
            n += 1
        return n

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "JsonlWriter[T]":
        # Opened on the first write, so a writer that writes nothing creates no file.
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_jsonl(path: str | os.PathLike[str], report: JsonlReport | None = None) -> Iterator[dict]:
    """Yield each JSON object of a JSONL file, skipping a torn last line and bad lines.

    What was skipped is logged and added to `report` when one is given.
    """
    for _, obj in _numbered_objects(Path(path), report):
        yield obj


def _numbered_objects(path: Path, report: JsonlReport | None) -> Iterator[tuple[int, dict]]:
    """(1-based line number, object) for each good line of a JSONL file, streamed."""
    report = report if report is not None else JsonlReport(path)
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                if not raw.endswith(b"\n"):
                    # Only the last line can lack its newline: a write cut short.
                    report.torn_tail = True
                    log.warning("%s: skipped a torn last line (line %d, %d bytes)", path, n, len(raw))
                else:
                    report.bad_lines.append((n, str(exc)))
                    log.warning("%s:%d: skipped a line that is not JSON (%s)", path, n, exc)
                continue
            if not isinstance(obj, dict):
                report.bad_lines.append((n, "not a JSON object"))
                log.warning("%s:%d: skipped a line that is not a JSON object", path, n)
                continue
            report.records += 1
            yield n, obj


def read_records(
    path: str | os.PathLike[str], model: type[T], report: JsonlReport | None = None
) -> list[T]:
    """Read every valid record of type `model`; invalid ones are reported, not raised."""
    report = report if report is not None else JsonlReport(Path(path))
    out: list[T] = []
    for n, obj in _numbered_objects(Path(path), report):
        try:
            out.append(model.model_validate(obj))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            report.bad_lines.append((n, f"{where}: {first.get('msg')}"))
            log.warning("%s:%d: not a valid %s (%s: %s)", path, n, model.__name__, where, first.get("msg"))
    return out


def append_records(path: str | os.PathLike[str], records: Iterable[BaseModel]) -> int:
    """Append records to `path` durably; return how many."""
    with JsonlWriter(path) as w:
        return w.write_all(records)


def ids_in(path: str | os.PathLike[str], key: str = "id") -> set[str]:
    """The set of `key` values already in a JSONL file (empty if it does not exist)."""
    return {str(obj[key]) for obj in read_jsonl(path) if key in obj}
