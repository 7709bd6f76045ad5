"""A latency-bound fake grader: an OpenAI-compatible /v1/chat/completions on loopback.

Each answer waits `delay` seconds (a grader bound by latency, not compute) and gives one
verdict per rubric item (JSON under a schema, else `<item>` blocks): every item satisfied
when the plan says "good", else each violating G1. A request that is no grading gets a
short plan.
Plain asyncio streams keep its own CPU cost small, so a benchmark measures the reward
service, not this server.

    python tests/helpers/fake_grader.py --port 8301 --delay 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["answer", "serve", "running"]


def _chat(body: dict, content: str, prompt_tokens: int, completion_tokens: int) -> dict:
    return {"id": "fake", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens, "prompt_tokens_details": {"cached_tokens": 0}}}


def answer(body: dict) -> dict:
    """The chat completion for one request body."""
    schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
    user = next((m.get("content", "") for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
    listed = re.search(r"Rubric items \((\d+)\)", user)
    good = "good" in user.split("<<<PLAN", 1)[-1]
    if schema:  # schema-constrained grading: JSON verdicts
        n = schema.get("properties", {}).get("verdicts", {}).get("minItems", 1)
        verdicts = [{"index": i, "excerpt": "the plan", "reason": "r", "violations": [] if good else ["G1"]}
                    for i in range(1, n + 1)]
        return _chat(body, json.dumps({"verdicts": verdicts}), 400, 20 * n)
    if listed:  # plain-text grading: one <item> block per rubric item
        n = int(listed.group(1))
        blocks = "".join(f'<item n="{i}">\n<excerpt>the plan</excerpt>\n<reason>r</reason>\n'
                         f'<violations>{"none" if good else "G1"}</violations>\n</item>\n' for i in range(1, n + 1))
        return _chat(body, blocks, 400, 20 * n)
    # A plain chat request: answer as a policy writing a plan would.
    return _chat(body, "A good plan: measure the outcome in both arms and compare them.", 100, 12)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            raw = await reader.readexactly(length) if length else b""
            if head.startswith(b"GET"):
                out = json.dumps({"object": "list", "data": [{"id": "fake"}]}).encode()
            else:
                await asyncio.sleep(delay)
                out = json.dumps(answer(json.loads(raw or b"{}"))).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(out)).encode() + b"\r\n\r\n" + out)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def serve(port: int, delay: float, ready: threading.Event | None = None, stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set (or forever)."""
    server = await asyncio.start_server(lambda r, w: _handle(r, w, delay), "127.0.0.1", port, backlog=1024)
    if ready is not None:
        ready.set()
    async with server:
        await (stop.wait() if stop is not None else asyncio.Event().wait())


@contextmanager
def running(port: int, delay: float = 0.0) -> Iterator[str]:
    """The fake grader in a background thread; yields its /v1 base URL."""
    ready, loop = threading.Event(), asyncio.new_event_loop()
    stop = asyncio.Event()

    def main() -> None:
        loop.run_until_complete(serve(port, delay, ready, stop))
        # Connections still open end here, on a live loop.
        tasks = asyncio.all_tasks(loop)
        for t in tasks:
            t.cancel()

        async def drain() -> None:  # gather needs a running loop in this thread
            await asyncio.gather(*tasks, return_exceptions=True)

        loop.run_until_complete(drain())
        loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("fake grader did not start")
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=5)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--delay", type=float, default=0.2)
    args = ap.parse_args()
    asyncio.run(serve(args.port, args.delay))
