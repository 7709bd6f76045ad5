"""`sciplan study ...`: build, serve, export and analyze a human expert study.

The web stack is imported inside the commands, so other `sciplan` commands start fast.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.console import console, err_console, safe
from sciplan.errors import SciplanError

app = typer.Typer(
    help="The human expert study: blinded pairwise comparison of plans in the browser.", no_args_is_help=True
)

DB = typer.Option(Path("study.sqlite"), "--db", help="The study database.")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _p(x: float | None) -> str:
    return "—" if x is None else ("< 0.0001" if x < 1e-4 else f"{x:.4f}")


def _print_links(links: dict[str, str], title: str) -> None:
    # One line per link, never folded or cropped whatever the width: a copied link must work.
    console.print(f"[bold]{escape(title)}[/]")
    width = max((len(n) for n in links), default=0)
    for name, link in links.items():
        console.print(f"  {safe(name.ljust(width))}  {safe(link)}", soft_wrap=True, highlight=False)


def _write_links(path: Path, links: dict[str, str]) -> None:
    """Write the links CSV as a new owner-only file that replaces `path` (a link there is replaced, not followed)."""
    # The links are the only copy of the tokens: keep the file private to its owner.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["who", "link"])
            writer.writerows(links.items())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("create")
def create(
    goals: Path = typer.Option(..., "--goals", help="JSONL of Goal records (with rubrics)."),
    plans_a: Path = typer.Option(..., "--plans-a", help="JSONL of Plan records of arm a (e.g. the finetuned model)."),
    plans_b: Path = typer.Option(..., "--plans-b", help="JSONL of Plan records of arm b (e.g. the initial model)."),
    annotators: int = typer.Option(None, "--annotators", help="Number of annotators \\[default: 3]."),
    per_goal: int = typer.Option(None, "--per-goal", help="Annotators per goal \\[default: 1]."),
    db: Path = DB,
    config: Path = typer.Option(None, "--config", help="YAML StudyConfig (title, instructions, names, ...)."),
    limit: int = typer.Option(None, "--limit", help="Use at most this many goals (seeded random sample)."),
    seed: int = typer.Option(None, "--seed", help="Seed of the assignment and blinding \\[default: 0]."),
    title: str = typer.Option(None, "--title", help="Title shown to annotators."),
    base_url: str = typer.Option(
        None, "--base-url", help="Where annotators reach the server \\[default: http://127.0.0.1:8000]."
    ),
    links: Path = typer.Option(None, "--links", help="Also write the login links to this CSV file (mode 600)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing study database."),
) -> None:
    """Build a study: pair plans per goal, assign goals to annotators, print login links."""
    from pydantic import ValidationError

    from sciplan.config import load_config
    from sciplan.study import StudyConfig, create_study_from_files

    overrides = dict(annotators=annotators, per_goal=per_goal, limit=limit, seed=seed, title=title, base_url=base_url)
    if config is not None:
        cfg = load_config(config, StudyConfig, **overrides)
    else:
        try:
            cfg = StudyConfig(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise SciplanError("invalid study options: " + "; ".join(e["msg"] for e in exc.errors())) from None
    created = create_study_from_files(db, goals, plans_a, plans_b, cfg, force=force)
    for note in created.skipped:
        err_console.print(f"[yellow]skipped:[/] {escape(note)}", highlight=False)
    for gid, found in created.flagged.items():
        err_console.print(f"[yellow]breaks blinding:[/] goal {escape(gid)}: {escape('; '.join(found))}", highlight=False)
    if created.attention:
        console.print(f"Added {created.attention} attention items to every annotator's queue.")
    console.print(
        f"Wrote [bold]{escape(str(created.path))}[/]: {created.goals} goals, {len(created.links)} annotators, "
        f"{created.assignments} assignments ({cfg.per_goal} per goal)."
    )
    everyone = {**created.links, "admin": created.admin_link}
    _print_links(everyone, "Login links (shown only now; `sciplan study links` issues new ones)")
    if links is not None:
        _write_links(links, everyone)
        console.print(f"Wrote the links to [bold]{escape(str(links))}[/].")
    console.print(f"Next: [bold]sciplan study serve --db {escape(str(db))}[/]")


@app.command("serve")
def serve(
    db: Path = DB,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, "--port"),
    root_path: str = typer.Option("", "--root-path", help="Path prefix behind a reverse proxy, e.g. /study."),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", "--forwarded-allow-ips",
        help="Proxies trusted for X-Forwarded-Proto/-For (comma-separated IPs, or '*'): name an HTTPS proxy on "
             "another host so login cookies are marked Secure."),
) -> None:
    """Run the study's web app until Ctrl+C."""
    from sciplan.study import ServeConfig, StudyStore
    from sciplan.study import serve as run

    store = StudyStore(db)
    counts = store.counts()
    console.print(
        f"Serving [bold]{escape(store.config().title)}[/] ({counts['goals']} goals, {counts['annotators']} annotators) "
        f"on http://{host}:{port}{root_path}  (Ctrl+C to stop)"
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            "[yellow]Login links carry secrets: put the server behind HTTPS (a reverse proxy) "
            "when it is reachable by others.[/]"
        )
    run(db, ServeConfig(host=host, port=port, root_path=root_path, forwarded_allow_ips=forwarded_allow_ips))


