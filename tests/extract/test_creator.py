"""The sample creator: its prompt, its bounded schema, cleaning of candidates, failures that name the paper."""

from __future__ import annotations

import json

import pytest

from helpers.extract_judge import INTRO, METHOD, Judge, candidate, make_paper
from sciplan.extract import CreatorConfig, ExtractionError, clean_candidates, create_candidates, creator_messages
from sciplan.extract.schema import CandidateOut


def test_prompt_holds_the_paper_and_the_bounds():
    cfg = CreatorConfig(candidates=2, max_items=6, goal_chars=300)
    messages, summary = creator_messages(make_paper(), cfg)
    system, user = messages[0]["content"], messages[1]["content"]
    assert "up to 2 candidate" in system and "at most 300 characters" in system and "to 6 items" in system
    assert INTRO in user and METHOD in user and "[1] Someone" not in user
    assert summary["mode"] == "whole" and "Introduction" in summary["included"]


def test_leakage_aware_prompt_splits_goal_and_method_parts():
    messages, summary = creator_messages(make_paper(), CreatorConfig(leakage_aware=True))
    user = messages[1]["content"]
    goal_part, method_part = user.split("METHOD PART", 1)
    assert INTRO in goal_part and METHOD not in goal_part and METHOD in method_part
    assert "ONLY from the GOAL PART" in messages[0]["content"] and summary["mode"] == "leakage_aware"


def test_cleaning_trims_dedupes_and_drops():
    cfg = CreatorConfig(goal_chars=40, item_chars=20, max_items=2, min_goal_chars=10)
    raw = [
        CandidateOut(goal="Find out   whether watering changes tomato yield in one season.",
                     rubric=["Uses replicated plots.", "uses replicated plots", "", "...", "reference:",
                             "Weighs fruit.", "Logs light."],
                     reference="Grow and weigh tomatoes."),
        CandidateOut(goal="Short", rubric=["x"], reference="Grow and weigh."),
        CandidateOut(goal="Find out whether watering changes tomato yield", rubric=[],
                     reference="Grow it all and weigh the fruit."),
    ]
    cands, dropped = clean_candidates("p1", raw, cfg)
    [c] = cands
    assert len(c.goal) <= 40 and "  " not in c.goal and c.rubric == ["Uses replicated", "Weighs fruit."]
    assert c.index == 1 and c.paper_id == "p1"
    assert dropped == ["candidate 2: goal shorter than 10 characters or without words", "candidate 3: no rubric item"]


def test_rubric_given_as_text_or_objects_is_accepted():
    assert CandidateOut(goal="g", rubric="- one\n* two\n", reference="r").rubric == ["one", "two"]
    assert CandidateOut(goal="g", rubric=[{"criterion": "one"}, "two"], reference="r").rubric == ["one", "two"]


async def test_create_candidates_with_a_bounded_schema(model_for):
    goal = "Find out whether watering frequency changes tomato yield within one season."
    judge = Judge(creator={"Watering": [candidate(goal, ["Uses replicated plots.", "Weighs fruit."])]})
    model = model_for(judge)
    res = await create_candidates(model, make_paper(), CreatorConfig(candidates=3, max_items=5))
    assert [c.goal for c in res.candidates] == [goal] and res.attempts == 1
    schema = model.backend.requests[0].json_schema
    assert schema["properties"]["candidates"]["maxItems"] == 3
    props = schema["properties"]["candidates"]["items"]["properties"]
    assert props["rubric"]["maxItems"] == 5 and props["reference"]["minLength"] == 20
    assert props["goal"]["minLength"] == 20 and props["goal"]["maxLength"] == 1200


async def test_a_paper_the_model_cannot_handle_names_the_paper(model_for):
    judge = Judge(creator={"Watering": "no json here"})
    model = model_for(judge)
    with pytest.raises(ExtractionError, match="paper p1: the creator's answer never validated after 2 attempt"):
        await create_candidates(model, make_paper(), CreatorConfig(retries=1))
    # The repair turn showed the model its answer and the error.
    assert "That answer is invalid" in model.backend.requests[1].messages[-1]["content"]

    judge.creator["Watering"] = json.dumps({"candidates": [candidate("Tiny", ["x"])]})
    with pytest.raises(ExtractionError, match="no usable candidate"):
        await create_candidates(model, make_paper(), CreatorConfig(retries=0))

    with pytest.raises(ExtractionError, match="no text to extract"):
        await create_candidates(model, make_paper(abstract="", sections=[]), CreatorConfig())
