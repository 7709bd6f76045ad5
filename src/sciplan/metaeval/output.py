"""Metaeval output: JSON and CSV tables, plots, the plain verdict, and the HTML report section."""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sciplan.evaluate.plots import _empty, _label, _png, short_names  # sets the Agg backend first

__all__ = ["auc_bars", "section", "separation_verdict", "uplift_plot", "verdict_of", "write_tables"]

TABLES = ("summary", "families", "uplift")


def separation_verdict(grader: str, value: float | None, same_score: float | None = None) -> str:
    """One plain sentence on how well a grader separates references from degraded plans.

    `same_score`: the one score the grader gave every plan, when it gave only one.
    """
    if value is None:
        return f"{grader}: no AUC (no usable grades of both references and degraded plans)."
    if same_score is not None:
        return (f"{grader} does not separate good plans from bad: it gave every plan the same score "
                f"({same_score:.2f}), so its AUC is {value:.2f}, chance; its scores are no evidence of plan quality.")
    if value >= 0.9:
        word = "separates good plans from bad well"
    elif value >= 0.75:
        word = "separates good plans from bad moderately"
    elif value >= 0.6:
        word = "separates good plans from bad only weakly"
    elif value > 0.4:
        word = "does not separate good plans from bad: it is near chance, so its scores are no evidence of plan quality"
    else:
        word = "ranks degraded plans above the references: its scores run against plan quality"
    return f"{grader} {word} (AUC {value:.2f} of references vs degraded plans; 0.5 is chance, 1 is perfect)."


def verdict_of(grader: str, summary: dict[str, Any]) -> str:
    """`separation_verdict` from a grader's summary figures."""
    same = summary.get("reference_mean") if summary.get("distinct_scores") == 1 else None
    return separation_verdict(grader, summary.get("grader_auc"), same)


def _rows(result: dict[str, Any], table: str) -> list[dict[str, Any]]:
    out = []
    for grader, figs in result["graders"].items():
        rows = [figs["summary"]] if table == "summary" else figs[table]
        out += [{"grader": grader, **r} for r in rows]
    return out


def write_tables(result: dict[str, Any], out: Path) -> list[Path]:
    """metaeval.json and one CSV per table (summary, families, uplift); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "metaeval.json"]
    paths[0].write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    for table in TABLES:
        rows = _rows(result, table)
        path = out / f"metaeval_{table}.csv"
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def auc_bars(result: dict[str, Any]) -> bytes:
    """AUC of the reference vs each corruption family, one bar group per grader; chance marked."""
    graders = list(result["graders"])
    fams = [f["family"] for f in next(iter(result["graders"].values()), {"families": []})["families"]
            if f["family"] != "reference"]
    if not graders or not fams:
        return _empty("no grades to plot")
    names = short_names(graders)
    fig = Figure(figsize=(max(6.0, 1.1 * len(fams) + 2), 3.4))
    ax = fig.add_subplot()
    width = 0.8 / len(graders)
    for gi, g in enumerate(graders):
        by = {f["family"]: f["auc"] for f in result["graders"][g]["families"]}
        vals = [float(by[f]) if by.get(f) is not None else float("nan") for f in fams]
        ax.bar([i + gi * width for i in range(len(fams))], vals, width, label=_label(names[g]))
    ax.axhline(0.5, color="#888", linestyle="--", linewidth=1)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(fams))], [_label(f) for f in fams], rotation=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel("AUC (reference vs variant)")
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def uplift_plot(result: dict[str, Any]) -> bytes:
    """Score change vs the reference with its CI, per family / injection style, scanner on and off."""
    rows = [r for r in _rows(result, "uplift") if r["uplift"] is not None]
    if not rows:
        return _empty("no uplift to plot")
    names = short_names(list(result["graders"]))
    fig = Figure(figsize=(7.0, 0.3 * len(rows) + 1.2))
    ax = fig.add_subplot()
    labels = []
    for i, r in enumerate(rows):
        lo = r["uplift"] - (r["ci_low"] if r["ci_low"] is not None else r["uplift"])
        hi = (r["ci_high"] if r["ci_high"] is not None else r["uplift"]) - r["uplift"]
        ax.errorbar(r["uplift"], i, xerr=[[lo], [hi]], fmt="o", color="#1a73e8" if r["scanner"] else "#b3261e")
        labels.append(_label(f"{names[r['grader']]} {r['family']}/{r['style']} "
                             f"{'scanner' if r['scanner'] else 'no scanner'}"))
    ax.axvline(0, color="#888", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.set_xlabel("score change vs the reference (mean over goals, CI)")
    return _png(fig)


def _uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _table(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"columns": list(dict.fromkeys(k for r in rows for k in r)), "rows": list(rows)}


def section(result: dict[str, Any]) -> dict[str, Any]:
    """The report section's context: verdicts, three tables, two plots (data URIs)."""
    return {
        "verdicts": [verdict_of(g, f["summary"]) for g, f in result["graders"].items()],
        "goals": result.get("goals", 0),
        "variants": result.get("variants", 0),
        "summary": _table(_rows(result, "summary")),
        "families": _table(_rows(result, "families")),
        "uplift": _table(_rows(result, "uplift")),
        "figures": {"auc": _uri(auc_bars(result)), "uplift": _uri(uplift_plot(result))},
    }
