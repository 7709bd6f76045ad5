"""JSONL files of records: locked, whole-line appends, fsync, and a tolerant reader.

A writer holds an exclusive `flock` on its file while open, so two processes never
append to one file at once: a second writer is refused with a message naming the file
(or waits, with `wait=True`, for short appends such as `append_records`). Each record
is one `os.write` of one complete line on an `O_APPEND` descriptor, fsynced, so a crash
leaves at most one torn line at the end. On opening, the writer (holding the lock)
looks at an unterminated last line: if it parses it is a complete record that only
lacks its newline, which is added; only a line that does not parse is cut off.
A full or read-only disk raises `JsonlWriteError`, one clear line naming the file.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from sciplan.errors import SciplanError

__all__ = ["JsonlWriter", "JsonlReport", "JsonlWriteError", "JsonlBusyError", "read_jsonl", "read_records",
           "append_records", "ids_in"]

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

_DISK = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
         errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
         errno.EPERM: "permission denied", errno.EFBIG: "the file is too large for the file system"}


class JsonlWriteError(SciplanError):
    """A JSONL file cannot be written (full or read-only disk, no permission): the run cannot go on."""


class JsonlBusyError(SciplanError):
    """Another process is writing to the same JSONL file."""


def _write_error(path: Path, exc: OSError, doing: str) -> JsonlWriteError:
    why = _DISK.get(exc.errno or 0, exc.strerror or str(exc))
    return JsonlWriteError(f"{path}: cannot {doing} ({why}); records written before this one are kept")


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


def _mend_tail(fd: int, path: Path) -> None:
    """Under the writer's lock: end a parseable last line with a newline, cut one that does not parse."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    # Walk back to the last newline in chunks; the last line is rarely long.
    pos, chunk, keep = size, 65536, 0
    while pos > 0:
        start = max(0, pos - chunk)
        nl = os.pread(fd, pos - start, start).rfind(b"\n")
        if nl >= 0:
            keep = start + nl + 1
            break
        pos = start
    tail = os.pread(fd, size - keep, keep)
    try:
        complete = isinstance(json.loads(tail), dict)
    except ValueError:
        complete = False
    if complete:
        os.write(fd, b"\n")  # O_APPEND: lands at the end
        log.warning("%s: the last record lacked its newline; added one", path)
    else:
        os.ftruncate(fd, keep)
        log.warning("%s: cut a torn last line (%d bytes) left by an interrupted write", path, size - keep)
    os.fsync(fd)


@dataclass
class _Handle:
    """One locked descriptor of a file, shared by every writer of this process on that file."""

    fd: int
    users: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)


# The flock keeps other processes out; writers inside this process (two models' plans
# generated at once) share the descriptor instead of refusing each other.
_HANDLES: dict[str, _Handle] = {}
_HANDLES_LOCK = threading.Lock()


class JsonlWriter(Generic[T]):
    """Appends records to a JSONL file, one durable line per record, holding the file's lock.

    Use as a context manager. `fsync=False` trades durability for speed where a lost
    tail only costs recomputation; `wait=True` waits for another writer instead of
    refusing (for short appends).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True, wait: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.wait = wait
        self.written = 0
        self._handle: _Handle | None = None

    def open(self) -> JsonlWriter[T]:
        """Create the file if needed, take its lock and mend its tail (idempotent)."""
        if self._handle is not None:
            return self
        with _HANDLES_LOCK:
            key = os.path.realpath(self.path)
            shared = _HANDLES.get(key)
            if shared is not None:
                shared.users += 1
                self._handle = shared
                return self
            self._handle = _HANDLES[key] = _Handle(self._open_locked())
        return self

    def _open_locked(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except IsADirectoryError:
            raise SciplanError(f"{self.path}: is a folder, not a JSONL file") from None
        except OSError as exc:
            raise _write_error(self.path, exc, "create or open it") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise JsonlBusyError(
                f"{self.path}: another process is writing to this file (a second run with the same output?); "
                "wait for it to finish or write to another file") from None
        try:
            _mend_tail(fd, self.path)
        except OSError as exc:
            os.close(fd)
            raise _write_error(self.path, exc, "repair its last line") from None
        return fd

    def write(self, record: T | BaseModel) -> None:
        """Append one record as one line, then fsync."""
        if self._handle is None:
            self.open()
        assert self._handle is not None
        with self._handle.lock:
            self._write_line(self._handle.fd, (record.model_dump_json() + "\n").encode("utf-8"))
        self.written += 1

    def _write_line(self, fd: int, line: bytes) -> None:
        view = memoryview(line)
        try:
            # One write is atomic for O_APPEND on local filesystems; loop only for the
            # rare short write so the line is never left half-written by us.
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if self.fsync:
                os.fsync(fd)
        except OSError as exc:
            if len(view) < len(line):  # a part of the line went out: take it back
                try:
                    _mend_tail(fd, self.path)
                except OSError:
                    pass
            raise _write_error(self.path, exc, "append a record") from None

    def write_all(self, records: Iterable[T]) -> int:
        """Append many records; return how many were written."""
        n = 0
        for rec in records:
            self.write(rec)
            n += 1
        return n

    def close(self) -> None:
        """Release the lock and close the file."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with _HANDLES_LOCK:
            handle.users -= 1
            if handle.users == 0:
                _HANDLES.pop(os.path.realpath(self.path), None)
                os.close(handle.fd)  # closing the descriptor releases its flock

    def __enter__(self) -> JsonlWriter[T]:
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
    if not path.is_file():
        # A device or FIFO (/dev/zero, /dev/full, a pipe) may never end a line: never read one as records.
        log.warning("%s: not a regular file; read as empty", path)
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
    """Append records to `path` durably (waiting for another writer to finish); return how many."""
    with JsonlWriter[BaseModel](path, wait=True) as w:
        return w.write_all(records)


def ids_in(path: str | os.PathLike[str], key: str = "id") -> set[str]:
    """The set of `key` values already in a JSONL file (empty if it does not exist)."""
    return {str(obj[key]) for obj in read_jsonl(path) if key in obj}
