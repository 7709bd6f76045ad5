"""OpenRLHF's own remote reward client (`--remote_rm_url`) against the reward service."""

from __future__ import annotations

import asyncio
import json

# Installed by `make` (requirements/integrations-nodeps.txt): a missing one is a broken install, not a skip.
import openrlhf.utils.agent as agent  # noqa: E402

from serve.conftest import GOALS, make_service, serve_in_thread


def test_openrlhf_fetches_rewards_from_the_service_one_query_per_request():
    service, _ = make_service()
    with serve_in_thread(service) as url:
        executor = agent.SingleTurnAgentExecutor(remote_rm_url=f"{url}/get_reward")
        prompt = "<|im_start|>user\nPlan a study<|im_end|>\n<|im_start|>assistant\n"
        truth = json.dumps({"goal_id": "g-inline", "goal": GOALS[1].text, "rubric": GOALS[1].rubric})

        async def rollout() -> list:
            # As OpenRLHF's executor does per sample: one query, prompt and label per request,
            # a group's samples at once.
            calls = [executor._fetch_rewards_via_http([prompt + text + "<|im_end|>"], [prompt], [label])
                     for text, label in [("a good plan", "g-tomato"), ("a weak plan", "g-tomato"), ("good plan", truth),
                                        ("weak plan", {"style": "model", "ground_truth": truth})]]
            return await asyncio.gather(*calls)

        results = asyncio.run(rollout())
        infos = [r[0] for r in results]
        assert [i["rewards"] for i in infos] == [[1.0], [0.0], [1.0], [0.0]]
        assert [i["scores"] for i in infos] == [[1.0], [0.0], [1.0], [0.0]]
        assert infos[0]["extra_logs"]["grade_failed"] == [0.0]
        # The two queries of each goal came in separate requests and were graded as one group.
        assert service.batcher.groups_graded <= 3
