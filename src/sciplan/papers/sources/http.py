"""HTTP for the sources: pacing, a descriptive User-Agent, retries, bounded downloads.

The client is injected (tests pass one built on `httpx.MockTransport`), and so are the
clock and the sleep used for pacing, so no test waits or touches the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import httpx

from sciplan.config import Strict
from sciplan.papers.errors import SourceError

__all__ = ["HttpConfig", "Pacer", "Fetcher", "NotFound", "default_user_agent", "make_client"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def default_user_agent(contact: str | None = None) -> str:
    """`sciplan/<version> (...)`, with a contact address when one is configured."""
    try:
        version = metadata.version("sciplan")
    except metadata.PackageNotFoundError:
        version = "0"
    about = "paper ingestion for research-plan rubrics; https://arxiv.org/abs/2512.23707"
    return f"sciplan/{version} ({about}{'; mailto:' + contact if contact else ''})"


class HttpConfig(Strict):
    """How the sources talk HTTP."""

    # arXiv and NCBI ask for a descriptive agent with a way to reach the operator.
    user_agent: str | None = None
    contact: str | None = None
    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 5.0
    max_download_bytes: int = 200 * 1024 * 1024

    def agent(self) -> str:
        """The User-Agent header value."""
        return self.user_agent or default_user_agent(self.contact)


def make_client(config: HttpConfig | None = None) -> httpx.Client:
    """A real httpx client for the sources (created on use, never at import)."""
    config = config or HttpConfig()
    return httpx.Client(
        timeout=config.timeout_s, follow_redirects=True, headers={"User-Agent": config.agent()}
    )


class Pacer:
    """At most one request per `interval` seconds (arXiv asks for one every 3 s)."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        """Sleep until the next request is allowed, then claim the slot."""
        if self._last is not None:
            due = self._last + self.interval - self.clock()
            if due > 0:
                self.sleep(due)
        self._last = self.clock()


class NotFound(SourceError):
    """The server answered 404 / 403 / 410: there is nothing to fetch at that address."""


class Fetcher:
    """Paced GETs with retries for one service; errors name the service and the URL."""

    def __init__(self, client: httpx.Client, pacer: Pacer, name: str, config: HttpConfig | None = None) -> None:
        self.client = client
        self.pacer = pacer
        self.name = name
        self.config = config or HttpConfig()

    def get(self, url: str, params: dict[str, Any] | None = None) -> bytes:
        """The body of a successful GET (bounded in size), after pacing and retries."""
        shown = str(httpx.URL(url, params=params)) if params else url
        last = ""
        for attempt in range(self.config.retries + 1):
            self.pacer.wait()
            try:
                with self.client.stream(
                    "GET", url, params=params, headers={"User-Agent": self.config.agent()}
                ) as resp:
                    if resp.status_code in (403, 404, 410):
                        raise NotFound(f"{self.name}: {shown}: HTTP {resp.status_code}")
                    if resp.status_code in _RETRY_STATUS:
                        last = f"HTTP {resp.status_code}"
                        self._backoff(attempt, resp.headers.get("Retry-After"))
                        continue
                    if resp.status_code >= 400:
                        raise SourceError(f"{self.name}: {shown}: HTTP {resp.status_code}")
                    return self._read(resp, shown)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                self._backoff(attempt, None)
        raise SourceError(f"{self.name}: {shown}: failed after {self.config.retries + 1} tries ({last})")

    def _read(self, resp: httpx.Response, shown: str) -> bytes:
        limit = self.config.max_download_bytes
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise SourceError(f"{self.name}: {shown}: response larger than {limit:,} bytes; refused")
            chunks.append(chunk)
        return b"".join(chunks)

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        if attempt >= self.config.retries:
            return
        try:
            delay = min(float(retry_after), 300.0) if retry_after else self.config.backoff_s * 2**attempt
        except ValueError:
            delay = self.config.backoff_s * 2**attempt
        self.pacer.sleep(delay)
