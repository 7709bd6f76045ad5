"""Grading a step on the main process across real torch.distributed (gloo) processes."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from sciplan.train.ranks import Rows, on_main_process, row_columns, world

torch = pytest.importorskip("torch")


def test_single_process_runs_here():
    seen = []

    async def fn(rows: Rows) -> list[int]:
        seen.append(rows)
        return [len(c) for c in rows[1]]

    rows: Rows = (["p"], ["abc"], {"goal_id": ["g"]})
    assert asyncio.run(on_main_process(fn, rows)) == [3]
    assert seen == [rows]
    assert world() == (0, 1)


def test_row_columns_keeps_per_row_lists_only():
    cols = row_columns({"goal_id": ["a", "b"], "trainer_state": object(), "log_metric": print, "other": [1]}, 2)
    assert cols == {"goal_id": ["a", "b"]}


async def _grade(rows: Rows) -> list[str]:
    prompts, completions, columns = rows
    if "boom" in completions:
        raise ValueError("grader broke")
    # What the main process saw: every row of the step, in rank order, one group per goal.
    pairs = enumerate(zip(columns["goal_id"], completions, strict=True))
    return [f"{gid}|{c}|{len(completions)}|{prompts[i]}" for i, (gid, c) in pairs]


def _worker(rank: int, size: int, init: str, out: str, fail: bool) -> None:
    import torch.distributed as dist

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size))
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=size)
    try:
        # TRL's layout: goal g1's four plans split two per process.
        completions = [f"plan{rank}a", "boom" if fail else f"plan{rank}b"]
        rows: Rows = ([f"prompt{rank}"] * 2, completions, {"goal_id": ["g1", "g1"], "only_here": [rank] * 2})
        if rank == 1:
            del rows[2]["only_here"]  # a column not every process has is dropped, not misaligned
        try:
            result = {"ok": asyncio.run(on_main_process(_grade, rows)), "world": list(world())}
        except Exception as exc:
            result = {"error": type(exc).__name__, "message": str(exc)}
        Path(out, f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


def _spawn(tmp_path: Path, fail: bool) -> list[dict]:
    import torch.multiprocessing as mp

    init = f"file://{tmp_path / 'store'}"
    # fork: the workers are this module's functions, which a spawned interpreter could not import.
    mp.start_processes(_worker, args=(2, init, str(tmp_path), fail), nprocs=2, join=True, start_method="fork")
    return [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]


def test_main_process_grades_every_rank_rows_and_hands_each_its_own(tmp_path):
    r0, r1 = _spawn(tmp_path, fail=False)
    assert r0["world"] == [0, 2] and r1["world"] == [1, 2]
    # One call on the main process saw all four plans of the goal; each process got its two back.
    assert r0["ok"] == ["g1|plan0a|4|prompt0", "g1|plan0b|4|prompt0"]
    assert r1["ok"] == ["g1|plan1a|4|prompt1", "g1|plan1b|4|prompt1"]


def test_an_error_on_the_main_process_reaches_every_process(tmp_path):
    r0, r1 = _spawn(tmp_path, fail=True)
    assert r0 == {"error": "ValueError", "message": "grader broke"}
    assert r1["error"] == "SciplanError" and "grader broke" in r1["message"]
