"""The run directory (`runs/NAME/`) and resume-by-id.

`sciplan run` writes one folder per stage, each file one arrow of the flow in DESIGN.md:

    runs/NAME/
      ingest/papers.jsonl       Paper records; ingest/failures.jsonl: inputs it could not use
      extract/goals.jsonl       Goal records, beside candidates, duplicates, extract_log, failures
      train/                    checkpoints/, final/, best/, summary.json, metrics, sciplan.log
      eval/                     plans.jsonl, grades.jsonl, tables/, report.html
      stages/NAME.json          what each finished stage wrote, took and cost (its marker)
      summary.json              the same for the last `sciplan run`

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
        """The ingest stage's papers."""
        return self.path("ingest", "papers.jsonl")

    @property
    def goals(self) -> Path:
        """The extract stage's goals (its other files sit beside them)."""
        return self.path("extract", "goals.jsonl")

    @property
    def plans(self) -> Path:
        """Plans written into the run by hand (`sciplan plan --out`); evaluation writes eval/plans.jsonl."""
        return self.path("plans.jsonl")

    def stage_marker(self, name: str) -> Path:
        """The file that says stage `name` finished."""
        return self.root / "stages" / f"{name}.json"

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
