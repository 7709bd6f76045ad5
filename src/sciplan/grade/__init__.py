"""Grading plans against a goal's rubric and general guidelines, and the reward.

    grader = Grader("local:smollm2")                 # GraderConfig() = the paper's protocol
    grade = await grader.grade(goal, plan)           # Grade: items, score, failed, flags
    reward = RubricReward(grader, goals_by_id)       # async TRL reward function
    jury = Jury.of(["openai:...", "anthropic:..."])  # several judges, every Grade kept
"""

from sciplan.grade.config import GraderConfig, GradingConfig, RewardConfig, Variant, View, load_grading_config
from sciplan.grade.grader import GradeFailedError, Grader, grade_id
from sciplan.grade.guidelines import Guideline, GuidelineSet, default_guidelines_path, load_guidelines
from sciplan.grade.injection import REMOVED, Finding, Scan, neutralise, scan_plan
from sciplan.grade.jury import Jury, JuryVerdict, aggregate, judge_means, latest
from sciplan.grade.prompt import GradePrompt, build_prompt, fence_tag, units_for
from sciplan.grade.reward import (
    FormatCheck,
    RewardParts,
    RubricReward,
    check_format,
    combine,
    plan_length,
    reward_plan,
    split_completion,
)
from sciplan.grade.schema import kind_for, verdict_model, verdict_schema
from sciplan.grade.summary import GraderSummary, summarize

__all__ = [
    "Finding",
    "FormatCheck",
    "GradeFailedError",
    "GradePrompt",
    "Grader",
    "GraderConfig",
    "GraderSummary",
    "GradingConfig",
    "Guideline",
    "GuidelineSet",
    "Jury",
    "JuryVerdict",
    "REMOVED",
    "RewardConfig",
    "RewardParts",
    "RubricReward",
    "Scan",
    "Variant",
    "View",
    "aggregate",
    "build_prompt",
    "check_format",
    "combine",
    "default_guidelines_path",
    "fence_tag",
    "grade_id",
    "judge_means",
    "kind_for",
    "latest",
    "load_grading_config",
    "load_guidelines",
    "neutralise",
    "plan_length",
    "reward_plan",
    "scan_plan",
    "split_completion",
    "summarize",
    "units_for",
    "verdict_model",
    "verdict_schema",
]
