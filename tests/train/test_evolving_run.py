"""A real GRPO run on the bundled model with weighted items, a veto, the length guard and evolving
rubrics on; interrupted after step 1 and resumed from checkpoint-1 with the rubric buffer restored."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from sciplan.records import Goal, Grade, GradeItem
from sciplan.train import latest_checkpoint, load_train_config, run_training
from sciplan.train.rubric_buffer import BUFFER_FILE, RubricBuffer

# Two GRPO steps and a resumed one on 2 shared CPU cores: minutes, more under load.
pytestmark = [pytest.mark.model, pytest.mark.timeout(1800)]

WEIGHTED = [
    Goal(id="e-ml", domain="ml", split="train",
         text="Test whether label smoothing improves the calibration of small image classifiers on CIFAR-10.",
         rubric=[{"text": "Measures expected calibration error.", "weight": 2},
                 "Compares against a model trained without label smoothing.",
                 {"text": "Tunes hyperparameters on the test set.", "weight": -1, "veto": True}]),
]


@pytest.fixture(scope="module")
def evolving(tmp_path_factory, fresh_policy, kit):
    root = tmp_path_factory.mktemp("evolving")
    goals = kit.write_goals(root / "goals.jsonl", WEIGHTED)
    data = kit.tiny_config(
        root / "out", goals,
        validation={"every": 0, "at_start": False},
        save_merged=False,
        veto={"floor": 0.0},
        length_guard={"mode": "penalty", "coef": 0.2, "max_penalty": 0.2},
        evolving_rubrics={"enabled": True, "saturation_window": 1, "min_active": 1, "proposer": "local:smollm2",
                          "proposer_settings": {"cache": False, "n_threads": 2}, "max_tokens": 96, "new_per_step": 1},
    )
    config = load_train_config(kit.write_config(root / "train.yaml", data))
    result = run_training(config, policy=fresh_policy())
    return root, config, result


def test_the_buffer_is_saved_with_every_checkpoint_and_in_the_summary(evolving):
    root, config, result = evolving
    out = root / "out"
    assert result.steps == 2
    for step in (1, 2):
        buf = RubricBuffer.load(out / "checkpoints" / f"checkpoint-{step}" / BUFFER_FILE)
        assert set(buf.items) == {"e-ml"}
        assert all(e["step"] <= step for e in buf.events)
    # Weighted items reached the buffer as loaded from the goal (2, 1, −1; the pitfall is a veto).
    first = RubricBuffer.load(out / "checkpoints" / "checkpoint-1" / BUFFER_FILE)
    assert [(it.weight, it.veto) for it in first.items["e-ml"][:3]] == [(2.0, False), (1.0, False), (-1.0, True)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rubric_buffer"]["table"][0]["goal_id"] == "e-ml"
    rows = {m["step"]: m for m in result.metrics}
    assert {"reward/vetoed", "reward/length_guard", "rubric/active_mean", "rubric/retired"} <= set(rows[1])


@pytest.mark.slow  # a second GRPO run: minutes on 2 cores; `make test-slow`
def test_a_resumed_run_restores_the_buffer_of_its_checkpoint(evolving, tmp_path, fresh_policy, caplog):
    root, config, _ = evolving
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    # What a crash during step 2 leaves: checkpoint-1 only, no final model, an unfinished summary.
    shutil.rmtree(out / "final")
    shutil.rmtree(out / "checkpoints" / "checkpoint-2")
    summary = json.loads((out / "summary.json").read_text())
    (out / "summary.json").write_text(json.dumps({**summary, "finished": False, "steps": 1}))
    # Whatever the 135M grader said at step 1, make the checkpoint's buffer distinctive: the
    # goal's second item retired at step 1 (from two hand-made verdicts that both pass it).
    path = out / "checkpoints" / "checkpoint-1" / BUFFER_FILE
    saved = RubricBuffer.load(path)
    goal = saved.goal("e-ml")
    item = goal.rubric[1] if len(goal.rubric) > 1 else goal.rubric[0]
    saved.settings = saved.settings.model_copy(update={"saturation_window": 1, "min_active": 1})
    verdicts = [GradeItem(index=i + 1, item=t, satisfied=(t == item)) for i, t in enumerate(goal.rubric)]
    grade = Grade(id="h", goal_id="e-ml", plan_id="p", grader="hand", items=verdicts, score=0.5)
    saved.observe(1, "e-ml", [grade, grade])
    saved.save(path)
    assert latest_checkpoint(out).name == "checkpoint-1"

    config = config.model_copy(update={"output_dir": out})
    with caplog.at_level(logging.INFO, logger="sciplan.train.shaping"):
        result = run_training(config, policy=fresh_policy())
    assert [t["step"] for t in result.timings] == [2.0]  # only step 2 was trained
    assert any("rubric buffer restored from" in r.getMessage() for r in caplog.records)
    final = RubricBuffer.load(out / "checkpoints" / "checkpoint-2" / BUFFER_FILE)
    # The restored history goes on: every event of checkpoint-1 first, in order, then step 2's.
    assert final.events[: len(saved.events)] == saved.events
    assert any(e["event"] == "retired" and e["step"] == 1 for e in final.events)
    assert all(e["step"] == 2 for e in final.events[len(saved.events):])
    retired = [it.text for it in final.items["e-ml"] if not it.active]
    assert set(retired) >= {it.text for it in saved.items["e-ml"] if not it.active}
