import asyncio

from sciplan.llm.limits import Limiter, TokenBucket


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_bucket_reservations_queue_in_order():
    clock = FakeClock()
    b = TokenBucket(60, clock=clock)  # one per second, burst of one
    assert b.reserve(1) == 0
    assert b.reserve(1) == 1.0  # second request waits one second
    assert b.reserve(1) == 2.0  # third waits two
    clock.t = 10.0  # refills up to capacity only
    assert b.reserve(1) == 0
    assert b.reserve(1) == 1.0


def test_large_token_request_waits_proportionally_and_refund_corrects():
    clock = FakeClock()
    b = TokenBucket(6000, clock=clock)  # 100 tokens/s, capacity 100
    assert b.reserve(100) == 0
    assert b.reserve(300) == 3.0
    b.refund(300)  # the request used nothing after all
    assert b.reserve(0) == 0


async def test_limiter_caps_concurrency():
    lim = Limiter(3)
    running = peak = 0

    async def job():
        nonlocal running, peak
        async with lim.semaphore():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(job() for _ in range(20)))
    assert peak == 3


async def test_limiter_rate_spaces_requests(monkeypatch):
    clock = FakeClock()
    lim = Limiter(10, requests_per_minute=60, tokens_per_minute=600, clock=clock)  # 1 req/s, 10 tok/s
    slept = []

    async def fake_sleep(d):
        slept.append(round(d, 6))

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    for _ in range(4):
        await lim.wait_for_rate(5)
    # Requests bind first (1/s): waits 0, 1, 2, 3 s; tokens (5 per call, 10/s, burst 10) never bind more.
    assert slept == [1.0, 2.0, 3.0]
    lim.settle_tokens(5, 50)  # a call used far more tokens than estimated: the debt delays the next
    await lim.wait_for_rate(5)
    assert slept[-1] > 3.0


def test_limiter_semaphore_per_event_loop():
    lim = Limiter(2)

    async def use():
        async with lim.semaphore():
            return id(lim.semaphore())

    a = asyncio.run(use())
    b = asyncio.run(use())  # a new loop must not hit "bound to a different event loop"
    assert a and b
