"""The one config loader: `base:` inheritance, paths relative to the file, one error format."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciplan.config import ConfigPath, Strict, load_config
from sciplan.errors import SciplanError


class Inner(Strict):
    data: ConfigPath | None = None


class Demo(Strict):
    steps: int = 1
    goals: list[ConfigPath] = []
    out: Path | None = None  # a plain Path: relative to where the command runs
    inner: Inner = Inner()


def test_paths_are_relative_to_the_file_that_names_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg").mkdir()
    f = tmp_path / "cfg" / "a.yaml"
    f.write_text("goals: [g.jsonl, /abs/h.jsonl]\ninner: {data: ../d.csv}\nout: runs/x\n")
    cfg = load_config("cfg/a.yaml", Demo)
    assert cfg.goals == [tmp_path / "cfg" / "g.jsonl", Path("/abs/h.jsonl")]
    assert cfg.inner.data == tmp_path / "d.csv"
    assert cfg.out == Path("runs/x")


def test_overrides_win_and_keep_their_paths_as_given(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("steps: 2\ngoals: [g.jsonl]\n")
    cfg = load_config(f, Demo, steps=5, goals=["mine.jsonl"], out=None)
    assert cfg.steps == 5 and cfg.goals == [Path("mine.jsonl")]


def test_base_files_merge_key_by_key(tmp_path):
    (tmp_path / "base.yaml").write_text("steps: 7\ninner: {data: x.csv}\n")
    (tmp_path / "child.yaml").write_text("base: base.yaml\ngoals: [g.jsonl]\n")
    cfg = load_config(tmp_path / "child.yaml", Demo)
    assert cfg.steps == 7 and cfg.inner.data == tmp_path / "x.csv" and cfg.goals == [tmp_path / "g.jsonl"]
    (tmp_path / "lost.yaml").write_text("base: nowhere.yaml\n")
    with pytest.raises(SciplanError, match="base config nowhere.yaml not found"):
        load_config(tmp_path / "lost.yaml", Demo)


def test_errors_name_the_file_and_every_bad_key(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("stpes: 3\nsteps: many\ninner: {dta: 1}\n")
    with pytest.raises(SciplanError) as info:
        load_config(f, Demo)
    msg = str(info.value)
    assert msg.startswith(f"{f}: invalid Demo: ")
    assert "stpes: Extra inputs are not permitted" in msg and "steps: " in msg and "inner.dta" in msg
