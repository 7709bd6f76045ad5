"""The released `facebook/research-plan-gen` layout: rows <-> `Goal`, folders of parquet.

The dataset has configs `ml`, `arxiv`, `pubmed` and splits `train`/`test`, stored as
`CONFIG/SPLIT/*.parquet` (also accepted: `CONFIG/SPLIT-*.parquet`, `CONFIG/SPLIT.parquet`,
under an optional `data/`). Column names are mapped tolerantly (`Goal`, `goal`,
`Research goal` -> `Goal.text`; `Rubric` as a list, a JSON list or lines; `Reference
solution`; `article_id`), so later revisions of the release still load. Export writes the
released names back, so export -> import -> export is a fixed point.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.records import Goal, make_id

__all__ = [
    "RPG_REPO",
    "RPG_CONFIGS",
    "RPG_SPLITS",
    "RPG_COLUMNS",
    "goal_from_row",
    "goal_to_row",
    "rpg_config_for",
    "rpg_files",
    "read_rpg",
    "write_rpg",
    "load_rpg_hub",
]

RPG_REPO = "facebook/research-plan-gen"
RPG_CONFIGS = ("ml", "arxiv", "pubmed")
RPG_SPLITS = ("train", "test")
# The released column names, in the order export writes them.
RPG_COLUMNS = ("Goal", "Rubric", "Reference solution", "article_id")

# Goal field -> normalised column names that mean it (lower case, letters and digits only).
_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("goal", "researchgoal", "goaltext", "text", "task", "problem", "researchproblem"),
    "rubric": ("rubric", "rubrics", "rubricitems", "gradingrubric", "criteria", "rubriclist"),
    "reference": ("referencesolution", "reference", "solution", "referenceplan", "referencesolutions"),
    "paper_id": ("articleid", "paperid", "article", "sourceid", "sourcearticleid", "arxivid", "pmcid", "docid"),
    "id": ("id", "sampleid", "goalid", "uid", "rowid"),
    "domain": ("domain", "subject", "field", "category"),
    "date": ("date", "publicationdate", "published", "pubdate"),
    "split": ("split",),
    "scores": ("scores",),
    "meta": ("meta", "metadata"),
}
_LOOKUP = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
# A config's domain when the row does not name one.
_CONFIG_DOMAIN = {"ml": "ml", "pubmed": "medical", "arxiv": "arxiv"}
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(key).lower())


def _item_text(value: Any) -> str:
    if isinstance(value, Mapping):
        for k in ("criterion", "item", "text", "rubric", "description", "requirement"):
            if k in value and value[k] is not None:
                return str(value[k])
        strings = [str(v) for v in value.values() if isinstance(v, str)]
        return strings[0] if strings else ""
    return "" if value is None else str(value)


def _rubric(value: Any) -> list[str]:
    """A rubric from a list, an array, a JSON list in a string, or one item per line."""
    if value is None:
        return []
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()  # numpy arrays from parquet
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            try:
                return _rubric(json.loads(s))
            except ValueError:
                pass
        return [_BULLET.sub("", line).strip() for line in s.splitlines() if _BULLET.sub("", line).strip()]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [t for t in (" ".join(_item_text(v).split()) for v in value) if t]
    return [_item_text(value)] if _item_text(value) else []


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _json_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            out = json.loads(value)
            return out if isinstance(out, dict) else {}
        except ValueError:
            return {}
    return {}


def goal_from_row(row: Mapping[str, Any], *, config: str | None = None, split: str | None = None) -> Goal:
    """A `Goal` from one dataset row; raises ValueError naming what is missing."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in row.items():
        name = _LOOKUP.get(_norm(key))
        if name is not None and name not in fields:
            fields[name] = value
        elif value is not None:
            extra[str(key)] = value if isinstance(value, (str, int, float, bool)) else str(value)
    text = " ".join(str(fields.get("text") or "").split())
    if not text:
        raise ValueError(f"no goal text (columns: {', '.join(map(str, row.keys()))})")
    paper_id = fields.get("paper_id")
    paper_id = None if paper_id is None or str(paper_id) == "" else str(paper_id)
    split = str(fields.get("split") or split) if (fields.get("split") or split) else None
    meta = _json_dict(fields.get("meta"))
    meta.update(extra)
    if config:
        meta.setdefault("rpg_config", config)
    scores = {k: float(v) for k, v in _json_dict(fields.get("scores")).items() if isinstance(v, (int, float))}
    gid = fields.get("id")
    reference = fields.get("reference")
    return Goal(
        id=str(gid) if gid not in (None, "") else make_id("research-plan-gen", config, split, paper_id, text),
        paper_id=paper_id,
        domain=str(fields["domain"]) if fields.get("domain") else _CONFIG_DOMAIN.get(config or ""),
        text=text,
        rubric=_rubric(fields.get("rubric")),
        reference=None if reference is None else str(reference),
        scores=scores,
        date=_date(fields.get("date")),
        split=split,
        meta=meta,
    )


