"""Building a study from goals and two files of plans: pairing, assignment, tokens."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlReport, read_records
from sciplan.records import Goal, Plan, make_id
from sciplan.study.assign import assign
from sciplan.study.attention import attention_pairs, with_attention
from sciplan.study.blinding import check_pairs
from sciplan.study.config import StudyConfig
from sciplan.study.security import hash_token, new_secret, new_token
from sciplan.study.store import StudyStore

__all__ = ["CreatedStudy", "pair_plans", "create_study", "create_study_from_files", "login_link", "reissue_links"]


@dataclass
class CreatedStudy:
    """A new study: where it is, the login links (shown once; only hashes are stored), what was skipped."""

    path: Path
    admin_link: str
    links: dict[str, str]
    goals: int
    assignments: int
    skipped: list[str] = field(default_factory=list)
    # Goals whose plans break the blinding, with what was found (`StudyConfig.blinding`).
    flagged: dict[str, list[str]] = field(default_factory=dict)
    attention: int = 0


def login_link(base_url: str, token: str) -> str:
    """The personal login link for a token."""
    return f"{base_url.rstrip('/')}/login/{token}"


def pair_plans(
    goals: list[Goal], plans_a: list[Plan], plans_b: list[Plan]
) -> tuple[list[tuple[Goal, Plan, Plan]], list[str]]:
    """For each goal, its plan from each arm (the lowest `sample` when there are several).

    Returns the pairs and a line for each goal that was left out, saying why.
    """

    def first_by_goal(plans: list[Plan]) -> dict[str, Plan]:
        out: dict[str, Plan] = {}
        for p in plans:
            if p.goal_id not in out or p.sample < out[p.goal_id].sample:
                out[p.goal_id] = p
        return out

    by_a, by_b = first_by_goal(plans_a), first_by_goal(plans_b)
    shared = {p.id for p in plans_a} & {p.id for p in plans_b}
    if shared:
        raise SciplanError(
            f"the same plan ids are in both arms (e.g. {sorted(shared)[0]}): pass two different plan files"
        )
    pairs, skipped, seen = [], [], set()
    for goal in goals:
        if goal.id in seen:
            skipped.append(f"goal {goal.id}: duplicate goal id, kept the first")
            continue
        seen.add(goal.id)
        a, b = by_a.get(goal.id), by_b.get(goal.id)
        if a is None or b is None:
            which = " and ".join(arm for arm, p in (("plans-a", a), ("plans-b", b)) if p is None)
            skipped.append(f"goal {goal.id}: no plan in {which}")
            continue
        pairs.append((goal, a, b))
    return pairs, skipped


def create_study(
    db_path: str | os.PathLike[str],
    goals: list[Goal],
    plans_a: list[Plan],
    plans_b: list[Plan],
    config: StudyConfig,
    force: bool = False,
) -> CreatedStudy:
    """Pair plans with goals, assign goals to annotators, and write the study database."""
    pairs, skipped = pair_plans(goals, plans_a, plans_b)
    if not pairs:
        raise SciplanError("no goal has a plan in both plan files; nothing to study")
    flags = check_pairs(pairs)
    flagged = {gid: [f.describe() for f in fs] for gid, fs in flags.items()}
    if flags and config.blinding == "refuse":
        lines = [f"goal {gid}: {'; '.join(d)}" for gid, d in flagged.items()]
        raise SciplanError(
            f"{len(flags)} goals have plans that break the blinding (set blinding: drop to leave them out):\n"
            + "\n".join(lines[:20])
        )
    if flags and config.blinding == "drop":
        pairs = [p for p in pairs if p[0].id not in flags]
        skipped += [f"goal {gid}: dropped, {'; '.join(d)}" for gid, d in flagged.items()]
        if not pairs:
            raise SciplanError("every goal's plans break the blinding; nothing to study")
    if config.limit is not None and len(pairs) > config.limit:
        keep = set(random.Random(config.seed).sample(range(len(pairs)), config.limit))
        pairs = [p for i, p in enumerate(pairs) if i in keep]
    names = config.names()
    tokens = {name: new_token() for name in names}
    annotators = [(make_id("annotator", name), name, hash_token(tokens[name])) for name in names]
    assignments = assign([g.id for g, _, _ in pairs], len(names), config.per_goal, seed=config.seed)
    checks = attention_pairs(pairs, config.attention_items, config.attention_text, seed=config.seed)
    assignments = with_attention(assignments, len(names), [g.id for g, _, _ in checks], seed=config.seed)
    pairs = pairs + checks
    admin_token = new_token()
    StudyStore.create(
        db_path, config, pairs, annotators, assignments, hash_token(admin_token), new_secret(), force=force
    )
    return CreatedStudy(
        path=Path(db_path),
        admin_link=login_link(config.base_url, admin_token),
        links={name: login_link(config.base_url, tok) for name, tok in tokens.items()},
        goals=len(pairs) - len(checks),
        assignments=len(assignments),
        skipped=skipped,
        flagged=flagged if config.blinding == "report" else {},
        attention=len(checks),
    )


def _read(path: str | os.PathLike[str], model: type, what: str, skipped: list[str]) -> list:
    p = Path(path)
    if not p.is_file():
        raise SciplanError(f"{p}: no such {what} file")
    report = JsonlReport(p)
    records: list = read_records(p, model, report)
    skipped += [f"{p}:{line}: skipped ({why})" for line, why in report.bad_lines]
    if report.torn_tail:
        skipped.append(f"{p}: skipped a torn last line")
    if not records:
        raise SciplanError(f"{p}: no valid {model.__name__} records")
    return records


def create_study_from_files(
    db_path: str | os.PathLike[str],
    goals_path: str | os.PathLike[str],
    plans_a_path: str | os.PathLike[str],
    plans_b_path: str | os.PathLike[str],
    config: StudyConfig,
    force: bool = False,
) -> CreatedStudy:
    """`create_study` from JSONL files of `Goal` and `Plan` records; bad lines are skipped and reported."""
    notes: list[str] = []
    goals = _read(goals_path, Goal, "goals", notes)
    plans_a = _read(plans_a_path, Plan, "plans", notes)
    plans_b = _read(plans_b_path, Plan, "plans", notes)
    created = create_study(db_path, goals, plans_a, plans_b, config, force=force)
    created.skipped = notes + created.skipped
    return created


def reissue_links(store: StudyStore, names: list[str], admin: bool = False) -> dict[str, str]:
    """New login links for these annotators (and the admin); their old links stop working."""
    base = store.config().base_url
    out: dict[str, str] = {}
    for name in names:
        token = new_token()
        store.set_token_hash(name, hash_token(token))
        out[name] = login_link(base, token)
    if admin:
        token = new_token()
        store.set_token_hash(None, hash_token(token))
        out["admin"] = login_link(base, token)
    return out
