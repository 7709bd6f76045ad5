"""Pipeline configs: stage order, paths relative to the file, clear errors."""

from pathlib import Path

import pytest

from sciplan.errors import SciplanError
from sciplan.papers import is_query, parse_query
from sciplan.pipeline import load_pipeline_config, select_stages

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_configs_load_with_paths_resolved_against_the_file():
    for name in ("demo", "paper-ml", "paper-medical", "paper-arxiv"):
        cfg = load_pipeline_config(ROOT / "configs" / f"{name}.yaml")
        assert cfg.stages()[:4] == ["ingest", "extract", "train", "evaluate"], name
        for step in (cfg.extract, cfg.train, cfg.evaluate):
            assert step.config is None or (step.config.is_absolute() and step.config.is_file()), (name, step.config)
        for query in (i for i in cfg.ingest.inputs if is_query(i)):
            parse_query(query)  # every source query of a shipped config is valid
    demo = load_pipeline_config(ROOT / "configs" / "demo.yaml")
    assert demo.ingest.inputs == [str(ROOT / "src" / "sciplan" / "data" / "demo_papers")]


def test_queries_stay_queries_and_relative_inputs_follow_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    cfg_file = tmp_path / "sub" / "run.yaml"
    cfg_file.write_text("name: x\ningest:\n  inputs: [papers, 'arxiv:cs.LG?max=5', /abs/p.pdf]\n")
    cfg = load_pipeline_config(cfg_file)
    assert cfg.ingest.inputs == [str(tmp_path / "sub" / "papers"), "arxiv:cs.LG?max=5", "/abs/p.pdf"]


def test_select_stages_from_until(tmp_path):
    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text("name: x\ningest: {inputs: [a]}\nextract: {}\ntrain: {config: t.yaml}\n")
    cfg = load_pipeline_config(cfg_file)
    assert select_stages(cfg, None, None) == ["ingest", "extract", "train"]
    assert select_stages(cfg, "extract", None) == ["extract", "train"]
    assert select_stages(cfg, None, "extract") == ["ingest", "extract"]
    with pytest.raises(SciplanError, match="'evaluate' is not in this config"):
        select_stages(cfg, "evaluate", None)
    with pytest.raises(SciplanError, match="comes after"):
        select_stages(cfg, "train", "ingest")


def test_bad_config_names_the_file(tmp_path):
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text("name: 'no spaces allowed'\nunknown_stage: {}\n")
    with pytest.raises(SciplanError, match="bad.yaml"):
        load_pipeline_config(cfg_file)