def goal_to_row(goal: Goal) -> dict[str, Any]:
    """The released row of a goal: `Goal`, `Rubric`, `Reference solution`, `article_id`.

    The released schema has plain (positive) items only: pitfall items (negative weight)
    are left out, since read back as plain strings they would count as things to do.
    """
    rubric = [t for t, w in zip(goal.rubric, goal.item_weights(), strict=True) if w > 0]
    return {"Goal": goal.text, "Rubric": rubric, "Reference solution": goal.reference or "",
            "article_id": goal.paper_id or ""}


def rpg_config_for(goal: Goal) -> str:
    """The release config a goal belongs in: `ml`, `pubmed` (medical) or `arxiv` (the rest)."""
    cfg = goal.meta.get("rpg_config")
    if cfg in RPG_CONFIGS:
        return str(cfg)
    domain = (goal.domain or "").lower()
    return "ml" if domain == "ml" else "pubmed" if domain in ("medical", "pubmed", "biomedical") else "arxiv"


def rpg_files(root: Path, config: str, split: str) -> list[Path]:
    """The parquet files of one config and split under a local copy of the release."""
    found: list[Path] = []
    for base in (root, root / "data"):
        d = base / config
        for pattern in (f"{split}/*.parquet", f"{split}-*.parquet", f"{split}.parquet", f"{split}_*.parquet"):
            found += sorted(d.glob(pattern))
    return list(dict.fromkeys(found))


def _parquet_rows(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise SciplanError(f"{path}: not a readable parquet file ({exc})") from None


def read_rpg(root: Path, configs: Iterable[str] | None = None, splits: Iterable[str] | None = None,
             errors: list[str] | None = None) -> list[Goal]:
    """Goals from a local copy of the release; bad rows go to `errors` (or raise when None)."""
    root = Path(root)
    if not root.is_dir():
        raise SciplanError(f"{root}: no such folder (expected CONFIG/SPLIT/*.parquet)")
    goals: list[Goal] = []
    files = 0
    for config in configs or RPG_CONFIGS:
        for split in splits or RPG_SPLITS:
            for path in rpg_files(root, config, split):
                files += 1
                for n, row in enumerate(_parquet_rows(path), start=1):
                    try:
                        goals.append(goal_from_row(row, config=config, split=split))
                    except ValueError as exc:
                        if errors is None:
                            raise SciplanError(f"{path} row {n}: {exc}") from None
                        errors.append(f"{path} row {n}: {exc}")
    if not files:
        raise SciplanError(f"{root}: no parquet files in the research-plan-gen layout (CONFIG/SPLIT/*.parquet "
                           f"for configs {', '.join(configs or RPG_CONFIGS)})")
    return goals


def write_rpg(goals: Iterable[Goal], root: Path, *, config: str | None = None, split: str | None = None) -> list[Path]:
    """Write goals as `ROOT/CONFIG/SPLIT/part-00000.parquet` in the released columns; return the files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for g in goals:
        key = (config or rpg_config_for(g), split or g.split or "train")
        groups.setdefault(key, []).append(goal_to_row(g))
    schema = pa.schema([("Goal", pa.string()), ("Rubric", pa.list_(pa.string())),
                        ("Reference solution", pa.string()), ("article_id", pa.string())])
    out = []
    for (cfg, sp), rows in sorted(groups.items()):
        path = Path(root) / cfg / sp / "part-00000.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        out.append(path)
    return out


def load_rpg_hub(repo: str = RPG_REPO, configs: Iterable[str] | None = None, splits: Iterable[str] | None = None,
                 errors: list[str] | None = None) -> list[Goal]:
    """Goals from the hub with `datasets.load_dataset` (needs the network)."""
    import datasets

    goals: list[Goal] = []
    for config in configs or RPG_CONFIGS:
        for split in splits or RPG_SPLITS:
            try:
                ds = datasets.load_dataset(repo, config, split=split)
            except Exception as exc:  # offline, unknown repo/config: one clear line
                raise SciplanError(f"cannot load {repo} ({config}/{split}) from the hub: {exc}. "
                                   "Download it where the network allows and import the local folder.") from None
            for n, row in enumerate(ds, start=1):
                try:
                    goals.append(goal_from_row(row, config=config, split=split))
                except ValueError as exc:
                    if errors is None:
                        raise SciplanError(f"{repo} {config}/{split} row {n}: {exc}") from None
                    errors.append(f"{repo} {config}/{split} row {n}: {exc}")
    return goals
