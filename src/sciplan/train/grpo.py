"""GRPO on TRL's `GRPOTrainer` with the sciplan reward and a frozen grader.

    run = build_grpo(load_train_config("configs/train/demo.yaml"))
    result = run.train()            # checkpoints, best/ and final/ folders, metrics

The grader is a frozen copy of the initial policy by default (the bundled GGUF on
llama.cpp in-process on the embedded default; an OpenAI-compatible server at scale);
the rubric reaches only the grader, never the policy's prompt.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade import Grader, RubricReward
from sciplan.grade.listwise import ListwiseGrader
from sciplan.llm import get_model, stage
from sciplan.records import Goal
from sciplan.train.config import TrainConfig
from sciplan.train.dataset import GoalSplit, grpo_dataset, mixture_order, split_goals
from sciplan.train.metrics import MetricsLogger
from sciplan.train.monitors import HackingMonitor
from sciplan.train.policy import frozen_grader_spec, load_policy, lora_config, save_trained
from sciplan.train.progress import RichProgress
from sciplan.train.result import TrainResult, latest_checkpoint, write_summary
from sciplan.train.shaping import RewardShaping, buffer_callback
from sciplan.train.step_reward import StepReward
from sciplan.train.validation import ValidationCallback

__all__ = ["GRPORun", "build_grpo", "grpo_args", "make_reward", "timed_trainer_class"]

log = logging.getLogger(__name__)


def make_reward(config: TrainConfig, goals: list[Goal], tokenizer: Any = None, *, model: str | None = None,
                settings: Any = None) -> RubricReward:
    """The sciplan reward with the configured grader (a frozen copy of the policy by default)."""
    spec = model or frozen_grader_spec(config.grader.model, config.policy.model)
    llm = get_model(spec, settings or config.grader.settings)
    llm.check_ready()  # a missing key or model file is one clear error now, not a failed step later
    grader: Any = Grader(llm, config.grader.grader, stage_name="train")
    if model is None and config.grader.listwise is not None:  # the training grader only, never the judge
        grader = ListwiseGrader(llm, config.grader.listwise, stage_name="train")
    count = None
    if config.grader.reward.length_unit == "tokens":
        if tokenizer is None:
            raise SciplanError("reward length_unit 'tokens' needs the policy's tokenizer")
        count = lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    return RubricReward(grader, {g.id: g for g in goals}, config.grader.reward, count_tokens=count)


def grpo_args(config: TrainConfig, out: Path) -> Any:
    """TRL `GRPOConfig` from a sciplan `TrainConfig`."""
    import torch
    from trl import GRPOConfig

    cuda = torch.cuda.is_available()
    report = ["wandb"] if "wandb" in config.logging.backends else "none"
    v = config.vllm
    return GRPOConfig(
        output_dir=str(out / "checkpoints"),
        max_steps=config.steps,
        learning_rate=config.learning_rate,
        beta=config.beta,
        num_generations=config.num_generations,
        per_device_train_batch_size=config.per_device_batch_size(),
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        max_completion_length=config.max_completion_length,
        temperature=config.temperature,
        top_p=config.top_p,
        loss_type=config.loss_type,
        scale_rewards=config.scale_rewards,
        epsilon=config.epsilon,
        num_iterations=config.num_iterations,
        warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        gradient_checkpointing=config.gradient_checkpointing,
        seed=config.seed,
        # The dataset is already in domain-mixture order.
        shuffle_dataset=False,
        logging_steps=1,
        save_strategy="steps" if config.save_every else "no",
        save_steps=config.save_every or 500,
        save_total_limit=config.save_total_limit,
        report_to=report,
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=cuda and config.policy.dtype == "bfloat16",
        log_completions=config.logging.log_completions,
        use_vllm=v.enabled,
        vllm_mode=v.mode,
        vllm_server_base_url=v.server_base_url,
        vllm_server_host=v.server_host,
        vllm_server_port=v.server_port,
        vllm_server_timeout=v.server_timeout,
        vllm_gpu_memory_utilization=v.gpu_memory_utilization,
        vllm_tensor_parallel_size=v.tensor_parallel_size,
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


class GRPORun:
    """A GRPO run ready to train: policy, data, reward, trainer, validation and logging wired."""

    def __init__(self, config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> None:
        from transformers.integrations import TensorBoardCallback

        self.config = config
        self.out = config.resolved_output_dir()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "config.json").write_text(config.model_dump_json(indent=2) + "\n")
        self.split: GoalSplit = split_goals(config.goals)
        model, tok = policy or load_policy(config.policy)
        self.tokenizer = tok
        self.metrics = MetricsLogger(self.out, config.logging, run_name=config.run, config=config.model_dump(mode="json"))
        self.monitor = HackingMonitor(config.monitors)
        all_goals = self.split.train + self.split.validation
        rubric_reward = make_reward(config, all_goals, tok)
        self.shaping = RewardShaping(rubric_reward, length=config.length_guard, veto=config.veto,
                                     evolving=config.evolving_rubrics)
        self.reward = StepReward(rubric_reward, {g.id: g for g in all_goals}, config.grader,
                                 metrics=self.metrics, monitor=self.monitor, shaping=self.shaping)
        order = mixture_order(self.split.train, config.steps * config.goals_per_step, config.goals.mixture, config.goals.seed)
        self.validation = self._validation(tok)
        callbacks: list[Any] = [RichProgress(console)]
        if self.validation is not None:
            callbacks.append(self.validation)
        if self.shaping.buffer is not None:
            callbacks.append(buffer_callback(self.shaping, self.out))
        if self.metrics.tb_writer is not None:
            # TRL's own metrics (loss, KL, entropy, clip ratios) go to the same event files.
            callbacks.append(TensorBoardCallback(tb_writer=self.metrics.tb_writer))
        trainer_cls = timed_trainer_class()
        self.trainer = trainer_cls(
            model=model,
            reward_funcs=[self.reward],
            args=grpo_args(config, self.out),
            train_dataset=grpo_dataset(order, config.plan),
            processing_class=tok,
            peft_config=lora_config(config.policy.lora) if config.policy.finetune == "lora" else None,
            callbacks=callbacks,
        )
        from transformers import PrinterCallback

        # RichProgress prints each step; the default printer would dump every raw log dict too.
        self.trainer.remove_callback(PrinterCallback)
        if self.validation is not None:
            self.validation.trainer = self.trainer

    def _validation(self, tok: Any) -> ValidationCallback | None:
        v = self.config.validation
        if not self.split.validation or not (v.every or v.at_start):
            return None
        all_goals = self.split.train + self.split.validation
        judge = make_reward(self.config, all_goals, tok, model=v.judge, settings=v.judge_settings)
        grader = self.reward.reward if v.compare_grader else None
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
            self.shaping.restore(Path(str(resume)))  # the evolving rubrics as they were at that checkpoint
        write_summary(self.result(), finished=False, fingerprint=self.config.fingerprint())
        try:
            with stage("train"):
                self.trainer.train(resume_from_checkpoint=resume or None)
            final = self.save_to(self.trainer.model, self.tokenizer, self.out / "final")
        finally:
            self.metrics.close()
        result = self.result(final)
        write_summary(result, finished=True, fingerprint=self.config.fingerprint())
        return result

    def result(self, final: Path | None = None) -> TrainResult:
        """The run's outcome so far."""
        v = self.validation
        best_dir = v.best_dir if (v is not None and (v.best_dir / "best.json").is_file()) else None
        buf = self.shaping.buffer
        return TrainResult(self.out, final, best_dir, v.best if v else None, list(v.results) if v else [],
                           list(self.monitor.alerts), self.trainer.state.global_step,
                           list(getattr(self.trainer, "timings", [])), list(self.reward.history),
                           rubric=buf.summary() if buf is not None else None)


def build_grpo(config: TrainConfig, *, policy: tuple[Any, Any] | None = None, console: Any = None) -> GRPORun:
    """A ready-to-train GRPO run for `config` (pass `policy` to reuse an already loaded model)."""
    if config.method != "grpo":
        raise SciplanError(f"config method is {config.method!r}: use the SFT baseline for it")
    return GRPORun(config, policy=policy, console=console)
