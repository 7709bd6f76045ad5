"""Pacing, retries, User-Agent and download limits, with a fake clock and a mock transport."""

from __future__ import annotations

import httpx
import pytest

from sciplan.papers import HttpConfig, Pacer, SourceError
from sciplan.papers.sources.http import Fetcher, NotFound, default_user_agent


def test_pacer_spaces_requests_by_the_interval(fake_clock):
    pacer = Pacer(3.0, fake_clock.clock, fake_clock.sleep)
    times = []
    for _ in range(4):
        pacer.wait()
        times.append(fake_clock.now)
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [3.0, 3.0, 3.0]
    assert fake_clock.sleeps == [3.0, 3.0, 3.0]


def test_pacer_does_not_sleep_when_time_has_passed(fake_clock):
    pacer = Pacer(3.0, fake_clock.clock, fake_clock.sleep)
    pacer.wait()
    fake_clock.now += 10
    pacer.wait()
    fake_clock.now += 1
    pacer.wait()
    assert fake_clock.sleeps == [2.0]


def test_retries_on_503_with_retry_after_then_succeeds(fake_clock, make_recorder, respond):
    answers = iter([respond("busy", 503), httpx.Response(429, headers={"Retry-After": "7"}), respond("ok")])
    rec = make_recorder(lambda r: next(answers), fake_clock)
    fetcher = Fetcher(rec.client(), Pacer(1.0, fake_clock.clock, fake_clock.sleep), "svc", HttpConfig(backoff_s=2))
    assert fetcher.get("https://svc.example/x") == b"ok"
    assert len(rec.requests) == 3
    assert 2.0 in fake_clock.sleeps and 7.0 in fake_clock.sleeps


def test_errors_name_the_service_and_url(fake_clock, make_recorder, respond):
    rec = make_recorder(lambda r: respond("no", 404), fake_clock)
    fetcher = Fetcher(rec.client(), Pacer(0, fake_clock.clock, fake_clock.sleep), "svc")
    with pytest.raises(NotFound, match=r"svc: https://svc.example/x\?a=1: HTTP 404"):
        fetcher.get("https://svc.example/x", {"a": 1})
    rec = make_recorder(lambda r: respond("down", 500), fake_clock)
    fetcher = Fetcher(rec.client(), Pacer(0, fake_clock.clock, fake_clock.sleep), "svc", HttpConfig(retries=2))
    with pytest.raises(SourceError, match=r"svc: https://svc.example/y: failed after 3 tries \(HTTP 500\)"):
        fetcher.get("https://svc.example/y")
    assert len(rec.requests) == 3


def test_transport_errors_are_retried_then_reported(fake_clock, make_recorder):
    def boom(request):
        raise httpx.ConnectError("no route to host", request=request)

    rec = make_recorder(boom, fake_clock)
    fetcher = Fetcher(rec.client(), Pacer(0, fake_clock.clock, fake_clock.sleep), "svc", HttpConfig(retries=1))
    with pytest.raises(SourceError, match="ConnectError: no route to host"):
        fetcher.get("https://svc.example/z")


def test_download_limit_and_user_agent(fake_clock, make_recorder, respond):
    rec = make_recorder(lambda r: respond(b"x" * 5000), fake_clock)
    config = HttpConfig(max_download_bytes=1000, contact="lab@example.org")
    fetcher = Fetcher(rec.client(), Pacer(0, fake_clock.clock, fake_clock.sleep), "svc", config)
    with pytest.raises(SourceError, match="response larger than 1,000 bytes"):
        fetcher.get("https://svc.example/big")
    agent = rec.requests[0].headers["User-Agent"]
    assert agent.startswith("sciplan/") and "mailto:lab@example.org" in agent
    assert default_user_agent() != agent
