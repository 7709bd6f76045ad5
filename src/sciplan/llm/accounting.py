"""Token and cost accounting: the ledger by stage and model, and usage scopes.

Every model call reports to the process-wide `ledger` (totals by stage and model, printed
when a command ends) and to every open usage scope. A scope is one unit of work: a paper
being extracted, a goal, a pipeline stage. `with usage_scope() as spend:` counts the calls
made inside the block and the asyncio tasks it starts (a context variable); a scope opened
with `everywhere=True` counts every call in the process while it is open, threads included
(a pipeline stage, whose trainer grades on its own threads).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict

from sciplan.llm.completion import Completion, Usage
from sciplan.llm.spec import ModelSettings, ModelSpec

__all__ = ["Ledger", "LedgerRow", "Spend", "ledger", "stage", "price_for", "usage_scope"]

_stage: contextvars.ContextVar[str] = contextvars.ContextVar("sciplan_stage", default="default")


class Spend(BaseModel):
    """What a unit of work cost: model calls, cache hits, tokens, dollars.

    The one usage value: a paper's log line, the extraction's result and a pipeline
    stage's report carry it (records subclass it, so its fields stay flat in their files).
    """

    # Unknown keys are ignored so records built on it still read older files.
    model_config = ConfigDict(extra="ignore")

    calls: int = 0
    # Answers served from the response cache: nothing spent.
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens

    def add_call(self, completion: Completion, prices: tuple[float, float]) -> None:
        """Count one answer (a cache hit as a hit, with no tokens spent)."""
        if completion.cached:
            self.cached += 1
            return
        u = completion.usage
        self.calls += 1
        self.prompt_tokens += u.prompt_tokens
        self.completion_tokens += u.completion_tokens
        self.cost += (u.prompt_tokens * prices[0] + u.completion_tokens * prices[1]) / 1e6

    def add(self, other: Spend) -> None:
        """Add another unit's spend to this one."""
        self.calls += other.calls
        self.cached += other.cached
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost += other.cost

    def spend(self) -> Spend:
        """Just the usage fields (of a record that carries them)."""
        return Spend(calls=self.calls, cached=self.cached, prompt_tokens=self.prompt_tokens,
                     completion_tokens=self.completion_tokens, cost=self.cost)


_scopes: contextvars.ContextVar[tuple[Spend, ...]] = contextvars.ContextVar("sciplan_usage_scopes", default=())
_everywhere: list[Spend] = []
_scope_lock = threading.Lock()


@contextlib.contextmanager
def usage_scope(*, everywhere: bool = False) -> Iterator[Spend]:
    """Count every model call made inside the block into a new `Spend` (see the module docstring)."""
    spend = Spend()
    if everywhere:
        with _scope_lock:
            _everywhere.append(spend)
        try:
            yield spend
        finally:
            with _scope_lock:
                _everywhere.remove(spend)
        return
    token = _scopes.set((*_scopes.get(), spend))
    try:
        yield spend
    finally:
        _scopes.reset(token)


def _report_to_scopes(completion: Completion, prices: tuple[float, float]) -> None:
    with _scope_lock:
        scopes = {id(s): s for s in (*_scopes.get(), *_everywhere)}
        for s in scopes.values():
            s.add_call(completion, prices)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Attribute every model call inside the block to stage `name`."""
    token = _stage.set(name)
    try:
        yield
    finally:
        _stage.reset(token)


@lru_cache(maxsize=1)
def _price_table() -> dict[str, dict[str, tuple[float, float]]]:
    text = resources.files("sciplan.llm").joinpath("prices.yaml").read_text(encoding="utf-8")
    return {prov: {k: (float(v[0]), float(v[1])) for k, v in table.items()} for prov, table in yaml.safe_load(text).items()}


def price_for(spec: ModelSpec, settings: ModelSettings) -> tuple[float, float]:
    """USD per million (input, output) tokens: the settings', else the table's, else 0."""
    if settings.price_input is not None or settings.price_output is not None:
        return settings.price_input or 0.0, settings.price_output or 0.0
    if spec.provider == "openai" and spec.base_url and "api.openai.com" not in spec.base_url:
        return 0.0, 0.0  # self-hosted (vLLM, llama.cpp): no per-token price
    table = _price_table().get(spec.provider, {})
    best = max((k for k in table if spec.name.startswith(k)), key=len, default=None)
    return table[best] if best else (0.0, 0.0)


@dataclass
class LedgerRow:
    """Totals for one (stage, model)."""

    stage: str
    model: str
    calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    seconds: float = 0.0


class Ledger:
    """Thread-safe totals of calls, tokens, cost and time by stage and model."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], LedgerRow] = {}
        self._lock = threading.Lock()

    def _row(self, model: str) -> LedgerRow:
        key = (_stage.get(), model)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = LedgerRow(stage=key[0], model=model)
        return row

    def record(self, model: str, completion: Completion, prices: tuple[float, float]) -> None:
        """Count one answer (and report it to the open usage scopes); a cache hit counts as a hit, with no tokens spent."""
        _report_to_scopes(completion, prices)
        with self._lock:
            row = self._row(model)
            if completion.cached:
                row.cache_hits += 1
                return
            row.calls += 1
            row.usage = row.usage + completion.usage
            row.seconds += completion.latency
            u = completion.usage
            row.cost += (u.prompt_tokens * prices[0] + u.completion_tokens * prices[1]) / 1e6

    def record_failure(self, model: str) -> None:
        """Count a call that failed for good."""
        with self._lock:
            self._row(model).failures += 1

    def rows(self) -> list[LedgerRow]:
        with self._lock:
            return [LedgerRow(**vars(r)) for r in self._rows.values()]

    def total(self) -> LedgerRow:
        """Everything recorded, summed."""
        out = LedgerRow(stage="all", model="all")
        for r in self.rows():
            out.calls += r.calls
            out.cache_hits += r.cache_hits
            out.failures += r.failures
            out.usage = out.usage + r.usage
            out.cost += r.cost
            out.seconds += r.seconds
        return out

    def reset(self) -> None:
        with self._lock:
            self._rows.clear()


# The process-wide ledger every model reports to.
ledger = Ledger()
