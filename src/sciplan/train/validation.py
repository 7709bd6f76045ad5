"""Validation and checkpoint choice: held-out plans scored by a separate judge, the best kept.

Every N steps the current policy writes plans for held-out goals (the same prompt as in
training), a validation judge grades them with the same protocol and reward, and the
step with the best mean is kept as a merged model in `best/` (the paper picked its
checkpoint this way, with a stronger judge than the training grader).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import fmean
from typing import Any, Literal

from transformers import TrainerCallback

from sciplan.grade import RewardParts, RubricReward, split_completion
from sciplan.jsonl import read_jsonl
from sciplan.plan import PlanConfig, plan_messages
from sciplan.records import Goal, Plan, make_id
from sciplan.train.config import ValidationSettings
from sciplan.train.metrics import MetricsLogger
from sciplan.train.monitors import HackingMonitor

__all__ = ["ValidationResult", "choose_best", "generate_plans", "summarize_validation", "ValidationCallback"]

log = logging.getLogger(__name__)


@dataclass
class ValidationResult:
    """One validation: the judge's mean reward and score over held-out plans at a step."""

    step: int
    reward: float | None
    score: float | None
    grader_score: float | None = None
    plans: int = 0
    failed: int = 0

    def value(self, metric: Literal["reward", "score"]) -> float | None:
        return self.reward if metric == "reward" else self.score


def choose_best(results: Sequence[ValidationResult], metric: Literal["reward", "score"] = "reward") -> ValidationResult | None:
    """The best validation; ties go to the earliest step (less time to exploit the grader)."""
    scored = [r for r in results if r.value(metric) is not None]
    if not scored:
        return None
    return max(scored, key=lambda r: (r.value(metric), -r.step))


def summarize_validation(step: int, judged: Sequence[RewardParts],
                         graded: Sequence[RewardParts] | None = None) -> ValidationResult:
    """Means over held-out plans; failed grades are left out and counted, not scored 0."""
    rewards = [p.reward for p in judged if p.reward is not None and not p.failed]
    scores = [p.score for p in judged if p.score is not None]
    gscores = [p.score for p in (graded or []) if p.score is not None]
    return ValidationResult(
        step=step,
        reward=fmean(rewards) if rewards else None,
        score=fmean(scores) if scores else None,
        grader_score=fmean(gscores) if gscores else None,
        plans=len(judged),
        failed=sum(p.failed for p in judged),
    )


