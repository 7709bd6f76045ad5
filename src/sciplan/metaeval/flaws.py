"""Planted flaws written by a model instead of the templates (`flaw_writer:` in the config)."""

from __future__ import annotations

from collections.abc import Sequence

from sciplan.llm import LLMError, Model
from sciplan.metaeval.config import MetaevalConfig
from sciplan.metaeval.variants import load_flaws, variant_plan
from sciplan.prompts import render
from sciplan.records import Goal, Plan

__all__ = ["write_flaws"]


async def write_flaws(model: Model, goals: dict[str, Goal], variants: Sequence[Plan],
                      cfg: MetaevalConfig) -> list[Plan]:
    """Each flaw variant rewritten by `model` from the reference; the template text where the call fails."""
    kinds = {k.name: k for k in load_flaws(cfg.flaw_templates)}
    out = []
    for v in variants:
        if v.meta.get("family") != "flaw":
            out.append(v)
            continue
        goal, kind = goals[v.goal_id], kinds[v.meta["kind"]]
        prompt = render("metaeval/flaw.j2", goal=goal.text, reference=goal.reference or "",
                        flaw=kind.description, example=kind.add[0])
        try:
            comp = await model.generate([{"role": "user", "content": prompt}], max_tokens=cfg.flaw_writer_max_tokens,
                                        temperature=0.0, seed=cfg.seed)
            text = comp.text.strip()
        except LLMError:
            text = ""
        if len(text) < 20:
            out.append(v)  # an empty or useless answer: keep the template's flaw
            continue
        out.append(variant_plan(goal, "flaw", text, f"{kind.name}:model", kind=kind.name, writer=model.name))
    return out
