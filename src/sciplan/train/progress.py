"""A rich progress bar for training, with the step's reward and grading time as it goes."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from transformers import TrainerCallback

__all__ = ["RichProgress"]


class RichProgress(TrainerCallback):
    """Steps done, time left, and one line per logged step (main process only)."""

    def __init__(self, console: Console | None = None, title: str = "training") -> None:
        self.console = console or Console(stderr=True)
        self.title = title
        self.progress: Progress | None = None
        self.task: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if not state.is_world_process_zero:
            return
        self.progress = Progress(
            TextColumn(f"[bold blue]{self.title}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(self.title, total=state.max_steps, completed=state.global_step)

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
        if self.progress is None or not logs or "loss" not in logs:
            return
        parts = [f"step {state.global_step}"]
        for key, label in (("reward", "reward"), ("rubric/plan_length", "words"), ("rubric/failed", "failed"), ("step_time", "s/step")):
            val = logs.get(key)
            if isinstance(val, (int, float)):
                parts.append(f"{label} {val:.3g}")
        self.progress.console.print("  ".join(parts), highlight=False)

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
