"""GRPO training with the frozen self-grader on TRL, the SFT baseline, and export for verl.

    from sciplan.train import load_train_config, run_training
    result = run_training(load_train_config("configs/train/demo.yaml"))
    result.before, result.after, result.best   # held-out validations
    result.model_spec                          # "hf:runs/demo/train/final", for evaluation

`run_training` skips a finished run and resumes an interrupted one from its last checkpoint.
"""

from sciplan.train.config import (
    GoalData,
    GraderSettings,
    LoggingSettings,
    LoraSettings,
    MonitorSettings,
    PolicySettings,
    SftSettings,
    TrainConfig,
    ValidationSettings,
    VllmSettings,
    load_train_config,
)
from sciplan.train.dataset import GoalSplit, grpo_dataset, load_goals, mixture_order, sft_dataset, split_goals
from sciplan.train.grpo import GRPORun, build_grpo, grpo_args
from sciplan.train.metrics import MetricsLogger, read_scalars, step_metrics
from sciplan.train.monitors import Alert, HackingMonitor, length_growth, rubric_keyword_overlap
from sciplan.train.policy import frozen_grader_spec, load_policy, lora_config, save_policy
from sciplan.train.result import TrainResult, latest_checkpoint, read_summary
from sciplan.train.runner import finished_result, run_training
from sciplan.train.sft import SFTRun, build_sft
from sciplan.train.step_reward import StepReward, make_reward
from sciplan.train.validation import ValidationCallback, ValidationResult, choose_best, generate_plans
from sciplan.train.verl import VerlExport, VerlReward, export_verl, verl_command, verl_rows

__all__ = [
    "Alert",
    "build_grpo",
    "build_sft",
    "choose_best",
    "export_verl",
    "finished_result",
    "frozen_grader_spec",
    "generate_plans",
    "GoalData",
    "GoalSplit",
    "GraderSettings",
    "grpo_args",
    "grpo_dataset",
    "GRPORun",
    "HackingMonitor",
    "latest_checkpoint",
    "length_growth",
    "load_goals",
    "load_policy",
    "load_train_config",
    "LoggingSettings",
    "lora_config",
    "LoraSettings",
    "make_reward",
    "MetricsLogger",
    "mixture_order",
    "MonitorSettings",
    "PolicySettings",
    "read_scalars",
    "read_summary",
    "rubric_keyword_overlap",
    "run_training",
    "save_policy",
    "sft_dataset",
    "SFTRun",
    "SftSettings",
    "split_goals",
    "step_metrics",
    "StepReward",
    "TrainConfig",
    "TrainResult",
    "ValidationCallback",
    "ValidationResult",
    "ValidationSettings",
    "verl_command",
    "verl_rows",
    "VerlExport",
    "VerlReward",
    "VllmSettings",
]
