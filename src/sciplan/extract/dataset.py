"""Goal datasets on disk: JSONL, parquet, HF `datasets` folders, and the research-plan-gen layout.

    goals = read_goals("goals.jsonl")                  # or a .parquet, an HF folder, a release copy
    write_goals(goals, "out.parquet")                  # format from the suffix, or format=
    write_goals(goals, "release/", format="rpg")       # CONFIG/SPLIT/*.parquet, released columns
    to_hf_dataset(goals).push_to_hub("me/goals")       # where the network allows

Parquet and HF rows keep every `Goal` field (`scores` and `meta` as JSON text), so those
formats round-trip exactly; the research-plan-gen layout keeps the released columns only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from sciplan.errors import SciplanError
from sciplan.extract.rpg import RPG_REPO, goal_from_row, load_rpg_hub, read_rpg, write_rpg
from sciplan.jsonl import JsonlReport, JsonlWriter, read_records
from sciplan.records import Goal

__all__ = ["Format", "detect_format", "goal_to_flat", "read_goals", "write_goals", "to_hf_dataset", "push_to_hub"]

Format = Literal["auto", "jsonl", "parquet", "hf", "rpg", "hub"]

_HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def detect_format(path: str | Path) -> str:
    """`hub` for `hf://owner/name`, else from the suffix or the folder's contents."""
    if _is_hub(path):
        return "hub"
    p = Path(path)
    if p.is_dir():
        return "hf" if any((p / m).exists() for m in _HF_MARKERS) else "rpg"
    if p.suffix == ".parquet":
        return "parquet"
    if p.suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    raise SciplanError(f"{p}: cannot tell the dataset format (use .jsonl, .parquet, a folder, or --format)")


def _repo(path: str | Path) -> str:
    """`owner/name` from `hf://owner/name` (also as a Path, which keeps one slash) or `hub:owner/name`."""
    return re.sub(r"^(hf:/+|hub:)", "", str(path))


def _is_hub(path: str | Path) -> bool:
    """Whether `path` names a hub repo (`hf://owner/name`, `hub:owner/name`)."""
    return str(path).startswith(("hf:/", "hub:"))  # Path("hf://a/b") prints as "hf:/a/b"


def goal_to_flat(goal: Goal) -> dict[str, Any]:
    """A goal as one flat row: every field, with `scores` and `meta` as JSON text."""
    return {
        "id": goal.id, "paper_id": goal.paper_id, "domain": goal.domain, "text": goal.text,
        "rubric": list(goal.rubric), "reference": goal.reference,
        "scores": json.dumps(goal.scores, sort_keys=True), "date": goal.date.isoformat() if goal.date else None,
        "split": goal.split, "meta": json.dumps(goal.meta, sort_keys=True, ensure_ascii=False, default=str),
    }


def _from_rows(rows: Iterable[dict[str, Any]], where: str, errors: list[str] | None) -> list[Goal]:
    out = []
    for n, row in enumerate(rows, start=1):
        try:
            out.append(goal_from_row(row))
        except ValueError as exc:
            if errors is None:
                raise SciplanError(f"{where} row {n}: {exc}") from None
            errors.append(f"{where} row {n}: {exc}")
    return out


def read_goals(path: str | Path, *, format: Format = "auto", configs: Sequence[str] | None = None,
               splits: Sequence[str] | None = None, errors: list[str] | None = None) -> list[Goal]:
    """Goals from a dataset in any supported format; bad rows go to `errors` (or raise when None)."""
    fmt = detect_format(path) if format == "auto" else format
    if fmt == "hub":
        repo = _repo(path) or RPG_REPO
        return load_rpg_hub(repo, configs, splits, errors)
    p = Path(path)
    if fmt != "rpg" and not p.exists():
        raise SciplanError(f"{p}: no such dataset file or folder")
    if fmt == "jsonl":
        report = JsonlReport(p)
        goals = read_records(p, Goal, report)
        if errors is not None:
            errors += [f"{p}:{n}: {why}" for n, why in report.bad_lines]
        return goals
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(p).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise SciplanError(f"{p}: not a readable parquet file ({exc})") from None
        return _from_rows(rows, str(p), errors)
    if fmt == "hf":
        import datasets

        try:
            ds = datasets.load_from_disk(str(p))
        except Exception as exc:  # a folder that is not a saved dataset
            raise SciplanError(f"{p}: not a saved HF dataset ({exc})") from None
        if isinstance(ds, datasets.DatasetDict):
            out: list[Goal] = []
            for name, part in ds.items():
                out += [g if g.split else g.model_copy(update={"split": name})
                        for g in _from_rows(part, f"{p} [{name}]", errors)]
            return out
        return _from_rows(ds, str(p), errors)
    if fmt == "rpg":
        return read_rpg(p, configs, splits, errors)
    raise SciplanError(f"unknown dataset format {fmt!r} (jsonl, parquet, hf, rpg, hub)")


def to_hf_dataset(goals: Sequence[Goal]) -> Any:
    """A `datasets.Dataset` with one flat row per goal (see `goal_to_flat`)."""
    import datasets

    features = datasets.Features({
        "id": datasets.Value("string"), "paper_id": datasets.Value("string"), "domain": datasets.Value("string"),
        "text": datasets.Value("string"), "rubric": datasets.Sequence(datasets.Value("string")),
        "reference": datasets.Value("string"), "scores": datasets.Value("string"), "date": datasets.Value("string"),
        "split": datasets.Value("string"), "meta": datasets.Value("string"),
    })
    return datasets.Dataset.from_list([goal_to_flat(g) for g in goals], features=features)


def push_to_hub(goals: Sequence[Goal], repo: str, *, config: str = "default", split: str = "train",
                private: bool = True) -> None:
    """Upload goals to the HF hub as `repo` (needs the network and a token)."""
    try:
        to_hf_dataset(goals).push_to_hub(repo, config_name=config, split=split, private=private)
    except Exception as exc:  # offline, no token, no permission: one clear line
        raise SciplanError(f"cannot push to the hub repo {repo}: {exc}") from None


def write_goals(goals: Sequence[Goal], path: str | Path, *, format: Format = "auto", config: str | None = None,
                split: str | None = None) -> list[Path]:
    """Write goals in a format (from the suffix when `auto`); return the files or folders written."""
    p = Path(path)
    fmt = "hub" if format == "auto" and _is_hub(path) else format
    if fmt == "auto":
        fmt = "parquet" if p.suffix == ".parquet" else "jsonl" if p.suffix in (".jsonl", ".ndjson") else "hf"
    if fmt == "jsonl":
        if p.exists():
            p.unlink()  # an export replaces the file; appending would mix two exports
        with JsonlWriter(p, fsync=False) as w:
            w.write_all(goals)
        return [p]
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        p.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([goal_to_flat(g) for g in goals]) if goals else pa.table({})
        pq.write_table(table, p)
        return [p]
    if fmt == "hf":
        to_hf_dataset(goals).save_to_disk(str(p))
        return [p]
    if fmt == "rpg":
        return write_rpg(goals, p, config=config, split=split)
    if fmt == "hub":
        push_to_hub(goals, _repo(path), config=config or "default", split=split or "train")
        return []
    raise SciplanError(f"unknown dataset format {fmt!r} (jsonl, parquet, hf, rpg, hub)")
