"""`RewardClient` against the reward service on a real uvicorn server."""

from __future__ import annotations

import asyncio

import pytest

from helpers.net import free_port
from sciplan.serve.client import RewardClient, RewardServiceError
from serve.conftest import make_service, serve_in_thread


def test_rewards_of_a_group_sent_one_response_per_request(served):
    async def main() -> list[dict]:
        client = RewardClient(served.url)
        try:
            # verl's reward workers: one call per response, all at once.
            return await asyncio.gather(*(client.get_reward([text], ["g-tomato"]) for text in ("a good plan", "weak")))
        finally:
            await client.close()

    before = served.service.batcher.groups_graded
    good, weak = asyncio.run(main())
    assert good["rewards"] == [1.0] and weak["rewards"] == [0.0]
    assert good["extra_logs"]["grade_failed"] == [0.0]
    assert served.service.batcher.groups_graded - before == 1  # one group, though two requests


def test_a_refused_request_names_the_service_and_is_not_retried(served):
    client = RewardClient(served.url, retries=3, backoff=5.0)  # a retry would take seconds
    with pytest.raises(RewardServiceError, match=r"/get_reward: HTTP 404 .*unknown goal id 'nope'"):
        asyncio.run(client.get_reward(["a plan"], ["nope"]))


def test_an_unreachable_service_is_retried_then_a_clear_error():
    client = RewardClient(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01)
    with pytest.raises(RewardServiceError, match="no answer after 2 tries"):
        asyncio.run(client.get_reward(["a plan"], ["g-tomato"]))


def test_the_bearer_token_is_sent():
    from sciplan.serve import ServeConfig

    service, _ = make_service(ServeConfig(token="s3cret"))
    with serve_in_thread(service) as url:
        with pytest.raises(RewardServiceError, match="401"):
            asyncio.run(RewardClient(url).get_reward(["a good plan"], ["g-tomato"]))
        answer = asyncio.run(RewardClient(url, token="s3cret").get_reward(["a good plan"], ["g-tomato"]))
    assert answer["rewards"] == [1.0]
