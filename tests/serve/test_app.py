"""The reward service over real HTTP (uvicorn on 127.0.0.1) with a scripted grader."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from sciplan.serve import ServeConfig
from serve.conftest import GOALS, make_service, serve_in_thread


def test_grade_by_goal_id_returns_per_item_verdicts(served):
    r = httpx.post(f"{served.url}/grade", json={"goal_id": "g-tomato", "completions": ["a good plan", "a weak plan"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["goal_id"] == "g-tomato"
    good, weak = body["results"]
    assert (good["score"], good["reward"], good["failed"]) == (1.0, 1.0, False)
    assert (weak["score"], weak["reward"]) == (0.0, 0.0)
    assert [it["item"] for it in good["items"]] == GOALS[0].rubric
    assert weak["items"][0]["violations"] == ["G1"] and not weak["items"][0]["satisfied"]


def test_inline_goal_chat_completions_and_format_penalty(served):
    goal = {"text": GOALS[1].text, "rubric": GOALS[1].rubric}
    long_plan = "good " + "word " * 80  # over max_plan_length=50 words
    r = httpx.post(f"{served.url}/grade", json={"goal": goal, "completions": [
        [{"role": "assistant", "content": "<think>hmm</think>a good plan"}], long_plan, "", "broken plan"]})
    assert r.status_code == 200, r.text
    chat, long, empty, broken = r.json()["results"]
    assert chat["score"] == 1.0 and chat["thinking_chars"] == 3 and len(chat["items"]) == 3
    assert long["over_limit"] and long["penalty"] == 1.0 and long["reward"] == 0.0
    assert empty["missing_plan"] and empty["reward"] == -1.0
    assert broken["failed"] and broken["reward"] is None and "no valid verdict" in broken["error"]


async def test_one_goals_completions_from_separate_requests_are_graded_as_one_group(served):
    before = served.service.batcher.groups_graded
    async with httpx.AsyncClient(base_url=served.url) as client:
        rs = await asyncio.gather(*(client.post("/grade", json={"goal_id": "g-sleep", "completions": [f"good plan {i}"]})
                                    for i in range(8)))
    assert all(r.status_code == 200 for r in rs)
    assert all(r.json()["results"][0]["score"] == 1.0 for r in rs)
    # Eight requests arriving together: one group (a couple if the window split them), never eight.
    assert served.service.batcher.groups_graded - before <= 2


@pytest.mark.parametrize("body, status, words", [
    ({"goal_id": "nope", "completions": ["x"]}, 404, "unknown goal id 'nope'"),
    ({"completions": ["x"]}, 422, "goal_id"),
    ({"goal_id": "g-tomato"}, 422, "completions"),
    ({"goal_id": "g-tomato", "completions": ["x" * 5_000_000]}, 413, "completion 0 has 5000000 characters"),
    ({"goal": {"text": "t", "rubric": []}, "completions": ["x"]}, 422, "goal.rubric"),
])
def test_bad_requests_get_a_clear_json_error_and_the_server_keeps_serving(served, body, status, words):
    r = httpx.post(f"{served.url}/grade", json=body, timeout=30)
    assert r.status_code == status
    assert r.json()["status"] == status and words in r.json()["error"]
    assert httpx.get(f"{served.url}/health").json()["status"] == "ok"


def test_malformed_json_and_unknown_routes(served):
    r = httpx.post(f"{served.url}/grade", content=b'{"goal_id": "g-tomato", "completions": [',
                   headers={"content-type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in r.json()["error"]
    r = httpx.get(f"{served.url}/nope")
    assert r.status_code == 404 and "no such endpoint" in r.json()["error"]
    r = httpx.post(f"{served.url}/get_reward", json={"query": ["a", "b"], "labels": ["g-tomato"]})
    assert r.status_code == 422 and "labels has 1 entries for 2 queries" in r.json()["error"]


def test_a_grader_past_the_deadline_is_a_504_and_the_server_keeps_serving(served):
    r = httpx.post(f"{served.url}/grade", json={"goal_id": "g-tomato", "completions": ["a SLOW plan"]}, timeout=30)
    assert r.status_code == 504 and "deadline" in r.json()["error"]
    r = httpx.post(f"{served.url}/grade", json={"goal_id": "g-tomato", "completions": ["good again"]}, timeout=30)
    assert r.status_code == 200 and r.json()["results"][0]["score"] == 1.0


def test_metrics_count_requests_grades_failures_and_latency(served):
    httpx.post(f"{served.url}/grade", json={"goal_id": "g-tomato", "completions": ["good", "broken"]})
    m = httpx.get(f"{served.url}/metrics").json()
    assert m["requests"]["grade"] >= 2 and m["grades"] >= 2 and m["failed_grades"] >= 1
    assert m["latency_seconds"]["count"] >= 1 and m["latency_seconds"]["p50"] > 0
    assert m["grader"]["calls"] >= 2 and m["grader"]["prompt_tokens"] >= 20


def test_bearer_token_guards_everything_but_health():
    service, _ = make_service(ServeConfig(token="s3cret"))
    with serve_in_thread(service) as url:
        body = {"goal_id": "g-tomato", "completions": ["good"]}
        assert httpx.post(f"{url}/grade", json=body).status_code == 401
        assert httpx.post(f"{url}/grade", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{url}/metrics").status_code == 401
        assert httpx.get(f"{url}/health").status_code == 200
        r = httpx.post(f"{url}/grade", json=body, headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200 and r.json()["results"][0]["score"] == 1.0


def test_a_full_queue_is_refused_with_503():
    service, _ = make_service(ServeConfig(max_queue=2))
    with serve_in_thread(service) as url:
        r = httpx.post(f"{url}/grade", json={"goal_id": "g-tomato", "completions": ["good"] * 3})
        assert r.status_code == 503 and "max_queue" in r.json()["error"]
        assert httpx.post(f"{url}/grade", json={"goal_id": "g-tomato", "completions": ["good"]}).status_code == 200


def test_openrlhf_protocol_strips_the_prompt_and_end_tokens(served):
    prompt = "<|im_start|>user\nWrite a plan<|im_end|>\n<|im_start|>assistant\n"
    truth = json.dumps({"goal_id": "g-x", "goal": GOALS[0].text, "rubric": GOALS[0].rubric})
    r = httpx.post(f"{served.url}/get_reward", json={"query": [prompt + "a good plan<|im_end|>", prompt + "weak<|im_end|>"],
                                                     "prompts": [prompt, prompt], "labels": ["g-tomato", truth]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rewards"] == [1.0, 0.0] and body["scores"] == [1.0, 0.0]
    assert body["extra_logs"]["grade_failed"] == [0.0, 0.0] and body["extra_logs"]["plan_length"] == [3.0, 1.0]


def test_openrlhf_a_failed_grade_takes_its_groups_mean_and_is_marked(served):
    prompt = "<|im_start|>assistant\n"
    queries = [prompt + t for t in ("a good plan", "broken plan", "a weak plan")]
    r = httpx.post(f"{served.url}/get_reward", json={"query": queries, "prompts": [prompt] * 3, "labels": ["g-tomato"] * 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rewards"] == [1.0, 0.5, 0.0]  # the broken plan's grade failed: mean of 1.0 and 0.0
    assert body["extra_logs"]["grade_failed"] == [0.0, 1.0, 0.0] and body["extra_logs"]["rubric_score"][1] == -1.0
    r = httpx.post(f"{served.url}/get_reward", json={"query": [prompt + "broken alone"], "labels": ["g-sleep"]})
    assert r.json()["rewards"] == [0.0] and r.json()["extra_logs"]["grade_failed"] == [1.0]
