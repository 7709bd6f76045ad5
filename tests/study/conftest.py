"""Fixtures for the study tests: small studies on disk and the web app on a real 127.0.0.1 port."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpers.net import uvicorn_in_thread
from sciplan.records import Goal, Plan
from sciplan.study import (
    CreatedStudy,
    StudyConfig,
    StudyStore,
    create_app,
    create_study,
)

RUBRIC = [
    "Uses a held-out test set that is never touched during tuning.",
    "Reports variance over at least three random seeds.",
    "Compares against a strong, recent baseline.",
]


def make_goals(n: int, rubric: list[str] = RUBRIC) -> list[Goal]:
    """`n` goals sharing a three-item rubric."""
    return [
        Goal(id=f"g{i}", text=f"Research goal number {i}: improve **method {i}**.", rubric=rubric) for i in range(n)
    ]


def make_plans(goals: list[Goal], arm: str, text: str | None = None) -> list[Plan]:
    """One plan per goal for an arm (model `model-{arm}`)."""
    return [
        Plan(
            id=f"{g.id}-{arm}",
            goal_id=g.id,
            model=f"model-{arm}",
            text=text or f"Plan of arm {arm} for {g.id}.\n\n- step one\n- step two",
        )
        for g in goals
    ]


@dataclass
class Study:
    """A study on disk, with its login tokens."""

    store: StudyStore
    created: CreatedStudy

    def token(self, name: str) -> str:
        return self.created.links[name].rsplit("/", 1)[1]

    @property
    def admin_token(self) -> str:
        return self.created.admin_link.rsplit("/", 1)[1]

    @property
    def names(self) -> list[str]:
        return list(self.created.links)


@pytest.fixture
def make_study(tmp_path: Path) -> Callable[..., Study]:
    """Build a study: `make_study(goals=4, annotators=2, per_goal=1, text_a=..., text_b=...)`."""
    counter = iter(range(1000))

    def make(
        goals: int = 4,
        annotators: int = 2,
        per_goal: int = 1,
        text_a: str | None = None,
        text_b: str | None = None,
        seed: int = 0,
    ) -> Study:
        gs = make_goals(goals)
        cfg = StudyConfig(annotators=annotators, per_goal=per_goal, seed=seed, title="Test study")
        path = tmp_path / f"study{next(counter)}.sqlite"
        created = create_study(path, gs, make_plans(gs, "a", text_a), make_plans(gs, "b", text_b), cfg)
        return Study(StudyStore(path), created)

    return make


CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
ITEM = re.compile(r'href="/item/([0-9a-f]+)"')


@dataclass
class Live:
    """A study served over real HTTP on 127.0.0.1."""

    url: str
    study: Study

    @staticmethod
    def csrf_of(html: str) -> str:
        """The CSRF token a page carries."""
        m = CSRF.search(html)
        assert m, "page has no CSRF token"
        return m.group(1)

    @staticmethod
    def item_ids(html: str) -> list[str]:
        """Assignment ids linked from a page, in order, without repeats."""
        return list(dict.fromkeys(ITEM.findall(html)))

    def client(self, name: str | None = None, admin: bool = False) -> httpx.Client:
        """An HTTP client, logged in through the login link of `name` (or the admin's)."""
        cookies = httpx.Cookies()
        if admin or name is not None:
            token = self.study.admin_token if admin else self.study.token(name or "")
            with httpx.Client(base_url=self.url, trust_env=False, timeout=30) as login:
                r = login.get(f"/login/{token}", follow_redirects=True)
                assert r.status_code == 200, r.text
                cookies = login.cookies
        # Returned unopened, so tests can use it in a `with` block.
        return httpx.Client(base_url=self.url, trust_env=False, timeout=30, cookies=cookies)


@contextmanager
def running(study: Study) -> Iterator[Live]:
    """Serve `study` with uvicorn on a free 127.0.0.1 port in a background thread."""
    with uvicorn_in_thread(create_app(study.store)) as url:
        yield Live(url, study)


@pytest.fixture
def serve() -> Iterator[Callable[[Study], Live]]:
    """`serve(study)` starts a live server; every server started is stopped after the test."""
    stack = ExitStack()
    with stack:
        yield lambda study: stack.enter_context(running(study))


def annotation(
    aid: str,
    goal: str,
    pref: str | None,
    sat: list[tuple[bool, bool]],
    valid: list[bool | None],
    scores: tuple[int | None, int | None] = (None, None),
    annotator: str = "x",
    status: str = "done",
):
    """A hand-made Annotation of goal `goal` (plans `{goal}a`, `{goal}b`; rubric items "item 0", "item 1", ...)."""
    from sciplan.study import Annotation, ItemAnswer

    items = [
        ItemAnswer(index=i, item=f"item {i}", satisfied_a=a, satisfied_b=b, valid=v)
        for i, ((a, b), v) in enumerate(zip(sat, valid, strict=False))
    ]
    return Annotation(
        id=aid,
        annotator=annotator,
        goal_id=goal,
        plan_a_id=f"{goal}a",
        plan_b_id=f"{goal}b",
        model_a="ma",
        model_b="mb",
        left_arm="a",
        status=status,
        preference=pref,
        score_a=scores[0],
        score_b=scores[1],
        items=items,
        time_spent_ms=60000,
    )


T, F = True, False


@pytest.fixture
def four_annotations():
    """Four submitted annotations of three goals, the worked example of test_agreement and test_analyze.

    goal g1 is seen by two annotators (A1, A2); g2 and g3 by one each.
    """
    return [
        annotation("A1", "g1", "a", [(T, F), (T, T)], [T, T], (8, 6), annotator="ann1"),
        annotation("A2", "g1", "b", [(T, F), (F, T)], [T, F], (5, 7), annotator="ann2"),
        annotation("A3", "g2", "a", [(F, F), (T, F)], [F, None], (9, 4), annotator="ann1"),
        annotation("A4", "g3", "b", [(T, T), (F, F)], [T, T], (7, 7), annotator="ann2"),
    ]


@pytest.fixture
def make_annotation():
    """The `annotation(...)` builder above, for tests that need more than the worked example."""
    return annotation
