"""The whole demo loop, timed stage by stage, then run again to time the resume.

Runs `sciplan run configs/demo.yaml` in a fresh run folder (a real subprocess, as
`make demo` runs it), reads each stage's time, calls and cost from the run's
summary, then runs the same command again: every stage should be skipped, with zero
model calls. Target: the first run within 15 minutes on a 2-core CPU machine.

    .venv/bin/python bench/demo.py [--config configs/demo.yaml] [--keep DIR]

The last line is `demo_minutes=N`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(config: Path, out: Path, env: dict[str, str]) -> tuple[float, list[dict]]:
    """(wall seconds, the run's per-stage summary) of one `sciplan run`."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sciplan.cli.main", "run", str(config), "--out", str(out)],
                          cwd=ROOT, env=env, text=True, capture_output=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"sciplan run {config} failed with exit code {proc.returncode}")
    return seconds, json.loads((out / "summary.json").read_text())


CHROMIUM = Path("/usr/bin/chromium")


def check_report(report: Path, shot: Path) -> str:
    """Open the report in headless Chromium; the before/after section's text (screenshot to `shot`)."""
    if not CHROMIUM.exists():
        return "(no /usr/bin/chromium: run scripts/ensure_chromium.sh as root)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            section = page.locator("#before-after")
            text = section.inner_text() if section.count() else ""
            section.screenshot(path=str(shot)) if section.count() else page.screenshot(path=str(shot))
        finally:
            browser.close()
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.yaml")
    parser.add_argument("--keep", type=Path, default=None, help="Write the run here (default: a temporary folder).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "demo"
        # A fresh response cache: the timing must not come from an earlier run's answers.
        env = {**os.environ, "SCIPLAN_CACHE": str(Path(tmp) / "cache"), "COLUMNS": "120"}
        first, stages = run_once(args.config, out, env)
        again, rerun = run_once(args.config, out, env)
        report = next((Path(s["outputs"]["report"]) for s in stages if s["outputs"].get("report")), None)
        shot = (args.keep or ROOT / "runs") / "demo-report-before-after.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        seen = check_report(report if report.is_absolute() else ROOT / report, shot) if report else ""
    print(f"{'stage':<10}{'seconds':>10}{'calls':>8}{'tok in':>10}{'tok out':>10}   notes")
    for s in stages:
        note = s["notes"][0] if s["notes"] else ""
        print(f"{s['name']:<10}{s['seconds']:>10.1f}{s['calls']:>8}{s['prompt_tokens']:>10}{s['completion_tokens']:>10}   {note}")
    stage_total = sum(s["seconds"] for s in stages)
    print(f"first run: {first:.0f} s wall ({stage_total:.0f} s in stages, the rest start-up)")
    print(f"second run: {again:.1f} s, {sum(s['calls'] for s in rerun)} model calls, "
          f"stages skipped: {sum(s['status'] == 'done earlier' for s in rerun)}/{len(rerun)}")
    print(f"rerun/first time ratio = {again / first:.3f}")
    print("report in headless Chromium, section 'Before and after' (screenshot: " + str(shot) + "):")
    print("  " + " | ".join(line.strip() for line in seen.splitlines() if line.strip())[:600])
    print(f"demo_minutes={first / 60:.1f}")


if __name__ == "__main__":
    main()
