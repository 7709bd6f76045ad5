"""The selector's exact logic: MMR filtering, named checks, the reference graded like a plan, the best kept."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.extract_judge import Judge
from sciplan.extract import Candidate, LexicalEmbedder, SelectorConfig, mmr_select, score_candidate, select
from sciplan.grade import Grader, GraderConfig

SIM = np.array([
    [1.0, 0.97, 0.1, 0.0],
    [0.97, 1.0, 0.1, 0.0],
    [0.1, 0.1, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
])
QUALITY = [1.0, 0.9, 0.5, 0.2]


@pytest.mark.parametrize("kwargs,expected", [
    # Item 1 repeats item 0 (similarity 0.97 >= 0.95): never kept.
    (dict(k=3, lam=0.7, max_similarity=0.95), [0, 2, 3]),
    # Without the hard cut, MMR still takes it second: 0.7*0.9 - 0.3*0.97 = 0.339 > 0.7*0.5 - 0.3*0.1 = 0.32.
    (dict(k=3, lam=0.7, max_similarity=1.0), [0, 1, 2]),
    # More weight on novelty: 0.4*0.9 - 0.6*0.97 < 0.4*0.5 - 0.6*0.1, so the distinct item wins.
    (dict(k=3, lam=0.4, max_similarity=1.0), [0, 2, 3]),
    (dict(k=2, lam=1.0, max_similarity=1.0), [0, 1]),
    (dict(k=10, lam=0.7, max_similarity=1.0, min_quality=0.3), [0, 1, 2]),
])
def test_mmr_select(kwargs, expected):
    assert mmr_select(QUALITY, SIM, **kwargs) == expected


def test_mmr_ties_go_to_the_earlier_item():
    assert mmr_select([0.5, 0.5, 0.5], np.zeros((3, 3)), k=3) == [0, 1, 2]


ITEMS = [
    "Compares three watering schedules with replicated plots.",
    "Compares three watering schedules using replicated plots.",  # a near repeat of item 1
    "Weighs all fruit per plant at harvest.",
    "Logs light and temperature in every plot.",
    "Writes a nice report.",
]
QUALITY_OF = {ITEMS[0]: 5, ITEMS[1]: 5, ITEMS[2]: 4, ITEMS[3]: 3, ITEMS[4]: 1}


def make_candidate(goal: str = "Find out whether watering frequency changes tomato yield within one season.",
                   index: int = 1, items: list[str] = ITEMS) -> Candidate:
    return Candidate(id=f"c{index}", paper_id="p1", index=index, goal=goal, rubric=items,
                     reference="Grow plants under three schedules, weigh fruit, log light and temperature.")


async def test_score_candidate_exact_scores(model_for):
    judge = Judge(quality=lambda item: QUALITY_OF[item],
                  violations=lambda item: ["G1"] if "Logs light" in item else [])
    model = model_for(judge)
    cfg = SelectorConfig(top_k=3, max_similarity=0.6, retries=0, grader=GraderConfig(retries=0))
    sc = await score_candidate(model, Grader(model, cfg.grader, stage_name=None), make_candidate(), cfg,
                               LexicalEmbedder())
    # Item 2 is a near repeat of item 1 and never kept; the weakest item is outranked.
    assert sc.kept == [ITEMS[0], ITEMS[2], ITEMS[3]]
    assert [round(i.quality, 2) for i in sc.items] == [1.0, 1.0, 0.75, 0.5, 0.0]
    assert [c.name for c in sc.goal_checks] == ["self_contained", "states_constraints", "no_solution"]
    assert all(c.passed for c in sc.goal_checks + sc.rubric_checks)
    quality = (1.0 + 0.75 + 0.5) / 3
    assert sc.scores["goal"] == 1.0 and sc.scores["items.quality"] == pytest.approx(quality)
    assert sc.scores["rubric"] == pytest.approx((1.0 + quality) / 2)
    # The reference is graded against the 3 kept items; the light item violates G1.
    assert sc.grade is not None and len(sc.grade.items) == 3
    assert sc.scores["reference"] == pytest.approx(2 / 3)
    assert sc.scores["average"] == pytest.approx((1.0 + (1.0 + quality) / 2 + 2 / 3) / 3)
    assert judge.calls == {"items": 1, "checks": 1, "grade": 1}


async def test_select_keeps_the_best_average(model_for):
    weak_goal = "Write about plants."
    judge = Judge(quality=lambda item: 4, checks_pass=lambda goal: goal != weak_goal)
    model = model_for(judge)
    cfg = SelectorConfig(top_k=10, retries=0, grader=GraderConfig(retries=0))
    grader = Grader(model, cfg.grader, stage_name=None)
    cands = [make_candidate(weak_goal, 1, ITEMS[2:4]), make_candidate(index=2, items=ITEMS[2:4])]
    sel = await select(model, grader, cands, cfg, LexicalEmbedder())
    assert sel.best is not None and sel.best.candidate.index == 2
    assert sel.scored[0].scores["goal"] == 0.0 and sel.scored[1].scores["goal"] == 1.0

    strict = cfg.model_copy(update={"min_average": 0.99})
    sel = await select(model, grader, cands, strict, LexicalEmbedder())
    assert sel.best is None and len(sel.scored) == 2


async def test_failed_judgments_drop_or_zero(model_for):
    judge = Judge(fail={"items"})
    model = model_for(judge)
    cfg = SelectorConfig(top_k=2, retries=0, grader=GraderConfig(retries=0))
    sc = await score_candidate(model, Grader(model, cfg.grader, stage_name=None), make_candidate(items=ITEMS[2:]),
                               cfg, LexicalEmbedder())
    assert sc.dropped and "item scores never validated" in sc.errors[0] and sc.average is None
    zero = cfg.model_copy(update={"on_failure": "zero"})
    sc = await score_candidate(model, Grader(model, zero.grader, stage_name=None), make_candidate(items=ITEMS[2:]),
                               zero, LexicalEmbedder())
    # Unscored items all count 0, so MMR keeps the first two distinct ones; the rest still counts.
    assert not sc.dropped and sc.kept == ITEMS[2:4] and sc.scores["items.quality"] == 0.0
    assert sc.scores["goal"] == 1.0 and sc.average is not None
