"""Controlled plan variants of a goal's reference, built deterministically from a seed.

Each variant is a `Plan` whose `meta` says what was done to it: `family` (see
`FAMILIES`), and per family `item` (the 0-based rubric item whose content was removed),
`kind` (the planted flaw), `style` (the injection), `source_goal` (whose reference it is).
The same goals, config and seed give the same variants, with the same ids, in any process.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from sciplan.errors import SciplanError
from sciplan.metaeval.config import MetaevalConfig
from sciplan.records import Goal, Plan, make_id

__all__ = ["FlawKind", "InjectionStyle", "build_variants", "clauses", "item_clauses", "load_flaws",
           "load_injections", "variant_plan"]

_HERE = Path(__file__).parent
_CLAUSE = re.compile(r"(?<=[.;!?])\s+|\n+")
_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
_STOP = {"with", "that", "this", "from", "into", "such", "each", "than", "their", "them", "they", "which", "when",
         "where", "while", "only", "also", "more", "most", "least", "between", "across", "plan", "uses", "using"}
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class FlawKind:
    """A planted flaw: drop the reference's clauses matching `drop`, add one of `add`."""

    name: str
    description: str
    drop: str
    add: tuple[str, ...]


@dataclass(frozen=True)
class InjectionStyle:
    """Grader-directed text (`text`, Jinja) inserted at `where` (start, middle, end)."""

    name: str
    where: str
    text: str


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SciplanError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        raise SciplanError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SciplanError(f"{path}: expected a YAML mapping")
    return data


def load_flaws(extra: Path | None = None) -> list[FlawKind]:
    """The shipped flaw kinds, then those of `extra` (same name: the user's wins)."""
    raw = _yaml(_HERE / "flaws.yaml") | (_yaml(extra) if extra else {})
    out = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not spec.get("add"):
            raise SciplanError(f"flaw {name!r}: needs an `add` list of sentences")
        if spec.get("drop"):
            try:
                re.compile(spec["drop"])
            except re.error as exc:
                raise SciplanError(f"flaw {name!r}: `drop` is not a valid regular expression ({exc})") from None
        add = spec["add"] if isinstance(spec["add"], list) else [spec["add"]]
        out.append(FlawKind(str(name), str(spec.get("description", name)), str(spec.get("drop") or ""),
                            tuple(str(a) for a in add)))
    return out


def load_injections(extra: Path | None = None) -> list[InjectionStyle]:
    """The shipped injection styles, then those of `extra` (same name: the user's wins)."""
    raw = _yaml(_HERE / "injections.yaml") | (_yaml(extra) if extra else {})
    out = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not spec.get("text"):
            raise SciplanError(f"injection style {name!r}: needs a `text`")
        where = spec.get("where", "end")
        if where not in ("start", "middle", "end"):
            raise SciplanError(f"injection style {name!r}: `where` must be start, middle or end, not {where!r}")
        out.append(InjectionStyle(str(name), where, str(spec["text"])))
    return out


@lru_cache(maxsize=1)
def _corruptions() -> dict[str, Any]:
    return _yaml(_HERE / "corruptions.yaml")


def _render(template: str, goal: Goal, **extra: Any) -> str:
    first = re.split(r"(?<=[.!?])\s+", goal.text.strip(), maxsplit=1)[0]
    try:
        return _ENV.from_string(template).render(goal=goal.text, goal_first=first, items=goal.rubric,
                                                 n=len(goal.rubric), reference=goal.reference or "", **extra).strip()
    except jinja2.TemplateError as exc:
        raise SciplanError(f"metaeval template {template[:40]!r}: {exc}") from None


def clauses(text: str) -> list[str]:
    """The reference's clauses: sentences, and parts separated by semicolons."""
    return [c.strip() for c in _CLAUSE.split(text) if c.strip()]


def _words(text: str) -> set[str]:
    # A five-letter prefix is a crude stem: "controls" and "controlled" meet.
    return {w[:5] for w in _WORD.findall(text.casefold()) if w not in _STOP}


def item_clauses(reference: str, rubric: Sequence[str]) -> list[list[int]]:
    """Per rubric item, the indices of the reference clauses that address it (by shared words).

    A clause belongs to the item it shares most words with; an item that owns no clause
    gets the clause it shares most words with, if it shares any.
    """
    parts = [_words(c) for c in clauses(reference)]
    items = [_words(i) for i in rubric]
    owned: list[list[int]] = [[] for _ in rubric]
    for ci, words in enumerate(parts):
        overlaps = [len(words & it) for it in items]
        if overlaps and max(overlaps) > 0:
            owned[overlaps.index(max(overlaps))].append(ci)
    for k, it in enumerate(items):
        if not owned[k]:
            overlaps = [len(w & it) for w in parts]
            if overlaps and max(overlaps) > 0:
                owned[k].append(overlaps.index(max(overlaps)))
    return owned


