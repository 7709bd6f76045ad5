"""Datasets: the research-plan-gen layout round trip through parquet, JSONL/parquet/HF round trips, tolerant rows."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.extract_judge import ML_ROWS, PUBMED_ROWS, build_release
from sciplan.errors import SciplanError
from sciplan.extract import RPG_COLUMNS, detect_format, goal_from_row, read_goals, write_goals
from sciplan.records import Goal


def test_research_plan_gen_round_trip_through_parquet(tmp_path):
    release = build_release(tmp_path / "release")
    goals = read_goals(release)
    assert detect_format(release) == "rpg"
    assert [(g.split, g.domain, g.paper_id) for g in goals] == [
        ("train", "ml", "or:abc"), ("train", "ml", "or:def"), ("test", "medical", "PMC2599765")]
    first = goals[0]
    assert first.text == ML_ROWS[0]["Goal"] and first.rubric == ML_ROWS[0]["Rubric"]
    assert first.reference == ML_ROWS[0]["Reference solution"]

    files = write_goals(goals, tmp_path / "export", format="rpg")
    assert sorted(p.relative_to(tmp_path / "export").as_posix() for p in files) == [
        "ml/train/part-00000.parquet", "pubmed/test/part-00000.parquet"]
    table = pq.read_table(files[0])
    assert tuple(table.column_names) == RPG_COLUMNS and table.to_pylist() == ML_ROWS
    assert pq.read_table(files[1]).to_pylist() == PUBMED_ROWS
    # export -> import gives the same goals (ids are derived from the row), a fixed point.
    assert read_goals(tmp_path / "export") == goals


def test_only_chosen_configs_and_splits(tmp_path):
    release = build_release(tmp_path / "release")
    assert [g.paper_id for g in read_goals(release, configs=["pubmed"])] == ["PMC2599765"]
    assert [g.split for g in read_goals(release, splits=["train"])] == ["train", "train"]
    with pytest.raises(SciplanError, match="no parquet files"):
        read_goals(release, configs=["ml"], splits=["test"])


@pytest.mark.parametrize("row,field,value", [
    ({"goal": "G", "rubric": '["a", "b"]'}, "rubric", ["a", "b"]),
    ({"Research goal": "G", "Rubric": "1. a\n2) b\n- c"}, "rubric", ["a", "b", "c"]),
    ({"Goal": "G", "Rubric": [{"criterion": "a"}, {"item": "b"}]}, "rubric", ["a", "b"]),
    ({"Goal": "G", "Rubric": ["a"], "reference": "R"}, "reference", "R"),
    ({"Goal": "G", "Rubric": ["a"], "paper_id": 7}, "paper_id", "7"),
    ({"Goal": "G", "Rubric": ["a"], "publication_date": "2025-08-03T00:00:00"}, "date", date(2025, 8, 3)),
    ({"Goal": "G", "Rubric": ["a"], "Subject": "physics"}, "domain", "physics"),
])
def test_column_names_are_mapped_tolerantly(row, field, value):
    assert getattr(goal_from_row(row, config="arxiv"), field) == value


def test_unknown_columns_go_to_meta_and_bad_rows_are_reported(tmp_path):
    g = goal_from_row({"Goal": "G", "Rubric": ["a"], "venue": "ICLR"}, config="ml")
    assert g.meta == {"venue": "ICLR", "rpg_config": "ml"}
    with pytest.raises(ValueError, match="no goal text"):
        goal_from_row({"Rubric": ["a"]})
    path = tmp_path / "mixed.parquet"
    pq.write_table(pa.Table.from_pylist([{"Goal": "G", "Rubric": ["a"]}, {"Goal": "", "Rubric": ["b"]}]), path)
    errors: list[str] = []
    assert len(read_goals(path, errors=errors)) == 1 and "row 2: no goal text" in errors[0]
    with pytest.raises(SciplanError, match="row 2"):
        read_goals(path)


GOALS = [
    Goal(id="g1", paper_id="p1", domain="ml", text="A goal.", rubric=["x", "y"], reference="ref",
         scores={"average": 0.5, "goal.self_contained": 1.0}, date=date(2024, 1, 2), split="train",
         meta={"title": "T", "items": [{"item": "x", "kept": True}]}),
    Goal(id="g2", text="Another goal.", rubric=[]),
]


@pytest.mark.parametrize("name,fmt", [("goals.jsonl", "auto"), ("goals.parquet", "auto"), ("hf", "hf")])
def test_sciplan_formats_round_trip_exactly(tmp_path, name, fmt):
    path = tmp_path / name
    write_goals(GOALS, path, format=fmt)
    assert read_goals(path) == GOALS


def test_hf_dataset_dict_folders_and_errors(tmp_path):
    import datasets

    from sciplan.extract import to_hf_dataset

    dd = datasets.DatasetDict({"test": to_hf_dataset([GOALS[1]])})
    dd.save_to_disk(str(tmp_path / "dd"))
    [g] = read_goals(tmp_path / "dd")
    assert g.split == "test" and g.text == GOALS[1].text
    with pytest.raises(SciplanError, match="no such dataset"):
        read_goals(tmp_path / "missing.jsonl")
    with pytest.raises(SciplanError, match="cannot tell the dataset format"):
        detect_format(tmp_path / "goals.csv")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(SciplanError, match="bad.parquet: not a readable parquet"):
        read_goals(tmp_path / "bad.parquet")
    assert json.loads(json.dumps(to_hf_dataset(GOALS)[0]["scores"])) == json.dumps(GOALS[0].scores, sort_keys=True)


def test_hub_sources_are_recognised_and_failures_are_clear(monkeypatch):
    from pathlib import Path

    import datasets

    assert detect_format("hf://facebook/research-plan-gen") == "hub" == detect_format(Path("hf://me/goals"))
    asked = []

    def unreachable(repo, config, split):  # no network in tests: the hub call fails as it does offline
        asked.append((repo, config, split))
        raise ConnectionError("Couldn't reach 'facebook/research-plan-gen' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(SciplanError, match="cannot load facebook/research-plan-gen .ml/test. from the hub"):
        read_goals("hf://facebook/research-plan-gen", configs=["ml"], splits=["test"])
    assert asked == [("facebook/research-plan-gen", "ml", "test")]


def test_hub_rows_map_like_local_ones(monkeypatch):
    import datasets

    monkeypatch.setattr(datasets, "load_dataset", lambda repo, config, split: ML_ROWS if config == "ml" else [])
    goals = read_goals("hf://facebook/research-plan-gen", splits=["train"])
    assert [(g.paper_id, g.domain, g.split) for g in goals] == [("or:abc", "ml", "train"), ("or:def", "ml", "train")]
