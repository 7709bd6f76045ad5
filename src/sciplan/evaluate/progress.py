"""Where an evaluation reports progress: rich bars (the default), or nothing."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as _RichBars

__all__ = ["Progress", "RichProgress", "Silent"]


class Progress(Protocol):
    """The runner's progress sink: a task ("plans", "grades") starts with a total, then advances."""

    def start(self, task: str, total: int) -> None: ...

    def advance(self, task: str, n: int = 1) -> None: ...


class Silent:
    """Progress that shows nothing (tests, library use inside another progress display)."""

    def start(self, task: str, total: int) -> None:
        """Do nothing."""

    def advance(self, task: str, n: int = 1) -> None:
        """Do nothing."""


class RichProgress:
    """One rich bar per task (plans, grades): done/total, elapsed and remaining time.

    Use as a context manager; `run_eval` opens one on stderr when given no progress.
    """

    def __init__(self, console: Console | None = None, *, transient: bool = True) -> None:
        self.bars = _RichBars(
            TextColumn("{task.description:>7}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=transient,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.bars.stop()

    def start(self, task: str, total: int) -> None:
        """Add a bar for `task` (a second start of the same task resets it)."""
        if task in self.tasks:
            self.bars.reset(self.tasks[task], total=total)
        else:
            self.tasks[task] = self.bars.add_task(task, total=total)

    def advance(self, task: str, n: int = 1) -> None:
        """Move `task`'s bar on by `n`."""
        if task in self.tasks:
            self.bars.advance(self.tasks[task], n)
