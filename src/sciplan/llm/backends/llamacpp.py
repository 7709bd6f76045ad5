"""`local:` — llama.cpp in-process (llama-cpp-python) on a GGUF file."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from sciplan.llm.backends.base import Backend
from sciplan.llm.bundled import resolve_gguf
from sciplan.llm.completion import Completion, Usage
from sciplan.llm.errors import BackendUnavailableError
from sciplan.llm.request import Request

__all__ = ["LlamaCppBackend", "load_llama"]

# Loaded models, shared by every backend on the same file and settings: one copy in memory.
_LOADED: dict[tuple[str, int, int | None], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


def load_llama(path: Path, n_ctx: int, n_threads: int | None) -> tuple[Any, threading.Lock]:
    """The shared `llama_cpp.Llama` for a file, with the lock that serialises its use."""
    key = (str(path), n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # pragma: no cover - installed by make
                raise BackendUnavailableError(
                    "llama-cpp-python is not installed: run `make demo` or pip install 'llama-cpp-python[server]'"
                ) from exc
            llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
            _LOADED[key] = (llama, threading.Lock())
        return _LOADED[key]


class LlamaCppBackend(Backend):
    """In-process llama.cpp: JSON-schema constrained decoding through its grammar support.

    Calls run one at a time in a worker thread (a llama.cpp context is not thread-safe);
    successive calls that share a prompt prefix reuse the evaluated KV cache.
    """

    in_process = True
    default_structured = "json_schema"

    def __init__(self, spec, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(spec, settings)
        self._path: Path | None = None

    def check_ready(self) -> None:
        self._path = resolve_gguf(self.spec.name)

    def endpoint(self) -> str:
        return str(self._path or self.spec.name)

    def _llama(self) -> tuple[Any, threading.Lock]:
        if self._path is None:
            self.check_ready()
        assert self._path is not None
        return load_llama(self._path, self.settings.n_ctx, self.settings.n_threads)

    def _complete_sync(self, req: Request) -> Completion:
        llama, lock = self._llama()
        kwargs: dict[str, Any] = {
            "messages": list(req.messages),
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p if req.top_p is not None else 1.0,
            # llama.cpp's defaults (top_k 40, min_p 0.05) would silently narrow sampling.
            "top_k": 0,
            "min_p": 0.0,
        }
        if req.seed is not None:
            kwargs["seed"] = req.seed
        if req.stop:
            kwargs["stop"] = req.stop
        mode = self.settings.structured if self.settings.structured != "auto" else self.default_structured
        if req.json_schema is not None and mode != "prompt":
            kwargs["response_format"] = {"type": "json_object", "schema": req.json_schema}
        kwargs.update(self.settings.extra_body)
        kwargs.update(req.extra)
        with lock:
            out = llama.create_chat_completion(**kwargs)
        choice = out["choices"][0]
        u = out.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            usage=Usage(prompt_tokens=u.get("prompt_tokens", 0), completion_tokens=u.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason"),
            model=str(self.spec),
        )

    async def complete(self, request: Request) -> Completion:
        return await asyncio.to_thread(self._complete_sync, request)
