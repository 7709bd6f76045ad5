"""The SFT baseline: fine-tune the policy on reference solutions with TRL's `SFTTrainer`.

The paper found this makes plans worse than the initial model; running it with the same
validation as GRPO (held-out goals, the same judge and reward) lets users reproduce that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.train.config import TrainConfig
from sciplan.train.dataset import sft_dataset
from sciplan.train.policy import lora_config
from sciplan.train.run import TrainingRun, trainer_args

__all__ = ["SFTRun", "build_sft", "sft_args"]


def sft_args(config: TrainConfig, out: Path) -> Any:
    """TRL `SFTConfig` from a sciplan `TrainConfig` (method: sft)."""
    from trl import SFTConfig

    s = config.sft
    return SFTConfig(
        **trainer_args(config, out),
        num_train_epochs=s.epochs,
        max_steps=s.steps or -1,
        per_device_train_batch_size=s.batch_size,
        learning_rate=config.learning_rate,
        max_length=s.max_length,
        completion_only_loss=s.completion_only_loss,
    )


class SFTRun(TrainingRun):
    """An SFT run on reference solutions, validated like a GRPO run."""

    title = "SFT"

    def make_trainer(self, model: Any, tokenizer: Any, callbacks: list[Any]) -> Any:
        from trl import SFTTrainer

        c = self.config
        return SFTTrainer(
            model=model,
            args=sft_args(c, self.out),
            train_dataset=sft_dataset(self.split.train, c.plan),
            processing_class=tokenizer,
            peft_config=lora_config(c.policy.lora) if c.policy.finetune == "lora" else None,
            callbacks=callbacks,
        )

    def after_train(self) -> None:
        for h in self.trainer.state.log_history:
            if "loss" in h:
                self.metrics.log(int(h["step"]), {"loss": h["loss"]}, prefix="sft")


def build_sft(config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> SFTRun:
    """A ready-to-train SFT baseline for `config` (method: sft)."""
    if config.method != "sft":
        raise SciplanError(f"config method is {config.method!r}: the SFT baseline needs method: sft")
    return SFTRun(config, policy=policy, console=console)
