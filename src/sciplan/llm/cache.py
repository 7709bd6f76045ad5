"""The on-disk response cache: rerunning a finished stage makes zero model calls."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sciplan.llm.completion import Completion

__all__ = ["ResponseCache"]


class ResponseCache:
    """A SQLite table of completions keyed by a digest of model, messages and parameters.

    One connection per cache, guarded by a lock: lookups are sub-millisecond, so they
    run inline on the event loop rather than in a thread pool. WAL lets several
    processes share one cache file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, model TEXT NOT NULL, completion TEXT NOT NULL, created REAL NOT NULL)"
        )

    def get(self, key: str) -> Completion | None:
        """The cached completion for `key`, marked `cached=True`, or None."""
        with self._lock:
            row = self._db.execute("SELECT completion FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            comp = Completion.model_validate_json(row[0])
        except ValueError:
            return None  # written by an incompatible version: treat as a miss
        return comp.model_copy(update={"cached": True})

    def put(self, key: str, completion: Completion) -> None:
        """Store a completion (the newest answer for a key wins)."""
        data = completion.model_copy(update={"cached": False}).model_dump_json()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, model, completion, created) VALUES (?, ?, ?, ?)",
                (key, completion.model, data, time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
