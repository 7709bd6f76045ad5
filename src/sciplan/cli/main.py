"""Entry point of the `sciplan` command: one sub-command per stage."""

from __future__ import annotations

import logging
import sys

import typer

from sciplan.cli import (
    dataset,
    demo,
    doctor,
    evaluate,
    export,
    extract,
    generate,
    grade,
    ingest,
    metaeval,
    models,
    plan,
    run,
    serve,
    study,
    train,
)
from sciplan.cli.console import console, err_console, safe
from sciplan.cli.usage import print_usage
from sciplan.errors import SciplanError

app = typer.Typer(
    name="sciplan",
    help="Train and evaluate AI co-scientists with rubric rewards extracted from papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)

# Sub-commands: each module defines plain functions (or a Typer group) registered here.
# Keep one line per command so parallel work on different stages does not collide.
app.add_typer(study.app, name="study")
app.command("ingest")(ingest.ingest)
app.command("extract")(extract.extract)
app.add_typer(dataset.app, name="dataset")
app.command("models")(models.models)
app.command("doctor")(doctor.doctor)
app.command("generate")(generate.generate)
app.command("plan")(plan.plan)
app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("grade")(grade.grade)
app.command("eval")(evaluate.evaluate)
app.command("train")(train.train)
app.add_typer(export.app, name="export")
app.add_typer(serve.app, name="serve")
app.command("metaeval")(metaeval.metaeval)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details."),
) -> None:
    """sciplan: papers in, a better co-scientist and the evidence out."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Run the CLI; errors caused by input print one clear line, not a traceback."""
    try:
        app()
    except SystemExit:
        print_usage(console)
        raise
    except SciplanError as exc:
        print_usage(console)
        err_console.print(f"[bold red]error:[/] {safe(str(exc))}", highlight=False)
        sys.exit(1)
    except OSError as exc:  # the environment failed (full or read-only disk, permissions): one line, no trace
        print_usage(console)
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[bold red]error:[/] {safe(where + (exc.strerror or str(exc)))}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
