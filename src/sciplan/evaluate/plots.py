"""The report's figures as PNG bytes (matplotlib, Agg, no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display anywhere sciplan runs; set before any figure is made

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sciplan.evaluate.frames import ALL, JURY  # noqa: E402

__all__ = ["guideline_bars", "paired_scores", "score_bars", "score_distributions", "short_names", "win_heatmap"]

_DPI = 110


def short_names(models: Sequence[str]) -> dict[str, str]:
    """Display names: the server URL dropped, cut to 32 characters, unless that makes two equal."""
    short = {m: m.split("@", 1)[0] for m in models}
    short = {m: (s if len(s) <= 32 else "…" + s[-31:]) for m, s in short.items()}
    if len(set(short.values())) < len(short):
        short = {m: m for m in models}
    return short


def _label(text: str) -> str:
    # A `$` in a model name would switch matplotlib to math mode.
    return text.replace("$", r"\$")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    return buf.getvalue()


def _empty(message: str) -> bytes:
    fig = Figure(figsize=(6, 1.2))
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555")
    return _png(fig)


def score_bars(scores: pd.DataFrame, models: Sequence[str], judges: Sequence[str]) -> bytes:
    """Mean score per model for each judge and the jury (all domains), with CI error bars."""
    s = scores[(scores.domain == ALL) & scores["mean"].notna()]
    if s.empty:
        return _empty("no scores")
    names = short_names(models)
    raters = [*judges, JURY]
    width = 0.8 / len(raters)
    fig = Figure(figsize=(max(6.0, 1.6 * len(models) * max(1, len(raters) / 2)), 3.8))
    ax = fig.add_subplot()
    x = np.arange(len(models))
    for k, rater in enumerate(raters):
        r = s[s.judge == rater].set_index("model").reindex(list(models))
        mean = r["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - r.ci_low.to_numpy(dtype=float), r.ci_high.to_numpy(dtype=float) - mean])
        bars = ax.bar(
            x + (k - (len(raters) - 1) / 2) * width,
            mean,
            width,
            yerr=np.nan_to_num(err),
            capsize=3,
            label=_label(short_names([rater])[rater]),
            color="#333" if rater == JURY else None,
            alpha=1.0 if rater == JURY else 0.75,
        )
        ax.bar_label(bars, labels=["" if np.isnan(v) else f"{v:.2f}" for v in mean], fontsize=7, padding=2)
    ax.set_xticks(x, [_label(names[m]) for m in models], rotation=15, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (share of rubric items satisfied)")
    ax.legend(fontsize=8, frameon=False, ncols=min(4, len(raters)))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return _png(fig)


def win_heatmap(matrix: pd.DataFrame, models: Sequence[str]) -> bytes:
    """Jury win rate of each row model over each column model (ties half)."""
    if len(models) < 2 or matrix.empty:
        return _empty("one model: no win rates")
    names = short_names(models)
    grid = np.full((len(models), len(models)), np.nan)
    pos = {m: i for i, m in enumerate(models)}
    for row in matrix.itertuples(index=False):
        if row.model in pos and row.opponent in pos and row.win_rate is not None:
            grid[pos[row.model], pos[row.opponent]] = row.win_rate
    side = 1.2 + 1.1 * len(models)
    fig = Figure(figsize=(side + 1.5, side))
    ax = fig.add_subplot()
    im = ax.imshow(grid, vmin=0, vmax=1, cmap="RdBu")
    for i in range(len(models)):
        for j in range(len(models)):
            text = "—" if np.isnan(grid[i, j]) else f"{grid[i, j]:.0%}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=10,
                color="white" if not np.isnan(grid[i, j]) and abs(grid[i, j] - 0.5) > 0.3 else "black",
            )
    labels = [_label(names[m]) for m in models]
    ax.set_xticks(range(len(models)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(models)), labels)
    ax.set_xlabel("opponent")
    ax.set_ylabel("model")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="win rate")
    return _png(fig)


def guideline_bars(guidelines: pd.DataFrame, models: Sequence[str], names: dict[str, str] | None = None) -> bytes:
    """Share of the jury's item verdicts violating each guideline, one bar per model."""
    g = guidelines[guidelines.judge == JURY]
    if g.empty:
        return _empty("no rubric-item verdicts")
    ids = list(dict.fromkeys(g.guideline))
    names = names or {}
    width = 0.8 / len(models)
    fig = Figure(figsize=(max(6.0, 1.1 * len(ids) * max(1, len(models) / 2)), 3.8))
    ax = fig.add_subplot()
    x = np.arange(len(ids))
    short = short_names(models)
    for k, model in enumerate(models):
        r = g[g.model == model].set_index("guideline").reindex(ids)
        ax.bar(x + (k - (len(models) - 1) / 2) * width, r.rate.to_numpy(dtype=float), width, label=_label(short[model]))
    ax.set_xticks(x, [_label(f"{i} {names[i]}" if i in names else i) for i in ids], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of item verdicts violating it")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return _png(fig)


def score_distributions(scores: pd.DataFrame, models: Sequence[str]) -> bytes:
    """Jury score of every plan, per model: a box plot with the plans as jittered points."""
    s = scores[(scores.judge == JURY) & scores.score.notna()]
    if s.empty:
        return _empty("no scores")
    short = short_names(models)
    data = [s[s.model == m].score.to_numpy(dtype=float) for m in models]
    fig = Figure(figsize=(max(6.0, 1.4 * len(models)), 3.6))
    ax = fig.add_subplot()
    ax.boxplot([d if d.size else [np.nan] for d in data], showfliers=False, widths=0.5)
    rng = np.random.default_rng(0)  # fixed jitter: the same report twice looks the same
    for k, d in enumerate(data, start=1):
        ax.scatter(k + rng.uniform(-0.12, 0.12, d.size), d, s=14, alpha=0.6, zorder=3)
    ax.set_xticks(range(1, len(models) + 1), [_label(short[m]) for m in models], rotation=15, ha="right")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("jury score per plan")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return _png(fig)


def paired_scores(goal_scores: pd.DataFrame, baseline: str, models: Sequence[str]) -> bytes:
    """Before/after per goal: a line from the baseline's jury score to each model's, one panel per model."""
    others = [m for m in models if m != baseline and m in goal_scores and baseline in goal_scores]
    if not others:
        return _empty("one model: nothing to compare with the baseline")
    short = short_names([baseline, *others])
    fig = Figure(figsize=(max(4.5, 3.6 * len(others)), 3.8))
    axes = fig.subplots(1, len(others), squeeze=False)[0]
    for ax, model in zip(axes, others, strict=False):
        both = goal_scores[[baseline, model]].dropna()
        for before, after in both.itertuples(index=False):
            d = after - before
            color = "#137333" if d > 1e-9 else "#b3261e" if d < -1e-9 else "#888"
            ax.plot([0, 1], [before, after], color=color, alpha=0.7, marker="o", markersize=4)
        if len(both):
            ax.plot(
                [0, 1], [both[baseline].mean(), both[model].mean()], color="#111", linewidth=3, marker="s", label="mean"
            )
            ax.legend(fontsize=8, frameon=False, loc="upper left")
        ax.set_xticks([0, 1], [_label(short[baseline]), _label(short[model])], rotation=10)
        ax.set_xlim(-0.3, 1.3)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(f"{len(both)} goals", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0].set_ylabel("jury score per goal")
    return _png(fig)
