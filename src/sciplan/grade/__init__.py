"""Grading plans against a goal's rubric and general guidelines, and the reward.

    grader = Grader("local:smollm2", GraderConfig(variant="paper", reference="example"))
    grade = await grader.grade(goal, plan)            # Grade: items, score, failed, flags
    grades = await grade(graders, goals, plans)       # the one batch grader (every caller)
    reward = RubricReward(grader, goals_by_id)        # async TRL reward function

Variants are strategies (`GraderVariant`, `register`): a new one is a class and its
template under `prompts/grade/variants/`.
"""

from sciplan.grade.batch import grade, pending
from sciplan.grade.config import (
    PROTOCOLS,
    AnswerMode,
    GraderConfig,
    GradingConfig,
    ReferenceMode,
    RewardConfig,
    Variant,
    View,
    load_grading_config,
)
from sciplan.grade.grader import GradeFailedError, Grader, grade_id, guidelines_for
from sciplan.grade.guidelines import Guideline, GuidelineSet, default_guidelines_path, load_guidelines
from sciplan.grade.injection import REMOVED, Finding, Scan, neutralise, scan_plan
from sciplan.grade.jury import JuryVerdict, aggregate, judge_means, latest
from sciplan.grade.prompt import GradePrompt, build_prompt, fence_tag, reference_mode, units_for
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
from sciplan.grade.schema import verdict_model, verdict_schema
from sciplan.grade.summary import FailureView, GraderSummary, failure_reason, failure_view, summarize
from sciplan.grade.variant import Answer, GradeContext, GraderVariant, ItemVerdict, register, variant_for, variant_names

__all__ = [
    "Answer",
    "AnswerMode",
    "FailureView",
    "Finding",
    "PROTOCOLS",
    "FormatCheck",
    "GradeContext",
    "GradeFailedError",
    "GradePrompt",
    "Grader",
    "GraderConfig",
    "GraderSummary",
    "GraderVariant",
    "GradingConfig",
    "Guideline",
    "GuidelineSet",
    "ItemVerdict",
    "JuryVerdict",
    "REMOVED",
    "ReferenceMode",
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
    "failure_reason",
    "failure_view",
    "fence_tag",
    "grade",
    "grade_id",
    "guidelines_for",
    "judge_means",
    "latest",
    "load_grading_config",
    "load_guidelines",
    "neutralise",
    "pending",
    "plan_length",
    "reference_mode",
    "register",
    "reward_plan",
    "scan_plan",
    "split_completion",
    "summarize",
    "units_for",
    "variant_for",
    "variant_names",
    "verdict_model",
    "verdict_schema",
]
