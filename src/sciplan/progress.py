"""The one progress layer: a task starts with a total, advances, finishes.

Every long stage (ingest, extract, plan, grade, evaluate, train) reports to a `Progress`:
`RichProgress` draws one bar per task for the CLI, `Silent` shows nothing (libraries,
tests, a stage running inside another's display). Training reaches it through
`sciplan.train.progress.ProgressCallback`, a thin TRL adapter.
"""

from __future__ import annotations

import re
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as _RichBars

__all__ = ["Progress", "RichProgress", "Silent", "printable"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters (ANSI escapes in a file name, say) shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Progress:
    """Where long work reports: named tasks ("ingest", "plans", "grades", "training") with totals.

    This base shows nothing (libraries, tests, a stage inside another's display); `RichProgress`
    draws bars. A test's recorder overrides what it wants to see.
    """

    def start(self, task: str, total: int | None = None) -> None:
        """Begin `task` with `total` items (None: not known yet); a second start resets it."""

    def extend(self, task: str, n: int) -> None:
        """`n` more items of `task` were found (a total that grows as sources are listed)."""

    def advance(self, task: str, n: int = 1, *, note: str | None = None) -> None:
        """`n` items of `task` are done; `note` is a short running status shown beside the bar."""

    def finish(self, task: str) -> None:
        """`task` is over."""

    def message(self, text: str) -> None:
        """A line for the user above the bars (a logged training step, a summary)."""


class Silent(Progress):
    """Progress that shows nothing: the name to pass where nothing should be shown."""


class RichProgress(Progress):
    """One rich bar per task: done/total, elapsed and remaining time, and the task's running note.

    Use as a context manager (the bars draw between enter and exit), on stderr unless given
    a console. `transient=False` leaves the finished bars on screen.
    """

    def __init__(self, console: Console | None = None, *, transient: bool = True) -> None:
        self.bars = _RichBars(
            SpinnerColumn(),
            TextColumn("{task.description:>7}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}", markup=False),
            console=console or Console(stderr=True),
            transient=transient,
        )
        self.tasks: dict[str, TaskID] = {}

    @property
    def console(self) -> Console:
        """The console the bars draw on (print through it to keep the bars intact)."""
        return self.bars.console

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.bars.stop()

    def start(self, task: str, total: int | None = None) -> None:
        """Add a bar for `task` (a second start of the same task resets it)."""
        if task in self.tasks:
            self.bars.reset(self.tasks[task], total=total, note="")
        else:
            self.tasks[task] = self.bars.add_task(task, total=total, note="")

    def extend(self, task: str, n: int) -> None:
        """Grow `task`'s total by `n` (starting the task if needed)."""
        if task not in self.tasks:
            self.start(task, 0)
        tid = self.tasks[task]
        self.bars.update(tid, total=(self.bars.tasks[self._index(tid)].total or 0) + n)

    def advance(self, task: str, n: int = 1, *, note: str | None = None) -> None:
        """Move `task`'s bar on by `n`; a task never started is ignored."""
        if task not in self.tasks:
            return
        if note is None:
            self.bars.advance(self.tasks[task], n)
        else:
            self.bars.update(self.tasks[task], advance=n, note=printable(note))

    def finish(self, task: str) -> None:
        """Stop `task`'s clock."""
        if task in self.tasks:
            self.bars.stop_task(self.tasks[task])

    def message(self, text: str) -> None:
        """Print `text` above the bars (no markup, no highlighting)."""
        self.bars.console.print(printable(text), markup=False, highlight=False)

    def _index(self, tid: TaskID) -> int:
        return next(i for i, t in enumerate(self.bars.tasks) if t.id == tid)
