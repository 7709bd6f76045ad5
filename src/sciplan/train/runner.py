"""Run a training config to the end, idempotently: skip a finished run, resume an interrupted one.

    result = run_training(load_train_config("configs/train/demo.yaml"))
    result.before, result.after      # held-out validation of the initial and trained policy
    result.model_spec                # "hf:runs/demo/train/final", for evaluation

This is what `sciplan train` and the whole-pipeline runner call in-process.
"""

from __future__ import annotations

import logging
import shutil
from typing import Any

from sciplan.errors import SciplanError
from sciplan.logs import library_output
from sciplan.train.config import TrainConfig
from sciplan.train.ranks import is_main
from sciplan.train.result import TrainResult, latest_checkpoint, read_summary, result_from_summary

__all__ = ["LOG_FILE", "run_training", "finished_result"]

# Beside the run's checkpoints: what the libraries said while it trained.
LOG_FILE = "sciplan.log"

log = logging.getLogger(__name__)


def finished_result(config: TrainConfig) -> TrainResult | None:
    """The result of this config's run when it already finished (final model written), else None."""
    out = config.resolved_output_dir()
    s = read_summary(out)
    if not s or not s.get("finished") or not (out / "final" / "config.json").is_file():
        return None
    if s.get("steps", 0) < config.steps:
        return None  # more steps asked for: resume from the last checkpoint
    return result_from_summary(out, s)


def run_training(config: TrainConfig, *, console: Any = None, policy: tuple[Any, Any] | None = None,
                 fresh: bool = False) -> TrainResult:
    """Train `config` to its last step: nothing to do when finished, resumed when interrupted.

    `fresh` deletes the output folder's earlier checkpoints and results first.
    """
    out = config.resolved_output_dir()
    if fresh and out.exists() and is_main():  # the other processes of a multi-process run start fresh too
        shutil.rmtree(out)
    s = None if fresh else read_summary(out)
    if s and s.get("fingerprint") and s["fingerprint"] != config.fingerprint():
        raise SciplanError(f"{out} holds a run trained with other settings: "
                           "give another output folder, or --fresh to start over")
    done = None if fresh else finished_result(config)
    if done is not None:
        log.info("%s: already trained to step %d; nothing to do", out, done.steps)
        return done
    resume = None if fresh else latest_checkpoint(out)
    # Library warnings and bars go to the run's log; the terminal shows sciplan's progress.
    with library_output(out / LOG_FILE):
        if config.method == "sft":
            from sciplan.train.sft import build_sft

            run: Any = build_sft(config, policy=policy, console=console)
        else:
            from sciplan.train.grpo import build_grpo

            run = build_grpo(config, policy=policy, console=console)
        return run.train(resume=str(resume) if resume else None)
