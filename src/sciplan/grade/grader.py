"""The rubric grader: one plan, one goal, one model call (plus bounded repairs) -> `Grade`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from sciplan.errors import SciplanError
from sciplan.grade.config import GraderConfig
from sciplan.grade.guidelines import GuidelineSet, load_guidelines
from sciplan.grade.injection import REMOVED, Scan, scan_plan
from sciplan.grade.prompt import GradePrompt, build_prompt, context_for, reference_mode
from sciplan.grade.variant import Answer, AnswerFormat, GradeContext, variant_for
from sciplan.grade.weights import rescore
from sciplan.llm import (
    LLMError,
    Message,
    Model,
    ModelSettings,
    RequestRejectedError,
    Usage,
    get_model,
    stage,
)
from sciplan.llm.errors import FATAL_ERRORS
from sciplan.llm.structured import repair_turn
from sciplan.records import Goal, Grade, GradeTokens, Plan, make_id

__all__ = ["Grader", "GradeFailedError", "grade_id", "guidelines_for"]

# Errors that no other plan would escape either: stop the run instead of marking grades.
_FATAL = FATAL_ERRORS

def guidelines_for(config: GraderConfig) -> GuidelineSet:
    """The guideline set a config grades with: the one it names, else its variant's own."""
    return load_guidelines(config.guidelines or variant_for(config.variant).default_guidelines)


class GradeFailedError(SciplanError):
    """Raised instead of returning a failed `Grade` when the config says `on_failure: raise`."""


def grade_id(plan_id: str, grader: str, config: GraderConfig, guidelines: GuidelineSet) -> str:
    """The stable id of one grader's grade of one plan under one protocol."""
    # The reference mode joins the id only when set, so ids written before it existed hold.
    ref = [config.reference] if config.reference != "none" else []
    return make_id("grade", plan_id, grader, config.variant, config.view, guidelines.tag, *ref)


