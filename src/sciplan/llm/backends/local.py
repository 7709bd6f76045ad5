"""`local:` — a GGUF file (default: the bundled SmolLM2-135M) behind llama.cpp's own server.

The server runs in a child process (`sciplan.llm.server`), started on the first call and
shared by every `Model` on the same file and settings; this backend is an
OpenAI-compatible client to it. A native crash ends only the child: the call fails with
`LocalServerCrashedError` naming the signal and the fix, and the next call starts a
fresh server.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

from sciplan.llm.backends.openai import OpenAIBackend, parse_chat_completion
from sciplan.llm.bundled import resolve_gguf
from sciplan.llm.completion import Completion
from sciplan.llm.errors import BackendUnavailableError, RequestRejectedError, RetryableError
from sciplan.llm.grammar import grammar_safe_schema
from sciplan.llm.request import Request
from sciplan.llm.server import LocalServer, ServerOptions, local_server
from sciplan.llm.spec import ModelSettings, ModelSpec

__all__ = ["LocalBackend"]


class LocalBackend(OpenAIBackend):
    """llama.cpp's server on a GGUF file: schema-constrained decoding, slot prefix cache."""

    default_structured = "json_schema"

    def __init__(self, spec: ModelSpec, settings: ModelSettings) -> None:
        super().__init__(spec, settings)
        self._server: LocalServer | None = None

    def check_ready(self) -> None:
        if importlib.util.find_spec("xllamacpp") is None:
            raise BackendUnavailableError("the local backend needs xllamacpp: run `make install` or `pip install xllamacpp`")
        self.server()

    def key_required(self) -> bool:
        return False

    def context_window(self) -> int | None:
        return self.settings.n_ctx  # the server's one slot holds all of it

    def server(self) -> LocalServer:
        """The child server for this file and these settings (not started yet)."""
        if self._server is None:
            options = ServerOptions(
                model=resolve_gguf(self.spec.name),
                n_ctx=self.settings.n_ctx,
                threads=self.settings.n_threads,
                cache_ram_mib=self.settings.cache_ram_mib,
            )
            self._server = local_server(options)
        return self._server

    def endpoint(self) -> str:
        server = self._server
        return f"{server.options.model} via {server.base_url}" if server and server.port else self.spec.name

    def build_body(self, req: Request) -> dict[str, Any]:
        if req.json_schema is not None:
            # Bounds that no value can meet hang llama.cpp's sampler; long ones make huge grammars.
            req = req.model_copy(update={"json_schema": grammar_safe_schema(req.json_schema)})
        body = super().build_body(req)
        body["model"] = "local"
        # llama.cpp's defaults (top_k 40, min_p 0.05) would silently narrow sampling.
        body.setdefault("top_k", 0)
        body.setdefault("min_p", 0.0)
        body.setdefault("top_p", 1.0)
        if req.seed is not None and req.temperature > 0:
            # A reused prefix is evaluated in other batch shapes, which moves the logits a
            # little: a seeded sample would then differ between a first call and a repeat.
            body.setdefault("cache_prompt", False)
        return body

    async def complete(self, request: Request) -> Completion:
        server = self.server()
        self.base_url = await asyncio.to_thread(server.ensure_started)
        try:
            data = await self.post_json(f"{self.base_url}/chat/completions", self.build_body(request), {})
        except RetryableError as exc:
            if exc.kind in ("connect", "dropped") and await asyncio.to_thread(server.died):
                # The child died under this request: say why, instead of retrying into a dead port.
                raise server.crash_error("during a request") from None
            raise
        except RequestRejectedError as exc:
            raise RequestRejectedError(f"local model {self.spec.name}: {exc}") from None
        return parse_chat_completion(data, str(self.spec))
