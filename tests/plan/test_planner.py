import pytest

from helpers.scripted import scripted_model
from sciplan.data import demo_goals
from sciplan.jsonl import read_records
from sciplan.llm import ModelSettings, RequestRejectedError, RetryableError, UnreachableError, get_model
from sciplan.plan import PlanConfig, plan_id, plan_messages, write_plan, write_plans
from sciplan.records import Failure, Plan


def test_messages_carry_goal_and_length():
    msgs = plan_messages("Study X.", PlanConfig(max_words=150, think=True))
    assert msgs[0]["role"] == "system" and "<think>" in msgs[0]["content"]
    assert "Study X." in msgs[1]["content"] and "150 words" in msgs[1]["content"]


async def test_write_plans_resumes_and_records_failures(tmp_path):
    goals = demo_goals()
    out = tmp_path / "plans.jsonl"
    model = scripted_model(["<think>hmm</think>Plan A", RequestRejectedError("HTTP 400 too long"), "Plan C", "<think>cut"])
    written = await write_plans(model, goals, PlanConfig(), out, samples=1)
    assert len(written) == 2  # first and third goals; the second failed
    plans = {p.goal_id: p for p in read_records(out, Plan)}
    assert plans[goals[0].id].thinking == "hmm" and plans[goals[0].id].text == "Plan A"
    fails = read_records(tmp_path / "failures.jsonl", Failure)
    assert len(fails) == 1 and goals[1].id in fails[0].input and "too long" in fails[0].error
    # Rerun: only the failed goal is tried again; an unterminated thinking is not format_ok.
    rerun = scripted_model(["<think>cut"])
    again = await write_plans(rerun, goals, PlanConfig(), out)
    assert [p.goal_id for p in again] == [goals[1].id] and not again[0].format_ok
    assert len(rerun.backend.requests) == 1


async def test_samples_use_distinct_seeds_and_ids(tmp_path):
    model = scripted_model(respond=lambda req: f"plan seed {req.seed}")
    plans = await write_plans(model, demo_goals()[:1], PlanConfig(seed=10, temperature=1.0), tmp_path / "p.jsonl", samples=3)
    assert sorted(p.text for p in plans) == ["plan seed 10", "plan seed 11", "plan seed 12"]
    assert len({p.id for p in plans}) == 3 and plans[0].id == plan_id(plans[0].goal_id, model.name, plans[0].sample)


async def test_unreachable_model_stops_the_run(tmp_path):
    model = scripted_model([RetryableError("down", kind="connect")] * 10, max_retries=1)
    with pytest.raises(UnreachableError):
        await write_plans(model, demo_goals(), PlanConfig(), tmp_path / "p.jsonl")


async def test_real_plan_from_bundled_model():
    plan = await write_plan(get_model("local:smollm2", ModelSettings(cache=False)), demo_goals()[1], PlanConfig(max_tokens=48))
    assert plan.text and plan.tokens > 0 and plan.model == "local:smollm2" and plan.format_ok
