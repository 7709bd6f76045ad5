"""The whole stage with a scripted backend: outcomes, files, failures recorded, dedup, resume at zero cost."""

from __future__ import annotations

import json

import pytest

from helpers.extract_judge import Judge, candidate, make_paper
from helpers.scripted import scripted_model
from sciplan.extract import ExtractPaths, PaperLog, extract_papers, run_extract
from sciplan.jsonl import read_records
from sciplan.llm import UnreachableError
from sciplan.records import Failure, Goal

GOAL_A = ("Find out whether watering frequency changes tomato yield in a greenhouse within one season, "
          "using only standard irrigation equipment and at most sixty plants.")
GOAL_B = ("Determine which light spectrum maximises lettuce growth in vertical farms under a fixed energy budget, "
          "over two growth cycles.")
ITEMS = ["Compares at least three watering schedules with replicated plots.",
         "Weighs all fruit per plant at harvest.",
         "Logs light and temperature in every plot.",
         "Uses a one-way ANOVA on plot means.",
         "Justifies the sample size with a power analysis."]


def papers_and_judge() -> tuple[list, Judge]:
    judge = Judge(creator={
        "Watering frequency": [candidate(GOAL_A, ITEMS), candidate("Too short", ITEMS)],
        "Lettuce light": [candidate(GOAL_B, ["Tests red, blue and full-spectrum LEDs.", "Measures dry mass."])],
        # Another paper whose goal near-duplicates paper 1's: dropped by dedup.
        "Irrigation schedules": [candidate(GOAL_A.replace("sixty", "60"), ITEMS[:3])],
        "Broken answers": "this is not JSON",
    })
    papers = [
        make_paper("p1", "Watering frequency and tomato yield"),
        make_paper("p2", "Lettuce light recipes"),
        make_paper("p3", "Irrigation schedules revisited"),
        make_paper("p4", "Broken answers from the model"),
        make_paper("p5", "An empty paper", abstract="", sections=[]),
    ]
    return papers, judge


async def test_stage_outcomes_files_and_rerun(tmp_path, model_for, fast_config):
    papers, judge = papers_and_judge()
    model = model_for(judge)
    paths = ExtractPaths.beside(tmp_path / "goals.jsonl")
    res = await extract_papers(papers, fast_config, paths, creator=model, selector=model)
    assert (res.papers, res.accepted, res.duplicates, res.failed, res.rejected) == (5, 2, 1, 2, 0)

    goals = read_records(paths.goals, Goal)
    assert [g.paper_id for g in goals] == ["p1", "p2"]
    g1 = goals[0]
    assert g1.text == GOAL_A and len(g1.rubric) == 3 and set(g1.rubric) <= set(ITEMS)
    for key in ("goal", "rubric", "reference", "average", "items.quality", "rubric.checks", "leakage",
                "goal.self_contained", "goal.states_constraints", "goal.no_solution", "rubric.specific"):
        assert key in g1.scores, key
    assert g1.meta["candidates"] == 1 and g1.meta["candidate"] == 1  # "Too short" was dropped by the creator
    assert g1.meta["usage"]["calls"] > 0 and g1.date == papers[0].date and g1.domain == "q-bio"
    assert len(g1.meta["items"]) == 5 and sum(i["kept"] for i in g1.meta["items"]) == 3

    dups = read_records(paths.duplicates, Goal)
    assert [d.paper_id for d in dups] == ["p3"] and dups[0].meta["duplicate_of"]["goal_id"] == g1.id

    failures = read_records(paths.failures, Failure)
    by_input = {f.input.split()[1]: f.error for f in failures}
    assert set(by_input) == {"p4", "p5"}
    assert "never validated" in by_input["p4"] and "no text to extract" in by_input["p5"]

    cands = read_records(paths.candidates, Goal)
    assert sum(c.meta["selected"] for c in cands) == 3 and {c.paper_id for c in cands} == {"p1", "p2", "p3"}
    log = read_records(paths.log, PaperLog)
    assert sorted(e.outcome for e in log) == ["accepted", "accepted", "duplicate", "failed", "failed"]
    assert res.tokens == sum(e.tokens for e in log) and res.tokens_per_goal == res.tokens / 2

    # A rerun skips every paper: no model call at all.
    calls = model.calls
    again = await extract_papers(papers, fast_config, paths, creator=model, selector=model)
    assert model.calls == calls and again.skipped == 5 and again.papers == 0
    assert len(read_records(paths.goals, Goal)) == 2

    # --retry-failed tries the failed papers again, and only them.
    judge.creator["Broken answers"] = [candidate(GOAL_B.replace("lettuce", "basil"), ["Measures leaf area."])]
    retry = await extract_papers(papers, fast_config.model_copy(update={"retry_failed": True}), paths,
                                 creator=model, selector=model)
    assert retry.papers == 2 and retry.failed == 1 and retry.accepted == 1
    assert [g.paper_id for g in read_records(paths.goals, Goal)] == ["p1", "p2", "p4"]


async def test_rejected_when_every_candidate_fails_a_judgment(tmp_path, model_for, fast_config):
    judge = Judge(creator={"Watering": [candidate(GOAL_A, ITEMS)]}, fail={"checks"})
    paths = ExtractPaths.beside(tmp_path / "mine.jsonl")
    assert paths.candidates.name == "mine.candidates.jsonl" and paths.failures.name == "failures.jsonl"
    res = await extract_papers([make_paper()], fast_config, paths, creator=model_for(judge),
                               selector=model_for(judge))
    assert res.rejected == 1 and not paths.goals.exists()
    [failure] = read_records(paths.failures, Failure)
    assert "no acceptable candidate" in failure.error and "checks never validated" in failure.error

    # on_failure: zero keeps the candidate, with the failed component scored 0.
    cfg = fast_config.model_copy(deep=True)
    cfg.selector.on_failure = "zero"
    res = await extract_papers([make_paper("p9")], cfg, paths, creator=model_for(judge), selector=model_for(judge))
    [goal] = read_records(paths.goals, Goal)
    assert res.accepted == 1 and goal.scores["goal"] == 0.0 and goal.meta["errors"]


def test_run_extract_writes_and_reports(tmp_path, model_for, fast_config, capsys):
    papers, judge = papers_and_judge()
    model = model_for(judge)
    res = run_extract(papers[:2], fast_config, tmp_path, creator=model, selector=model, progress=True)
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert res.accepted == 2 and "2 accepted" in out and str(tmp_path / "goals.jsonl") in out
    assert "tokens per accepted goal" in out
    lines = (tmp_path / "goals.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["paper_id"] == "p1"


async def test_an_unreachable_server_stops_the_run_and_nothing_is_marked_done(tmp_path, model_for, fast_config):
    papers, judge = papers_and_judge()
    down = {"on": True}

    def respond(req):
        if down["on"] and "Lettuce" in req.messages[-1]["content"]:
            raise UnreachableError("cannot reach http://127.0.0.1:1/v1")
        return judge(req)

    model = scripted_model(respond=respond, max_retries=0)
    paths = ExtractPaths.beside(tmp_path / "goals.jsonl")
    with pytest.raises(UnreachableError):
        await extract_papers(papers[:2], fast_config, paths, creator=model, selector=model)
    assert [e.id for e in read_records(paths.log, PaperLog)] == ["p1"] and not paths.failures.exists()
    down["on"] = False
    res = await extract_papers(papers[:2], fast_config, paths, creator=model, selector=model)
    assert (res.skipped, res.accepted) == (1, 1)
