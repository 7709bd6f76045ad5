"""Another process that holds a JSONL file's writer lock, as a second run would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_CODE = """
import os, sys
from sciplan.jsonl import JsonlWriter
w = JsonlWriter(sys.argv[1]).open()
os.write(w._handle.fd, sys.argv[2].encode())
print("holding", flush=True)
sys.stdin.readline()
os.write(w._handle.fd, sys.argv[3].encode())
w.close()
"""


@contextmanager
def holding_lock(path: Path, first: str = "", rest: str = "") -> Iterator[None]:
    """A child holds `path`'s writer lock, having written `first`; on exit it writes `rest` and lets go."""
    proc = subprocess.Popen([sys.executable, "-c", _CODE, str(path), first, rest], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield
    finally:
        if proc.stdin:
            proc.stdin.write("\n")
            proc.stdin.close()
        proc.wait(timeout=60)
