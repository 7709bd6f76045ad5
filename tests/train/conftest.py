"""Fixtures for the training tests: tiny goal files, the bundled policy loaded once, tiny configs.

Real-model runs are kept small (2-item rubrics, 2 plans a step, 16-token completions): the
grader's calls are what a step costs on a CPU.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sciplan.records import Goal

GOALS = [
    Goal(id="t-ml", domain="ml", split="train",
         text="Test whether label smoothing improves the calibration of small image classifiers on CIFAR-10.",
         rubric=["Measures expected calibration error.", "Compares against a model trained without label smoothing."],
         reference="Train ResNet-18 with and without label smoothing on CIFAR-10; report ECE and accuracy."),
    Goal(id="t-med", domain="medical", split="train",
         text="Estimate whether daily step counts predict hospital readmission within 30 days after surgery.",
         rubric=["Uses wearable step counts recorded after discharge.", "Adjusts for age and comorbidities."],
         reference="Give patients wrist trackers at discharge; model 30-day readmission on mean daily steps, "
                   "adjusting for age and Charlson index."),
    Goal(id="t-held", domain="ml", split="test",
         text="Find out whether pruning half the attention heads of a small transformer hurts its translation quality.",
         rubric=["Reports BLEU before and after pruning.", "Chooses heads to prune with a stated criterion."],
         reference="Prune heads by importance score in a 6-layer model; compare BLEU on WMT14 En-De."),
]


def write_goals(path: Path, goals: list[Goal] = GOALS) -> Path:
    """A goals JSONL file."""
    path.write_text("".join(g.model_dump_json() + "\n" for g in goals))
    return path


@pytest.fixture(scope="session")
def goals_file(tmp_path_factory) -> Path:
    return write_goals(tmp_path_factory.mktemp("goals") / "goals.jsonl")


def tiny_config(out: Path, goals: Path, **over: Any) -> dict[str, Any]:
    """A training config (as YAML data) small enough for a CPU test."""
    cfg: dict[str, Any] = {
        "method": "grpo",
        "run": "test",
        "output_dir": str(out),
        "policy": {"model": "smollm2", "finetune": "lora", "lora": {"r": 4, "alpha": 8, "dropout": 0.0}},
        "goals": {"train": [str(goals)]},
        "grader": {
            "model": "policy",
            "settings": {"cache": False, "n_threads": 2, "max_retries": 1, "timeout": 120},
            "grader": {"max_tokens": 200, "excerpt_chars": 20, "reason_chars": 20, "retries": 0},
            "reward": {"max_plan_length": 10, "length_unit": "words", "on_failed": "skip"},
            "outage_retries": 1,
            "outage_wait": 0.5,
        },
        "plan": {"think": False, "max_words": 10},
        "steps": 2,
        "learning_rate": 1.0e-3,
        "num_generations": 2,
        "goals_per_step": 1,
        "max_completion_length": 16,
        "gradient_checkpointing": False,
        "save_every": 1,
        "validation": {"every": 2, "at_start": True, "judge": "local:smollm2",
                       "judge_settings": {"cache": False, "n_threads": 2}, "max_new_tokens": 16},
    }
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def base_policy():
    """The bundled model dequantised through transformers, loaded once for the session."""
    from sciplan.train import PolicySettings, load_policy

    return load_policy(PolicySettings())


@pytest.fixture(scope="session")
def fresh_policy(base_policy):
    """A function returning an untouched copy of the bundled policy (peft wraps models in place)."""

    def make() -> tuple[Any, Any]:
        model, tok = base_policy
        return copy.deepcopy(model), copy.deepcopy(tok)

    return make


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def kit():
    """The helpers above, for test modules (a `conftest` cannot be imported by name here)."""
    from types import SimpleNamespace

    return SimpleNamespace(GOALS=GOALS, tiny_config=tiny_config, write_config=write_config,
                           write_goals=write_goals, read_jsonl=read_jsonl)
