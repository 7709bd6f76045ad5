"""The sample creator: one paper -> up to three (goal, rubric, reference) candidates.

The paper is cut to the creator's token budget (`context.py`); in the leakage-aware mode
the goal is written from background/introduction and the rubric from method/experiments.
The answer is validated against a bounded schema (`schema.py`) with bounded repairs;
strings are then trimmed to their bounds, repeated rubric items removed, and candidates
too short to use dropped. A paper that yields nothing raises `ExtractionError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sciplan.extract.config import CreatorConfig
from sciplan.extract.context import PaperContext, build_context, split_context
from sciplan.extract.errors import ExtractionError
from sciplan.extract.schema import CandidateOut, creator_answer
from sciplan.llm import Message, Model
from sciplan.prompts import render
from sciplan.records import Paper, make_id

_WORD = re.compile(r"[^\W\d_]{3,}")

__all__ = ["Candidate", "CreatorResult", "creator_messages", "create_candidates", "clean_candidates", "fit_context"]


class Candidate(BaseModel):
    """One candidate tuple of a paper, as the creator wrote it (after cleaning)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    paper_id: str
    index: int
    goal: str
    rubric: list[str] = Field(default_factory=list)
    reference: str
    # Mistakes a plan for this goal must not make (scored with negative weight); [] unless asked for.
    pitfalls: list[str] = Field(default_factory=list)


@dataclass
class CreatorResult:
    """The usable candidates of one paper and what the creator saw."""

    candidates: list[Candidate]
    context: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    dropped: list[str] = field(default_factory=list)


def creator_messages(paper: Paper, config: CreatorConfig) -> tuple[list[Message], dict[str, Any]]:
    """The creator's chat messages for `paper`, and a summary of the sections it was given."""
    cfg = config
    system = render(
        "extract/creator_system.j2", n=cfg.candidates, goal_chars=cfg.goal_chars, item_chars=cfg.item_chars,
        min_items=min(cfg.min_items, cfg.max_items), max_items=cfg.max_items, reference_chars=cfg.reference_chars,
        leakage_aware=cfg.leakage_aware, pitfalls=cfg.pitfalls,
    )
    if cfg.leakage_aware:
        goal_part, rubric_part = split_context(paper, cfg.context)
        user = render("extract/creator_user.j2", leakage_aware=True, goal_part=goal_part.text,
                      rubric_part=rubric_part.text, n=cfg.candidates)
        summary: dict[str, Any] = {"mode": "leakage_aware", "goal_part": goal_part.summary(),
                                   "rubric_part": rubric_part.summary()}
        empty = not _has_body(goal_part) or not _has_body(rubric_part)
    else:
        ctx = build_context(paper, cfg.context)
        user = render("extract/creator_user.j2", leakage_aware=False, paper=ctx.text, n=cfg.candidates)
        summary = {"mode": "whole", **ctx.summary()}
        empty = not _has_body(ctx)
    if empty:
        raise ExtractionError(f"paper {paper.id} ({paper.title[:60]!r}): no text to extract from "
                              "(no abstract and no usable sections)")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], summary


def _has_body(ctx: PaperContext) -> bool:
    # The title alone is not a paper: something besides it must have been included.
    return bool(ctx.included)


def _has_words(text: str) -> bool:
    # Constrained decoding can fill a string with dots or a label: a usable text has words.
    return len(_WORD.findall(text)) >= 2


