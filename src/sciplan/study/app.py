"""The study's web app: login links, the annotation page with autosave, and the admin view.

Security, in one place: a login link sets an HttpOnly, SameSite=Lax cookie holding the
token (only its hash is stored); every query for an item is scoped to the logged-in
annotator, so another's item answers 404; every POST needs the login's CSRF token; model
text goes through `render_markdown`; pages carry a strict Content-Security-Policy.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sciplan.study.annotation import SCORE_MAX, SCORE_MIN, Answer, ItemAnswer
from sciplan.study.config import ServeConfig
from sciplan.study.export import annotations_csv, annotations_jsonl
from sciplan.study.render import render_markdown
from sciplan.study.security import csrf_ok, csrf_token, hash_token
from sciplan.study.store import ItemView, Login, StudyStore

__all__ = ["create_app", "serve", "server_config"]

HERE = Path(__file__).parent
SESSION_COOKIE = "sciplan_study"
ADMIN_COOKIE = "sciplan_study_admin"
MAX_RATIONALE = 50_000
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class _Refused(Exception):
    """A request we answer with a short page (and status) rather than a traceback."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every {{ }} is escaped; only render_markdown's output is marked safe
        undefined=jinja2.StrictUndefined,
    )
    env.filters["markdown"] = render_markdown
    env.filters["minutes"] = lambda ms: f"{(ms or 0) / 60000:.0f} min"
    return Jinja2Templates(env=env)


class _BodyLimit:
    """Refuses request bodies over `max_bytes` (by Content-Length, or while they stream in)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not declared.isdigit() or len(declared) > 15 or int(declared) > self.max_bytes:
            too_big = PlainTextResponse(f"Request body over {self.max_bytes:,} bytes; refused.", status_code=413)
            _secure(too_big, scope.get("path", ""))
            await too_big(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _Refused(413, f"The request is larger than {self.max_bytes:,} bytes.")
            return message

        await self.app(scope, limited, send)


def _secure(response: Response, path: str) -> Response:
    """The security headers every response carries, errors included."""
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not path.startswith("/static/"):
        # Pages hold live answers and CSRF tokens: never show a stale copy from cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def _text(form: FormData, name: str) -> str:
    """A text field of the form ("" when absent); a file upload in its place is refused."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Refused(422, f"The field {name!r} must be text, not a file.")
    return value


def _whole(raw: str, digits: int) -> int | None:
    """`raw` as a non-negative whole number of at most `digits` ASCII digits, else None."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= digits else None


def _answer_from_form(form: FormData, left_arm: str, n_items: int, allow_tie: bool = False) -> Answer:
    """The answers a form posts, from sides (left/right) to arms (a/b)."""
    arm = {"left": left_arm, "right": "b" if left_arm == "a" else "a"}
    raw_pref = _text(form, "preference")
    if raw_pref == "tie" and not allow_tie:
        raise _Refused(422, "This study has no tie answer: choose Plan 1 or Plan 2.")

    def score(side: str) -> int | None:
        raw = _text(form, f"score_{side}").strip()
        if not raw:
            return None
        value = _whole(raw, 3)
        if value is None or not SCORE_MIN <= value <= SCORE_MAX:
            raise _Refused(422, f"An overall score must be a whole number from {SCORE_MIN} to {SCORE_MAX}.")
        return value

    rationale = _text(form, "rationale")
    if len(rationale) > MAX_RATIONALE:
        raise _Refused(422, f"The rationale is longer than {MAX_RATIONALE} characters.")
    time_ms = _whole(_text(form, "time_ms") or "0", 12)
    if time_ms is None:
        raise _Refused(422, "time_ms must be a whole number of milliseconds.")
    side_of = {a: side for side, a in arm.items()}
    items = []
    for i in range(n_items):
        valid = _text(form, f"valid_{i}")
        items.append(
            ItemAnswer(
                index=i,
                satisfied_a=_text(form, f"sat_{side_of['a']}_{i}") == "1",
                satisfied_b=_text(form, f"sat_{side_of['b']}_{i}") == "1",
                valid=True if valid == "yes" else False if valid == "no" else None,
            )
        )
    scores = {arm["left"]: score("left"), arm["right"]: score("right")}
    return Answer(
        preference="tie" if raw_pref == "tie" else arm.get(raw_pref),
        score_a=scores["a"],
        score_b=scores["b"],
        rationale=rationale,
        items=items,
        time_spent_ms=time_ms,
    )


def _page_context(view: ItemView) -> dict:
    """The annotation page's data, in sides: the page never learns which arm is which."""
    left, right = (view.plan_a, view.plan_b) if view.left_arm == "a" else (view.plan_b, view.plan_a)
    ans = view.answer
    side = {view.left_arm: "left", ("b" if view.left_arm == "a" else "a"): "right"}
    rows = [
        {
            "index": it.index,
            "item": it.item,
            "sat_left": it.satisfied_a if view.left_arm == "a" else it.satisfied_b,
            "sat_right": it.satisfied_b if view.left_arm == "a" else it.satisfied_a,
            "valid": it.valid,
        }
        for it in ans.items
    ]
    scores = {side["a"]: ans.score_a, side["b"]: ans.score_b}
    return {
        "goal": view.goal,
        "plan_left": left.text,
        "plan_right": right.text,
        "rows": rows,
        "score_left": scores["left"],
        "score_right": scores["right"],
        "preference": "tie" if ans.preference == "tie" else side.get(ans.preference) if ans.preference else None,
        "rationale": ans.rationale,
        "time_ms": ans.time_spent_ms,
        "status": view.status,
    }


