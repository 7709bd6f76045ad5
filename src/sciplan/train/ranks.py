"""Which training process this is, and grading a step on the main process across ranks.

Under `accelerate launch` (or `torchrun`) TRL splits a goal's group of completions over
the processes. Grading each process's share separately would break the group apart: the
grader's prefix cache would serve half a group per call, and group-level reward logic
(listwise grading, evolving rubrics, the length guard) would see half the plans. So every
process sends its rows to the main process, which grades the whole step's groups once and
hands each process its rows back (huggingface/trl#3896 is this problem).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sciplan.errors import SciplanError

__all__ = ["Rows", "is_main", "on_main_process", "row_columns", "world"]

T = TypeVar("T")

# One process's share of a step: prompts, completions, and the per-row dataset columns.
Rows = tuple[list[Any], list[Any], dict[str, list[Any]]]


def _dist() -> Any:
    try:
        import torch.distributed as dist
    except ImportError:  # torch is a training dependency; grading alone runs without it
        return None
    return dist if dist.is_available() and dist.is_initialized() else None


def world() -> tuple[int, int]:
    """(rank, number of processes) of the training job; (0, 1) outside a distributed run."""
    dist = _dist()
    if dist is not None:
        return dist.get_rank(), dist.get_world_size()
    # Before the trainer starts the process group: what the launcher (accelerate, torchrun) set.
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """Whether this is the process that grades, logs and writes the run's files."""
    return world()[0] == 0


def row_columns(columns: Mapping[str, Any], n: int) -> dict[str, list[Any]]:
    """The per-row columns of a reward call's keyword arguments (callables and state left out)."""
    return {k: list(v) for k, v in columns.items() if isinstance(v, (list, tuple)) and len(v) == n}


async def on_main_process(fn: Callable[[Rows], Awaitable[list[T]]], rows: Rows) -> list[T]:
    """Run `fn` on the main process over every process's rows (in rank order); each gets its own back.

    `fn` returns one value per row. An error on the main process is raised on every process,
    so that no process waits forever for results that will not come.
    """
    dist = _dist()
    if dist is None or dist.get_world_size() == 1:
        return await fn(rows)
    rank, size = dist.get_rank(), dist.get_world_size()
    shares: list[Any] = [None] * size
    dist.all_gather_object(shares, rows)
    outcome: Any = None
    if rank == 0:
        prompts = [p for share in shares for p in share[0]]
        completions = [c for share in shares for c in share[1]]
        keys = [k for k in shares[0][2] if all(k in share[2] for share in shares)]
        columns = {k: [v for share in shares for v in share[2][k]] for k in keys}
        try:
            outcome = ("ok", await fn((prompts, completions, columns)))
        except Exception as exc:
            outcome = ("error", f"{type(exc).__name__}: {exc}")
            box = [outcome]
            dist.broadcast_object_list(box, src=0)
            raise
    box = [outcome]
    dist.broadcast_object_list(box, src=0)
    kind, value = box[0]
    if kind == "error":
        raise SciplanError(f"grading on the main process failed: {value}")
    start = sum(len(share[1]) for share in shares[:rank])
    mine: list[T] = value[start:start + len(rows[1])]
    if len(mine) != len(rows[1]):
        raise SciplanError(f"the main process returned {len(value)} results for {sum(len(s[1]) for s in shares)} rows")
    return mine

