"""The one batch grader: skips done ids, groups by goal, hands each grade on; jury read-back."""

import pytest

from helpers.scripted import scripted_model
from sciplan.grade import Grader, aggregate, grade, judge_means, latest, pending
from sciplan.records import Goal


def judge(name, script):
    return Grader(scripted_model(script, spec=f"openai:{name}@http://127.0.0.1:1/v1", max_retries=1))


async def test_every_judge_grades_every_plan_and_each_grade_is_handed_on(goal, make_plan, answers):
    a = judge("a", [answers.verdicts([], [], [], []), answers.verdicts(["G1"], [], [], [])])
    b = judge("b", [answers.verdicts(["G2"], ["G2"], [], []), "junk", "junk", "junk"])
    plans = [make_plan("Plan one: water daily.", 0), make_plan("Plan two: water weekly.", 1)]
    seen, progress = [], []
    grades = await grade([a, b], [goal], plans, on_grade=lambda p, g: seen.append((p.id, g.grader)),
                         on_progress=progress.append)
    assert len(grades) == 4 and sorted(seen) == sorted((p.id, j.name) for p in plans for j in (a, b))
    assert sum(progress) == 4
    verdicts = {v.plan_id: v for v in aggregate(grades)}
    assert verdicts["p0"].per_judge == {a.name: 1.0, b.name: 0.5} and verdicts["p0"].mean == 0.75
    # A judge whose grade failed is kept, named, and left out of the mean.
    assert verdicts["p1"].mean == 0.75 and verdicts["p1"].failed == [b.name]


async def test_done_ids_are_skipped_and_groups_are_per_goal(goal, make_plan, answers):
    other = Goal(id="g-other", text="Another goal.", rubric=["One item."])
    a = judge("a", [answers.verdicts([], [], [], []), answers.verdicts([])])
    p0, p1 = make_plan("Plan one.", 0), make_plan("Plan two.", 1)
    p2 = make_plan("Plan for the other goal.", 2, goal=other)
    work = pending([a], [p0, p1, p2], done={a.grade_id_for(p1)})
    assert [(gid, [p.id for p in ps]) for _, gid, ps in work] == [(goal.id, ["p0"]), (other.id, ["p2"])]
    grades = await grade(a, {goal.id: goal, other.id: other}, [p0, p1, p2], done={a.grade_id_for(p1)})
    assert {g.plan_id for g in grades} == {"p0", "p2"} and len(a.model.backend.requests) == 2


async def test_a_plan_without_its_goal_is_named_before_any_call(goal, make_plan):
    a = judge("a", [])
    with pytest.raises(KeyError, match="g-missing"):
        await grade(a, [goal], [make_plan(goal=Goal(id="g-missing", text="x", rubric=["y"]))])
    assert a.model.backend.requests == []


async def test_aggregate_rebuilds_verdicts_from_records(goal, make_plan, answers):
    a, b = judge("a", [answers.verdicts([], [], [], [])] * 2), judge("b", ["junk"] * 3 + [answers.verdicts([], [], ["G1"], [])])
    grades = [await a.grade(goal, make_plan()), await b.grade(goal, make_plan())]
    rerun = await b.grade(goal, make_plan())  # a later record of the same grade id wins
    verdicts = aggregate(grades + [rerun])
    assert len(verdicts) == 1 and verdicts[0].mean == pytest.approx((1.0 + 0.75) / 2)
    assert len(latest(grades + [rerun])) == 2
    assert judge_means(grades) == {a.name: 1.0, b.name: None}
