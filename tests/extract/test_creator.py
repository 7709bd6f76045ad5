"""The sample creator: its prompt, its bounded schema, cleaning of candidates, failures that name the paper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.extract_judge import INTRO, METHOD, Judge, candidate, make_paper
from sciplan.extract import CreatorConfig, ExtractionError, clean_candidates, create_candidates, creator_messages
from sciplan.extract.creator import fit_context
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


def test_fit_context_leaves_a_known_window_room_for_the_answer():
    cfg = CreatorConfig()  # budget 6000 estimated tokens, max_tokens 6000
    assert fit_context(cfg, None) is cfg  # a remote API: its window is not known here
    assert fit_context(cfg, 200_000) is cfg
    fitted = fit_context(cfg, 8192)
    assert fitted.context.budget_tokens == int((8192 - 2048 - 1000) * 0.75)
    assert cfg.context.budget_tokens == 6000  # the given config is not changed


@pytest.mark.model
@pytest.mark.server
@pytest.mark.parametrize("name", ["pone.0046493.nxml", "ehp-116-1694.nxml", "1471-2180-11-174.nxml"])
def test_the_creators_prompt_fits_the_bundled_servers_window(name, llama_server):
    """The real PMC papers under the default config: the creator's prompt, counted by the
    server's own tokenizer, leaves the answer its room in the 4096-token window."""
    import httpx

    from sciplan.papers import read_path

    paper = read_path(Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pmc" / name)
    paper = paper[0] if isinstance(paper, list) else paper
    window = 4096
    unfitted, _ = creator_messages(paper, CreatorConfig())
    messages, _ = creator_messages(paper, fit_context(CreatorConfig(), window))
    root = llama_server.removesuffix("/v1")

    def tokens(msgs: list) -> int:
        prompt = httpx.post(f"{root}/apply-template", json={"messages": msgs}, timeout=60).json()["prompt"]
        return len(httpx.post(f"{root}/tokenize", json={"content": prompt, "parse_special": True}, timeout=60).json()["tokens"])

    assert tokens(unfitted) > window  # what the defaults sent before: refused by the server
    assert tokens(messages) + window // 4 <= window
