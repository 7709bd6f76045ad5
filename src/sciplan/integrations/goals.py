"""Goals for the framework adapters: sciplan `Goal` JSONL, or research-plan-gen parquet rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.extract.rpg import goal_from_row, read_rpg
from sciplan.jsonl import JsonlReport, read_records
from sciplan.records import Goal

__all__ = ["read_goals"]


def read_goals(source: str | Path, *, configs: Sequence[str] | None = None, splits: Sequence[str] | None = None,
               limit: int | None = None) -> list[Goal]:
    """Goals with rubrics from a `.jsonl` of `Goal` records, a research-plan-gen `.parquet`
    file, or a folder in the research-plan-gen layout (`CONFIG/SPLIT/*.parquet`)."""
    path = Path(source)
    if path.is_dir():
        goals = read_rpg(path, configs, splits)
    elif path.suffix == ".parquet" and path.is_file():
        import pyarrow.parquet as pq

        goals = [goal_from_row(row) for row in pq.read_table(path).to_pylist()]
    elif path.is_file():
        goals = read_records(path, Goal, JsonlReport(path))
    else:
        raise SciplanError(f"{path}: no such goals file or research-plan-gen folder")
    goals = [g for g in goals if g.rubric]
    if not goals:
        raise SciplanError(f"{path}: no goals with a rubric")
    return goals[:limit] if limit else goals
