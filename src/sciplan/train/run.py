"""The life cycle every training method shares; GRPO and SFT subclass it.

A run writes `config.json`, splits the goals, loads the policy, opens metrics and the
reward-hacking monitor, wires progress, validation and TensorBoard around the method's
TRL trainer, trains (resuming from a checkpoint), saves `final/` and writes the summary.
A method supplies its trainer (`make_trainer`) and, where it has them, its reward and the
grader validation compares against.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sciplan.llm import close_models, stage
from sciplan.records import Goal
from sciplan.train.config import TrainConfig
from sciplan.train.dataset import GoalSplit, split_goals
from sciplan.train.metrics import MetricsLogger
from sciplan.train.monitors import HackingMonitor
from sciplan.train.policy import load_policy, save_trained
from sciplan.train.progress import ProgressCallback
from sciplan.train.ranks import is_main
from sciplan.train.result import TrainResult, latest_checkpoint, write_summary
from sciplan.train.step_reward import make_reward
from sciplan.train.validation import ValidationCallback

__all__ = ["TrainingRun", "trainer_args"]

log = logging.getLogger(__name__)


def trainer_args(config: TrainConfig, out: Path) -> dict[str, Any]:
    """The TRL arguments every method takes the same way (checkpoints, logging, device, seed)."""
    import torch

    cuda = torch.cuda.is_available()
    return dict(
        output_dir=str(out / "checkpoints"),
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        gradient_checkpointing=config.gradient_checkpointing,
        seed=config.seed,
        logging_steps=1,
        save_strategy="steps" if config.save_every else "no",
        save_steps=config.save_every or 500,
        save_total_limit=config.save_total_limit,
        report_to=["wandb"] if "wandb" in config.logging.backends else "none",
        disable_tqdm=True,
        use_cpu=not cuda,
        # Every LoRA (or full) weight takes part in the loss: DDP need not search for unused ones.
        ddp_find_unused_parameters=False,
        bf16=cuda and config.policy.dtype == "bfloat16",
    )


class TrainingRun:
    """A run ready to train: policy, data, trainer, progress, validation and logging wired."""

    title = "training"

    def __init__(self, config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> None:
        from transformers import PrinterCallback
        from transformers.integrations import TensorBoardCallback

        self.config = config
        self.out = config.resolved_output_dir()
        self.out.mkdir(parents=True, exist_ok=True)
        # In a multi-process run the main process writes the run's files; the others train.
        self.main = is_main()
        if self.main:
            (self.out / "config.json").write_text(config.model_dump_json(indent=2) + "\n")
        self.split: GoalSplit = split_goals(config.goals)
        model, tok = policy or load_policy(config.policy)
        self.tokenizer = tok
        self.metrics = MetricsLogger(self.out, config.logging, run_name=config.run, config=self.metrics_config(),
                                     active=self.main)
        self.monitor = HackingMonitor(config.monitors)
        self.prepare(tok)
        self.validation = self._validation(tok)
        callbacks: list[Any] = [ProgressCallback(console, title=self.title)]
        if self.validation is not None:
            callbacks.append(self.validation)
        callbacks += self.extra_callbacks()
        if self.metrics.tb_writer is not None:
            # TRL's own metrics (loss, KL, entropy, clip ratios) go to the same event files.
            callbacks.append(TensorBoardCallback(tb_writer=self.metrics.tb_writer))
        self.trainer = self.make_trainer(model, tok, callbacks)
        # ProgressCallback prints each step; the default printer would dump every raw log dict too.
        self.trainer.remove_callback(PrinterCallback)
        if self.validation is not None:
            self.validation.trainer = self.trainer

    # What a method supplies.

    def metrics_config(self) -> dict[str, Any] | None:
        """The config recorded with the metrics (wandb), if any."""
        return None

    def prepare(self, tokenizer: Any) -> None:
        """Build what the trainer and validation need before they exist (GRPO: the reward)."""

    def make_trainer(self, model: Any, tokenizer: Any, callbacks: list[Any]) -> Any:
        """The method's TRL trainer."""
        raise NotImplementedError

    def comparison_grader(self, goals: list[Goal], tokenizer: Any) -> Any:
        """The training grader validation compares against the judge (when `compare_grader`)."""
        return make_reward(self.config, goals, tokenizer)

    def extra_callbacks(self) -> list[Any]:
        """The method's own TRL callbacks (after progress and validation)."""
        return []

    def on_resume(self, checkpoint: Path) -> None:
        """Restore the method's own state as it was at `checkpoint`."""

    def result_fields(self) -> dict[str, Any]:
        """The method's own fields of the result."""
        return {}

    def after_train(self) -> None:
        """Anything to log once training is over (before metrics close)."""

    def reward_history(self) -> list[Any]:
        """Per-step reward summaries, for methods with a reward."""
        return []

    # The shared life cycle.

    def _validation(self, tok: Any) -> ValidationCallback | None:
        v = self.config.validation
        if not self.split.validation or not (v.every or v.at_start):
            return None
        goals = self.split.train + self.split.validation
        judge = make_reward(self.config, goals, tok, model=v.judge, settings=v.judge_settings)
        grader = self.comparison_grader(goals, tok) if v.compare_grader else None
        return ValidationCallback(
            v, self.split.validation, self.config.plan, judge, grader, self.out,
            max_new_tokens=v.max_new_tokens or self.config.max_completion_length,
            metrics=self.metrics, monitor=self.monitor, save_best=self.save_to, seed=self.config.seed,
        )

    def save_to(self, model: Any, tokenizer: Any, out: Path) -> Path:
        """Save the policy to `out`: merged full model (or as trained under DeepSpeed)."""
        return save_trained(self.trainer, model, tokenizer, out, base=self.config.policy.model,
                            merged=self.config.save_merged)

    def train(self, resume: str | bool | None = None) -> TrainResult:
        """Train (resuming from a checkpoint folder, or the latest when `resume` is True)."""
        if resume is True:
            latest = latest_checkpoint(self.out)
            resume = str(latest) if latest else None
            if resume is None:
                log.warning("no checkpoint to resume from in %s: starting fresh", self.out / "checkpoints")
        if resume:
            self.on_resume(Path(str(resume)))
        fingerprint = self.config.fingerprint()
        if self.main:
            write_summary(self.result(), finished=False, fingerprint=fingerprint)
        try:
            with stage("train"):
                self.trainer.train(resume_from_checkpoint=resume or None)
            final = self.save_to(self.trainer.model, self.tokenizer, self.out / "final")
            self.after_train()
        finally:
            self.metrics.close()
            self._close_connections()
        result = self.result(final)
        if self.main:
            write_summary(result, finished=True, fingerprint=fingerprint)
        return result

    def _close_connections(self) -> None:
        # The reward and validation graded on TRL's event loop (a thread of its own): their
        # HTTP sessions are closed there, before that loop goes away with the trainer.
        loop = getattr(self.trainer, "async_loop", None)
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(close_models(), loop).result(timeout=60)

    def result(self, final: Path | None = None) -> TrainResult:
        """The run's outcome so far."""
        v = self.validation
        best_dir = v.best_dir if (v is not None and (v.best_dir / "best.json").is_file()) else None
        return TrainResult(self.out, final, best_dir, v.best if v else None, list(v.results) if v else [],
                           list(self.monitor.alerts), self.trainer.state.global_step,
                           list(getattr(self.trainer, "timings", [])), self.reward_history(), **self.result_fields())
