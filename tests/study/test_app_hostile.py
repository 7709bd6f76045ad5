"""The study app against careless and hostile requests (issue 18, items 7, 9, 10), over real HTTP."""

from __future__ import annotations

import csv
import io
import os
import socket
import stat
import threading
import time

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from sciplan.cli.main import app as cli
from sciplan.study import ServeConfig, export_study
from sciplan.study.app import server_config

from .conftest import annotation

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


def _secure(r: httpx.Response) -> bool:
    return all(h in r.headers for h in SECURITY_HEADERS)


def test_anonymous_bodies_are_never_parsed_and_big_bodies_are_refused(make_study, serve):
    live = serve(make_study(goals=1, annotators=1))
    with httpx.Client(base_url=live.url, trust_env=False, timeout=60) as anon:
        r = anon.post("/item/x", content=b"a=" + b"x" * 3_000_000,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413 and _secure(r)
        r = anon.post("/item/x", data={"csrf": "x"})
        assert r.status_code == 401 and _secure(r)

        def stream():  # no Content-Length: the cap must hold while the body streams in
            for _ in range(40):
                yield b"x" * 100_000

        r = anon.post("/logout", content=stream(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code in (401, 413)
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        csrf = live.csrf_of(c.get(f"/item/{item}").text)
        r = c.post(f"/item/{item}", content=stream(), headers={"Content-Type": "application/x-www-form-urlencoded",
                                                              "X-CSRF-Token": csrf})
        assert r.status_code == 413 and _secure(r)


@pytest.mark.parametrize(("fields", "files", "status"), [
    ({"score_left": "²"}, None, 422),
    ({"score_left": "1" * 5000}, None, 422),
    ({"time_ms": "9" * 5000}, None, 422),
    ({"time_ms": "١٢"}, None, 422),  # Arabic-Indic digits pass isdigit() but are not a number here
    ({"csrf": "é" * 64}, None, 403),
    ({}, {"csrf": ("csrf.txt", b"x")}, 403),
    ({}, {"rationale": ("notes.txt", b"my rationale")}, 422),
])
def test_odd_fields_get_a_clear_answer_not_a_500(make_study, serve, fields, files, status):
    live = serve(make_study(goals=1, annotators=1))
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        csrf = live.csrf_of(c.get(f"/item/{item}").text)
        data = {"csrf": csrf, "preference": "left", **fields}
        r = c.post(f"/item/{item}", data=data, files=files)
        assert r.status_code == status, r.text
        assert _secure(r)
    # Nothing odd was stored: no "UploadFile(...)" rationale, no score.
    answer = live.study.store.annotations()
    assert not answer or ("UploadFile" not in answer[0].rationale and answer[0].score_a is None)


def test_error_responses_carry_the_security_headers(make_study, serve, monkeypatch):
    study = make_study(goals=1, annotators=1)
    live = serve(study)
    with live.client("annotator-01") as c:
        assert c.get("/no/such/page").status_code == 404 and _secure(c.get("/no/such/page"))
        assert _secure(c.put("/"))  # 405
        monkeypatch.setattr(study.store, "queue", lambda *_: 1 / 0)
        r = c.get("/")
        assert r.status_code == 500 and _secure(r) and "ZeroDivisionError" not in r.text


def test_the_database_is_private_to_its_owner(make_study, serve):
    study = make_study(goals=2, annotators=1)
    live = serve(study)
    with live.client("annotator-01") as c:  # a write creates the WAL files
        (item, _) = live.item_ids(c.get("/").text)
        c.post(f"/item/{item}", data={"csrf": live.csrf_of(c.get(f"/item/{item}").text), "preference": "left"})
    for suffix in ("", "-wal", "-shm"):
        path = f"{study.store.path}{suffix}"
        if os.path.exists(path):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def _serve_with(study, config: ServeConfig):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(server_config(study.store, config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(("trusted", "secure"), [("*", True), ("10.9.9.9", False)])
def test_the_cookie_is_secure_behind_a_trusted_https_proxy_on_another_host(make_study, trusted, secure):
    study = make_study(goals=1, annotators=1)
    server, thread, sock, url = _serve_with(study, ServeConfig(forwarded_allow_ips=trusted))
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as c:
            r = c.get(f"/login/{study.token('annotator-01')}", headers={"X-Forwarded-Proto": "https"})
        assert r.status_code == 303
        assert ("secure" in r.headers["set-cookie"].lower()) is secure
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_images_keep_their_alt_text_on_the_page(make_study, serve):
    live = serve(make_study(goals=1, annotators=1, text_a="Step 1: see ![the loss curve falls](loss.png) here."))
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        page = c.get(f"/item/{item}").text
    assert "[image: the loss curve falls]" in page and "<img" not in page


def test_huge_markdown_renders_once_and_as_plain_text(make_study, serve):
    table = "| a | b |\n|---|---|\n" + "| x | y |\n" * 20_000
    live = serve(make_study(goals=1, annotators=1, text_a=table))
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        page = c.get(f"/item/{item}").text
    assert "<pre class='plain'>| a | b |" in page and "<td>x</td>" not in page


def test_a_bare_carriage_return_stays_inside_its_csv_field(tmp_path):
    a = annotation("a1", "g1", "a", [(True, False)], [True])
    a = a.model_copy(update={"rationale": "first\rsecond", "items": [a.items[0].model_copy(update={"item": "x\ry"})]})
    export_study([a], tmp_path)
    for name, field, value in (("annotations.csv", "rationale", "first\rsecond"), ("rubric_items.csv", "item", "x\ry")):
        with open(tmp_path / name, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == 1 and rows[0][field] == value


def test_export_to_a_full_disk_is_one_clear_line(tmp_path, make_study):
    study = make_study(goals=1, annotators=1)
    out = tmp_path / "export"
    out.mkdir()
    (out / "annotations.csv").symlink_to("/dev/full")
    r = CliRunner().invoke(cli, ["study", "export", "--db", str(study.store.path), "--out", str(out)])
    assert r.exit_code == 1 and "No space left on device" in " ".join(str(r.exception).split())


def test_links_files_are_replaced_owner_only_and_links_print_unbroken(tmp_path, make_study):
    study = make_study(goals=2, annotators=2)
    target = tmp_path / "elsewhere.csv"
    target.write_text("keep me\n")
    os.chmod(target, 0o644)
    links = tmp_path / "links.csv"
    links.symlink_to(target)
    r = CliRunner().invoke(cli, ["study", "links", "--db", str(study.store.path), "--all", "--links", str(links)],
                           terminal_width=60)
    assert r.exit_code == 0, r.output
    assert target.read_text() == "keep me\n"  # the link was replaced, not followed
    assert not links.is_symlink() and stat.S_IMODE(os.stat(links).st_mode) == 0o600
    written = dict(row for row in csv.reader(io.StringIO(links.read_text())))
    for name in ("annotator-01", "annotator-02"):
        assert written[name] in r.output.splitlines()[[i for i, line in enumerate(r.output.splitlines())
                                                        if name in line][0]]
    existing = tmp_path / "old.csv"
    existing.write_text("x")
    os.chmod(existing, 0o644)
    CliRunner().invoke(cli, ["study", "links", "--db", str(study.store.path), "--all", "--links", str(existing)])
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o600


def test_create_help_shows_its_defaults():
    r = CliRunner().invoke(cli, ["study", "create", "--help"], env={"COLUMNS": "200"})
    assert "[default: 3]" in r.output and "[default: 1]" in r.output and "[default: 0]" in r.output
