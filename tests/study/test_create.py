"""Building a study from files: pairing plans with goals, skipping what cannot be used, limits."""

from __future__ import annotations

import pytest

from sciplan.errors import SciplanError
from sciplan.jsonl import append_records
from sciplan.records import Goal, Plan
from sciplan.study import StudyConfig, StudyStore, create_study, create_study_from_files
from sciplan.study.create import pair_plans


def goals(n: int) -> list[Goal]:
    return [Goal(id=f"g{i}", text=f"goal {i}", rubric=["r1", "r2"]) for i in range(n)]


def plan(goal: str, arm: str, sample: int = 0) -> Plan:
    return Plan(id=f"{goal}-{arm}-{sample}", goal_id=goal, model=f"m{arm}", text="t", sample=sample)


def test_each_goal_gets_its_lowest_sample_per_arm_and_gaps_are_reported():
    pairs, skipped = pair_plans(
        goals(3), [plan("g0", "a", 2), plan("g0", "a", 1), plan("g1", "a")], [plan("g0", "b"), plan("g2", "b")]
    )
    assert [(g.id, a.id, b.id) for g, a, b in pairs] == [("g0", "g0-a-1", "g0-b-0")]
    assert skipped == ["goal g1: no plan in plans-b", "goal g2: no plan in plans-a"]


def test_the_same_plans_in_both_arms_are_refused():
    with pytest.raises(SciplanError, match="same plan ids are in both arms"):
        pair_plans(goals(1), [plan("g0", "a")], [plan("g0", "a")])


def test_a_study_without_any_pair_is_refused(tmp_path):
    with pytest.raises(SciplanError, match="no goal has a plan in both"):
        create_study(tmp_path / "s.sqlite", goals(2), [plan("g0", "a")], [plan("g1", "b")], StudyConfig(annotators=1))
    assert not (tmp_path / "s.sqlite").exists()


def test_limit_takes_a_seeded_sample_of_goals(tmp_path):
    gs = goals(10)
    a, b = [plan(g.id, "a") for g in gs], [plan(g.id, "b") for g in gs]
    cfg = StudyConfig(annotators=2, limit=4, seed=5)
    one = create_study(tmp_path / "1.sqlite", gs, a, b, cfg)
    two = create_study(tmp_path / "2.sqlite", gs, a, b, cfg)
    assert one.goals == 4 and one.assignments == 4
    chosen = StudyStore(one.path).goal_ids()
    assert chosen == StudyStore(two.path).goal_ids() and len(chosen) == 4
    assert chosen != [g.id for g in gs[:4]]  # a sample, not the first four


def test_from_files_skips_bad_lines_and_names_missing_files(tmp_path):
    gs = goals(2)
    append_records(tmp_path / "goals.jsonl", gs)
    with open(tmp_path / "goals.jsonl", "a") as fh:
        fh.write('{"id": "broken"}\n')  # a Goal without text
    append_records(tmp_path / "a.jsonl", [plan(g.id, "a") for g in gs])
    append_records(tmp_path / "b.jsonl", [plan(g.id, "b") for g in gs])
    created = create_study_from_files(
        tmp_path / "s.sqlite",
        tmp_path / "goals.jsonl",
        tmp_path / "a.jsonl",
        tmp_path / "b.jsonl",
        StudyConfig(annotators=2, per_goal=2),
    )
    assert created.goals == 2 and created.assignments == 4
    assert len(created.skipped) == 1 and "goals.jsonl:3: skipped (text: Field required)" in created.skipped[0]
    assert set(created.links) == {"annotator-01", "annotator-02"}
    assert all(link.startswith("http://127.0.0.1:8000/login/") for link in created.links.values())
    with pytest.raises(SciplanError, match="missing.jsonl: no such plans file"):
        create_study_from_files(
            tmp_path / "t.sqlite",
            tmp_path / "goals.jsonl",
            tmp_path / "missing.jsonl",
            tmp_path / "b.jsonl",
            StudyConfig(),
        )
