"""The reward service in front of the bundled model on a real llama.cpp server: a goal's group shares the cached prefix."""

from __future__ import annotations

import httpx
import pytest

from sciplan.grade import Grader, GraderConfig, RewardConfig
from sciplan.llm import ModelSettings, get_model
from sciplan.serve import RewardService, ServeConfig
from serve.conftest import GOALS, serve_in_thread

pytestmark = [pytest.mark.model, pytest.mark.server]


def test_a_group_of_plans_is_graded_by_the_bundled_model_with_its_prefix_cached(llama_server):
    model = get_model(f"openai:smollm2@{llama_server}", ModelSettings(cache=False, max_retries=1, timeout=300))
    grader = Grader(model, GraderConfig(max_tokens=200, excerpt_chars=20, reason_chars=20, retries=0), stage_name="serve")
    service = RewardService(grader, GOALS, ServeConfig(deadline=600), RewardConfig(max_plan_length=60))
    plans = [f"Plan {i}: water tomato plots daily, every 2 days or every 4 days; weigh fruit per plant." for i in range(4)]
    with serve_in_thread(service) as url:
        r = httpx.post(f"{url}/grade", json={"goal_id": "g-tomato", "completions": plans}, timeout=900)
        assert r.status_code == 200, r.text
        m = httpx.get(f"{url}/metrics").json()
    results = r.json()["results"]
    assert len(results) == 4
    for res in results:
        assert res["failed"] or (0.0 <= res["score"] <= 1.0 and len(res["items"]) == 2)
    assert m["grader"]["calls"] >= 4 and m["groups_graded"] == 1
    # The first plan warms the shared prompt; the other three reuse it from llama.cpp's cache.
    assert m["grader"]["cached_prompt_tokens"] > 0
