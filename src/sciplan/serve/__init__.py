"""The rubric grader as a reward service: a JSON API, OpenRLHF's remote reward-model protocol.

    service = RewardService(Grader("openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1"), goals)
    uvicorn.run(build_app(service), host="127.0.0.1", port=8100)   # or: sciplan serve reward

Completions of one goal arriving together are graded as a group (`GroupBatcher`), under one
global concurrency cap and a per-request deadline; repeats come from the grader's cache.
"""

from sciplan.serve.app import ApiError, build_app
from sciplan.serve.batcher import GroupBatcher, OverloadedError, goal_key
from sciplan.serve.config import ServeConfig
from sciplan.serve.metrics import ServiceMetrics, percentile
from sciplan.serve.protocol import GoalIn, GradeRequest, RewardRequest, parse_label, response_of, result_json, reward_json
from sciplan.serve.service import DeadlineError, InputTooLargeError, RewardService, UnknownGoalError

__all__ = [
    "ApiError",
    "DeadlineError",
    "GoalIn",
    "GradeRequest",
    "GroupBatcher",
    "InputTooLargeError",
    "OverloadedError",
    "RewardRequest",
    "RewardService",
    "ServeConfig",
    "ServiceMetrics",
    "UnknownGoalError",
    "build_app",
    "goal_key",
    "parse_label",
    "percentile",
    "response_of",
    "result_json",
    "reward_json",
]
