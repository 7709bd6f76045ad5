"""The part of a paper the creator reads: a token budget that favours the sections that matter.

Sections are classified by heading (abstract, introduction, method, experiments, ...),
filled tier by tier in the order the config gives, and a tier that does not fit is
shared by water-filling (short sections whole, the long ones cut to equal shares at a
sentence boundary). The leakage-aware mode builds two parts: the goal part from
background/introduction and the rubric part from method/experiments.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sciplan.extract.config import ContextConfig
from sciplan.records import Paper

__all__ = ["Block", "PaperContext", "section_kind", "allocate", "build_context", "split_context"]

# First match wins: "Experimental setup" is experiments, "Materials and methods" is method.
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("skip", re.compile(r"reference|bibliograph|acknowledg|funding|competing interest|conflicts? of interest|"
                        r"author(s')? contribution|abbreviation|data availability|supporting information|"
                        r"declaration|ethics", re.I)),
    ("abstract", re.compile(r"^\W*(abstract|summary)\W*$", re.I)),
    ("appendix", re.compile(r"appendix|supplement", re.I)),
    ("related", re.compile(r"related work|prior work|previous work|literature", re.I)),
    ("introduction", re.compile(r"introduction|overview|motivation", re.I)),
    ("background", re.compile(r"background|preliminar|problem (setting|statement|formulation)|notation", re.I)),
    ("experiments", re.compile(r"experiment|result|evaluation|empirical|benchmark|ablation|case stud|simulation|"
                               r"finding", re.I)),
    ("method", re.compile(r"method|approach|material|model|algorithm|framework|design|propos|architecture|"
                          r"theory|procedure|protocol|analysis|implementation|data|participants|patients|study",
                          re.I)),
    ("discussion", re.compile(r"discussion|limitation|future", re.I)),
    ("conclusion", re.compile(r"conclu|summary|outlook", re.I)),
]


def section_kind(heading: str) -> str:
    """The kind of a section from its heading; "other" when no rule matches."""
    for kind, pattern in _KINDS:
        if pattern.search(heading):
            return kind
    return "other"


@dataclass(frozen=True)
class Block:
    """One section as the context sees it: its kind and its text."""

    heading: str
    kind: str
    text: str
    order: int


@dataclass
class PaperContext:
    """The text given to the creator, and what was kept, cut and left out."""

    text: str
    tokens: int
    included: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """A small dict for `Goal.meta` (which sections the goal came from)."""
        return {"tokens": self.tokens, "included": self.included, "truncated": self.truncated,
                "omitted": self.omitted}


def blocks(paper: Paper) -> list[Block]:
    """The paper's abstract and sections with their kinds; subsections inherit their parent's."""
    out: list[Block] = []
    if paper.abstract.strip():
        out.append(Block("Abstract", "abstract", paper.abstract.strip(), 0))
    parent = "other"
    for i, s in enumerate(paper.sections, start=1):
        kind = section_kind(s.heading) if s.heading.strip() else "other"
        if s.level <= 1:
            if not s.heading.strip() and not any(b.kind not in ("abstract",) for b in out):
                kind = "introduction"  # an untitled opening section is the introduction
            parent = kind
        elif kind == "other":
            kind = parent
        if parent == "skip":
            kind = "skip"
        if s.text.strip():
            out.append(Block(s.heading.strip(), kind, s.text.strip(), i))
    return out


def allocate(sizes: list[int], budget: int) -> list[int]:
    """Water-filling: everything if it fits, else the smallest whole and equal shares for the rest."""
    out = [0] * len(sizes)
    left, remaining = max(0, budget), len(sizes)
    for i in sorted(range(len(sizes)), key=lambda j: (sizes[j], j)):
        take = min(sizes[i], left // remaining)
        out[i] = take
        left -= take
        remaining -= 1
    return out


def _cut(text: str, chars: int) -> str:
    """`text` cut to at most `chars` characters, at a sentence end when one is near."""
    if len(text) <= chars:
        return text
    head = text[:chars]
    end = max(head.rfind(". "), head.rfind(".\n"))
    if end >= chars // 2:
        return head[: end + 1] + " […]"
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head) + " […]"


def _tokens(chars: int, cfg: ContextConfig) -> int:
    return math.ceil(chars / cfg.chars_per_token)


def build_context(paper: Paper, cfg: ContextConfig, kinds: list[str] | None = None,
                  budget: int | None = None, title: bool = True) -> PaperContext:
    """The paper's text within `budget` tokens: tier 0 kinds first, in document order.

    `kinds` restricts the sections used (leakage-aware parts); None uses every tier.
    """
    budget = cfg.budget_tokens if budget is None else budget
    head = f"Title: {paper.title}" if title else ""
    left = budget - _tokens(len(head), cfg)
    pool = [b for b in blocks(paper) if b.kind != "skip" and (kinds is None or b.kind in kinds)]
    tier_of = {k: t for t, tier in enumerate(cfg.tiers) for k in tier}
    chosen: dict[int, str] = {}
    ctx = PaperContext(text="", tokens=0)
    for t in range(len(cfg.tiers)):
        tier = [b for b in pool if tier_of.get(b.kind) == t]
        if not tier:
            continue
        # A block costs its heading and its text.
        sizes = [_tokens(len(b.heading) + len(b.text) + 2, cfg) for b in tier]
        shares = allocate(sizes, left)
        for b, size, share in zip(tier, sizes, shares, strict=False):
            name = b.heading or b.kind
            if share >= size:
                chosen[b.order] = b.text
                left -= size
            elif share >= cfg.min_section_tokens:
                text = _cut(b.text, int((share - _tokens(len(b.heading) + 2, cfg)) * cfg.chars_per_token))
                chosen[b.order] = text
                left -= _tokens(len(b.heading) + len(text) + 2, cfg)
                ctx.truncated.append(name)
            else:
                ctx.omitted.append(name)
    ctx.omitted += [b.heading or b.kind for b in pool if tier_of.get(b.kind) is None]
    parts = [head] if head else []
    for b in pool:
        if b.order in chosen:
            parts.append(f"## {b.heading}\n{chosen[b.order]}" if b.heading else chosen[b.order])
            ctx.included.append(b.heading or b.kind)
    ctx.text = "\n\n".join(parts)
    ctx.tokens = _tokens(len(ctx.text), cfg)
    return ctx


def split_context(paper: Paper, cfg: ContextConfig) -> tuple[PaperContext, PaperContext]:
    """Leakage-aware parts: (goal part from background/introduction, rubric part from method/experiments).

    A paper without such sections falls back: the goal part to the abstract, the rubric
    part to every section the goal part did not use.
    """
    goal_budget = int(cfg.budget_tokens * cfg.goal_share)
    goal = build_context(paper, cfg, cfg.goal_kinds, goal_budget)
    if not goal.included:
        goal = build_context(paper, cfg, ["abstract"], goal_budget)
    rest = cfg.budget_tokens - goal.tokens
    rubric = build_context(paper, cfg, cfg.rubric_kinds, rest, title=False)
    if not rubric.included:
        used = set(cfg.goal_kinds) | {"abstract"}
        others = [k for tier in cfg.tiers for k in tier if k not in used]
        rubric = build_context(paper, cfg, others, rest, title=False)
    return goal, rubric
