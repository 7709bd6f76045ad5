"""The figures are real, non-blank PNGs, also for odd model names and empty inputs."""

from __future__ import annotations

import io

from PIL import Image, ImageStat

from sciplan.evaluate import JURY, EvalData, build_tables
from sciplan.evaluate.plots import (
    guideline_bars,
    paired_scores,
    score_bars,
    score_distributions,
    short_names,
    win_heatmap,
)


def _check_png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.width > 200 and img.height > 80
    # Not a blank canvas: the pixels vary.
    assert max(ImageStat.Stat(img.convert("L")).var) > 50
    return img


def test_every_figure_renders(records):
    data = EvalData.build(records.goals, records.plans, records.grades)
    t = build_tables(data, stats=None)
    models, judges = data.models, data.judges
    for png in (
        score_bars(t.scores, models, judges),
        win_heatmap(t.win_matrix, models),
        guideline_bars(t.guidelines, models, {"G1": "Specific and concrete"}),
        score_distributions(data.scores, models),
        paired_scores(data.goal_scores(JURY), "m:base", models),
    ):
        _check_png(png)


def test_dollar_signs_and_long_names_do_not_break_figures(records):
    odd = {"m:base": "openai:$cheap$@http://127.0.0.1:9/v1", "m:tuned": "hf:/very/long/path/" + "x" * 60}
    for p in records.plans:
        p.model = odd[p.model]
    data = EvalData.build(records.goals, records.plans, records.grades)
    t = build_tables(data)
    _check_png(score_bars(t.scores, data.models, data.judges))
    _check_png(win_heatmap(t.win_matrix, data.models))
    names = short_names(data.models)
    assert names[odd["m:base"]] == "openai:$cheap$" and len(names[odd["m:tuned"]]) == 32


def test_empty_inputs_render_a_message_not_an_error(records):
    data = EvalData.build(records.goals, [], [])
    t = build_tables(data)
    _check_png(score_bars(t.scores, [], []))
    _check_png(win_heatmap(t.win_matrix, ["only"]))
    _check_png(guideline_bars(t.guidelines, []))
    _check_png(paired_scores(data.goal_scores(JURY), "only", ["only"]))
