"""Export for verl on Ray: its parquet data format and a reward module that calls the sciplan grader.

    export = export_verl(load_train_config("configs/train/paper_qwen3_30b.yaml"), Path("runs/x/verl"))
    print(export.command)      # the `python -m verl.trainer.main_ppo ...` line to run

verl reads one row per prompt: `data_source`, a chat `prompt`, `ability`,
`reward_model.ground_truth` and `extra_info`. The rubric is privileged: it travels in
`ground_truth`, which only the reward function reads, never in the prompt. The reward
module (`sciplan_reward.py`) grades with the configured frozen grader through
`VerlReward` below. verl 0.9's Reward Loop (`reward.reward_manager.name=naive`) awaits
its async `compute_score` once per response, all of a step's responses at once; calls
for one goal that arrive together are graded as one group (`GroupBatcher`), so the
grader's prefix cache serves them. `compute_score_batch` keeps verl's older `batch`
reward manager working.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade import Grader, GraderConfig, RewardConfig, RewardParts, RubricReward
from sciplan.llm import ModelSettings, get_model
from sciplan.plan import PlanConfig, plan_messages
from sciplan.records import Goal
from sciplan.serve.batcher import GroupBatcher
from sciplan.serve.client import RewardClient
from sciplan.train.config import TrainConfig
from sciplan.train.dataset import split_goals
from sciplan.train.policy import frozen_grader_spec
from sciplan.train.step_reward import OUTAGE_ERRORS, outage_parts

__all__ = ["VerlExport", "VerlReward", "VerlServiceReward", "export_verl", "verl_rows", "verl_command", "REWARD_MODULE",
           "REWARD_CONFIG"]

log = logging.getLogger(__name__)

REWARD_MODULE = "sciplan_reward.py"
REWARD_CONFIG = "sciplan_reward.json"
DATA_SOURCE = "sciplan"

# The reward module verl imports (custom_reward_function.path). It only points at the
# settings written beside it, so the grading logic stays in sciplan and is tested there.
_MODULE_TEXT = '''"""sciplan rubric reward for verl, written by `sciplan export verl`.

verl 0.9 Reward Loop: reward.custom_reward_function.path=<this file>,
reward.custom_reward_function.name=compute_score (async; one goal's responses graded
together). verl's older `batch` reward manager: name=compute_score_batch. Settings:
{config} beside this file.
"""

from pathlib import Path

from sciplan.train.verl import VerlReward

_reward = VerlReward.from_file(Path(__file__).with_name("{config}"))


async def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """One response's reward (verl 0.9 Reward Loop; concurrent calls of one goal form a group)."""
    return await _reward.score_async(solution_str, ground_truth, extra_info)


def compute_score_sync(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """One response's reward, synchronously (verl's legacy per-sample manager)."""
    return _reward.score_one(solution_str, ground_truth, extra_info)


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kwargs):
    """A step's rewards at once (verl's `batch` reward manager)."""
    return _reward.score_batch(solution_strs, ground_truths, extra_infos)
