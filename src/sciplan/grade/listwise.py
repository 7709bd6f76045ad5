"""The listwise group grader: one call sees the goal, the rubric and all G plans of a group.

GRPO only uses the ranking of plans within a group, so (as ART's RULER does) the judge
can see the whole group at once and give each plan a relative score: one call per group
instead of one per plan, and the goal, rubric and guidelines are read once. Text every
plan begins with (a shared template opening) is shown once, before the plans.

`ListwiseGrader` has the grader's interface (`name`, `config`, `guidelines`, `grade`,
`grade_group`), so it serves as the reward's grader, as an ablation arm and as a judge.
Its grades carry no item verdicts: `score` is the 0–10 score ÷ 10.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from sciplan.grade.guidelines import GuidelineSet, load_guidelines
from sciplan.grade.injection import scan_plan
from sciplan.llm import BoundedAnswer, LLMError, Message, Model, ModelSettings, get_model, stage
from sciplan.prompts import render
from sciplan.records import Goal, Grade, GradeTokens, Plan, make_id

__all__ = ["ListwiseConfig", "ListwiseGrader", "listwise_answer", "listwise_name", "shared_prefix"]

MAX_SCORE = 10


class ListwiseConfig(BaseModel):
    """Settings of the listwise grader."""

    model_config = ConfigDict(extra="forbid")

    variant: Literal["listwise"] = "listwise"
    view: Literal["both"] = "both"
    guidelines: str | None = None
    # Plans per call; a larger group is split into calls of at most this many.
    max_group: int = Field(8, ge=1, le=32)
    # Shared openings shorter than this are left in each plan.
    min_shared_chars: int = Field(80, ge=0)
    max_tokens: int = Field(600, ge=16)
    reason_chars: int = Field(200, ge=0)
    temperature: float = 0.0
    seed: int | None = 0
    retries: int = Field(1, ge=0)


def listwise_name(model: str) -> str:
    """The judge name a listwise grader's grades carry: the model's, marked, so it stays apart from
    the same model grading plan by plan in one jury."""
    return f"{model} [listwise]"


def listwise_answer(n: int, reason_chars: int) -> type[BoundedAnswer]:
    """The bounded answer model for a group of `n` plans."""

    class ListwiseAnswer(BoundedAnswer):
        scores: list[dict[str, Any]] = Field(default_factory=list)
        bounded_schema: ClassVar[dict[str, Any]] = {
            "type": "object",
            "properties": {
                "scores": {
                    "type": "array",
                    "minItems": n,
                    "maxItems": n,
                    "items": {
                        "type": "object",
                        "properties": {
                            "plan": {"type": "integer", "minimum": 1, "maximum": n},
                            "reason": {"type": "string", "maxLength": max(1, reason_chars)},
                            "score": {"type": "integer", "minimum": 0, "maximum": MAX_SCORE},
                        },
                        "required": ["plan", "reason", "score"],
                    },
                }
            },
            "required": ["scores"],
        }

    return ListwiseAnswer


def shared_prefix(texts: Sequence[str], min_chars: int = 80) -> str:
    """The opening every text shares, cut back to a line (or sentence) end; "" when shorter than `min_chars`."""
    if len(texts) < 2:
        return ""
    common = os.path.commonprefix(list(texts))
    cut = max(common.rfind("\n"), common.rfind(". ") + 1 if ". " in common else -1)
    common = common[: cut + 1] if cut >= 0 else ""
    return common if len(common.strip()) >= min_chars else ""


class ListwiseGrader:
    """Scores a whole group of plans for one goal in one model call (split above `max_group`)."""

    def __init__(
        self,
        model: Model | str,
        config: ListwiseConfig | None = None,
        *,
        settings: ModelSettings | None = None,
        guidelines: GuidelineSet | None = None,
        stage_name: str | None = "grade",
    ) -> None:
        self.model = get_model(model, settings) if isinstance(model, str) else model
        self.config = config or ListwiseConfig()
        self.guidelines = guidelines or load_guidelines(self.config.guidelines)
        self.stage_name = stage_name

    @property
    def name(self) -> str:
        return listwise_name(self.model.name)

    def grade_id_for(self, plan: Plan) -> str:
        """The id this grader gives its grade of `plan`."""
        return make_id("grade", plan.id, self.name, "listwise", "both", self.guidelines.tag)

    def messages(self, goal: Goal, texts: Sequence[str]) -> list[Message]:
        """The prompt for one group: system (instructions), user (goal, rubric, shared opening, fenced plans)."""
        prefix = shared_prefix(texts, self.config.min_shared_chars)
        shown = [t[len(prefix):] for t in texts] if prefix else list(texts)
        tag = make_id("fence", *texts, length=12)
        system = render("grade/listwise.j2", n=len(texts), guidelines=self.guidelines.guidelines,
                        shared_prefix=bool(prefix))
        user = render("grade/listwise_user.j2", goal=goal.text.strip(), rubric=list(goal.rubric),
                      shared_prefix=prefix.strip(), plans=[s.strip() for s in shown], tag=tag)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    async def grade(self, goal: Goal, plan: Plan | str) -> Grade:
        """One plan alone (a group of one: its score is absolute, not relative)."""
        return (await self.grade_group(goal, [plan]))[0]

    async def grade_group(self, goal: Goal, plans: Sequence[Plan | str]) -> list[Grade]:
        """One grade per plan, in order; a call whose answer is unusable fails its plans' grades."""
        items = [p if isinstance(p, Plan) else Plan(id=make_id("plan-text", goal.id, p), goal_id=goal.id,
                                                      model="?", text=p) for p in plans]
        out: list[Grade] = []
        size = self.config.max_group
        for start in range(0, len(items), size):
            out += await self._call(goal, items[start:start + size])
        return out

    def _grade(self, goal: Goal, plan: Plan, group: int, flags: list[str]) -> Grade:
        return Grade(id=self.grade_id_for(plan), goal_id=goal.id, plan_id=plan.id, grader=self.name,
                     variant="listwise", view="both", guidelines=self.guidelines.tag, flags=flags,
                     meta={"group": group})

    async def _call(self, goal: Goal, plans: list[Plan]) -> list[Grade]:
        cfg = self.config
        scans = [scan_plan(p.text) for p in plans]
        grades = [self._grade(goal, p, len(plans), ["injection"] if s.flagged else []) for p, s in zip(plans, scans, strict=True)]
        if not goal.rubric:
            return [self._fail(g, f"goal {goal.id} has no rubric items to grade against") for g in grades]
        messages = self.messages(goal, [s.neutralised for s in scans])
        ctx = stage(self.stage_name) if self.stage_name else contextlib.nullcontext()
        try:
            with ctx:
                res = await self.model.generate_structured(
                    messages, listwise_answer(len(plans), cfg.reason_chars), max_tokens=cfg.max_tokens,
                    temperature=cfg.temperature, seed=cfg.seed, retries=cfg.retries,
                )
        except LLMError as exc:
            return [self._fail(g, f"model call failed: {exc}") for g in grades]
        usage = res.completion.usage if res.completion is not None else None
        for g in grades:
            g.attempts = res.attempts
            if usage is not None:
                # The call's tokens, shared out (what one plan cost in this group), and the call's own.
                g.tokens = GradeTokens(prompt=usage.prompt_tokens // len(plans),
                                       completion=usage.completion_tokens // len(plans))
                g.meta["group_tokens"] = {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens}
        if res.value is None:
            return [self._fail(g, f"unusable listwise answer: {res.error}") for g in grades]
        scores = parse_scores(res.value.scores, len(plans), cfg.reason_chars)  # type: ignore[attr-defined]
        for k, g in enumerate(grades, start=1):
            if k not in scores:
                self._fail(g, f"the listwise answer has no score for plan {k} of {len(plans)}")
                continue
            value, reason = scores[k]
            g.score = value / MAX_SCORE
            g.meta["listwise_score"], g.meta["reason"] = value, reason
        return grades

    @staticmethod
    def _fail(grade: Grade, error: str) -> Grade:
        grade.failed, grade.error, grade.score = True, error, None
        return grade


def parse_scores(entries: Sequence[Any], n: int, reason_chars: int = 200) -> dict[int, tuple[int, str]]:
    """Plan number -> (score 0–10, reason) from a listwise answer; bad or repeated entries are skipped."""
    out: dict[int, tuple[int, str]] = {}
    for e in entries:
        if not isinstance(e, dict):
            continue
        plan: Any = e.get("plan")
        score: Any = e.get("score")
        try:
            k, s = int(plan), round(float(score))
        except (TypeError, ValueError):
            continue
        if 1 <= k <= n and 0 <= s <= MAX_SCORE and k not in out:
            out[k] = (s, str(e.get("reason", ""))[:reason_chars])
    return out