class Grader:
    """Grades plans against a goal's rubric and the general guidelines with one model.

        grader = Grader("local:smollm2")
        grade = await grader.grade(goal, plan)          # -> Grade (failed=True if unusable)
        grades = await grader.grade_group(goal, plans)  # shares the prompt prefix
    """

    def __init__(
        self,
        model: Model | str,
        config: GraderConfig | None = None,
        *,
        settings: ModelSettings | None = None,
        guidelines: GuidelineSet | None = None,
        stage_name: str | None = "grade",
    ) -> None:
        self.model = get_model(model, settings) if isinstance(model, str) else model
        self.config = config or GraderConfig()
        self.variant = variant_for(self.config.variant, self.config.view)
        self.guidelines = guidelines or guidelines_for(self.config)
        # Ledger stage of this grader's calls; None leaves the caller's stage (e.g. "select").
        self.stage_name = stage_name
        self.answer: AnswerFormat = (
            self.config.answer if self.config.answer != "auto"
            else "schema" if self.model.spec.provider == "local" else "text"
        )

    @property
    def name(self) -> str:
        return self.model.name

    def grade_id_for(self, plan: Plan) -> str:
        """The id this grader gives its grade of `plan` (to skip work already written)."""
        return grade_id(plan.id, self.name, self.config, self.guidelines)

    def prompt(self, goal: Goal, plan_text: str) -> GradePrompt:
        """The prompt for an already neutralised plan text."""
        return build_prompt(goal, plan_text, self.config, self.guidelines, self.answer, self.variant)

    async def grade(self, goal: Goal, plan: Plan | str, *, plan_id: str | None = None) -> Grade:
        """Grade one plan (a `Plan` or its text) for `goal`; never a silent zero."""
        text = plan.text if isinstance(plan, Plan) else plan
        pid = plan.id if isinstance(plan, Plan) else (plan_id or make_id("plan-text", goal.id, text))
        ctx = context_for(goal, self.config, self.guidelines)
        units = list(ctx.units)
        scan = scan_plan(text)
        grade = Grade(
            id=grade_id(pid, self.name, self.config, self.guidelines),
            goal_id=goal.id,
            plan_id=pid,
            grader=self.name,
            variant=self.config.variant,
            view=self.config.view,
            guidelines=self.guidelines.tag,
            reference=reference_mode(goal, self.config),
            flags=["injection"] if scan.flagged else [],
            meta={"units": len(units), "answer": self.answer},
        )
        if scan.flagged:
            grade.meta["injection"] = [{"kind": f.kind, "text": f.text[:120]} for f in scan.findings[:20]]
        if not units:
            return self._failed(grade, f"goal {goal.id} has no rubric items to grade against")
        if scan.flagged and self.config.on_injection == "zero":
            return self._unsatisfied(grade, ctx, "the plan tries to instruct the grader; it earns no credit")
        graded = scan.cleaned if self.config.on_injection == "remove" else scan.neutralised
        if not graded.replace(REMOVED, "").strip():
            # Nothing left to grade (an empty plan, or one made only of injected text).
            return self._unsatisfied(grade, ctx, "the plan is empty", excerpt="not addressed")
        return await self._call(goal, graded, grade, ctx, scan)

    async def grade_group(self, goal: Goal, plans: Sequence[Plan | str]) -> list[Grade]:
        """Grade plans for one goal so that a prefix cache serves their shared prompt."""
        if not plans:
            return []
        if not self.config.warm_prefix or len(plans) == 1:
            return list(await asyncio.gather(*(self.grade(goal, p) for p in plans)))
        # The first call puts the shared prefix in the server's cache; the rest, sent
        # together, all hit it (a batch that arrives at once may each recompute it).
        first = await self.grade(goal, plans[0])
        rest = await asyncio.gather(*(self.grade(goal, p) for p in plans[1:]))
        return [first, *rest]

    async def _call(self, goal: Goal, text: str, grade: Grade, ctx: GradeContext, scan: Scan) -> Grade:
        messages = self.prompt(goal, text).messages()
        cm = stage(self.stage_name) if self.stage_name else contextlib.nullcontext()
        try:
            with cm:
                if self.answer == "schema":
                    answer, error = await self._ask_schema(messages, ctx, grade)
                else:
                    answer, error = await self._ask_text(messages, ctx, grade)
        except _FATAL:
            raise
        except LLMError as exc:
            return self._failed(grade, f"model call failed: {exc}")
        if answer is None:
            return self._failed(grade, f"no valid verdict after {grade.attempts} attempt(s): {error}")
        self.variant.apply(answer, ctx, grade)
        if ctx.view != "guidelines":
            # Weighted and pitfall items score by HealthBench's rule (a plain rubric is unchanged).
            grade = rescore(goal, grade)[0]
        return grade

    async def _ask_schema(self, messages: list[Message], ctx: GradeContext, grade: Grade) -> tuple[Answer | None, str]:
        """Schema-constrained decoding; the backend's validation and repairs."""
        cfg = self.config
        res = await self.model.generate_structured(
            messages, self.variant.answer_model(ctx), max_tokens=cfg.max_tokens, temperature=cfg.temperature,
            seed=cfg.seed, retries=cfg.retries,
        )
        grade.attempts = res.attempts
        if res.completion is not None:
            u = res.completion.usage
            grade.tokens = GradeTokens(prompt=u.prompt_tokens, completion=u.completion_tokens)
        if res.value is None:
            return None, res.error or "no answer"
        return self.variant.from_model(res.value, ctx), ""

    async def _ask_text(self, messages: list[Message], ctx: GradeContext, grade: Grade) -> tuple[Answer | None, str]:
        """A plain-text answer, scanned by the variant; an unreadable one is shown back
        with what was wrong, a bounded number of times (the prompt stays the prefix)."""
        cfg = self.config
        msgs, used, error = list(messages), Usage(), "no answer"
        for attempt in range(cfg.retries + 1):
            grade.attempts = attempt + 1
            try:
                comp = await self.model.generate(msgs, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                                                 seed=cfg.seed + attempt)
            except RequestRejectedError as exc:
                return None, f"request rejected: {exc}"
            used = used + comp.usage
            grade.tokens = GradeTokens(prompt=used.prompt_tokens, completion=used.completion_tokens)
            try:
                return self.variant.parse(comp.text, ctx), ""
            except ValueError as exc:
                msgs, error = repair_turn(msgs, comp, str(exc), cfg.max_tokens, "Answer again, in the form asked for.")
        return None, error

    def _unsatisfied(self, grade: Grade, ctx: GradeContext, reason: str, excerpt: str = "") -> Grade:
        """A grade of 0 earned without a call (empty plan, or injection under `zero`)."""
        if self.variant.scores_items:
            grade.items = [self.variant.unaddressed_item(i, u, ctx, reason, excerpt)
                           for i, u in enumerate(ctx.units, 1)]
        grade.score = 0.0
        grade.meta["reason"] = reason
        return grade

    def _failed(self, grade: Grade, error: str) -> Grade:
        if self.config.on_failure == "raise":
            raise GradeFailedError(f"grading plan {grade.plan_id} with {self.name}: {error}")
        grade.failed, grade.error, grade.score = True, error, None
        return grade
