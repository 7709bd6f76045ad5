"""Usage scopes: every model call reports to the scopes open around it."""

from __future__ import annotations

import asyncio
import threading

from helpers.scripted import scripted_model
from sciplan.llm.accounting import Spend, usage_scope


def test_concurrent_units_each_count_their_own_calls():
    model = scripted_model(respond=lambda r: "ok", price_input=1.0, price_output=2.0)

    async def unit(n: int) -> Spend:
        with usage_scope() as spend:
            for _ in range(n):
                await model.generate([{"role": "user", "content": "hi"}])
        return spend

    async def main() -> tuple[Spend, list[Spend]]:
        with usage_scope() as outer:
            units = await asyncio.gather(unit(1), unit(2), unit(3))
        return outer, list(units)

    outer, units = asyncio.run(main())
    assert [u.calls for u in units] == [1, 2, 3]
    assert [u.tokens for u in units] == [15, 30, 45]  # 10 in + 5 out per scripted call
    assert outer.calls == 6 and outer.prompt_tokens == 60 and outer.completion_tokens == 30
    assert abs(outer.cost - (60 * 1.0 + 30 * 2.0) / 1e6) < 1e-12
    assert model.ledger.total().calls == 6  # the ledger still has its totals


def test_an_everywhere_scope_counts_calls_from_other_threads():
    model = scripted_model(respond=lambda r: "ok")
    with usage_scope(everywhere=True) as stage, usage_scope() as here:
        # A trainer grading on its own thread: the thread does not inherit context variables.
        t = threading.Thread(target=lambda: asyncio.run(model.generate([{"role": "user", "content": "hi"}])))
        t.start()
        t.join()
    assert stage.calls == 1 and here.calls == 0
    asyncio.run(model.generate([{"role": "user", "content": "after"}]))
    assert stage.calls == 1  # closed scopes count nothing more


def test_spend_adds_and_keeps_its_fields_flat_in_records():
    a = Spend(calls=1, cached=2, prompt_tokens=3, completion_tokens=4, cost=0.5)
    a.add(Spend(calls=1, prompt_tokens=1))
    assert (a.calls, a.cached, a.tokens, a.cost) == (2, 2, 8, 0.5)
    assert set(Spend.model_validate({"calls": 1, "tokens_in": 9}).model_dump()) == set(Spend.model_fields)