'''


def _ground_truth(goal: Goal) -> str:
    # verl passes ground_truth through as an opaque string: JSON keeps goal and rubric intact.
    return json.dumps({"goal_id": goal.id, "goal": goal.text, "rubric": list(goal.rubric)}, ensure_ascii=False)


def verl_rows(goals: Sequence[Goal], plan: PlanConfig, split: str) -> list[dict[str, Any]]:
    """verl rows for goals: the same plan prompt as GRPO on TRL, the rubric in `ground_truth`."""
    return [
        {
            "data_source": DATA_SOURCE,
            "prompt": plan_messages(g.text, plan),
            "ability": f"research-plan/{g.domain or 'unknown'}",
            "reward_model": {"style": "model", "ground_truth": _ground_truth(g)},
            "extra_info": {"split": split, "index": i, "goal_id": g.id, "domain": g.domain or "unknown"},
        }
        for i, g in enumerate(goals)
    ]


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


@dataclass(frozen=True)
class VerlExport:
    """What `export_verl` wrote and the verl command that trains on it."""

    out_dir: Path
    train_file: Path
    val_file: Path
    reward_module: Path
    reward_config: Path
    train_rows: int
    val_rows: int
    command: str


def verl_command(config: TrainConfig, train_file: Path, val_file: Path, reward_module: Path, *,
                 n_gpus_per_node: int = 8, nnodes: int = 1, reward_workers: int | None = 1) -> str:
    """The `verl.trainer.main_ppo` command for GRPO with this config's settings and the sciplan reward.

    `reward_workers`: verl's `reward.num_workers` (None: verl's default, 8). verl splits a
    step's responses evenly over its reward workers, cutting goals' groups apart; an
    in-process grader therefore runs in one worker (its calls are concurrent anyway).
    """
    prompts = config.goals_per_step
    args = [
        "algorithm.adv_estimator=grpo",
        f"data.train_files={train_file}",
        f"data.val_files={val_file}",
        f"data.train_batch_size={prompts}",
        "data.max_prompt_length=2048",
        f"data.max_response_length={config.max_completion_length}",
        "data.filter_overlong_prompts=True",
        "data.truncation=error",
        f"actor_rollout_ref.model.path={config.policy.model}",
        f"actor_rollout_ref.actor.optim.lr={config.learning_rate}",
        f"actor_rollout_ref.actor.ppo_mini_batch_size={prompts}",
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=1",
        f"actor_rollout_ref.actor.use_kl_loss={config.beta > 0}",
        f"actor_rollout_ref.actor.kl_loss_coef={config.beta}",
        "actor_rollout_ref.actor.entropy_coeff=0",
        f"actor_rollout_ref.actor.clip_ratio={config.epsilon}",
        f"actor_rollout_ref.model.enable_gradient_checkpointing={config.gradient_checkpointing}",
        "actor_rollout_ref.rollout.name=vllm",
        f"actor_rollout_ref.rollout.n={config.num_generations}",
        f"actor_rollout_ref.rollout.temperature={config.temperature}",
        f"actor_rollout_ref.rollout.tensor_model_parallel_size={config.vllm.tensor_parallel_size}",
        f"actor_rollout_ref.rollout.gpu_memory_utilization={config.vllm.gpu_memory_utilization}",
        "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=1",
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=1",
        "algorithm.use_kl_in_reward=False",
        # verl 0.9 Reward Loop: per-response async calls, grouped per goal by the module.
        "reward.reward_manager.name=naive",
        f"reward.custom_reward_function.path={reward_module}",
        "reward.custom_reward_function.name=compute_score",
        *([f"reward.num_workers={reward_workers}"] if reward_workers else []),
        "trainer.critic_warmup=0",
        '"trainer.logger=[console,tensorboard]"',
        "trainer.project_name=sciplan",
        f"trainer.experiment_name={config.run}",
        f"trainer.n_gpus_per_node={n_gpus_per_node}",
        f"trainer.nnodes={nnodes}",
        f"trainer.save_freq={config.save_every or -1}",
        f"trainer.test_freq={config.validation.every or -1}",
        f"trainer.total_training_steps={config.steps}",
    ]
    if config.policy.finetune == "lora":
        lora = config.policy.lora
        targets = lora.target_modules if isinstance(lora.target_modules, str) else "[" + ",".join(lora.target_modules) + "]"
        args += [f"actor_rollout_ref.model.lora_rank={lora.r}", f"actor_rollout_ref.model.lora_alpha={lora.alpha}",
                 f"actor_rollout_ref.model.target_modules={targets}"]
    # Hydra overrides: paths are quoted for the shell, the logger list is quoted above.
    quoted = [a if a.startswith('"') else shlex.quote(a) for a in args]
    return "python3 -m verl.trainer.main_ppo \\\n    " + " \\\n    ".join(quoted)


def export_verl(config: TrainConfig, out: Path, *, grader_model: str | None = None,
                n_gpus_per_node: int = 8, nnodes: int = 1, reward_url: str | None = None,
                reward_token_env: str | None = None) -> VerlExport:
    """Write train/val parquet, the reward module and its settings, and `run_verl.sh` into `out`.

    With `reward_url` the module posts to that `sciplan serve reward` (which grades whole
    groups across verl's reward workers); without, each worker grades in-process and verl
    runs one reward worker, so that no goal's group is split.
    """
    split = split_goals(config.goals)
    if not split.validation:
        raise SciplanError("verl export: no held-out goals for data.val_files (give goals.validation or validation_size > 0)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train_file, val_file = out / "train.parquet", out / "val.parquet"
    train_rows = verl_rows(split.train, config.plan, "train")
    val_rows = verl_rows(split.validation, config.plan, "test")
    _write_parquet(train_rows, train_file)
    _write_parquet(val_rows, val_file)
    spec = grader_model or frozen_grader_spec(config.grader.model, config.policy.model)
    settings = {
        "grader": spec,
        "model_settings": config.grader.settings.model_dump(mode="json"),
        "grader_config": config.grader.grader.model_dump(mode="json"),
        "reward": config.grader.reward.model_dump(mode="json"),
        "outage_retries": config.grader.outage_retries,
        "outage_wait": config.grader.outage_wait,
        "batch_window": 0.05,
    }
    if reward_url:
        settings = {"service": {"url": reward_url, "token_env": reward_token_env}}
    reward_config = out / REWARD_CONFIG
    reward_config.write_text(json.dumps(settings, indent=2) + "\n")
    reward_module = out / REWARD_MODULE
    reward_module.write_text(_MODULE_TEXT.format(config=REWARD_CONFIG))
    command = verl_command(config, train_file.resolve(), val_file.resolve(), reward_module.resolve(),
                           n_gpus_per_node=n_gpus_per_node, nnodes=nnodes, reward_workers=None if reward_url else 1)
    (out / "run_verl.sh").write_text("#!/usr/bin/env bash\n# Written by `sciplan export verl`.\nset -euo pipefail\n"
                                     + command + ' "$@"\n')
    return VerlExport(out, train_file, val_file, reward_module, reward_config, len(train_rows), len(val_rows), command)


class _OwnLoop:
    """A private event loop in a background thread, for the synchronous entry points verl calls."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sciplan-verl-reward", daemon=True)
        self._thread.start()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        """Stop the background loop."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class VerlReward(_OwnLoop):
    """The sciplan reward behind verl's `compute_score`: plans graded per goal, outages retried.

    verl calls it synchronously from a reward worker; grading runs on one private event
    loop in a background thread, so HTTP sessions to the grader are kept between steps.
    A failed grade cannot be left out in verl as in TRL: in a batch it gets the mean
    reward of its goal's other plans (advantage about 0: no learning from it, never a
    silent 0); alone, or when the whole group failed, it raises.
    """

    def __init__(self, reward: RubricReward, *, outage_retries: int = 2, outage_wait: float = 30.0,
                 batch_window: float = 0.05) -> None:
        super().__init__()
        self.reward = reward
        self.outage_retries = outage_retries
        self.outage_wait = outage_wait
        self.batch_window = batch_window
        # One batcher per event loop that awaits `score_async` (verl's reward worker has one).
        self._batchers: dict[int, GroupBatcher] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> VerlReward | VerlServiceReward:
        """The reward described by a `sciplan_reward.json` written by `export_verl`."""
        p = Path(path)
        if not p.is_file():
            raise SciplanError(f"{p}: no such sciplan reward settings file (run `sciplan export verl`)")
        s = json.loads(p.read_text())
        if s.get("service"):
            svc = s["service"]
            token = os.environ.get(svc["token_env"]) if svc.get("token_env") else None
            return VerlServiceReward(RewardClient(svc["url"], token=token))
        grader = Grader(get_model(s["grader"], ModelSettings(**s.get("model_settings", {}))),
                        GraderConfig(**s.get("grader_config", {})), stage_name="train")
        reward = RubricReward(grader, {}, RewardConfig(**s.get("reward", {})))
        return cls(reward, outage_retries=s.get("outage_retries", 2), outage_wait=s.get("outage_wait", 30.0),
                   batch_window=s.get("batch_window", 0.05))

    @staticmethod
    def goal_of(ground_truth: Any, extra_info: Any = None) -> Goal:
        """The goal and rubric a verl row carries in `reward_model.ground_truth`."""
        try:
            data = json.loads(ground_truth) if isinstance(ground_truth, str) else dict(ground_truth)
            return Goal(id=str(data["goal_id"]), text=data["goal"], rubric=list(data["rubric"]))
        except (TypeError, ValueError, KeyError) as exc:
            where = f" (row {extra_info.get('index')})" if isinstance(extra_info, dict) else ""
            raise SciplanError(f"verl ground_truth{where} is not a sciplan goal with a rubric: {exc}") from exc

    async def _score(self, goals: list[Goal], texts: list[str]) -> list[RewardParts]:
        for attempt in range(self.outage_retries + 1):
            try:
                return await self.reward.score(goals, texts)
            except OUTAGE_ERRORS as exc:
                if attempt == self.outage_retries:
                    return outage_parts(self.reward, texts, str(exc))
                log.warning("grader unreachable (%s); retrying in %.0fs", exc, self.outage_wait)
                await asyncio.sleep(self.outage_wait)
        raise AssertionError("unreachable")  # the loop always returns

    def score_batch(self, solution_strs: Sequence[str], ground_truths: Sequence[Any],
                    extra_infos: Sequence[Any] | None = None) -> list[dict[str, float]]:
        """One result per response: `score` (the reward verl optimises) plus components verl logs."""
        extras = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
        goals = [self.goal_of(gt, ex) for gt, ex in zip(ground_truths, extras, strict=True)]
        parts = self._run(self._score(goals, list(solution_strs)))
        return [self._result(g, p, [q for h, q in zip(goals, parts, strict=True) if h.id == g.id])
                for g, p in zip(goals, parts, strict=True)]

    async def score_async(self, solution_str: str, ground_truth: Any, extra_info: Any = None) -> dict[str, float]:
        """One response's result inside verl's Reward Loop; concurrent calls of one goal share a group."""
        goal = self.goal_of(ground_truth, extra_info)
        loop = asyncio.get_running_loop()
        batcher = self._batchers.get(id(loop))
        if batcher is None:
            batcher = self._batchers[id(loop)] = GroupBatcher(self.reward, window=self.batch_window)
        for attempt in range(self.outage_retries + 1):
            try:
                mine, group = await batcher.score_in_group(goal, [solution_str])
                return self._result(goal, mine[0], group)
            except OUTAGE_ERRORS as exc:
                if attempt == self.outage_retries:
                    [part] = outage_parts(self.reward, [solution_str], str(exc))
                    return self._result(goal, part, [part])
                log.warning("grader unreachable (%s); retrying in %.0fs", exc, self.outage_wait)
                await asyncio.sleep(self.outage_wait)
        raise AssertionError("unreachable")  # the loop always returns

    def _result(self, goal: Goal, part: RewardParts, group: Sequence[RewardParts]) -> dict[str, float]:
        """verl's result dict; a failed grade takes the mean reward of its goal's other plans."""
        reward = part.reward
        if reward is None:
            others = [q.reward for q in group if q.reward is not None]
            if not others:
                raise SciplanError(f"every grade of goal {goal.id} failed in this step (grader {self.reward.grader.name}); "
                                   "verl cannot leave plans out: fix the grader and resume from the last checkpoint")
            reward = fmean(others)
        return {"score": float(reward), "rubric_score": float(part.score if part.score is not None else -1.0),
                "format_penalty": float(part.penalty), "grade_failed": float(part.failed),
                "plan_length": float(part.format.length)}

    def score_one(self, solution_str: str, ground_truth: Any, extra_info: Any = None) -> dict[str, float]:
        """The reward of one response (per-sample manager: a failed grade raises)."""
        return self.score_batch([solution_str], [ground_truth], [extra_info])[0]


class VerlServiceReward(_OwnLoop):
    """verl's `compute_score` through `sciplan serve reward`: any number of reward workers, whole groups.

    Every reward worker posts its responses to one service, which grades a goal's responses
    arriving within its batch window together, whichever worker sent them. A failed grade
    gets its group's mean reward from the service (0 when the whole group failed), marked
    `grade_failed` in what verl logs.
    """

    def __init__(self, client: RewardClient) -> None:
        super().__init__()
        self.client = client

    @staticmethod
    def _result(answer: dict[str, Any], i: int) -> dict[str, float]:
        logs = answer.get("extra_logs") or {}
        out = {"score": float(answer["rewards"][i])}
        for key in ("rubric_score", "format_penalty", "grade_failed", "plan_length"):
            if key in logs:
                out[key] = float(logs[key][i])
        return out

    async def score_async(self, solution_str: str, ground_truth: Any, extra_info: Any = None) -> dict[str, float]:
        """One response's result inside verl's Reward Loop (the service groups it with its goal's others)."""
        return self._result(await self.client.get_reward([solution_str], [ground_truth]), 0)

    def score_batch(self, solution_strs: Sequence[str], ground_truths: Sequence[Any],
                    extra_infos: Sequence[Any] | None = None) -> list[dict[str, float]]:
        """One result per response, in one request."""
        answer = self._run(self.client.get_reward(list(solution_strs), list(ground_truths)))
        return [self._result(answer, i) for i in range(len(solution_strs))]

    def score_one(self, solution_str: str, ground_truth: Any, extra_info: Any = None) -> dict[str, float]:
        """The reward of one response."""
        return self.score_batch([solution_str], [ground_truth], [extra_info])[0]
