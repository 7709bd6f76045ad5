"""The run directory convention (`runs/NAME/...`) and resume-by-id.

A run directory holds one file per arrow of the flow in DESIGN.md:

    runs/NAME/
      papers.jsonl     ingest   -> Paper
      failures.jsonl   inputs any stage could not use, with the reason
      goals.jsonl      extract  -> Goal
      plans.jsonl      plan     -> Plan
      grades.jsonl     grade    -> Grade
      train/           checkpoints, metrics
      eval/            evaluation tables and report.html
      usage.jsonl      tokens and cost per stage and model

Any stage resumes by reading the ids already in its output and skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sciplan.jsonl import ids_in

__all__ = ["RunDir", "Resume", "default_runs_root"]

T = TypeVar("T")


def default_runs_root() -> Path:
    """Where runs live: `$SCIPLAN_RUNS` or `./runs`."""
    return Path(os.environ.get("SCIPLAN_RUNS", "runs"))


@dataclass(frozen=True)
class RunDir:
    """A run's folder and the standard names of the files in it."""

    root: Path

    @classmethod
    def named(cls, name: str, runs_root: str | os.PathLike[str] | None = None) -> RunDir:
        """`runs/NAME` (or under `runs_root`), created if missing."""
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"invalid run name {name!r}: use a plain folder name")
        base = Path(runs_root) if runs_root is not None else default_runs_root()
        run = cls(base / name)
        run.root.mkdir(parents=True, exist_ok=True)
        return run

    def path(self, *parts: str) -> Path:
        """A path inside the run; parent folders are created."""
        p = self.root.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    @property
    def papers(self) -> Path:
        return self.path("papers.jsonl")

    @property
    def failures(self) -> Path:
        return self.path("failures.jsonl")

    @property
    def goals(self) -> Path:
        return self.path("goals.jsonl")

    @property
    def plans(self) -> Path:
        return self.path("plans.jsonl")

    @property
    def grades(self) -> Path:
        return self.path("grades.jsonl")

    @property
    def usage(self) -> Path:
        return self.path("usage.jsonl")

    def subdir(self, name: str) -> Path:
        """A folder inside the run (`train`, `eval`, ...), created if missing."""
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p


class Resume:
    """Remembers which ids an output file already holds, so a stage skips them.

        resume = Resume(run.plans)
        todo = resume.pending(goals, key=lambda g: plan_id_for(g))
    """

    def __init__(self, output: str | os.PathLike[str], key: str = "id") -> None:
        self.output = Path(output)
        self.done: set[str] = ids_in(self.output, key)

    def is_done(self, record_id: str) -> bool:
        return record_id in self.done

    def mark(self, record_id: str) -> None:
        self.done.add(record_id)

    def pending(self, items: Iterable[T], key: Callable[[T], str]) -> list[T]:
        """Items whose output id is not yet written, in their original order."""
        return [it for it in items if key(it) not in self.done]

    def __len__(self) -> int:
        return len(self.done)