def variant_plan(goal: Goal, family: str, text: str, detail: str = "", **meta: Any) -> Plan:
    """One variant as a `Plan` with a stable id."""
    return Plan(id=make_id("metaeval", goal.id, family, detail, text), goal_id=goal.id, model=f"metaeval:{family}",
                text=text, meta={"family": family, **meta})


def _rng(cfg: MetaevalConfig, goal: Goal, what: str) -> random.Random:
    # One generator per goal and family: adding a family does not change the others.
    return random.Random(make_id(cfg.seed, goal.id, what))


def _removed(goal: Goal, cfg: MetaevalConfig) -> list[Plan]:
    ref = goal.reference or ""
    parts = clauses(ref)
    owned = item_clauses(ref, goal.rubric)
    candidates = [k for k, cs in enumerate(owned) if cs and len(cs) < len(parts)]
    rng = _rng(cfg, goal, "removed")
    picked = sorted(rng.sample(candidates, min(cfg.removed_items or len(candidates), len(candidates))))
    out = []
    for k in picked:
        text = " ".join(c for i, c in enumerate(parts) if i not in owned[k])
        # Other items whose clauses were cut too: they may rightly move, so they are no false flip.
        touched = [j for j, cs in enumerate(owned) if j != k and set(cs) & set(owned[k])]
        out.append(variant_plan(goal, "removed", text, str(k), item=k, removed=[parts[i] for i in owned[k]],
                                touched=touched))
    return out


def _flaws(goal: Goal, cfg: MetaevalConfig, kinds: list[FlawKind]) -> list[Plan]:
    rng = _rng(cfg, goal, "flaw")
    out = []
    for kind in rng.sample(kinds, min(cfg.flaws, len(kinds))):
        parts = clauses(goal.reference or "")
        if kind.drop:
            pattern = re.compile(kind.drop, re.IGNORECASE)
            kept = [c for c in parts if not pattern.search(c)]
            parts = kept or parts
        added = _render(rng.choice(kind.add), goal)
        text = " ".join([*parts, added])
        out.append(variant_plan(goal, "flaw", text, kind.name, kind=kind.name, added=added))
    return out


def _padded(goal: Goal, cfg: MetaevalConfig) -> Plan:
    ref = goal.reference or ""
    filler = [str(f) for f in _corruptions()["filler"]]
    rng = _rng(cfg, goal, "padding")
    extra: list[str] = []
    while len(" ".join(extra)) < len(ref):
        extra.append(rng.choice(filler))
    return variant_plan(goal, "padding", " ".join([ref, *extra]))


def _inject(goal: Goal, style: InjectionStyle) -> Plan:
    ref, text = goal.reference or "", _render(style.text, goal)
    if style.where == "start":
        out = f"{text}\n{ref}"
    elif style.where == "end":
        out = f"{ref}\n{text}"
    else:
        parts = clauses(ref)
        half = max(1, len(parts) // 2)
        out = " ".join(parts[:half]) + f"\n{text}\n" + " ".join(parts[half:])
    return variant_plan(goal, "injection", out, style.name, style=style.name, injected=text)


def build_variants(goals: Sequence[Goal], cfg: MetaevalConfig) -> list[Plan]:
    """Every variant of every goal that has a reference (goals without one are skipped)."""
    usable = [g for g in goals if (g.reference or "").strip() and g.rubric]
    if cfg.limit:
        usable = usable[: cfg.limit]
    kinds = load_flaws(cfg.flaw_templates)
    styles = load_injections(cfg.injection_styles)
    fam = set(cfg.families)
    out: list[Plan] = []
    for n, goal in enumerate(usable):
        out.append(variant_plan(goal, "reference", goal.reference or ""))
        if "removed" in fam:
            out += _removed(goal, cfg)
        if "flaw" in fam:
            out += _flaws(goal, cfg, kinds)
        if "other_goal" in fam and len(usable) > 1:
            # The next goal's reference (a fixed derangement, shifted by the seed).
            shift = 1 + cfg.seed % (len(usable) - 1)
            other = usable[(n + shift) % len(usable)]
            out.append(variant_plan(goal, "other_goal", other.reference or "", other.id, source_goal=other.id))
        if "vague" in fam:
            template = _rng(cfg, goal, "vague").choice([str(v) for v in _corruptions()["vague"]])
            out.append(variant_plan(goal, "vague", _render(template, goal)))
        if "stuffing" in fam:
            out.append(variant_plan(goal, "stuffing", _render(str(_corruptions()["stuffing"]), goal)))
        if "padding" in fam:
            out.append(_padded(goal, cfg))
        if "injection" in fam:
            chosen = styles if cfg.injections is None else _rng(cfg, goal, "injection").sample(
                styles, min(cfg.injections, len(styles)))
            out += [_inject(goal, s) for s in chosen]
    return out
