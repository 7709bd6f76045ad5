"""The TRL adapter of the progress layer: training steps as a `sciplan.progress` task."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from transformers import TrainerCallback

from sciplan.progress import Progress, RichProgress

__all__ = ["ProgressCallback"]

# Logged values shown on each step's line, with their labels.
_SHOWN = (("reward", "reward"), ("rubric/plan_length", "words"), ("rubric/failed", "failed"), ("step_time", "s/step"))


class ProgressCallback(TrainerCallback):
    """Steps done, time left, and one line per logged step (main process only).

    Reports to `progress` when given; otherwise draws its own rich bar from train begin to end.
    """

    def __init__(self, console: Console | None = None, title: str = "training", progress: Progress | None = None) -> None:
        self.console = console
        self.title = title
        self.given = progress
        self.progress: Progress | None = None
        self._owned: RichProgress | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if not state.is_world_process_zero:
            return
        if self.given is None:
            self._owned = RichProgress(self.console or Console(stderr=True), transient=False).__enter__()
        self.progress = self.given or self._owned
        assert self.progress is not None
        self.progress.start(self.title, state.max_steps)
        self.progress.advance(self.title, state.global_step)
        self._step = state.global_step

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress.advance(self.title, state.global_step - self._step)
            self._step = state.global_step

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
        if self.progress is None or not logs or "loss" not in logs:
            return
        parts = [f"step {state.global_step}"]
        for key, label in _SHOWN:
            val = logs.get(key)
            if isinstance(val, (int, float)):
                parts.append(f"{label} {val:.3g}")
        self.progress.message("  ".join(parts))

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.progress is not None:
            self.progress.finish(self.title)
        if self._owned is not None:
            self._owned.__exit__(None, None, None)
            self._owned = None
        self.progress = None