@app.command("links")
def relink(
    db: Path = DB,
    annotator: list[str] = typer.Option(None, "--annotator", help="Annotator name (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="Every annotator."),
    admin: bool = typer.Option(False, "--admin", help="The admin link."),
    links: Path = typer.Option(None, "--links", help="Also write the new links to this CSV file (mode 600)."),
) -> None:
    """Issue new login links (only hashes are stored, so old links cannot be shown); old ones stop working."""
    from sciplan.study import StudyStore, reissue_links

    store = StudyStore(db)
    names = store.annotator_names() if all_ else list(annotator or [])
    if not names and not admin:
        raise SciplanError("say whose links to replace: --annotator NAME, --all, or --admin")
    unknown = sorted(set(names) - set(store.annotator_names()))
    if unknown:
        raise SciplanError(f"{db}: no annotator named {unknown[0]!r}")
    new = reissue_links(store, names, admin=admin)
    _print_links(new, "New login links (the previous ones no longer work)")
    if links is not None:
        _write_links(links, new)


@app.command("status")
def status(db: Path = DB) -> None:
    """Print each annotator's progress."""
    from sciplan.study import StudyStore

    store = StudyStore(db)
    table = Table(title=store.config().title, title_justify="left")
    for col in ("annotator", "done", "in progress", "total", "minutes", "last active (UTC)"):
        table.add_column(col, justify="left" if col in ("annotator", "last active (UTC)") else "right")
    for p in store.progress():
        table.add_row(
            escape(p.name),
            str(p.done),
            str(p.started),
            str(p.total),
            f"{p.time_spent_ms / 60000:.0f}",
            p.last_active or "—",
        )
    console.print(table)


@app.command("export")
def export(
    db: Path = DB,
    out: Path = typer.Option(..., "--out", help="Folder for annotations.jsonl, annotations.csv, rubric_items.csv."),
) -> None:
    """Write the answers (submitted and in progress) as JSONL and CSV."""
    from sciplan.study import StudyStore, export_study

    annotations = StudyStore(db).annotations()
    paths = export_study(annotations, out)
    console.print(f"Exported {len(annotations)} annotations: " + ", ".join(escape(str(p)) for p in paths))


@app.command("analyze")
def analyze(
    db: Path = typer.Option(None, "--db", help="The study database \\[default: study.sqlite unless --annotations]."),
    annotations: Path = typer.Option(None, "--annotations", help="Analyze an annotations.jsonl export instead."),
    grades: Path = typer.Option(None, "--grades", help="grades.jsonl of an evaluation run: Cohen's κ with each judge."),
    include_started: bool = typer.Option(False, "--include-started", help="Also count answers not yet submitted."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the preference CI."),
    out: Path = typer.Option(None, "--out", help="Write the full report as JSON here."),
) -> None:
    """Preference rate (binomial test, CI), scores, rubric items, inter-annotator and jury agreement."""
    from sciplan.jsonl import JsonlReport, read_records
    from sciplan.records import Grade
    from sciplan.study import StudyStore, read_annotations
    from sciplan.study import analyze as run

    if annotations is not None and db is not None:
        raise SciplanError("give either --db or --annotations, not both")
    records = (
        read_annotations(annotations)
        if annotations is not None
        else StudyStore(db or Path("study.sqlite")).annotations()
    )
    grade_records = None
    if grades is not None:
        if not grades.is_file():
            raise SciplanError(f"{grades}: no such grades file")
        report = JsonlReport(grades)
        grade_records = read_records(grades, Grade, report)
        if report.bad_lines:
            err_console.print(
                f"[yellow]{escape(str(grades))}: skipped {len(report.bad_lines)} lines that are not Grade records[/]"
            )
    result = run(records, grade_records, include_started=include_started, confidence=confidence)
    _print_report(result)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
        console.print(f"Wrote [bold]{escape(str(out))}[/]")


def _print_report(r) -> None:  # type: ignore[no-untyped-def]
    a, b = escape(r.model_a or "a"), escape(r.model_b or "b")
    console.print(
        f"[bold]{r.annotations}[/] annotations of [bold]{r.goals}[/] goals by [bold]{r.annotators}[/] annotators; "
        f"arm a = {a}, arm b = {b}"
    )
    t = Table(title="Results", title_justify="left")
    t.add_column("measure")
    t.add_column("value", overflow="fold")
    for label, p in (
        ("preference for a (per annotation)", r.preference),
        ("preference for a (per goal, majority)", r.preference_by_goal),
    ):
        ci = f"[{_pct(p.ci_low)}, {_pct(p.ci_high)}]" if p.n else ""
        t.add_row(
            label,
            f"{p.k}/{p.n} = {_pct(p.rate)} ± {_pct(p.se)} (SE), {int(p.confidence * 100)}% CI {ci}, "
            f"binomial p {_p(p.p_value)}",
        )
    s = r.scores
    t.add_row(
        "overall score (1-10)",
        f"a {_num(s.mean_a)} vs b {_num(s.mean_b)} (n={s.n}, diff {_num(s.mean_diff)}, Wilcoxon p {_p(s.p_value)})",
    )
    ru = r.rubric
    t.add_row(
        "rubric items satisfied", f"a {_pct(ru.satisfied_a)} vs b {_pct(ru.satisfied_b)} ({ru.judgments} judgments)"
    )
    t.add_row(
        "rubric items approved",
        f"{_pct(ru.approval_rate)} of {ru.approval_answers} answers; "
        f"{_pct(ru.items_approved)} of {ru.items} items by majority",
    )
    t.add_row("minutes per annotation", f"median {_num(r.minutes_median, 1)}, mean {_num(r.minutes_mean, 1)}")
    pb = r.position_bias
    t.add_row("ties", str(r.ties))
    t.add_row("left plan preferred (position bias)", f"{pb.k}/{pb.n} = {_pct(pb.rate)}, binomial p {_p(pb.p_value)}")
    ia = r.inter_annotator
    t.add_row(
        f"inter-annotator (Fleiss' κ, {ia.goals} shared goals)",
        f"preference {_num(ia.preference.kappa)}, satisfied {_num(ia.satisfied.kappa)}, "
        f"approval {_num(ia.approval.kappa)}; score |diff| {_num(ia.score_mad)}",
    )
    t.add_row(
        "inter-annotator (Krippendorff's α)",
        f"preference {_num(ia.preference.alpha)}, satisfied {_num(ia.satisfied.alpha)}, approval {_num(ia.approval.alpha)}",
    )
    for x in r.attention:
        t.add_row(f"attention items passed: {escape(x.annotator)}", f"{x.passed}/{x.items} = {_pct(x.rate)}")
    console.print(t)
    if r.jury:
        j = Table(title="Agreement with the judges (Cohen's κ)", title_justify="left")
        for col in ("judge", "preference κ", "agreement", "pairs", "judge ties", "items κ", "agreement", "pairs"):
            j.add_column(col, justify="left" if col == "judge" else "right")
        for x in r.jury:
            j.add_row(
                escape(x.judge),
                _num(x.preference.kappa),
                _pct(x.preference.agreement),
                str(x.preference.n),
                str(x.judge_ties),
                _num(x.items.kappa),
                _pct(x.items.agreement),
                str(x.items.n),
            )
        console.print(j)
