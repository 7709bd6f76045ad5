"""Exports of a study's answers: JSONL (exact, one `Annotation` per line) and CSV (for spreadsheets).

CSV cells of free text that start with = + - @ (or a tab / carriage return) get a leading
apostrophe, so a spreadsheet shows them instead of running them as formulas; the JSONL
export keeps every text exactly.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlReport, JsonlWriter, read_records
from sciplan.study.annotation import Annotation

__all__ = [
    "ANNOTATION_COLUMNS",
    "ITEM_COLUMNS",
    "annotations_jsonl",
    "annotations_csv",
    "items_csv",
    "export_study",
    "read_annotations",
]

ANNOTATION_COLUMNS = [
    "id",
    "annotator",
    "goal_id",
    "plan_a_id",
    "plan_b_id",
    "model_a",
    "model_b",
    "left_arm",
    "attention",
    "status",
    "preference",
    "score_a",
    "score_b",
    "items",
    "satisfied_a",
    "satisfied_b",
    "approved",
    "rationale",
    "time_spent_s",
    "opened_at",
    "updated_at",
    "submitted_at",
]
ITEM_COLUMNS = ["annotation_id", "annotator", "goal_id", "index", "item", "satisfied_a", "satisfied_b", "valid"]


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


def _csv(columns: list[str], rows: Iterable[dict]) -> str:
    buf = io.StringIO()
    # CRLF row ends (RFC 4180): the csv module then quotes any field holding a bare CR too,
    # which it does not do with "\n" ends, and a CR in a rationale would split the row.
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buf.getvalue()


def annotations_jsonl(annotations: list[Annotation]) -> str:
    """All annotations as JSONL text."""
    return "".join(a.to_json() + "\n" for a in annotations)


def annotations_csv(annotations: list[Annotation]) -> str:
    """One CSV row per annotation; rubric items are counted (per-item answers are in `items_csv`)."""

    def row(a: Annotation) -> dict:
        d = a.model_dump(exclude={"items", "time_spent_ms"})
        d.update(
            items=len(a.items),
            satisfied_a=sum(i.satisfied_a for i in a.items),
            satisfied_b=sum(i.satisfied_b for i in a.items),
            approved=sum(i.valid is True for i in a.items),
            time_spent_s=round(a.time_spent_ms / 1000),
        )
        return d

    return _csv(ANNOTATION_COLUMNS, (row(a) for a in annotations))


def items_csv(annotations: list[Annotation]) -> str:
    """One CSV row per rubric item per annotation; `valid` is empty when unanswered."""
    rows = (
        {"annotation_id": a.id, "annotator": a.annotator, "goal_id": a.goal_id, **i.model_dump()}
        for a in annotations
        for i in a.items
    )
    return _csv(ITEM_COLUMNS, rows)


def export_study(annotations: list[Annotation], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write annotations.jsonl, annotations.csv and rubric_items.csv into `out_dir`; return their paths."""
    out = Path(out_dir)
    jsonl = out / "annotations.jsonl"
    try:
        out.mkdir(parents=True, exist_ok=True)
        jsonl.unlink(missing_ok=True)  # an export replaces the previous one, never appends to it
        with JsonlWriter(jsonl) as w:
            w.write_all(annotations)
        (out / "annotations.csv").write_text(annotations_csv(annotations), encoding="utf-8")
        (out / "rubric_items.csv").write_text(items_csv(annotations), encoding="utf-8")
    except OSError as exc:
        where = exc.filename or out
        raise SciplanError(f"{where}: cannot write the export ({exc.strerror or exc})") from None
    return [jsonl, out / "annotations.csv", out / "rubric_items.csv"]


def read_annotations(path: str | os.PathLike[str]) -> list[Annotation]:
    """Read an annotations.jsonl export."""
    p = Path(path)
    if not p.is_file():
        raise SciplanError(f"{p}: no such annotations file")
    report = JsonlReport(p)
    out = read_records(p, Annotation, report)
    if report.bad_lines and not out:
        raise SciplanError(
            f"{p}: no valid annotation records (first problem: line {report.bad_lines[0][0]}: {report.bad_lines[0][1]})"
        )
    return out
