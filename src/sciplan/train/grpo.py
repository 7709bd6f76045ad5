"""GRPO on TRL's `GRPOTrainer` with the sciplan reward and a frozen grader.

    run = build_grpo(load_train_config("configs/train/demo.yaml"))
    result = run.train()            # checkpoints, best/ and final/ folders, metrics

The grader is a frozen copy of the initial policy by default (the bundled GGUF on
llama.cpp in-process on the embedded default; an OpenAI-compatible server at scale);
the rubric reaches only the grader, never the policy's prompt.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.records import Goal
from sciplan.train.config import TrainConfig
from sciplan.train.dataset import grpo_dataset, mixture_order
from sciplan.train.policy import lora_config
from sciplan.train.run import TrainingRun, trainer_args
from sciplan.train.shaping import RewardShaping, buffer_callback
from sciplan.train.step_reward import StepReward, make_reward

__all__ = ["GRPORun", "build_grpo", "grpo_args", "timed_trainer_class"]


# Settings TRL's GRPOConfig takes under the same name as TrainConfig, and as `vllm_NAME` from `vllm:`.
_SAME_NAME = ("beta", "num_generations", "max_completion_length", "temperature", "top_p", "loss_type",
              "scale_rewards", "epsilon", "num_iterations", "weight_decay", "max_grad_norm")
_VLLM = ("mode", "server_base_url", "server_host", "server_port", "server_timeout", "gpu_memory_utilization",
         "tensor_parallel_size")


def grpo_args(config: TrainConfig, out: Path) -> Any:
    """TRL `GRPOConfig` from a sciplan `TrainConfig`."""
    from trl import GRPOConfig

    v = config.vllm
    return GRPOConfig(
        **trainer_args(config, out),
        **{name: getattr(config, name) for name in _SAME_NAME},
        **{f"vllm_{name}": getattr(v, name) for name in _VLLM},
        max_steps=config.steps,
        learning_rate=config.learning_rate,
        per_device_train_batch_size=config.per_device_batch_size(),
        warmup_steps=config.warmup_ratio,
        # The dataset is already in domain-mixture order.
        shuffle_dataset=False,
        log_completions=config.logging.log_completions,
        use_vllm=v.enabled,
    )


def timed_trainer_class() -> type:
    """`GRPOTrainer` that times each optimiser step split into generation, grading and optimisation."""
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    class StepClock(TrainerCallback):
        """Wall time from the start to the end of each optimiser step (the optimiser update included)."""

        def __init__(self, trainer: Any) -> None:
            self.trainer = trainer
            self.start = 0.0

        def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.start = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.trainer.close_step(state.global_step, time.perf_counter() - self.start)

    class TimedGRPOTrainer(GRPOTrainer):
        """Records seconds spent generating, grading, and optimising in each step (`timings`)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timings: list[dict[str, float]] = []
            self._pending: dict[str, float] = defaultdict(float)
            # Before every callback of ours, so validation and saving are not counted in the step.
            self.callback_handler.callbacks.insert(0, StepClock(self))

        def _generate(self, prompts: list) -> Any:
            start = time.perf_counter()
            try:
                return super()._generate(prompts)
            finally:
                self._pending["generation"] += time.perf_counter() - start

        def _calculate_rewards(self, inputs: Any, prompts: Any, completions: Any, completion_ids_list: Any) -> Any:
            start = time.perf_counter()
            try:
                return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            finally:
                self._pending["grading"] += time.perf_counter() - start

        def close_step(self, step: int, total: float) -> None:
            """File the step's times: optimisation is what generation and grading leave of it."""
            t = {"step": float(step), "total": total, "generation": self._pending.get("generation", 0.0),
                 "grading": self._pending.get("grading", 0.0)}
            t["optimisation"] = max(0.0, total - t["generation"] - t["grading"])
            self.timings.append(t)
            self._pending.clear()

    return TimedGRPOTrainer


class GRPORun(TrainingRun):
    """A GRPO run: the sciplan reward (frozen grader) on TRL's `GRPOTrainer`, timed per step."""

    def metrics_config(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")

    def prepare(self, tokenizer: Any) -> None:
        c = self.config
        goals = self.split.train + self.split.validation
        rubric_reward = make_reward(c, goals, tokenizer)
        self.shaping = RewardShaping(rubric_reward, length=c.length_guard, veto=c.veto, evolving=c.evolving_rubrics)
        self.reward = StepReward(rubric_reward, {g.id: g for g in goals}, c.grader, metrics=self.metrics,
                                 monitor=self.monitor, shaping=self.shaping)

    def extra_callbacks(self) -> list[Any]:
        return [buffer_callback(self.shaping, self.out)] if self.shaping.buffer is not None else []

    def on_resume(self, checkpoint: Path) -> None:
        self.shaping.restore(checkpoint)  # the evolving rubrics as they were at that checkpoint

    def result_fields(self) -> dict[str, Any]:
        buf = self.shaping.buffer
        return {"rubric": buf.summary() if buf is not None else None}

    def make_trainer(self, model: Any, tokenizer: Any, callbacks: list[Any]) -> Any:
        c = self.config
        order = mixture_order(self.split.train, c.steps * c.goals_per_step, c.goals.mixture, c.goals.seed)
        return timed_trainer_class()(
            model=model,
            reward_funcs=[self.reward],
            args=grpo_args(c, self.out),
            train_dataset=grpo_dataset(order, c.plan),
            processing_class=tokenizer,
            peft_config=lora_config(c.policy.lora) if c.policy.finetune == "lora" else None,
            callbacks=callbacks,
        )

    def comparison_grader(self, goals: list[Goal], tokenizer: Any) -> Any:
        return self.reward.reward  # the very grader training uses

    def reward_history(self) -> list[Any]:
        return list(self.reward.history)


def build_grpo(config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> GRPORun:
    """A ready-to-train GRPO run for `config` (pass `policy` to reuse an already loaded model)."""
    if config.method != "grpo":
        raise SciplanError(f"config method is {config.method!r}: use the SFT baseline for it")
    return GRPORun(config, policy=policy, console=console)
