"""The SFT baseline: fine-tune the policy on reference solutions with TRL's `SFTTrainer`.

The paper found this makes plans worse than the initial model; running it with the same
validation as GRPO (held-out goals, the same judge and reward) lets users reproduce that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.llm import stage
from sciplan.train.config import TrainConfig
from sciplan.train.dataset import sft_dataset, split_goals
from sciplan.train.grpo import make_reward
from sciplan.train.metrics import MetricsLogger
from sciplan.train.monitors import HackingMonitor
from sciplan.train.policy import load_policy, lora_config, save_trained
from sciplan.train.progress import RichProgress
from sciplan.train.result import TrainResult, latest_checkpoint, write_summary
from sciplan.train.validation import ValidationCallback

__all__ = ["SFTRun", "build_sft", "sft_args"]


def sft_args(config: TrainConfig, out: Any) -> Any:
    """TRL `SFTConfig` from a sciplan `TrainConfig` (method: sft)."""
    import torch
    from trl import SFTConfig

    cuda = torch.cuda.is_available()
    s = config.sft
    return SFTConfig(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=s.epochs,
        max_steps=s.steps or -1,
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate,
        max_length=s.max_length,
        completion_only_loss=s.completion_only_loss,
        gradient_checkpointing=config.gradient_checkpointing,
        seed=config.seed,
        logging_steps=1,
        save_strategy="steps" if config.save_every else "no",
        save_steps=config.save_every or 500,
        save_total_limit=config.save_total_limit,
        report_to=["wandb"] if "wandb" in config.logging.backends else "none",
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=cuda and config.policy.dtype == "bfloat16",
    )


class SFTRun:
    """An SFT run on reference solutions, validated like a GRPO run."""

    def __init__(self, config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> None:
        from transformers.integrations import TensorBoardCallback
        from trl import SFTTrainer

        self.config = config
        self.out = config.resolved_output_dir()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "config.json").write_text(config.model_dump_json(indent=2) + "\n")
        self.split = split_goals(config.goals)
        model, tok = policy or load_policy(config.policy)
        self.tokenizer = tok
        self.metrics = MetricsLogger(self.out, config.logging, run_name=config.run)
        self.monitor = HackingMonitor(config.monitors)
        self.validation = self._validation(tok)
        callbacks: list[Any] = [RichProgress(console, title="SFT")]
        if self.validation is not None:
            callbacks.append(self.validation)
        if self.metrics.tb_writer is not None:
            callbacks.append(TensorBoardCallback(tb_writer=self.metrics.tb_writer))
        self.trainer = SFTTrainer(
            model=model,
            args=sft_args(config, self.out),
            train_dataset=sft_dataset(self.split.train, config.plan),
            processing_class=tok,
            peft_config=lora_config(config.policy.lora) if config.policy.finetune == "lora" else None,
            callbacks=callbacks,
        )
        from transformers import PrinterCallback

        self.trainer.remove_callback(PrinterCallback)  # RichProgress prints the steps
        if self.validation is not None:
            self.validation.trainer = self.trainer

    def _validation(self, tok: Any) -> ValidationCallback | None:
        v = self.config.validation
        if not self.split.validation or not (v.every or v.at_start):
            return None
        goals = self.split.train + self.split.validation
        judge = make_reward(self.config, goals, tok, model=v.judge, settings=v.judge_settings)
        grader = make_reward(self.config, goals, tok) if v.compare_grader else None
        return ValidationCallback(
            v, self.split.validation, self.config.plan, judge, grader, self.out,
            max_new_tokens=v.max_new_tokens or self.config.max_completion_length,
            metrics=self.metrics, monitor=self.monitor, save_best=self._save, seed=self.config.seed,
        )

    def _save(self, model: Any, tokenizer: Any, out: Path) -> Path:
        return save_trained(self.trainer, model, tokenizer, out, base=self.config.policy.model,
                            merged=self.config.save_merged)

    def train(self, resume: str | bool | None = None) -> TrainResult:
        """Fine-tune on the references (resuming from a checkpoint); returns the same result shape as GRPO."""
        if resume is True:
            latest = latest_checkpoint(self.out)
            resume = str(latest) if latest else None
        fingerprint = self.config.fingerprint()
        write_summary(self._result(None), finished=False, fingerprint=fingerprint)
        try:
            with stage("train"):
                self.trainer.train(resume_from_checkpoint=resume or None)
            final = self._save(self.trainer.model, self.tokenizer, self.out / "final")
            for h in self.trainer.state.log_history:
                if "loss" in h:
                    self.metrics.log(int(h["step"]), {"loss": h["loss"]}, prefix="sft")
        finally:
            self.metrics.close()
        result = self._result(final)
        write_summary(result, finished=True, fingerprint=fingerprint)
        return result

    def _result(self, final: Any) -> TrainResult:
        v = self.validation
        best_dir = v.best_dir if v is not None and (v.best_dir / "best.json").is_file() else None
        return TrainResult(self.out, final, best_dir, v.best if v else None, list(v.results) if v else [],
                           list(self.monitor.alerts), self.trainer.state.global_step)


def build_sft(config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> SFTRun:
    """A ready-to-train SFT baseline for `config` (method: sft)."""
    if config.method != "sft":
        raise SciplanError(f"config method is {config.method!r}: the SFT baseline needs method: sft")
    return SFTRun(config, policy=policy, console=console)
