"""`sciplan serve reward`: the rubric grader as an HTTP reward service (JSON API and OpenRLHF's protocol)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import typer
from rich.markup import escape

from sciplan.cli.common import NO_CACHE, RETRIES, TIMEOUT, model_settings, read_input
from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.records import Goal

app = typer.Typer(help="Serve sciplan components over HTTP.", no_args_is_help=True)


@app.command("reward")
def reward(
    grader: str = typer.Option(..., "--grader", help="Grader model string, e.g. openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1."),
    goals: list[Path] | None = typer.Option(None, "--goals", help="Goals JSONL the service knows by id (repeatable)."),  # noqa: B008
    config: Path | None = typer.Option(None, "--config", help="Grading config (YAML: grader: and reward: sections)."),  # noqa: B008
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8100, "--port", help="Port to listen on."),
    token: str | None = typer.Option(None, "--token", envvar="SCIPLAN_SERVE_TOKEN",
                                        help="Bearer token every request but /health must carry (or SCIPLAN_SERVE_TOKEN)."),
    max_concurrency: int = typer.Option(64, "--max-concurrency", min=1, help="Goal groups graded at once (global cap)."),
    grader_concurrency: int | None = typer.Option(None, "--grader-concurrency", min=1, help="Grader calls in flight at once."),
    deadline: float = typer.Option(600.0, "--deadline", help="Seconds a request may take before a 504."),
    batch_window: float = typer.Option(0.02, "--batch-window", help="Seconds to gather completions of one goal into a group."),
    no_cache: bool = NO_CACHE,
    timeout: float = TIMEOUT,
    retries: int = RETRIES,
) -> None:
    """Serve POST /grade, POST /get_reward (OpenRLHF --remote_rm_url), GET /health and /metrics."""
    import uvicorn

    from sciplan.grade import Grader, load_grading_config
    from sciplan.llm import get_model
    from sciplan.serve import RewardService, ServeConfig, build_app

    if config is not None and not config.is_file():
        raise SciplanError(f"{config}: no such grading config")
    known: list[Goal] = [g for path in goals or [] for g in read_input(path, Goal, "goals")]
    cfg = load_grading_config(config)
    settings = model_settings(no_cache=no_cache, timeout=timeout, retries=retries)
    if grader_concurrency is not None:
        settings = settings.model_copy(update={"max_concurrency": grader_concurrency})
    model = get_model(grader, settings)
    model.check_ready()
    serve = ServeConfig(host=host, port=port, token=token, max_concurrency=max_concurrency, deadline=deadline,
                        batch_window=batch_window)
    service = RewardService(Grader(model, cfg.grader, stage_name="serve"), known, serve, cfg.reward)
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        console.print("[yellow]warning: listening beyond loopback without --token: anyone who reaches it can spend "
                      "your grader[/]")
    console.print(f"serving {len(known)} goals with grader {escape(model.name)} on http://{escape(host)}:{port} "
                  f"(POST /grade, POST /get_reward, GET /health, GET /metrics)", highlight=False)
    # The ~200k objects of the imports are permanent: a full collection walking them paused
    # every request in flight for ~50 ms (the service's p99); frozen, collections skip them.
    gc.collect()
    gc.freeze()
    uvicorn.run(build_app(service), host=host, port=port, log_level=os.environ.get("SCIPLAN_SERVE_LOG", "warning"),
                access_log=False)
