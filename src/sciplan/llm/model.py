"""`Model`: the one async interface to every backend, with cache, limits and retries."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from sciplan.llm.accounting import Ledger, ledger, price_for
from sciplan.llm.backends.base import Backend
from sciplan.llm.cache import ResponseCache
from sciplan.llm.completion import Completion, Message, split_thinking
from sciplan.llm.errors import LLMError, RequestRejectedError, RetryableError, UnreachableError
from sciplan.llm.limits import Limiter
from sciplan.llm.providers import PROVIDERS
from sciplan.llm.request import Request
from sciplan.llm.spec import DEFAULT_MODEL, ModelSettings, ModelSpec, parse_spec
from sciplan.llm.structured import Structured, json_schema_for, parse_output, repair_turn, schema_instruction

__all__ = ["Model", "get_model", "close_models", "backoff_delay"]

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds before retry `attempt` (0-based): full-jitter exponential, or the server's hint."""
    if retry_after is not None:
        return min(cap, retry_after) + random.uniform(0, base / 4)
    return random.uniform(0, min(cap, base * (2**attempt)))


def _make_backend(spec: ModelSpec, settings: ModelSettings) -> Backend:
    return PROVIDERS[spec.provider].backend_class()(spec, settings)


class Model:
    """A model named by a spec string, ready to `generate`.

    Every call goes: cache lookup -> concurrency slot -> rate limits -> backend, with
    retries (exponential backoff and jitter) on 429, 5xx, timeouts and dropped
    connections, then cache store and accounting. Get instances with `get_model`, so
    that every caller of one model shares its limits.
    """

    def __init__(
        self,
        spec: ModelSpec | str,
        settings: ModelSettings | None = None,
        *,
        backend: Backend | None = None,
        cache: ResponseCache | None = None,
        ledger_: Ledger | None = None,
    ) -> None:
        self.spec = parse_spec(spec) if isinstance(spec, str) else spec
        self.settings = settings or ModelSettings()
        self.backend = backend or _make_backend(self.spec, self.settings)
        self.limiter = Limiter(
            self.settings.concurrency_for(self.spec.provider),
            self.settings.requests_per_minute,
            self.settings.tokens_per_minute,
        )
        if cache is None and self.settings.cache_enabled():
            cache = ResponseCache(self.settings.resolved_cache_path())
        self.cache = cache
        self.ledger = ledger_ or ledger
        self.prices = price_for(self.spec, self.settings)
        # Model calls actually sent to the backend (cache hits excluded).
        self.calls = 0

    @property
    def name(self) -> str:
        return str(self.spec)

    def check_ready(self) -> None:
        """Raise a clear error now if the model cannot be used (key, library, file)."""
        self.backend.check_ready()

    def context_window(self) -> int | None:
        """Tokens one request may hold, prompt and answer (None: not known here, e.g. a remote API)."""
        return self.backend.context_window()

    async def generate(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
        json_schema: dict[str, Any] | None = None,
        top_p: float | None = None,
        stop: list[str] | None = None,
    ) -> Completion:
        """One completion for `messages`; raises `LLMError` when it fails for good."""
        req = Request(
            messages=list(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            json_schema=json_schema,
            top_p=top_p,
            stop=stop,
        )
        return await self.complete(req)

    async def complete(self, req: Request) -> Completion:
        """Like `generate`, for a ready-made `Request`."""
        key = req.cache_key(self.name) if (self.cache is not None and req.cacheable) else None
        if key is not None:
            hit = self.cache.get(key)  # type: ignore[union-attr]
            if hit is not None:
                self.ledger.record(self.name, hit, self.prices)
                return hit
        try:
            comp = await self._call_with_retries(req)
        except LLMError:
            self.ledger.record_failure(self.name)
            raise
        if key is not None:
            self.cache.put(key, comp)  # type: ignore[union-attr]
        self.ledger.record(self.name, comp, self.prices)
        return comp

    async def _call_with_retries(self, req: Request) -> Completion:
        s = self.settings
        estimate = req.prompt_chars() // 4 + req.max_tokens
        last: RetryableError | None = None
        async with self.limiter.semaphore():
            for attempt in range(s.max_retries + 1):
                await self.limiter.wait_for_rate(estimate)
                start = time.perf_counter()
                try:
                    if self.backend.in_process:
                        raw = await self.backend.complete(req)
                    else:
                        raw = await asyncio.wait_for(self.backend.complete(req), timeout=s.timeout + 5)
                except TimeoutError:
                    last = RetryableError(f"{self.backend.endpoint()}: no answer within {s.timeout:g}s", kind="timeout")
                except RetryableError as exc:
                    last = exc
                else:
                    self.calls += 1
                    self.limiter.settle_tokens(estimate, raw.usage.total_tokens)
                    return self._finish(raw, time.perf_counter() - start)
                if attempt < s.max_retries:
                    delay = backoff_delay(attempt, s.backoff_base, s.backoff_max, last.retry_after)
                    log.info("%s: %s; retry %d/%d in %.1fs", self.name, last, attempt + 1, s.max_retries, delay)
                    await asyncio.sleep(delay)
        assert last is not None
        if last.kind == "connect":
            raise UnreachableError(
                f"cannot reach {self.backend.endpoint()} for model {self.name} "
                f"after {s.max_retries + 1} attempts: {last}"
            )
        raise LLMError(f"model {self.name} failed after {s.max_retries + 1} attempts: {last}")

    def _finish(self, raw: Completion, latency: float) -> Completion:
        split = split_thinking(raw.text, raw.thinking)
        return raw.model_copy(
            update={
                "text": split.answer,
                "thinking": split.thinking,
                "thinking_unterminated": split.unterminated,
                "latency": latency,
                "model": self.name,
            }
        )

    async def generate_structured(
        self,
        messages: Sequence[Message],
        output: type[T],
        *,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
        retries: int | None = None,
    ) -> Structured[T]:
        """A validated `output` object, or a failure the caller records (never raises on bad output).

        The schema goes to the backend natively where it can constrain decoding;
        otherwise the prompt asks for JSON and the answer is parsed tolerantly. An answer
        that fails validation is sent back with the error for a bounded number of repairs.
        """
        schema = json_schema_for(output)
        mode = self.settings.structured if self.settings.structured != "auto" else self.backend.default_structured
        msgs = list(messages)
        if mode == "prompt":
            last = msgs[-1]
            msgs[-1] = {"role": last["role"], "content": f"{last['content']}\n\n{schema_instruction(schema)}"}
        retries = self.settings.structured_retries if retries is None else retries
        comp: Completion | None = None
        error = "no answer"
        for attempt in range(retries + 1):
            try:
                comp = await self.generate(
                    msgs,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    seed=None if seed is None else seed + attempt,
                    json_schema=schema if mode != "prompt" else None,
                )
            except RequestRejectedError as exc:
                return Structured(None, comp, f"request rejected: {exc}", attempt + 1)
            try:
                return Structured(parse_output(comp.text, output), comp, None, attempt + 1)
            except ValueError as exc:
                msgs, error = repair_turn(msgs, comp, str(exc), max_tokens, "Reply with only the corrected JSON.")
        return Structured(None, comp, error, retries + 1)

    def generate_sync(self, messages: Sequence[Message], **kwargs: Any) -> Completion:
        """`generate` for code that has no event loop."""
        return asyncio.run(self.generate(messages, **kwargs))

    async def aclose(self) -> None:
        await self.backend.aclose()


_MODELS: dict[tuple[str, str], Model] = {}
_MODELS_LOCK = threading.Lock()


def get_model(spec: str | None = None, settings: ModelSettings | None = None) -> Model:
    """The shared `Model` for a spec string (default: the bundled model) and settings."""
    spec = spec or DEFAULT_MODEL
    settings = settings or ModelSettings()
    key = (str(parse_spec(spec)), settings.model_dump_json())
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _MODELS[key] = Model(spec, settings)
        return model


async def close_models() -> None:
    """Close every shared model's connections."""
    with _MODELS_LOCK:
        models = list(_MODELS.values())
    for m in models:
        await m.aclose()
