"""Per-step training metrics: reward, score, penalty, length, violations, failures; TensorBoard and JSONL."""

from __future__ import annotations

import math

import pytest

from sciplan.grade import RewardConfig, check_format, combine, split_completion
from sciplan.records import Grade, GradeItem
from sciplan.train import LoggingSettings, MetricsLogger, read_scalars, step_metrics

IDS = ["G1", "G2", "G3"]
CFG = RewardConfig(max_plan_length=5)


def parts(text: str, grade: Grade | None):
    return combine(check_format(split_completion(text), CFG), grade, CFG)


def grade(score: float | None, violations: list[list[str]], failed: bool = False) -> Grade:
    items = [GradeItem(index=i, violations=v, satisfied=not v) for i, v in enumerate(violations, 1)]
    return Grade(id="g", goal_id="x", plan_id="p", grader="m", items=items, score=score, failed=failed)


def test_step_metrics_count_failures_and_violations_never_as_zero():
    batch = [
        parts("short plan here", grade(0.5, [[], ["G2"]])),
        parts("one two three four five six seven", grade(1.0, [[], []])),  # over the limit: penalty 1
        parts("a failed grade", grade(None, [], failed=True)),
    ]
    m = step_metrics(batch, IDS)
    assert m["reward/mean"] == pytest.approx((0.5 + 0.0) / 2)  # the failed grade is left out, not 0
    assert m["grader/failures"] == 1 and m["grader/failure_rate"] == pytest.approx(1 / 3)
    assert m["score/mean_failed_as_0"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)  # both views, side by side
    assert m["reward/mean_failed_as_0"] == pytest.approx((0.5 + 0.0 + 0.0) / 3)
    assert m["penalty/mean"] == pytest.approx(1 / 3) and m["format/over_limit"] == pytest.approx(1 / 3)
    assert m["violations/G2"] == pytest.approx(1 / 4) and m["violations/G1"] == 0.0
    assert m["plan_length/max"] == 7


def test_logger_writes_tensorboard_and_jsonl_and_drops_non_finite(tmp_path, kit):
    log = MetricsLogger(tmp_path, LoggingSettings())
    log.log(1, {"reward/mean": 0.25, "nan": math.nan}, prefix="train")
    log.log(2, {"reward/mean": 0.5}, prefix="train")
    log.text(2, "alerts/length_growth", "plans grew")
    log.close()
    assert read_scalars(tmp_path / "tensorboard")["train/reward/mean"] == [(1, 0.25), (2, 0.5)]
    rows = kit.read_jsonl(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2] and "train/nan" not in rows[0]


def test_an_inactive_logger_the_other_processes_of_a_run_writes_nothing(tmp_path):
    log = MetricsLogger(tmp_path, LoggingSettings(backends=["tensorboard", "wandb"]), active=False)
    log.log(1, {"reward/mean": 0.25}, prefix="train")
    log.text(1, "alerts/x", "y")
    log.close()
    assert log.tb_writer is None and log.wandb is None and not list(tmp_path.iterdir())


def test_wandb_without_the_package_is_a_clear_error(tmp_path):
    try:
        import wandb  # noqa: F401
    except ImportError:
        from sciplan.errors import SciplanError

        with pytest.raises(SciplanError, match="pip install wandb"):
            MetricsLogger(tmp_path, LoggingSettings(backends=["wandb"]))
    else:
        pytest.skip("wandb is installed here")
