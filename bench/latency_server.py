"""An OpenAI-shaped chat server that answers every request after a fixed latency.

Used by bench/llm_client.py to measure the client layer alone: the server does no
work but sleep, so any shortfall from ideal throughput is the client's.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def make_app(latency: float) -> Starlette:
    """The app: POST /v1/chat/completions sleeps `latency` seconds, then answers."""

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        await asyncio.sleep(latency)
        return JSONResponse(
            {
                "id": "bench",
                "object": "chat.completion",
                "model": body.get("model", "bench"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 1},
            }
        )

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "bench"}]})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--latency", type=float, default=0.2)
    args = ap.parse_args()
    uvicorn.run(make_app(args.latency), host="127.0.0.1", port=args.port, log_level="warning", backlog=2048)
