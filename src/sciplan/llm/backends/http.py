"""Shared HTTP plumbing for API backends: one client per event loop, error mapping."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import weakref
from typing import Any

import httpx

from sciplan.llm.backends.base import Backend
from sciplan.llm.errors import MissingKeyError, RequestRejectedError, RetryableError
from sciplan.llm.spec import ModelSettings, ModelSpec

__all__ = ["HttpBackend", "RETRYABLE_STATUS"]

# 408 request timeout, 409 conflict (some gateways), 425 too early, 429 rate limited,
# 5xx server errors, 529 Anthropic overloaded.
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from model APIs, fall back to backoff


def _error_detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200].strip()
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err)[:300]
        return str(err)[:300]
    return str(body)[:300]


class HttpBackend(Backend):
    """A backend that POSTs JSON to an HTTP API."""

    default_base_url: str = ""
    key_env: str | None = None

    def __init__(self, spec: ModelSpec, settings: ModelSettings) -> None:
        super().__init__(spec, settings)
        self.base_url = (spec.base_url or self.default_base_url).rstrip("/")
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    # -- keys ---------------------------------------------------------------------
    def key_env_name(self) -> str | None:
        return self.settings.api_key_env or self.key_env

    def key_required(self) -> bool:
        return True

    def api_key(self) -> str | None:
        """The key from the environment; a missing required key names its variable."""
        name = self.key_env_name()
        key = os.environ.get(name) if name else None
        if not key and self.key_required():
            raise MissingKeyError(
                f"model {self.spec}: no API key: set the environment variable {name}"
            )
        return key or None

    def check_ready(self) -> None:
        self.api_key()

    # -- transport ------------------------------------------------------------------
    def client(self) -> httpx.AsyncClient:
        """The HTTP client of the running event loop (clients cannot cross loops)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.get(loop)
            if client is None or client.is_closed:
                conc = self.settings.concurrency_for(self.spec.provider)
                client = httpx.AsyncClient(
                    timeout=httpx.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout)),
                    limits=httpx.Limits(max_connections=conc, max_keepalive_connections=conc),
                )
                self._clients[loop] = client
            return client

    def endpoint(self) -> str:
        return self.base_url

    async def post_json(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """POST and return the JSON body; map every failure to a retryable or final error."""
        try:
            resp = await self.client().post(url, json=body, headers=headers)
        except httpx.ConnectTimeout as exc:
            raise RetryableError(f"{url}: connection timed out", kind="connect") from exc
        except httpx.TimeoutException as exc:
            raise RetryableError(
                f"{url}: timed out after {self.settings.timeout:g}s ({type(exc).__name__})", kind="timeout"
            ) from exc
        except httpx.ConnectError as exc:
            raise RetryableError(f"{url}: connection failed ({exc})", kind="connect") from exc
        except httpx.TransportError as exc:
            # Reset or dropped mid-answer: transient until retries run out.
            raise RetryableError(f"{url}: connection dropped ({type(exc).__name__}: {exc})", kind="dropped") from exc
        if resp.status_code in RETRYABLE_STATUS:
            raise RetryableError(
                f"{url}: HTTP {resp.status_code} {_error_detail(resp)}",
                retry_after=_retry_after(resp),
                status=resp.status_code,
            )
        if resp.status_code >= 400:
            hint = ""
            if resp.status_code in (401, 403) and self.key_env_name():
                hint = f" (check the key in {self.key_env_name()})"
            raise RequestRejectedError(f"{url}: HTTP {resp.status_code} {_error_detail(resp)}{hint}")
        try:
            data = resp.json()
        except (ValueError, json.JSONDecodeError):
            raise RetryableError(f"{url}: answer is not JSON (starts {resp.text[:60]!r})", kind="garbage") from None
        if not isinstance(data, dict):
            raise RetryableError(f"{url}: answer is not a JSON object", kind="garbage")
        return data

    async def aclose(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for c in clients:
            try:
                await c.aclose()
            except RuntimeError:
                pass  # its loop is gone; the sockets close with it
