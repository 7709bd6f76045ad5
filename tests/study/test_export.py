"""Exports: JSONL round-trips exactly; CSV has one row per annotation / per item and no formulas."""

from __future__ import annotations

import csv
import io

import pytest

from sciplan.errors import SciplanError
from sciplan.study import export_study, read_annotations
from sciplan.study.export import ANNOTATION_COLUMNS, ITEM_COLUMNS, annotations_csv


def test_jsonl_round_trips_and_csvs_have_the_documented_columns(four_annotations, tmp_path):
    paths = export_study(four_annotations, tmp_path / "out")
    assert [p.name for p in paths] == ["annotations.jsonl", "annotations.csv", "rubric_items.csv"]
    assert read_annotations(paths[0]) == four_annotations
    export_study(four_annotations[:1], tmp_path / "out")  # a new export replaces the old one
    assert len(read_annotations(paths[0])) == 1

    export_study(four_annotations, tmp_path / "out")
    rows = list(csv.DictReader(io.StringIO(paths[1].read_text(encoding="utf-8"))))
    assert list(rows[0]) == ANNOTATION_COLUMNS and len(rows) == 4
    first = rows[0]
    assert (first["id"], first["preference"], first["score_a"], first["score_b"]) == ("A1", "a", "8", "6")
    assert (first["items"], first["satisfied_a"], first["satisfied_b"], first["approved"]) == ("2", "2", "1", "2")
    assert first["time_spent_s"] == "60"
    items = list(csv.DictReader(io.StringIO(paths[2].read_text(encoding="utf-8"))))
    assert list(items[0]) == ITEM_COLUMNS and len(items) == 8
    blank = [r for r in items if r["annotation_id"] == "A3" and r["index"] == "1"][0]
    assert blank["valid"] == "" and blank["satisfied_a"] == "1"


def test_csv_cells_cannot_become_spreadsheet_formulas(four_annotations):
    evil = four_annotations[0].model_copy(update={"rationale": '=HYPERLINK("http://x","y")'})
    row = next(csv.DictReader(io.StringIO(annotations_csv([evil]))))
    assert row["rationale"] == '\'=HYPERLINK("http://x","y")'


def test_reading_a_missing_or_foreign_file_names_it(tmp_path):
    with pytest.raises(SciplanError, match="nope.jsonl: no such annotations file"):
        read_annotations(tmp_path / "nope.jsonl")
    (tmp_path / "goals.jsonl").write_text('{"id": "g", "text": "a goal"}\n')
    with pytest.raises(SciplanError, match="goals.jsonl: no valid annotation records"):
        read_annotations(tmp_path / "goals.jsonl")
