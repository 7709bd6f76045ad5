"""Goal files: the one reader of a goals JSONL, and the data shipped inside the package."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlReport, read_records
from sciplan.records import Goal

__all__ = ["data_path", "demo_goals", "read_goals"]


def read_goals(path: str | os.PathLike[str]) -> list[Goal]:
    """Every valid `Goal` in a JSONL file; bad lines are skipped; a missing file or no valid goal is an error naming it."""
    p = Path(path)
    if not p.is_file():
        raise SciplanError(f"{p}: no such goals file")
    report = JsonlReport(p)
    if goals := read_records(p, Goal, report):
        return goals
    first = f" (line {report.bad_lines[0][0]}: {report.bad_lines[0][1]})" if report.bad_lines else ""
    raise SciplanError(f"{p}: no valid goals (JSONL of records with id, text and rubric){first}")


def data_path(name: str) -> Path:
    """Path of a file shipped under `sciplan/data/`."""
    return Path(str(resources.files("sciplan").joinpath("data", name)))


def demo_goals() -> list[Goal]:
    """The goals shipped for the demo and the tests (written for the project)."""
    return read_records(data_path("demo_goals.jsonl"), Goal)
