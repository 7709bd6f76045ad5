from datetime import date

import pytest
from pydantic import ValidationError

from sciplan.records import Failure, Goal, Grade, GradeItem, Paper, Plan, Section, make_id


def test_make_id_is_stable_and_distinguishes_parts():
    assert make_id("a", 1) == make_id("a", 1)
    assert make_id("a", 1) != make_id("a", 2)
    assert make_id("ab", "c") != make_id("a", "bc")
    assert len(make_id("x")) == 16


def test_paper_accepts_section_pairs_and_roundtrips():
    p = Paper(id="p1", title="T", abstract="A", sections=[("Intro", "text"), Section(heading="M", text="t", level=2)], date="2024-05-01")
    assert p.sections[0].heading == "Intro" and p.sections[0].level == 1
    assert p.date == date(2024, 5, 1)
    again = Paper.model_validate_json(p.to_json())
    assert again == p
    assert "Intro\ntext" in p.text


def test_goal_rubric_from_string_and_unknown_keys_ignored():
    g = Goal.model_validate({"id": "g", "text": "goal", "rubric": "a\n\n b \n", "Extra": 1})
    assert g.rubric == ["a", "b"]


def test_required_fields_are_enforced():
    with pytest.raises(ValidationError):
        Plan(id="x", goal_id="g", model="m")  # no text


def test_grade_items_and_failure_ids():
    gr = Grade(id="g1", goal_id="g", plan_id="p", grader="local:smollm2",
               items=[GradeItem(index=0, violations=["G1"], reason="vague")], score=0.0)
    assert Grade.model_validate_json(gr.to_json()).items[0].violations == ["G1"]
    f1, f2 = Failure.of("ingest", "a.pdf", ValueError("broken")), Failure.of("ingest", "a.pdf", "x")
    assert f1.id == f2.id and f1.error == "broken"


def test_an_old_grade_with_facts_in_meta_loads_into_typed_fields():
    from sciplan.records import Grade

    line = ('{"id": "x", "goal_id": "g", "plan_id": "p", "grader": "j", "variant": "violations", '
            '"meta": {"view": "rubric", "guidelines": "sciplan-default@1", "attempts": 2, '
            '"tokens": {"prompt": 120, "completion": 30}, "missing": [3]}}')
    g = Grade.model_validate_json(line)
    assert g.view == "rubric" and g.guidelines == "sciplan-default@1" and g.attempts == 2
    assert g.tokens.prompt == 120 and g.tokens.completion == 30 and g.reference == "none"
    assert g.meta == {"missing": [3]}
    assert Grade.model_validate_json(g.model_dump_json()) == g
