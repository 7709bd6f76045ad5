"""The rubric grader: one plan, one goal, one model call (plus bounded repairs) -> `Grade`."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence

from sciplan.errors import SciplanError
from sciplan.grade.config import GraderConfig
from sciplan.grade.guidelines import GuidelineSet, load_guidelines
from sciplan.grade.injection import REMOVED, Scan, scan_plan
from sciplan.grade.prompt import GradePrompt, build_prompt, units_for
from sciplan.grade.schema import Kind, kind_for, verdict_model
from sciplan.llm import (
    LLMError,
    Model,
    ModelSettings,
    get_model,
    stage,
)
from sciplan.llm.errors import FATAL_ERRORS
from sciplan.records import Goal, Grade, GradeItem, Plan, make_id

__all__ = ["Grader", "GradeFailedError", "grade_id"]

# Errors that no other plan would escape either: stop the run instead of marking grades.
_FATAL = FATAL_ERRORS

_NOT_ADDRESSED = re.compile(r"^\W*(?:not addressed|none|n/?a|nothing|no part)\b", re.IGNORECASE)


class GradeFailedError(SciplanError):
    """Raised instead of returning a failed `Grade` when the config says `on_failure: raise`."""


def grade_id(plan_id: str, grader: str, config: GraderConfig, guidelines: GuidelineSet) -> str:
    """The stable id of one grader's grade of one plan under one protocol."""
    return make_id("grade", plan_id, grader, config.variant, config.view, guidelines.tag)


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
        self.guidelines = guidelines or load_guidelines(self.config.guidelines)
        # Ledger stage of this grader's calls; None leaves the caller's stage (e.g. "select").
        self.stage_name = stage_name
        self.kind: Kind = kind_for(self.config.variant, self.config.view)

    @property
    def name(self) -> str:
        return self.model.name

    def grade_id_for(self, plan: Plan) -> str:
        """The id this grader gives its grade of `plan` (to skip work already written)."""
        return grade_id(plan.id, self.name, self.config, self.guidelines)

    def prompt(self, goal: Goal, plan_text: str) -> GradePrompt:
        """The prompt for an already neutralised plan text."""
        return build_prompt(goal, plan_text, self.config, self.guidelines)

    async def grade(self, goal: Goal, plan: Plan | str, *, plan_id: str | None = None) -> Grade:
        """Grade one plan (a `Plan` or its text) for `goal`; never a silent zero."""
        text = plan.text if isinstance(plan, Plan) else plan
        pid = plan.id if isinstance(plan, Plan) else (plan_id or make_id("plan-text", goal.id, text))
        units = units_for(goal, self.config, self.guidelines)
        scan = scan_plan(text)
        grade = Grade(
            id=grade_id(pid, self.name, self.config, self.guidelines),
            goal_id=goal.id,
            plan_id=pid,
            grader=self.name,
            variant=self.config.variant,
            flags=["injection"] if scan.flagged else [],
            meta={"view": self.config.view, "guidelines": self.guidelines.tag, "units": len(units)},
        )
        if scan.flagged:
            grade.meta["injection"] = [{"kind": f.kind, "text": f.text[:120]} for f in scan.findings[:20]]
        if not units:
            return self._failed(grade, f"goal {goal.id} has no rubric items to grade against")
        if scan.flagged and self.config.on_injection == "zero":
            return self._unsatisfied(grade, units, "the plan tries to instruct the grader; it earns no credit")
        graded = scan.cleaned if self.config.on_injection == "remove" else scan.neutralised
        if not graded.replace(REMOVED, "").strip():
            # Nothing left to grade (an empty plan, or one made only of injected text).
            return self._unsatisfied(grade, units, "the plan is empty", excerpt="not addressed")
        return await self._call(goal, graded, grade, units, scan)

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

    async def _call(self, goal: Goal, text: str, grade: Grade, units: list[str], scan: Scan) -> Grade:
        cfg = self.config
        output = verdict_model(self.kind, len(units), self.guidelines.ids, cfg.excerpt_chars, cfg.reason_chars)
        messages = self.prompt(goal, text).messages()
        ctx = stage(self.stage_name) if self.stage_name else contextlib.nullcontext()
        try:
            with ctx:
                res = await self.model.generate_structured(
                    messages, output, max_tokens=cfg.max_tokens, temperature=cfg.temperature, seed=cfg.seed,
                    retries=cfg.retries,
                )
        except _FATAL:
            raise
        except LLMError as exc:
            return self._failed(grade, f"model call failed: {exc}")
        grade.meta["attempts"] = res.attempts
        if res.completion is not None:
            u = res.completion.usage
            grade.meta["tokens"] = {"prompt": u.prompt_tokens, "completion": u.completion_tokens}
        if res.value is None:
            return self._failed(grade, f"no valid verdict after {res.attempts} attempt(s): {res.error}")
        if self.kind == "likert":
            score = int(res.value.score)  # type: ignore[attr-defined]
            grade.score = (score - 1) / 9
            grade.meta["likert"] = score
            grade.meta["reason"] = res.value.reason[: cfg.reason_chars]  # type: ignore[attr-defined]
            return grade
        grade.items = self._items(res.value.verdicts, units, grade)  # type: ignore[attr-defined]
        grade.score = sum(i.satisfied for i in grade.items) / len(units)
        return grade

    def _items(self, verdicts: list, units: list[str], grade: Grade) -> list[GradeItem]:
        """One item per unit: the first verdict for each index; missing ones unsatisfied."""
        cfg, rubric = self.config, self.config.view != "guidelines"
        by_index: dict[int, object] = {}
        ignored = 0
        for v in verdicts:
            if 1 <= v.index <= len(units) and v.index not in by_index:
                by_index[v.index] = v
            else:
                ignored += 1  # a repeat, or an index with no unit
        items, missing, unaddressed = [], [], []
        for i, unit in enumerate(units, start=1):
            v = by_index.get(i)
            if v is None:
                missing.append(i)
                items.append(GradeItem(index=i, item=unit, reason="the grader gave no verdict for this item"))
                continue
            excerpt = v.excerpt.strip()[: cfg.excerpt_chars]
            if self.kind == "violations":
                violations = list(dict.fromkeys(v.violations))
                ok = not violations
            else:
                ok = bool(v.satisfied)
                # In the guidelines view a unit is a guideline: violating it is listed.
                violations = [] if ok or rubric else [self.guidelines.ids[i - 1]]
            # An item the plan does not address is unsatisfied, whatever else was said.
            if rubric and (not excerpt or _NOT_ADDRESSED.match(excerpt)):
                unaddressed.append(i)
                ok = False
            items.append(
                GradeItem(index=i, item=unit, excerpt=excerpt, violations=violations,
                          reason=v.reason.strip()[: cfg.reason_chars], satisfied=ok)
            )
        grade.meta.update({"missing": missing, "unaddressed": unaddressed, "ignored_verdicts": ignored})
        return items

    def _unsatisfied(self, grade: Grade, units: list[str], reason: str, excerpt: str = "") -> Grade:
        """A grade of 0 earned without a call (empty plan, or injection under `zero`)."""
        if self.kind != "likert":
            grade.items = [GradeItem(index=i, item=u, excerpt=excerpt, reason=reason) for i, u in enumerate(units, 1)]
        grade.score = 0.0
        grade.meta["reason"] = reason
        return grade

    def _failed(self, grade: Grade, error: str) -> Grade:
        if self.config.on_failure == "raise":
            raise GradeFailedError(f"grading plan {grade.plan_id} with {self.name}: {error}")
        grade.failed, grade.error, grade.score = True, error, None
        return grade