def generate_plans(model: Any, tokenizer: Any, goals: Sequence[Goal], plan: PlanConfig, *, samples: int = 1,
                   max_new_tokens: int = 256, temperature: float = 0.0, seed: int = 0, batch_size: int = 8) -> list[str]:
    """Completions (thinking and plan) of a policy for each goal × sample, batched with left padding."""
    import torch

    prompts = [
        tokenizer.apply_chat_template(plan_messages(g.text, plan), add_generation_prompt=True, tokenize=False)
        for g in goals
        for _ in range(samples)
    ]
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # decoder-only: pad on the left so every row ends at its prompt
    out: list[str] = []
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(prompts), batch_size):
            enc = tokenizer(prompts[i : i + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
            enc = {k: v.to(model.device) for k, v in enc.items()}
            gen: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": tokenizer.pad_token_id}
            if temperature > 0:
                gen.update(do_sample=True, temperature=temperature, top_k=0, top_p=1.0)
                torch.manual_seed(seed + i)
            else:
                gen.update(do_sample=False)
            with torch.no_grad():
                ids = model.generate(**enc, **gen)
            new = ids[:, enc["input_ids"].shape[1] :]
            out += tokenizer.batch_decode(new, skip_special_tokens=True)
    finally:
        tokenizer.padding_side = side
        if was_training:
            model.train()
    return out


class ValidationCallback(TrainerCallback):
    """Runs validation on schedule, logs it, feeds the divergence monitor, keeps the best checkpoint."""

    def __init__(
        self,
        settings: ValidationSettings,
        goals: Sequence[Goal],
        plan: PlanConfig,
        judge: RubricReward,
        grader: RubricReward | None,
        out_dir: Path,
        *,
        max_new_tokens: int,
        metrics: MetricsLogger | None = None,
        monitor: HackingMonitor | None = None,
        save_best: Callable[[Any, Any, Path], object] | None = None,
        seed: int = 0,
    ) -> None:
        self.settings = settings
        self.goals = list(goals)
        self.plan = plan
        self.judge = judge
        self.grader = grader
        self.out_dir = Path(out_dir)
        self.max_new_tokens = max_new_tokens
        self.metrics = metrics
        self.monitor = monitor
        self.save_best = save_best
        self.seed = seed
        self.results: list[ValidationResult] = []
        self.trainer: Any = None  # set by the trainer wiring: its accelerator and event loop are used
        self.file = self.out_dir / "validation.jsonl"
        self.best_dir = self.out_dir / "best"

    @property
    def best(self) -> ValidationResult | None:
        return choose_best(self.results, self.settings.metric)

    def _run_async(self, coro: Coroutine[Any, Any, Any]) -> Any:
        # Grade on the trainer's event loop when it has one, so model clients (HTTP sessions,
        # concurrency limits) are shared with the training reward.
        loop = getattr(self.trainer, "async_loop", None)
        if loop is not None and loop.is_running():
            return asyncio.run_coroutine_threadsafe(coro, loop).result()
        return asyncio.run(coro)

    def _is_main(self) -> bool:
        acc = getattr(self.trainer, "accelerator", None)
        return acc is None or acc.is_main_process

    def validate(self, model: Any, tokenizer: Any, step: int) -> ValidationResult | None:
        """One validation at `step`: plans, judge grades, logs, and the best checkpoint."""
        if not self.goals:
            return None
        texts = self._generate(model, tokenizer)
        if not self._is_main():
            return None
        goals = [g for g in self.goals for _ in range(self.settings.samples)]
        judged = self._run_async(self.judge.score(goals, texts))
        graded = None
        if self.grader is not None:
            same = self.grader.grader.name == self.judge.grader.name and self.grader.grader.config == self.judge.grader.config
            graded = judged if same else self._run_async(self.grader.score(goals, texts))
        result = summarize_validation(step, judged, graded)
        self.results.append(result)
        self._write(result, goals, texts, judged)
        self._report(result)
        best = self.best
        if self.settings.keep_best and best is result and self.save_best is not None:
            self.save_best(model, tokenizer, self.best_dir)
            (self.best_dir / "best.json").write_text(json.dumps(asdict(result), indent=2) + "\n")
        return result

    def _generate(self, model: Any, tokenizer: Any) -> list[str]:
        kw: dict[str, Any] = dict(samples=self.settings.samples, max_new_tokens=self.max_new_tokens,
                                  temperature=self.settings.temperature, seed=self.seed)
        if self.trainer is None:
            return generate_plans(model, tokenizer, self.goals, self.plan, **kw)
        from trl.models import unwrap_model_for_generation

        # Under DeepSpeed ZeRO-3 every process takes part in gathering the weights.
        with unwrap_model_for_generation(self.trainer.model_wrapped, self.trainer.accelerator) as unwrapped:
            return generate_plans(unwrapped, tokenizer, self.goals, self.plan, **kw)

    def _write(self, result: ValidationResult, goals: Sequence[Goal], texts: Sequence[str],
               judged: Sequence[RewardParts]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result)) + "\n")
        with open(self.out_dir / "validation_plans.jsonl", "a", encoding="utf-8") as fh:
            for k, (goal, text, parts) in enumerate(zip(goals, texts, judged, strict=False)):
                split = split_completion(text)
                plan = Plan(id=make_id("validation", result.step, goal.id, k), goal_id=goal.id, model=f"policy@step{result.step}",
                            text=split.answer, thinking=split.thinking, format_ok=not split.unterminated,
                            meta={"step": result.step, **parts.as_dict()})
                fh.write(plan.model_dump_json() + "\n")

    def _report(self, r: ValidationResult) -> None:
        scalars = {"reward": r.reward, "score": r.score, "grader_score": r.grader_score, "failed": float(r.failed)}
        if self.monitor is not None:
            values, alerts = self.monitor.observe_validation(r.step, r.grader_score, r.score)
            scalars.update({f"monitor/{k}": v for k, v in values.items()})
            for a in alerts:
                if self.metrics is not None:
                    self.metrics.text(r.step, f"alerts/{a.monitor}", a.message)
        if self.metrics is not None:
            self.metrics.log(r.step, {k: v for k, v in scalars.items() if v is not None}, prefix="validation")
        log.info("validation at step %d: reward %s, score %s", r.step, r.reward, r.score)

    # --- trainer events -------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                       **kw: Any) -> None:
        if state.global_step > 0 and self.file.is_file():
            # Resumed: earlier validations still compete for best.
            self.results = [ValidationResult(**r) for r in read_jsonl(self.file) if r.get("step", 0) <= state.global_step]
            if self.monitor is not None and self.results:
                # The divergence monitor measures drift from the first validation, not from the resume.
                first = self.results[0]
                self.monitor.observe_validation(first.step, first.grader_score, first.score)
        elif self.settings.at_start:
            self.validate(model, processing_class, 0)

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                    **kw: Any) -> None:
        every = self.settings.every
        if every and state.global_step % every == 0:
            self.validate(model, processing_class, state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                     **kw: Any) -> None:
        if self.settings.every and (not self.results or self.results[-1].step != state.global_step):
            self.validate(model, processing_class, state.global_step)
