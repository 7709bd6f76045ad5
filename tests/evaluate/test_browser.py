"""The report of a real evaluation in headless Debian Chromium: it renders, and model markup stays text.

Uses the system browser (scripts/ensure_chromium.sh installs it); never downloads one.
"""

from __future__ import annotations

import pytest

from helpers.browser import ARGS, CHROMIUM, needs_chromium

pytestmark = [
    pytest.mark.model,
    needs_chromium,
]


def test_report_renders_in_chromium_and_a_script_in_a_plan_is_text(real_eval, tmp_path):
    from PIL import Image, ImageStat
    from playwright.sync_api import sync_playwright

    report = real_eval.out / "report.html"
    dialogs: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")

            assert page.title() == "sciplan evaluation"
            # Every figure decoded (an embedded PNG that failed would have naturalWidth 0).
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(widths) >= 3 and min(widths) > 100  # one model: no win-rate matrix

            # The seeded plan's <script> is shown as text, is no element, and never ran.
            plan = page.locator(f'.plan-text[data-plan-id="{real_eval.hostile_plan_id}"]')
            assert "<script>window.__pwned = 1; alert('pwned')</script>" in plan.inner_text()
            assert plan.locator("table").count() == 1  # the plan's Markdown table is rendered
            assert page.locator("script").count() == 0
            assert page.evaluate("typeof window.__pwned") == "undefined" and dialogs == []
            # Self-contained: nothing but the file itself and its data: images was requested.
            assert all(u.startswith(("file://", "data:")) for u in requests)

            # The verdicts of the real grades are in the page.
            page.locator(".verdict summary").first.click()
            assert "local:smollm2" in page.locator(".verdict").first.inner_text()

            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    img = Image.open(shot).convert("L")
    assert img.height > 1500
    # Not blank: the page has text, figures and tables, so the pixels vary a lot.
    assert max(ImageStat.Stat(img).var) > 500
    top = img.crop((0, 0, img.width, 900))
    assert len(top.getcolors(256) or []) > 20  # grey levels in the first screen
