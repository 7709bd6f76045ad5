"""Fixtures for the reward service: a scripted grader, goals, and the app on a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from helpers.net import uvicorn_in_thread
from helpers.scripted import Scripted, scripted_model
from sciplan.grade import Grader, GraderConfig, RewardConfig
from sciplan.llm import Completion, Request
from sciplan.records import Goal
from sciplan.serve import RewardService, ServeConfig, build_app

GOALS = [
    Goal(id="g-tomato", text="Find out whether watering frequency changes tomato yield in a greenhouse.",
         rubric=["Compares at least three watering frequencies.", "Measures fruit mass per plant."]),
    Goal(id="g-sleep", text="Test whether a later school start improves teenagers' sleep duration.",
         rubric=["Measures sleep with actigraphy.", "Compares schools with and without the change.",
                 "Adjusts for age."]),
]


def verdicts(n: int, satisfied: bool) -> str:
    """A violations-variant answer with n verdicts."""
    return json.dumps({"verdicts": [{"index": i, "excerpt": "the plan", "reason": "r",
                                     "violations": [] if satisfied else ["G1"]} for i in range(1, n + 1)]})


class SlowScripted(Scripted):
    """Answers by content; a plan containing 'SLOW' takes `delay` seconds."""

    delay = 3.0

    async def complete(self, request: Request) -> Completion:
        text = request.messages[-1]["content"]
        if "SLOW" in text:
            await asyncio.sleep(self.delay)
        return await super().complete(request)


def respond(request: Request) -> str:
    """Good plans satisfy every item; others violate G1; 'broken' gets no JSON."""
    text = request.messages[-1]["content"]
    n = 3 if "actigraphy" in text else 2
    if "broken" in text:
        return "no json here"
    return verdicts(n, "good" in text)


@dataclass
class Served:
    url: str
    service: RewardService
    backend: Scripted


@contextmanager
def serve_in_thread(service: RewardService) -> Iterator[str]:
    """Run the app on uvicorn in a thread on a free loopback port; yield its base URL."""
    with uvicorn_in_thread(build_app(service), log_level="error") as url:
        yield url


def make_service(config: ServeConfig | None = None) -> tuple[RewardService, Scripted]:
    """A service over the scripted grader, with the test goals."""
    model = scripted_model(respond=respond)
    backend = SlowScripted(model.spec, model.settings, respond=respond)
    model.backend = backend
    grader = Grader(model, GraderConfig(retries=0))
    return RewardService(grader, GOALS, config or ServeConfig(deadline=1.5, max_completion_chars=100_000),
                         RewardConfig(max_plan_length=50)), backend


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    service, backend = make_service()
    with serve_in_thread(service) as url:
        yield Served(url, service, backend)