def _trim(text: str, limit: int) -> str:
    """Whitespace collapsed and cut to `limit` characters (at a word boundary when one is near)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space >= limit * 0.6 else cut


def with_pitfalls(rubric: list[str], pitfalls: list[str]) -> dict[str, list]:
    """`Goal` fields for a rubric plus pitfall items: the pitfalls last, at weight −1 (plain rubric: no weights)."""
    if not pitfalls:
        return {"rubric": list(rubric)}
    return {"rubric": [*rubric, *pitfalls], "weights": [1.0] * len(rubric) + [-1.0] * len(pitfalls)}


def clean_candidates(paper_id: str, raw: list[CandidateOut],
                     config: CreatorConfig) -> tuple[list[Candidate], list[str]]:
    """Trimmed, de-duplicated candidates, and a reason for each one dropped."""
    cfg = config
    out: list[Candidate] = []
    dropped: list[str] = []
    seen_goals: set[str] = set()
    for i, c in enumerate(raw[: cfg.candidates], start=1):
        goal = _trim(c.goal, cfg.goal_chars)
        reference = _trim(c.reference, cfg.reference_chars)
        items: list[str] = []
        seen: set[str] = set()
        for item in c.rubric:
            text = _trim(item, cfg.item_chars)
            key = text.lower().strip(" .")
            if _has_words(text) and key not in seen:
                seen.add(key)
                items.append(text)
        items = items[: cfg.max_items]
        pitfalls = []
        for item in c.pitfalls:
            text = _trim(item, cfg.item_chars)
            if _has_words(text) and text.lower().strip(" .") not in seen:
                seen.add(text.lower().strip(" ."))
                pitfalls.append(text)
        pitfalls = pitfalls[: cfg.pitfalls]
        if len(goal) < cfg.min_goal_chars or not _has_words(goal):
            dropped.append(f"candidate {i}: goal shorter than {cfg.min_goal_chars} characters or without words")
        elif len(reference) < cfg.min_reference_chars or not _has_words(reference):
            dropped.append(f"candidate {i}: reference shorter than {cfg.min_reference_chars} characters "
                           "or without words")
        elif not items:
            dropped.append(f"candidate {i}: no rubric item")
        elif goal.lower() in seen_goals:
            dropped.append(f"candidate {i}: repeats an earlier candidate's goal")
        else:
            seen_goals.add(goal.lower())
            out.append(Candidate(id=make_id("candidate", paper_id, i, goal), paper_id=paper_id, index=i, goal=goal,
                                 rubric=items, reference=reference, pitfalls=pitfalls))
    return out, dropped


def fit_context(config: CreatorConfig, window: int | None) -> CreatorConfig:
    """`config` with the paper's token budget cut to what a `window`-token model leaves it.

    The budget is counted as characters / chars_per_token, which runs under a real
    tokenizer's count on scientific text (the defaults' 6000 estimated tokens came to 8288
    real ones with the instructions: past llama.cpp's default 8192, refused). The answer is
    kept a quarter of the window (or max_tokens, if less), the instructions ~1000 tokens,
    and the paper gets three quarters of the rest.
    """
    if window is None:
        return config
    ctx = config.context
    answer, instructions = min(config.max_tokens, window // 4), 1000
    room = int((window - answer - instructions) * 0.75)
    if room >= ctx.budget_tokens:
        return config
    return config.model_copy(update={"context": ctx.model_copy(update={"budget_tokens": max(32, room)})})


async def create_candidates(model: Model, paper: Paper, config: CreatorConfig) -> CreatorResult:
    """Ask `model` for candidates for `paper`; raises ExtractionError when none is usable."""
    cfg = fit_context(config, model.context_window())
    messages, summary = creator_messages(paper, cfg)
    # Bounded arrays and strings: constrained decoding cannot ramble until max_tokens.
    output = creator_answer(cfg.candidates, min(cfg.min_items, cfg.max_items), cfg.max_items, cfg.goal_chars,
                            cfg.item_chars, cfg.reference_chars, cfg.min_goal_chars, cfg.min_reference_chars,
                            cfg.pitfalls)
    res = await model.generate_structured(messages, output, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                                          seed=cfg.seed, retries=cfg.retries)
    if res.value is None:
        raise ExtractionError(f"paper {paper.id}: the creator's answer never validated after {res.attempts} "
                              f"attempt(s): {res.error}")
    candidates, dropped = clean_candidates(paper.id, list(res.value.candidates), cfg)  # type: ignore[attr-defined]
    if not candidates:
        raise ExtractionError(f"paper {paper.id}: no usable candidate ({'; '.join(dropped)})")
    return CreatorResult(candidates=candidates, context=summary, attempts=res.attempts, dropped=dropped)
