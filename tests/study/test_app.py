"""The web app over real HTTP on 127.0.0.1: logins, saving, isolation, CSRF, escaping, admin."""

from __future__ import annotations

import json
import threading

import httpx

SCRIPT = "<script>alert('pwned')</script>"


def answer_form(csrf: str, n_items: int = 3, **fields: str) -> dict[str, str]:
    """A complete answer: Plan 1 preferred, scores 8 and 5, every item valid, item 0 ticked for Plan 1."""
    form = {
        "csrf": csrf,
        "preference": "left",
        "score_left": "8",
        "score_right": "5",
        "rationale": "Plan 1 has a held-out set.",
        "time_ms": "60000",
        "sat_left_0": "1",
    }
    form.update({f"valid_{i}": "yes" for i in range(n_items)})
    form.update(fields)
    return form


def test_login_link_sets_a_session_and_bad_links_are_refused(make_study, serve):
    live = serve(make_study(goals=3, annotators=1))
    with live.client() as anon:
        assert anon.get("/").status_code == 401
        bad = anon.get("/login/not-a-real-token")
        assert bad.status_code == 403 and "not valid" in bad.text
    with live.client() as c:
        r = c.get(f"/login/{live.study.token('annotator-01')}")
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        home = c.get("/")
        assert home.status_code == 200 and "annotator-01" in home.text and "Start item 1" in home.text
        assert len(live.item_ids(home.text)) == 3


def test_answers_are_saved_and_shown_again_in_blinded_sides(make_study, serve):
    live = serve(make_study(goals=2, annotators=1))
    with live.client("annotator-01") as c:
        first = live.item_ids(c.get("/").text)[0]
        page = c.get(f"/item/{first}").text
        r = c.post(f"/item/{first}", data=answer_form(live.csrf_of(page), action="save"))
        assert r.status_code == 303 and r.headers["location"] == f"/item/{first}"
        again = c.get(f"/item/{first}").text
        assert 'name="sat_left_0" value="1" aria-label="Plan 1 satisfies item 1" checked' in again
        assert 'name="sat_right_0" value="1" aria-label="Plan 2 satisfies item 1">' in again
        assert (
            'value="left" checked' in again
            and 'name="score_left" min="1" max="10" step="1" inputmode="numeric" value="8"' in again
        )
        assert "Plan 1 has a held-out set." in again
    (ann,) = live.study.store.annotations()
    left = ann.left_arm
    right = "b" if left == "a" else "a"
    # Stored per arm: whatever side an arm was shown on, its answers follow it.
    assert ann.preference == left
    assert getattr(ann, f"score_{left}") == 8 and getattr(ann, f"score_{right}") == 5
    assert getattr(ann.items[0], f"satisfied_{left}") and not getattr(ann.items[0], f"satisfied_{right}")
    assert [i.valid for i in ann.items] == [True, True, True]
    assert ann.time_spent_ms == 60000 and ann.status == "started"


def test_submit_moves_on_resume_and_incomplete_submit_says_what_is_missing(make_study, serve):
    live = serve(make_study(goals=3, annotators=1))
    with live.client("annotator-01") as c:
        ids = live.item_ids(c.get("/").text)
        csrf = live.csrf_of(c.get(f"/item/{ids[0]}").text)
        partial = c.post(f"/item/{ids[0]}", data={"csrf": csrf, "preference": "right", "action": "submit"})
        assert partial.headers["location"] == f"/item/{ids[0]}?incomplete=1"
        warned = c.get(partial.headers["location"]).text
        assert "Still needed: both overall scores; validity of rubric item 1, 2, 3" in warned
        done = c.post(f"/item/{ids[0]}", data=answer_form(csrf, action="submit"))
        assert done.headers["location"] == f"/item/{ids[1]}"
        # Resume: the home page continues with the first item not yet done.
        c.post(f"/item/{ids[1]}", data={"csrf": csrf, "rationale": "half way", "action": "save"})
        home = c.get("/").text
        assert f'id="continue" href="/item/{ids[1]}"' in home and "Continue with item 2" in home
        assert "1 of 3 done" in home


def test_autosave_answers_json_and_rejects_bad_scores(make_study, serve):
    live = serve(make_study(goals=1, annotators=1))
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        csrf = live.csrf_of(c.get(f"/item/{item}").text)
        headers = {"X-Autosave": "1", "X-CSRF-Token": csrf}
        r = c.post(f"/item/{item}", data={"preference": "left"}, headers=headers)
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "started" and body["missing"][0] == "both overall scores"
        bad = c.post(f"/item/{item}", data={"score_left": "11"}, headers=headers)
        assert bad.status_code == 422 and "1 to 10" in bad.json()["error"]
    assert live.study.store.annotations()[0].preference is not None


