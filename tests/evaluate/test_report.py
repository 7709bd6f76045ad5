"""The HTML report: self-contained, model text escaped or sanitised, examples chosen by the score gap."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from sciplan.evaluate import EvalData, build_tables, comparisons, example_pairs, render_markdown, render_report


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture
def html(records) -> str:
    hostile = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    records.goals[0].text += " " + hostile
    records.goals[0].rubric[0] = "Item <script>alert('rubric')</script>"
    for g in records.grades:
        if g.goal_id == "g0" and g.items:
            g.items[0].reason = "<iframe src='http://evil'></iframe>"
    data = EvalData.build(records.goals, records.plans, records.grades)
    tables = build_tables(data)
    return render_report(
        data,
        tables,
        models=data.models,
        baseline="m:base",
        examples=6,
        guideline_names={"G1": "Specific <and> concrete"},
        files=["tables/scores.csv"],
    )


def test_no_script_or_active_content_survives(html):
    tags = _Tags()
    tags.feed(html)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "iframe" not in names
    assert not any(k.startswith("on") for _, attrs in tags.tags for k in attrs)
    # The model's text is there, as text.
    assert "&lt;script&gt;window.__pwned = 1; alert('pwned')&lt;/script&gt;" in html
    assert "Item &lt;script&gt;alert(&#39;rubric&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;iframe" in html and "Specific &lt;and&gt; concrete" in html


def test_self_contained(html):
    tags = _Tags()
    tags.feed(html)
    imgs = [a["src"] for t, a in tags.tags if t == "img"]
    assert len(imgs) == 5 and all(src.startswith("data:image/png;base64,") for src in imgs)
    # Nothing is fetched from elsewhere: no external src, no stylesheet links.
    assert not any("src" in a and not a["src"].startswith("data:") for _, a in tags.tags)
    assert not any(t == "link" for t, _ in tags.tags)
    assert 'href="tables/scores.csv"' in html
    assert "Content-Security-Policy" in html


def test_markdown_is_rendered_then_sanitised():
    out = render_markdown(
        "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[x](javascript:alert(1)) [y](http://e.x) "
        "![i](http://e.x/i.png) <b onclick=x>hi</b>"
    )
    assert "<h1>Title</h1>" in out and "<table>" in out
    # No links or images (nothing to click or fetch); raw HTML stays text.
    assert "<a" not in out and "<img" not in out and "href" not in out
    assert "&lt;b onclick=x&gt;hi&lt;/b&gt;" in out


def test_examples_are_the_goals_with_the_largest_gap(records):
    data = EvalData.build(records.goals, records.plans, records.grades)
    pairs = example_pairs(data, data.models, "m:base", 2)
    jury = data.goal_scores()
    gaps = (jury["m:tuned"] - jury["m:base"]).abs().sort_values(ascending=False, kind="stable")
    assert [p["goal"]["id"] for p in pairs] == list(gaps.index[:2]) or sorted(
        abs(gaps[p["goal"]["id"]]) for p in pairs
    ) == sorted(gaps.iloc[:2])
    left, right = pairs[0]["left"], pairs[0]["right"]
    assert left["model"] == "m:base" and right["model"] == "m:tuned"
    assert {v["judge"] for v in right["verdicts"]} == {"j:one", "j:two"}
    assert [r["number"] for r in right["verdicts"][0]["rows"]] == [1, 2, 3, 4]
    # One model alone: its plans are the examples.
    solo = example_pairs(
        EvalData.build(records.goals, [p for p in records.plans if p.model == "m:base"], records.grades),
        ["m:base"],
        "m:base",
        3,
    )
    assert len(solo) == 3 and all(p["right"] is None for p in solo)


def test_report_states_failures_and_levels(records, make_grade):
    goal, plan = records.goals[0], records.plans[0]
    records.grades.append(make_grade(goal, plan, "j:three", [True] * 4, failed=True))
    data = EvalData.build(records.goals, records.plans, records.grades)
    html = render_report(data, build_tables(data), models=data.models, baseline="m:base", settings={"level": 0.9})
    # Failures both ways, with the commonest reason.
    assert re.search(r"1 failed</span>: left out of <code>mean</code>, counted as 0 in <code>mean_failed_as_0</code>", html)
    assert "could not parse (1)" in html and "mean_failed_as_0" in html
    assert "90% percentile bootstrap" in html
    assert "<code>j:three</code>" in html


def test_before_and_after_states_the_comparison_with_the_baseline(hand):
    data = EvalData.build(hand.goals, hand.plans, hand.grades)
    tables = build_tables(data, models=["A", "B"], baseline="A")
    (c,) = comparisons(data, tables, ["A", "B"], "A")
    # Jury per goal: A .5/.25/.25 -> B 1/.25/.75.
    assert [(g["goal_id"], g["baseline"], g["model"]) for g in c["goals"]] == [
        ("g1", 0.5, 1.0),
        ("g2", 0.25, 0.25),
        ("g3", 0.25, 0.75),
    ]
    assert (c["wins"]["wins"], c["wins"]["ties"], c["wins"]["losses"]) == (2, 1, 0)
    assert c["improvement"]["relative_improvement"] == pytest.approx(1.0)
    html = render_report(data, tables, models=["A", "B"], baseline="A")
    section = html[html.index('id="before-after"') : html.index('id="scores"')]
    assert "0.333 → 0.667" in section and "(+0.333)" in section and "+100.0%" in section
    assert "better on 2</span>, equal on 1" in section and "win rate 83.3%" in section
    assert "sign test p = 0.5000" in section and "<img" in section
    solo = render_report(data, build_tables(data, models=["A"]), models=["A"], baseline="A")
    assert "Only one model was evaluated" in solo[solo.index('id="before-after"') : solo.index('id="scores"')]
