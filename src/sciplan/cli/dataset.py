"""`sciplan dataset import|export|split|mix|stats|audit`: goal datasets in and out of sciplan."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.console import console
from sciplan.errors import SciplanError

app = typer.Typer(help="Goal datasets: import, export, split, mix and stats (JSONL, parquet, HF, research-plan-gen).",
                  no_args_is_help=True)

FORMAT_HELP = "jsonl, parquet, hf (save_to_disk folder), rpg (research-plan-gen layout), hub (hf://owner/name)"


def _read(path: str, fmt: str = "auto", configs: Optional[list[str]] = None, splits: Optional[list[str]] = None):
    """Goals from SOURCE; bad rows are reported and skipped."""
    from sciplan.extract import read_goals

    errors: list[str] = []
    goals = read_goals(path, format=fmt, configs=configs, splits=splits, errors=errors)  # type: ignore[arg-type]
    for e in errors[:5]:
        console.print(f"[yellow]skipped {escape(e)}[/]")
    if len(errors) > 5:
        console.print(f"[yellow]... and {len(errors) - 5} more bad rows skipped[/]")
    return goals


def _write(goals, out: Path, fmt: str, config: Optional[str] = None, split: Optional[str] = None) -> None:  # type: ignore[no-untyped-def]
    from sciplan.extract import write_goals

    written = write_goals(goals, out, format=fmt, config=config, split=split)  # type: ignore[arg-type]
    where = ", ".join(str(p) for p in written) or str(out)
    console.print(f"wrote {len(goals)} goal(s) to {escape(where)}")


@app.command("import")
def import_(
    source: str = typer.Argument(..., help="A research-plan-gen folder, a .parquet/.jsonl file, an HF folder, "
                                 "or hf://facebook/research-plan-gen (network)."),
    out: Path = typer.Option(..., "--out", "-o", help="goals.jsonl to write."),
    config: Optional[list[str]] = typer.Option(None, "--config", help="Release config(s): ml, arxiv, pubmed."),
    split: Optional[list[str]] = typer.Option(None, "--split", help="Split(s): train, test."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
) -> None:
    """Import goals (e.g. the released research-plan-gen) as Goal records."""
    goals = _read(source, fmt, config, split)
    if not goals:
        raise SciplanError(f"{source}: no goals found")
    _write(goals, out, "jsonl")


@app.command("export")
def export(
    goals: Path = typer.Argument(..., help="goals.jsonl (or any readable dataset)."),
    to: Path = typer.Option(..., "--to", help="Output file or folder (hf://owner/name with --format hub)."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    config: Optional[str] = typer.Option(None, "--config", help="rpg/hub: the config name (default: from domain)."),
    split: Optional[str] = typer.Option(None, "--split", help="rpg/hub: the split (default: the goal's, else train)."),
) -> None:
    """Export goals as JSONL, parquet, an HF dataset folder, the research-plan-gen layout, or to the hub."""
    _write(_read(str(goals)), to, fmt, config, split)


@app.command("split")
def split_cmd(
    goals: Path = typer.Argument(..., help="goals.jsonl to split."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for train.jsonl and test.jsonl."),
    by: str = typer.Option("date", "--by", help="date (cutoff), venue (tier), or random."),
    cutoff: Optional[str] = typer.Option(None, "--cutoff", help="by date: goals on/after YYYY-MM-DD are test."),
    test_tier: Optional[list[str]] = typer.Option(None, "--test-tier", help="by venue: test tiers (oral, spotlight)."),
    test_fraction: float = typer.Option(0.1, "--test-fraction", help="by random: share of papers for test."),
    seed: int = typer.Option(0, "--seed"),
    unknown: str = typer.Option("train", "--unknown", help="Goals without date/tier: train, test or drop."),
) -> None:
    """Split goals into train and test by date cutoff, venue tier, or a stable random draw."""
    from sciplan.extract import SplitConfig, split_goals

    try:
        cfg = SplitConfig(by=by, cutoff=date.fromisoformat(cutoff) if cutoff else None,
                          test_tiers=test_tier or ["oral", "spotlight"], test_fraction=test_fraction, seed=seed,
                          unknown=unknown)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SciplanError(f"invalid split options: {exc}") from None
    parts = split_goals(_read(str(goals)), cfg)
    for name, part in parts.items():
        _write(part, out / f"{name}.jsonl", "jsonl")


@app.command("mix")
def mix(
    goals: list[Path] = typer.Argument(..., help="One or more goal datasets."),
    ratio: list[str] = typer.Option(..., "--ratio", help="DOMAIN=WEIGHT, repeatable (e.g. ml=2 medical=1)."),
    out: Path = typer.Option(..., "--out", "-o", help="goals.jsonl to write."),
    n: Optional[int] = typer.Option(None, "-n", min=1, help="Total goals (default: as many as the data allows)."),
    seed: int = typer.Option(0, "--seed"),
    replace: bool = typer.Option(False, "--replace", help="Sample with replacement (needs -n)."),
) -> None:
    """Sample a training set whose domains follow the given ratios."""
    from sciplan.extract import mix_domains

    ratios: dict[str, float] = {}
    for r in ratio:
        name, _, weight = r.partition("=")
        try:
            ratios[name.strip()] = float(weight)
        except ValueError:
            raise SciplanError(f"--ratio {r!r}: use DOMAIN=WEIGHT, e.g. ml=0.5") from None
    pool = [g for path in goals for g in _read(str(path))]
    _write(mix_domains(pool, ratios, n, seed=seed, replace=replace), out, "jsonl")


@app.command("stats")
def stats(
    goals: Path = typer.Argument(..., help="goals.jsonl (or any readable dataset)."),
    embeddings: str = typer.Option("lexical", "--embeddings", help="Similarity for unrecorded leakage: lexical, "
                                   "minilm, auto, or none."),
) -> None:
    """Counts, rubric sizes, leakage rate, duplicate rate, and tokens spent per accepted goal."""
    from sciplan.extract import ExtractPaths, PaperLog, dataset_stats, get_embedder
    from sciplan.jsonl import read_jsonl, read_records

    goal_list = _read(str(goals))
    paths = ExtractPaths.beside(goals)
    log = read_records(paths.log, PaperLog) if paths.log.is_file() else None
    dropped = len({o.get("id") for o in read_jsonl(paths.duplicates)}) if paths.duplicates.is_file() else None
    embedder = None if embeddings == "none" else get_embedder(embeddings)  # type: ignore[arg-type]
    st = dataset_stats(goal_list, embedder=embedder, log=log, dropped_duplicates=dropped)

    table = Table(title=f"Dataset {goals}", title_justify="left", show_header=False, show_edge=False, pad_edge=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    table.add_row("goals", f"{st.goals} from {st.papers} paper(s); {st.with_reference} with a reference")
    table.add_row("by domain", ", ".join(f"{k} {v}" for k, v in st.by_domain.items()) or "—")
    table.add_row("by split", ", ".join(f"{k} {v}" for k, v in st.by_split.items()) or "—")
    table.add_row("rubric size", f"min {st.rubric_min}, mean {st.rubric_mean:.1f}, max {st.rubric_max} "
                  f"({', '.join(f'{k}: {v}' for k, v in st.rubric_sizes.items())})")
    if st.score_means:
        table.add_row("mean scores", ", ".join(f"{k} {v:.3f}" for k, v in st.score_means.items()))
    table.add_row("leakage rate", pct(st.leakage_rate) + (f" ({st.leakage_source})" if st.leakage_source else ""))
    dup = f"{pct(st.duplicate_rate)} ({st.duplicates} near-duplicate(s) in the dataset"
    dup += f", {st.dropped_duplicates} dropped by the stage)" if st.dropped_duplicates is not None else ")"
    table.add_row("duplicate rate", dup)
    tpg = "—" if st.tokens_per_goal is None else f"{st.tokens_per_goal:,.0f}"
    src = {"log": "all papers, from the stage's log", "goals": "accepted papers only"}.get(st.tokens_source or "", "")
    table.add_row("tokens per accepted goal", tpg + (f" ({src})" if src else ""))
    console.print(table)


@app.command("audit")
def audit(
    goals: Path = typer.Argument(..., help="goals.jsonl, or a research-plan-gen folder/parquet."),
    judge: str | None = typer.Option(None, "--judge", help="Model that judges leakage per goal (PaperGym's way); "
                                        "none: similarity only."),
    grader: str | None = typer.Option(None, "--grader", help="Model that grades each reference against its own "
                                         "rubric; none: no reference check."),
    config: Path | None = typer.Option(None, "--config", help="Audit YAML (leakage, dedup, embeddings)."),
    out: Path = typer.Option(Path("runs/audit"), "--out", "-o", help="Folder for audit.json, CSV and audit.png."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
) -> None:
    """Leakage (PaperGym-style and sciplan's check), duplicates, size and length distributions, failing references."""
    import csv
    import json

    from sciplan.cli.common import model_settings, run_async
    from sciplan.config import load_config
    from sciplan.grade import Grader, GraderConfig
    from sciplan.llm import get_model
    from sciplan.metaeval.audit import AuditConfig, audit_dataset, audit_plot

    cfg = load_config(config, AuditConfig) if config else AuditConfig()
    goal_list = _read(str(goals), fmt)
    if not goal_list:
        raise SciplanError(f"{goals}: no goals found")
    settings = model_settings()
    judge_model = get_model(judge, settings) if judge else None
    grade_with = Grader(get_model(grader, settings), GraderConfig(), stage_name="audit") if grader else None
    result = run_async(audit_dataset(goal_list, cfg, judge=judge_model, grader=grade_with))
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    with (out / "audit_domains.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(result["domains"][0]))
        w.writeheader()
        w.writerows(result["domains"])
    (out / "audit.png").write_bytes(audit_plot(result))

    pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    table = Table(title=f"Audit of {goals}", title_justify="left", show_edge=False, pad_edge=False)
    for c in ("domain", "goals", "items", "leakage (PaperGym-style)", "leakage (sciplan)", "references failing"):
        table.add_column(c, justify="left" if c == "domain" else "right")
    o = result["overall"]
    for d in [*result["domains"], {"domain": "all", **o}]:
        table.add_row(d["domain"], str(d["goals"]), str(d["items"]), pct(d["papergym_leakage"]),
                      pct(d["sciplan_leakage"]), pct(d["references_failing"]))
    console.print(table)
    console.print("published (PaperGym): " + ", ".join(f"{k} {v:.2%}" for k, v in result["published"].items()))
    dist = result["distributions"]
    console.print(f"duplicates: {o['duplicates']} ({pct(o['duplicate_rate'])}); rubric size median "
                  f"{dist['rubric_size']['median']}, item words median {dist['item_words']['median']}, goal words "
                  f"median {dist['goal_words']['median']}, reference words median {dist['reference_words']['median']}")
    console.print(f"wrote {escape(str(out / 'audit.json'))}, audit_domains.csv and audit.png")
