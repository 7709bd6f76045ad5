"""`RewardClient`: an async client of `sciplan serve reward`, for trainers that run many reward workers.

verl's Reward Loop spreads a step's responses over several reward workers (Ray actors);
a goal's group can land on different workers. Each worker posting its responses to one
reward service keeps the group together: the service grades a goal's responses that
arrive within its batch window as one group, whichever worker sent them.

    client = RewardClient("http://127.0.0.1:8100", token=os.environ.get("SCIPLAN_REWARD_TOKEN"))
    answer = await client.get_reward([response], [ground_truth])   # OpenRLHF's protocol
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import aiohttp

from sciplan.errors import SciplanError
from sciplan.llm.backends.http import RETRYABLE_STATUS, retry_after
from sciplan.llm.model import backoff_delay

__all__ = ["RewardClient", "RewardServiceError"]


class RewardServiceError(SciplanError):
    """The reward service refused a request, or could not be reached after the retries."""


class RewardClient:
    """Posts to a reward service's `/get_reward`; retries connection failures and 5xx/429 answers
    (jittered exponential backoff, or the service's Retry-After)."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 900.0, retries: int = 5,
                 backoff: float = 2.0, max_backoff: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        # aiohttp sessions belong to one event loop; a worker may run more than one.
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            weakref.WeakKeyDictionary()
        )

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._sessions[loop] = session
        return session

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to the service's `path` and return its JSON answer."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        url = f"{self.url}{path}"
        problem, hint = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                # The model layer's backoff: jittered, so many reward workers do not retry in step.
                await asyncio.sleep(backoff_delay(attempt - 1, self.backoff, self.max_backoff, hint))
            try:
                async with self._session().post(url, json=body, headers=headers) as resp:
                    status, text, hint = resp.status, await resp.text(), retry_after(resp)
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem, hint = f"{type(exc).__name__}: {exc}", None
                continue
            if status in RETRYABLE_STATUS:
                problem = f"HTTP {status} {text[:300]}"
                continue
            if status >= 400:
                raise RewardServiceError(f"{url}: HTTP {status} {text[:300]}")
            try:
                answer = json.loads(text)
            except ValueError:
                raise RewardServiceError(f"{url}: answer is not JSON (starts {text[:60]!r})") from None
            if not isinstance(answer, dict):
                raise RewardServiceError(f"{url}: answer is not a JSON object")
            return answer
        raise RewardServiceError(f"{url}: no answer after {self.retries + 1} tries ({problem})")

    async def get_reward(self, responses: list[str], labels: list[Any]) -> dict[str, Any]:
        """Rewards for `responses` of the goals `labels` name (OpenRLHF's `/get_reward` protocol)."""
        return await self.post("/get_reward", {"query": responses, "labels": labels})

    async def close(self) -> None:
        """Close the session of the running event loop."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()
