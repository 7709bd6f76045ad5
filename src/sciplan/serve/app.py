"""The reward service's FastAPI app: /grade, OpenRLHF's /get_reward, /health, /metrics.

    app = build_app(RewardService(Grader("openai:...@http://grader:8000/v1"), goals))
    uvicorn.run(app, host="127.0.0.1", port=8100)

Every error is a JSON body {"error": "...", "status": N}: 400 malformed JSON, 401 a
missing or wrong bearer token, 404 an unknown goal, 413 input over the bounds, 422 a
body of the wrong shape, 503 too much waiting, 504 past the deadline, 502 a grader
that cannot be reached. One bad request never stops the service.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from sciplan.grade import GradeFailedError
from sciplan.llm import LLMError
from sciplan.serve.batcher import OverloadedError
from sciplan.serve.protocol import GradeRequest, RewardRequest, parse_label, response_of, result_json, reward_json
from sciplan.serve.service import DeadlineError, InputTooLargeError, RewardService, UnknownGoalError

__all__ = ["build_app", "ApiError"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as JSON with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(body: Any, status: int = 200) -> Response:
    # Plain json.dumps: cheaper than FastAPI's encoder on the hot path.
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/json")


def _status_of(exc: Exception) -> int:
    if isinstance(exc, UnknownGoalError):
        return 404
    if isinstance(exc, InputTooLargeError):
        return 413
    if isinstance(exc, OverloadedError):
        return 503
    if isinstance(exc, DeadlineError):
        return 504
    if isinstance(exc, (LLMError, GradeFailedError)):
        return 502
    return 500


def build_app(service: RewardService) -> FastAPI:
    """The FastAPI app serving `service`."""
    cfg = service.config
    token = cfg.token.encode() if cfg.token else None
    app = FastAPI(title="sciplan reward service", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service

    def authorize(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not (given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token)):
            raise ApiError(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)")

    async def body_of(request: Request, model: type[BaseModel]) -> Any:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > cfg.max_body_bytes:
            raise ApiError(413, f"request body of {size} bytes is over max_body_bytes {cfg.max_body_bytes}")
        raw = await request.body()
        if len(raw) > cfg.max_body_bytes:
            raise ApiError(413, f"request body of {len(raw)} bytes is over max_body_bytes {cfg.max_body_bytes}")
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise ApiError(400, f"malformed JSON: {exc.errors()[0]['msg']}") from None
            problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:10])
            raise ApiError(422, f"invalid {model.__name__}: {problems}") from None

    async def guarded(endpoint: str, request: Request, handler: Any) -> Response:
        try:
            authorize(request)
            return _json(await handler())
        except ApiError as exc:
            service.metrics.error(endpoint, exc.status)
            return _json({"error": exc.message, "status": exc.status}, exc.status)
        except Exception as exc:  # any other failure is this request's, never the server's
            status = _status_of(exc)
            if status == 500:
                log.exception("%s failed", endpoint)
            service.metrics.error(endpoint, status)
            return _json({"error": f"{type(exc).__name__}: {exc}", "status": status}, status)

    @app.post("/grade")
    async def grade(request: Request) -> Response:
        async def handle() -> dict[str, Any]:
            req = await body_of(request, GradeRequest)
            goal = service.goal_for(req.goal_id, req.goal)
            parts = await service.timed("grade", [goal] * len(req.completions), req.completions)
            return {"goal_id": goal.id, "grader": service.grader.name, "results": [result_json(p) for p in parts]}

        return await guarded("grade", request, handle)

    @app.post("/get_reward")
    async def get_reward(request: Request) -> Response:
        async def handle() -> dict[str, Any]:
            req = await body_of(request, RewardRequest)
            prompts = req.prompts or [None] * len(req.query)
            goals = []
            for i, label in enumerate(req.labels or []):
                try:
                    gid, inline = parse_label(label)
                    goals.append(service.goal_for(gid, inline))
                except (UnknownGoalError, ValueError, ValidationError) as exc:
                    status = 404 if isinstance(exc, UnknownGoalError) else 422
                    raise ApiError(status, f"labels[{i}]: {exc}") from None
            completions = [response_of(q, p) for q, p in zip(req.query, prompts, strict=True)]
            return reward_json(await service.timed("get_reward", goals, completions, fill_failed=True))

        return await guarded("get_reward", request, handle)

    @app.get("/health")
    async def health() -> Response:
        return _json({"status": "ok", "grader": service.grader.name, "goals": len(service.goals),
                      "queued": service.batcher.queued})

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        return await guarded("metrics", request, lambda: _ready(service.snapshot()))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"no such endpoint: {request.method} {request.url.path}", "status": 404}, 404)

    return app


async def _ready(value: Any) -> Any:
    return value
