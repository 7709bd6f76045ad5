"""The annotation page in headless Debian Chromium: log in by link, annotate, reload, answers kept.

Uses the system browser (scripts/ensure_chromium.sh installs it); never downloads one.
"""

from __future__ import annotations

import re

from helpers.browser import ARGS, CHROMIUM, needs_chromium

PLAN = """## Approach

1. Fine-tune the model on the curated corpus with a **held-out** test split.
2. Report the mean and spread over three seeds.

<script>alert('pwned')</script>

| baseline | metric |
|---|---|
| BM25 | nDCG@10 |
"""

pytestmark = needs_chromium


def test_annotate_reload_and_keep_answers_in_chromium(make_study, serve, tmp_path):
    from PIL import Image, ImageStat
    from playwright.sync_api import expect, sync_playwright

    live = serve(make_study(goals=2, annotators=1, text_a=PLAN, text_b=PLAN.replace("three seeds", "one seed")))
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{live.url}/login/{live.study.token('annotator-01')}")
            expect(page.locator("#continue")).to_have_text(re.compile("Start item 1"))
            page.locator("#continue").click()
            expect(page.locator("h2", has_text="Research goal")).to_be_visible()

            page.check('input[name="sat_left_0"]')
            page.check('input[name="sat_right_1"]')
            for i in range(3):
                page.check(f'input[name="valid_{i}"][value="{"no" if i == 2 else "yes"}"]')
            page.fill('input[name="score_left"]', "7")
            page.fill('input[name="score_right"]', "4")
            page.locator("h2", has_text="Rubric items").click()  # leave the text field, then use a shortcut
            page.keyboard.press("2")
            page.fill('textarea[name="rationale"]', "Plan 2 justifies its baseline.")
            expect(page.locator("#save-status")).to_have_text(re.compile(r"^Saved \d"), timeout=15_000)

            page.reload()
            assert page.is_checked('input[name="sat_left_0"]') and not page.is_checked('input[name="sat_right_0"]')
            assert page.is_checked('input[name="sat_right_1"]')
            assert page.is_checked('input[name="valid_0"][value="yes"]') and page.is_checked(
                'input[name="valid_2"][value="no"]'
            )
            assert page.input_value('input[name="score_left"]') == "7"
            assert page.input_value('input[name="score_right"]') == "4"
            assert page.is_checked('input[name="preference"][value="right"]')
            assert page.input_value('textarea[name="rationale"]') == "Plan 2 justifies its baseline."
            # Model text with a script tag is shown as text and never runs.
            assert "<script>alert('pwned')</script>" in page.locator("#plan-left").inner_text()
            assert page.locator("#plan-left table").count() == 1

            shot = tmp_path / "annotation-page.png"
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(shot))

            page.locator("h2", has_text="Rubric items").click()
            page.keyboard.press("n")  # submit & next
            page.wait_for_url(re.compile(r"/item/"))
            expect(page.locator("nav span", has_text="Item 2 of 2")).to_be_visible()
        finally:
            browser.close()

    assert dialogs == []
    (ann,) = [a for a in live.study.store.annotations() if a.status == "done"]
    right = "b" if ann.left_arm == "a" else "a"
    assert ann.preference == right and ann.rationale == "Plan 2 justifies its baseline."
    assert [i.valid for i in ann.items] == [True, True, False]
    assert ann.time_spent_ms > 0

    with Image.open(shot) as img:
        assert img.size == (1366, 768)
        variance = ImageStat.Stat(img.convert("L")).var[0]
    assert variance > 100, f"screenshot looks blank (variance {variance:.1f})"
