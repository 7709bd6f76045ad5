"""The reader contract: every paper reader runs in a forked child under a memory and a time bound.

A hostile input (a PDF whose content stream inflates to gigabytes of text operators, a
pathological regex case, a parser stuck in a loop) can then cost at most
`ArchiveLimits.max_memory_bytes` of address space and `max_seconds` of wall-clock time.
When a bound is hit the child is gone, the parent raises a `PaperError` naming the input,
and ingest records the failure, so a rerun does not die on the same file.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.errors import PaperError

__all__ = ["run_bounded", "in_bounded_child"]

R = TypeVar("R")

_in_child = False


def in_bounded_child() -> bool:
    """True inside a reader child (nested calls then run inline instead of forking again)."""
    return _in_child


def _address_space() -> int:
    """This process's current virtual size in bytes (what a fork inherits)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _child(write_fd: int, fn: Callable[[], object], limits: ArchiveLimits) -> None:
    global _in_child
    _in_child = True
    status = 0
    try:
        # The bound is on top of what the fork inherited: the parent may be a big process.
        cap = _address_space() + limits.max_memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        cpu = int(limits.max_seconds) + 5  # a backstop; the parent's wall clock is the real bound
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        try:
            payload: tuple[str, object] = ("ok", fn())
        except MemoryError:
            payload = ("memory", None)
        except BaseException as exc:  # carried to the parent, which decides what it means
            payload = ("error", exc)
        try:
            blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that does not pickle: keep its type and message
            blob = pickle.dumps(("error", RuntimeError(f"{type(payload[1]).__name__}: {exc}")))
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(blob)
    except MemoryError:
        status = 3
    except BaseException:
        status = 4
    finally:
        os._exit(status)


def _memory_error(source: str, limits: ArchiveLimits) -> PaperError:
    mib = limits.max_memory_bytes / (1024 * 1024)
    return PaperError(f"{source}: reading needs more than {mib:,.0f} MiB of memory (limits.max_memory_bytes); "
                      "refused as a likely decompression bomb")


def run_bounded(fn: Callable[[], R], source: str, limits: ArchiveLimits | None = None) -> R:
    """Run the reader `fn` in a child under `limits`; its result or its exception comes back here."""
    limits = limits or ArchiveLimits()
    if _in_child or not hasattr(os, "fork"):
        return fn()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        os.close(read_fd)
        _child(write_fd, fn, limits)
    os.close(write_fd)
    deadline = time.monotonic() + limits.max_seconds
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise PaperError(f"{source}: reading took longer than {limits.max_seconds:g} s (limits.max_seconds); "
                         "stopped")
    blob = b"".join(chunks)
    if not blob:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
            raise PaperError(f"{source}: reading used more than {limits.max_seconds:g} s of CPU; stopped")
        if os.WIFSIGNALED(status) or os.waitstatus_to_exitcode(status) == 3:
            # The kernel or the allocator gave up on the child: almost always the memory cap.
            raise _memory_error(source, limits)
        raise PaperError(f"{source}: the reader ended without an answer (exit status {status})")
    kind, value = pickle.loads(blob)
    if kind == "memory":
        raise _memory_error(source, limits)
    if kind == "error":
        assert isinstance(value, BaseException)
        if _out_of_memory(value):
            raise _memory_error(source, limits)
        raise value
    return value


def _out_of_memory(exc: BaseException) -> bool:
    # MuPDF reports a failed allocation as its own error type with a message, not MemoryError.
    text = str(exc).lower()
    return ("alloc" in text and "fail" in text) or "out of memory" in text or "cannot allocate" in text
