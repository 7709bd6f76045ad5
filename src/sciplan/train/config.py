"""`TrainConfig`: GRPO (or the SFT baseline) as typed data mirroring the paper's setup.

Defaults follow method.md §4: KL coefficient 0, a group of plans per goal normalised
within the group, the grader a frozen copy of the initial policy, thinking free and the
plan length-limited by the reward, the checkpoint chosen on held-out goals scored by a
separate judge. Values the paper does not state are plain settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sciplan.config import load_yaml
from sciplan.errors import SciplanError
from sciplan.grade.config import GraderConfig, RewardConfig
from sciplan.grade.listwise import ListwiseConfig
from sciplan.grade.weights import VetoConfig
from sciplan.llm import ModelSettings
from sciplan.plan import PlanConfig
from sciplan.train.length_guard import LengthGuardSettings
from sciplan.train.rubric_buffer import EvolvingRubricSettings

__all__ = [
    "LoraSettings",
    "PolicySettings",
    "GoalData",
    "GraderSettings",
    "ValidationSettings",
    "MonitorSettings",
    "LoggingSettings",
    "VllmSettings",
    "SftSettings",
    "TrainConfig",
    "load_train_config",
]


class _Strict(BaseModel):
    # A misspelt key in a training config would silently train the wrong thing.
    model_config = ConfigDict(extra="forbid")


class LoraSettings(_Strict):
    """LoRA adapter shape (peft)."""

    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    # "all-linear" adapts every linear layer but the head; or a list of module names.
    target_modules: list[str] | str = "all-linear"


class PolicySettings(_Strict):
    """The policy: any HF causal LM folder or hub id, a `.gguf` file, or the bundled model."""

    model: str = "smollm2"
    finetune: Literal["lora", "full"] = "lora"
    lora: LoraSettings = Field(default_factory=LoraSettings)
    # fp32 on CPU; bf16 on GPUs that have it.
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"


class GoalData(_Strict):
    """Where the goals come from and how domains are mixed."""

    # JSONL files of `Goal` records; empty: the goals shipped for the demo.
    train: list[Path] = Field(default_factory=list)
    # Held-out goals for validation; empty: goals whose split is test/validation in the
    # train files, else the last `validation_size` train goals are held out.
    validation: list[Path] = Field(default_factory=list)
    validation_size: int = Field(2, ge=0)
    # Domain -> weight of that domain among the goals drawn for training (the paper mixes
    # domains with set ratios); empty: every goal equally often.
    mixture: dict[str, float] = Field(default_factory=dict)
    max_goals: int | None = Field(None, ge=1)
    seed: int = 0


class GraderSettings(_Strict):
    """The frozen grader that gives the reward, and how it grades."""

    # "policy": a frozen copy of the initial policy (the paper's setup): the bundled GGUF
    # through llama.cpp in-process, a `.gguf` the same way, a folder through transformers.
    # Any model string otherwise, e.g. openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1.
    model: str = "policy"
    settings: ModelSettings = Field(default_factory=lambda: ModelSettings(cache=False))
    grader: GraderConfig = Field(default_factory=GraderConfig)
    # Grade each group in one listwise call instead (RULER-style relative scores; an ablation).
    listwise: ListwiseConfig | None = None
    reward: RewardConfig = Field(default_factory=RewardConfig)
    # A grader that cannot be reached at all (its server died): the step's grading is
    # retried `outage_retries` times, `outage_wait` seconds apart; then `skip` records
    # the grades as failed (reward None: no learning from those plans, never a silent 0)
    # and training goes on, or `stop` ends the run with an error naming the grader.
    outage_retries: int = Field(2, ge=0)
    outage_wait: float = Field(30.0, ge=0)
    on_outage: Literal["skip", "stop"] = "skip"


class ValidationSettings(_Strict):
    """Checkpoint choice: held-out plans scored by a separate validation judge."""

    # Every N optimiser steps (0: never); the initial policy is scored first when `at_start`.
    every: int = Field(50, ge=0)
    at_start: bool = True
    # Any model string; the paper used Claude-4-Sonnet (anthropic:claude-sonnet-4-...).
    judge: str = "local:smollm2"
    judge_settings: ModelSettings = Field(default_factory=ModelSettings)
    # Plans per held-out goal; greedy when temperature is 0.
    samples: int = Field(1, ge=1)
    temperature: float = Field(0.0, ge=0)
    # Tokens per validation plan (None: the training max_completion_length).
    max_new_tokens: int | None = Field(None, ge=1)
    # Also grade validation plans with the training grader: the divergence monitor needs it.
    compare_grader: bool = True
    metric: Literal["reward", "score"] = "reward"
    keep_best: bool = True


class MonitorSettings(_Strict):
    """Reward-hacking monitors: a warning when a value crosses its threshold."""

    # Steps over which the plan-length trend is measured.
    window: int = Field(10, ge=2)
    # Relative growth of mean plan length across the window (0.5: +50%).
    length_growth: float = Field(0.5, gt=0)
    # Mean fraction of rubric-only keywords (not in the goal text) found in plans.
    keyword_overlap: float = Field(0.5, gt=0, le=1)
    # Fraction of a step's plans flagged as trying to instruct the grader.
    injection_rate: float = Field(0.05, ge=0, le=1)
    # Training grader's mean validation score minus the judge's, above its value at start.
    divergence: float = Field(0.15, gt=0)


class LoggingSettings(_Strict):
    """Where metrics go: TensorBoard by default, W&B when asked; a JSONL copy always."""

    backends: list[Literal["tensorboard", "wandb"]] = Field(default_factory=lambda: ["tensorboard"])
    wandb_project: str | None = None
    wandb_entity: str | None = None
    # TRL writes sampled completions (parquet, and a table to W&B) when on.
    log_completions: bool = False


class VllmSettings(_Strict):
    """Generation on vLLM: `server` mode talks to `trl vllm-serve`; `colocate` shares the GPUs."""

    enabled: bool = False
    mode: Literal["server", "colocate"] = "server"
    server_base_url: str | None = None
    server_host: str = "0.0.0.0"
    server_port: int = 8000
    server_timeout: float = 240.0
    gpu_memory_utilization: float = Field(0.3, gt=0, le=1)
    tensor_parallel_size: int = Field(1, ge=1)


class SftSettings(_Strict):
    """The SFT baseline on reference solutions (the paper's negative result)."""

    epochs: float = Field(3.0, gt=0)
    # Optimiser steps (None: run `epochs` over the references).
    steps: int | None = Field(None, ge=1)
    batch_size: int = Field(8, ge=1)
    max_length: int | None = Field(2048, ge=16)
    # Loss on the reference solution only, not on the prompt.
    completion_only_loss: bool = True


# Settings a run may be resumed with other values of: they change where, how long, or how a
# run is watched, not what the policy is trained on.
_NEUTRAL = ("run", "output_dir", "logging", "steps", "save_every", "save_total_limit", "validation", "monitors")


class TrainConfig(_Strict):
    """One training run: policy, data, grader, GRPO settings, validation, monitors, logging."""

    method: Literal["grpo", "sft"] = "grpo"
    # The run folder under `runs/` (SCIPLAN_RUNS); outputs go to its `train/` folder.
    run: str = "train"
    output_dir: Path | None = None

    policy: PolicySettings = Field(default_factory=PolicySettings)
    goals: GoalData = Field(default_factory=GoalData)
    grader: GraderSettings = Field(default_factory=GraderSettings)
    # The prompt the policy sees: the same as `sciplan plan`, so evaluation matches training.
    plan: PlanConfig = Field(default_factory=lambda: PlanConfig(think=False, max_words=300))

    # GRPO (method.md §4). KL off (beta 0) worked better in the paper.
    steps: int = Field(200, ge=1)
    learning_rate: float = Field(1e-6, gt=0)
    beta: float = Field(0.0, ge=0)
    num_generations: int = Field(8, ge=2)
    goals_per_step: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    # Tokens generated per completion, thinking and plan together; the plan's own limit
    # is `grader.reward.max_plan_length`, enforced by the format penalty.
    max_completion_length: int = Field(4096, ge=8)
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    loss_type: Literal["grpo", "dr_grpo", "dapo", "bnpo"] = "dapo"
    scale_rewards: Literal["group", "batch", "none"] = "group"
    epsilon: float = Field(0.2, gt=0)
    num_iterations: int = Field(1, ge=1)
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    gradient_checkpointing: bool = True
    seed: int = 0

    # Checkpoints: every N steps (0: only at the end), at most `save_total_limit` kept.
    save_every: int = Field(50, ge=0)
    save_total_limit: int | None = Field(3, ge=1)
    # Also write a merged full model (LoRA folded in) for `hf:PATH` and vLLM.
    save_merged: bool = True

    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    monitors: MonitorSettings = Field(default_factory=MonitorSettings)
    # Beyond the paper's reward (all off by default): item vetoes' floor, a length guard
    # relative to the group, evolving rubrics (sciplan.train.shaping).
    veto: VetoConfig = Field(default_factory=VetoConfig)
    length_guard: LengthGuardSettings = Field(default_factory=LengthGuardSettings)
    evolving_rubrics: EvolvingRubricSettings = Field(default_factory=EvolvingRubricSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    vllm: VllmSettings = Field(default_factory=VllmSettings)
    sft: SftSettings = Field(default_factory=SftSettings)

    @model_validator(mode="after")
    def _batch_fits_groups(self) -> TrainConfig:
        completions = self.goals_per_step * self.num_generations
        if completions % self.gradient_accumulation_steps:
            raise ValueError(
                f"goals_per_step × num_generations ({completions}) must be divisible by "
                f"gradient_accumulation_steps ({self.gradient_accumulation_steps})"
            )
        return self

    def per_device_batch_size(self, world_size: int | None = None) -> int:
        """Completions per device per micro-step, so that one optimiser step sees
        `goals_per_step` goals × `num_generations` plans across all processes."""
        world = world_size or int(os.environ.get("WORLD_SIZE", "1"))
        completions = self.goals_per_step * self.num_generations
        per_device, rest = divmod(completions, self.gradient_accumulation_steps * world)
        if rest or per_device == 0:
            raise ValueError(
                f"goals_per_step × num_generations ({completions}) must split evenly over "
                f"{world} processes × {self.gradient_accumulation_steps} accumulation steps"
            )
        return per_device

    def fingerprint(self) -> str:
        """A short hash of the settings that decide what is trained (not where, how long, or how logged)."""
        import hashlib
        import json

        data = self.model_dump(mode="json", exclude=set(_NEUTRAL))
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def resolved_output_dir(self) -> Path:
        """`output_dir`, or `runs/RUN/train`."""
        if self.output_dir is not None:
            return Path(self.output_dir)
        from sciplan.rundir import RunDir

        return RunDir.named(self.run).subdir("train")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _load_data(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    # `base: other.yaml` makes a config the other one plus its own changes (the ablations).
    path = path.resolve()
    if path in seen:
        raise SciplanError(f"{path}: `base:` configs form a cycle")
    data = load_yaml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    base_path = Path(base) if Path(base).is_absolute() else path.parent / base
    if not base_path.is_file():
        raise SciplanError(f"{path}: base config {base} not found")
    return _merge(_load_data(base_path, (*seen, path)), data)


def load_train_config(path: str | os.PathLike[str], **overrides: object) -> TrainConfig:
    """Load a training config from YAML (`base:` another file to change only some of its settings);
    relative goal paths are read relative to the file."""
    data = _load_data(Path(path))
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        cfg = TrainConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise SciplanError(f"{path}: invalid TrainConfig: " + "; ".join(lines)) from None
    base = Path(path).resolve().parent

    def fix(p: Path) -> Path:
        if p.is_absolute() or p.exists():
            return p
        return base / p if (base / p).exists() else p

    cfg.goals.train = [fix(p) for p in cfg.goals.train]
    cfg.goals.validation = [fix(p) for p in cfg.goals.validation]
    g = cfg.grader.grader.guidelines
    if g is not None and not g.is_absolute():
        cfg.grader.grader.guidelines = fix(g)
    return cfg