def test_twenty_annotators_saving_at_once_lose_nothing(make_study, serve):
    live = serve(make_study(goals=20, annotators=20, per_goal=1))
    names = live.study.names
    clients = {n: live.client(n) for n in names}
    targets = {}
    for n, c in clients.items():
        (item,) = live.item_ids(c.get("/").text)
        targets[n] = (item, live.csrf_of(c.get(f"/item/{item}").text))
    rounds = 5
    start = threading.Barrier(len(names))
    errors: list[str] = []

    def work(n: str) -> None:
        item, csrf = targets[n]
        k = names.index(n)
        start.wait()
        for r in range(rounds):
            form = answer_form(
                csrf,
                rationale=f"{n} round {r}",
                score_left=str(1 + (k + r) % 10),
                time_ms=str(1000 * (r + 1)),
                action="save",
            )
            resp = clients[n].post(f"/item/{item}", data=form, headers={"X-Autosave": "1"})
            if resp.status_code != 200:
                errors.append(f"{n}: {resp.status_code} {resp.text}")

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in clients.values():
        c.close()
    assert errors == []
    got = {a.annotator: a for a in live.study.store.annotations()}
    assert len(got) == 20
    for k, n in enumerate(names):
        a = got[n]
        left = a.left_arm
        assert a.rationale == f"{n} round {rounds - 1}"
        assert getattr(a, f"score_{left}") == 1 + (k + rounds - 1) % 10
        assert a.time_spent_ms == 1000 * rounds
    with live.study.store._connect() as con:  # every single save was recorded
        assert [r[0] for r in con.execute("SELECT saves FROM assignments")] == [rounds] * 20


def test_an_annotator_cannot_read_or_write_another_annotators_item(make_study, serve):
    live = serve(make_study(goals=2, annotators=2, text_a="Secret plan of arm a", text_b="Secret plan of arm b"))
    with live.client("annotator-01") as alice, live.client("annotator-02") as bob:
        (alice_item,) = live.item_ids(alice.get("/").text)
        alice.post(
            f"/item/{alice_item}", data=answer_form(live.csrf_of(alice.get(f"/item/{alice_item}").text), action="save")
        )
        (bob_item,) = live.item_ids(bob.get("/").text)
        bob_csrf = live.csrf_of(bob.get(f"/item/{bob_item}").text)

        peek = bob.get(f"/item/{alice_item}")
        assert peek.status_code == 404 and "Secret plan" not in peek.text
        write = bob.post(
            f"/item/{alice_item}", data=answer_form(bob_csrf, rationale="overwritten by bob", action="save")
        )
        assert write.status_code == 404
        auto = bob.post(f"/item/{alice_item}", data={"csrf": bob_csrf, "rationale": "x"}, headers={"X-Autosave": "1"})
        assert auto.status_code == 404
    by = {a.annotator: a for a in live.study.store.annotations()}
    assert by["annotator-01"].rationale == "Plan 1 has a held-out set."
    assert "annotator-02" not in by  # bob's attempts wrote nothing anywhere


def test_a_post_without_the_right_csrf_token_fails(make_study, serve):
    live = serve(make_study(goals=2, annotators=2))
    with live.client("annotator-01") as alice, live.client("annotator-02") as bob:
        (item,) = live.item_ids(alice.get("/").text)
        good = live.csrf_of(alice.get(f"/item/{item}").text)
        bob_csrf = live.csrf_of(bob.get("/").text)
        forged = answer_form("", action="save")
        del forged["csrf"]
        assert alice.post(f"/item/{item}", data=forged).status_code == 403
        assert alice.post(f"/item/{item}", data=answer_form("0" * 64, action="save")).status_code == 403
        # Another login's token is no good either: tokens are bound to the session.
        assert alice.post(f"/item/{item}", data=answer_form(bob_csrf, action="save")).status_code == 403
        assert alice.post("/logout", data={}).status_code == 403
        assert live.study.store.annotations() == []
        assert alice.post(f"/item/{item}", data=answer_form(good, action="save")).status_code == 303
        assert len(live.study.store.annotations()) == 1


def test_a_plan_with_a_script_is_shown_as_text(make_study, serve):
    live = serve(
        make_study(
            goals=1,
            annotators=1,
            text_a=f"Step 1. {SCRIPT}\n\n<img src=x onerror=alert(1)>",
            text_b=f"[click](javascript:alert(1)) {SCRIPT}",
        )
    )
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        r = c.get(f"/item/{item}")
    html = r.text
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img" not in html and 'href="javascript' not in html
    assert html.count("<script") == 1  # only our own static script tag
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_the_admin_view_needs_the_admin_token(make_study, serve):
    live = serve(make_study(goals=4, annotators=2, per_goal=2))
    with live.client("annotator-01") as annotator:
        assert annotator.get("/admin").status_code == 401
        assert annotator.get("/admin/export.jsonl").status_code == 401
        (item, *_) = live.item_ids(annotator.get("/").text)
        csrf = live.csrf_of(annotator.get(f"/item/{item}").text)
        annotator.post(f"/item/{item}", data=answer_form(csrf, action="submit"))
    with live.client() as anon:
        assert anon.get("/admin").status_code == 401
    with live.client(admin=True) as admin:
        page = admin.get("/admin")
        assert page.status_code == 200
        assert "4 goals · 2 annotators · 8 assignments" in page.text
        assert "1 done, 0 in progress, 7 not started" in page.text
        exported = [json.loads(line) for line in admin.get("/admin/export.jsonl").text.splitlines()]
        assert [(e["annotator"], e["status"]) for e in exported] == [("annotator-01", "done")]
        csv_text = admin.get("/admin/export.csv").text
        assert csv_text.splitlines()[0].startswith("id,annotator,goal_id")
        # The admin cookie is not an annotator's session.
        assert admin.get("/", follow_redirects=False).headers["location"] == "/admin"


def test_static_files_are_served_locally(make_study, serve):
    live = serve(make_study(goals=1, annotators=1))
    with httpx.Client(base_url=live.url, trust_env=False) as c:
        js, css = c.get("/static/study.js"), c.get("/static/study.css")
    assert js.status_code == 200 and "sendBeacon" in js.text
    assert css.status_code == 200 and ".plans" in css.text
    assert "http" not in js.text.replace("HTTP ", "")  # nothing fetched from elsewhere