def create_app(store: StudyStore, serve_config: ServeConfig | None = None) -> FastAPI:
    """The FastAPI app serving one study database."""
    serve_config = serve_config or ServeConfig()
    app = FastAPI(title="sciplan study", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_BodyLimit, max_bytes=serve_config.max_body_bytes)
    templates = _templates()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    config = store.config()

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def page(request: Request, name: str, code: int = 200, **context: object) -> HTMLResponse:
        context.setdefault("title", config.title)
        return templates.TemplateResponse(request, name, {"root": root(request), **context}, status_code=code)

    def login_of(request: Request, cookie: str, role: str) -> Login:
        token = request.cookies.get(cookie)
        login = store.login(hash_token(token)) if token else None
        if login is None or login.role != role:
            what = "the admin link" if role == "admin" else "your personal login link"
            raise _Refused(401, f"You are not logged in. Open {what} to start.")
        return login

    def check_csrf(login: Login, given: object) -> None:
        if not isinstance(given, str) or not csrf_ok(store.secret, login.token_hash, given):
            raise _Refused(
                403, "This form is out of date or did not come from this site (CSRF check failed). Reload the page."
            )

    @app.middleware("http")
    async def headers(request: Request, call_next):
        return _secure(await call_next(request), request.url.path)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        # Runs outside the middleware above, so it adds the headers itself; no trace reaches the page.
        return _secure(PlainTextResponse("Internal error; the organiser can find it in the server log.",
                                         status_code=500), request.url.path)

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused) -> Response:
        if request.headers.get("x-autosave"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return page(request, "message.html", code=exc.status, message=exc.message)

    @app.get("/login/{token}")
    def login(request: Request, token: str) -> Response:
        found = store.login(hash_token(token))
        if found is None:
            raise _Refused(403, "This login link is not valid. It may have been replaced; ask the study's organiser.")
        target = "/admin" if found.role == "admin" else "/"
        response = RedirectResponse(root(request) + target, status_code=303)
        response.set_cookie(
            ADMIN_COOKIE if found.role == "admin" else SESSION_COOKIE,
            token,
            max_age=90 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=root(request) or "/",
        )
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        # Who first: an anonymous request never gets its body parsed.
        who = await run_in_threadpool(login_of, request, SESSION_COOKIE, "annotator")
        form = await request.form()
        check_csrf(who, form.get("csrf"))
        response = RedirectResponse(root(request) + "/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=root(request) or "/")
        return response

    @app.get("/")
    def home(request: Request) -> Response:
        if not request.cookies.get(SESSION_COOKIE) and request.cookies.get(ADMIN_COOKIE):
            return RedirectResponse(root(request) + "/admin", status_code=303)
        who = login_of(request, SESSION_COOKIE, "annotator")
        queue = store.queue(who.annotator_id or "")
        todo = next((q for q in queue if q.status != "done"), None)
        return page(
            request,
            "home.html",
            who=who,
            queue=queue,
            todo=todo,
            done=sum(q.status == "done" for q in queue),
            instructions=config.instructions,
            csrf=csrf_token(store.secret, who.token_hash),
        )

    @app.get("/item/{assignment_id}")
    def item(request: Request, assignment_id: str, incomplete: int = 0) -> Response:
        who = login_of(request, SESSION_COOKIE, "annotator")
        view = store.open_item(assignment_id, who.annotator_id or "")
        if view is None:
            raise _Refused(404, "There is no such item among your assignments.")
        queue = store.queue(who.annotator_id or "")
        ids = [q.id for q in queue]
        at = ids.index(view.id)
        missing = view.answer.missing(len(view.goal.rubric)) if incomplete else []
        return page(
            request,
            "item.html",
            who=who,
            item_id=view.id,
            number=at + 1,
            total=len(ids),
            prev_id=ids[at - 1] if at > 0 else None,
            next_id=ids[at + 1] if at + 1 < len(ids) else None,
            done=sum(q.status == "done" for q in queue),
            missing=missing,
            csrf=csrf_token(store.secret, who.token_hash),
            idle_after_ms=config.idle_after_s * 1000,
            allow_tie=config.allow_tie,
            **_page_context(view),
        )

    @app.post("/item/{assignment_id}")
    async def save(request: Request, assignment_id: str) -> Response:
        who = await run_in_threadpool(login_of, request, SESSION_COOKIE, "annotator")
        form = await request.form()
        check_csrf(who, form.get("csrf") or request.headers.get("x-csrf-token") or "")
        shape = await run_in_threadpool(store.shape, assignment_id, who.annotator_id or "")
        if shape is None:
            raise _Refused(404, "There is no such item among your assignments.")
        answer = _answer_from_form(form, *shape, allow_tie=config.allow_tie)
        action = _text(form, "action") or "save"
        result = await run_in_threadpool(store.save, assignment_id, who.annotator_id or "", answer, action == "submit")
        assert result is not None  # ownership was checked just above
        if request.headers.get("x-autosave"):
            return JSONResponse({"status": result.status, "missing": result.missing, "saved_at": result.saved_at})
        here = f"{root(request)}/item/{assignment_id}"
        if action == "submit":
            if result.missing:
                return RedirectResponse(here + "?incomplete=1", status_code=303)
            queue = await run_in_threadpool(store.queue, who.annotator_id or "")
            ids = [q.id for q in queue]
            after = ids[ids.index(assignment_id) + 1 :] + ids[: ids.index(assignment_id)]
            todo = next((q for q in queue if q.id in after and q.status != "done"), None)
            target = f"{root(request)}/item/{todo.id}" if todo else f"{root(request)}/"
            return RedirectResponse(target, status_code=303)
        return RedirectResponse(here, status_code=303)

    @app.get("/admin")
    def admin(request: Request) -> Response:
        login_of(request, ADMIN_COOKIE, "admin")
        progress = store.progress()
        counts = store.counts()
        done = sum(p.done for p in progress)
        return page(
            request,
            "admin.html",
            progress=progress,
            counts=counts,
            done=done,
            started=sum(p.started for p in progress),
        )

    @app.get("/admin/export.jsonl")
    def export_jsonl(request: Request) -> Response:
        login_of(request, ADMIN_COOKIE, "admin")
        return PlainTextResponse(
            annotations_jsonl(store.annotations()),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="annotations.jsonl"'},
        )

    @app.get("/admin/export.csv")
    def export_csv(request: Request) -> Response:
        login_of(request, ADMIN_COOKIE, "admin")
        return PlainTextResponse(
            annotations_csv(store.annotations()),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="annotations.csv"'},
        )

    return app


def server_config(store: StudyStore, config: ServeConfig | None = None) -> uvicorn.Config:
    """The uvicorn settings `serve` runs the study with."""
    config = config or ServeConfig()
    # No access log: login URLs carry tokens, and logs are often shared.
    return uvicorn.Config(
        create_app(store, config), host=config.host, port=config.port, root_path=config.root_path,
        access_log=False, log_level="warning", proxy_headers=True, forwarded_allow_ips=config.forwarded_allow_ips,
    )


def serve(db_path: str | os.PathLike[str], config: ServeConfig | None = None) -> None:
    """Serve a study until interrupted."""
    uvicorn.Server(server_config(StudyStore(db_path), config)).run()
