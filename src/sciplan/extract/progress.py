"""The stage's rich progress bar and its closing summary (what was written, what it cost)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import get_console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sciplan.records import Paper

if TYPE_CHECKING:
    from sciplan.extract.stage import ExtractResult, PaperLog

__all__ = ["ExtractProgress"]


class ExtractProgress:
    """A progress bar over papers with running counts; does nothing when not `enabled`."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.counts = {"accepted": 0, "duplicate": 0, "rejected": 0, "failed": 0}
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> "ExtractProgress":
        if self.enabled:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())
            self._bar = Progress(*columns, console=get_console(), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("extract", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def start(self, total: int, skipped: int) -> None:
        """The papers to do now, and how many were done before."""
        if self._bar is not None:
            self._bar.update(self._task, total=total, description=f"extract ({skipped} done before)")

    def advance(self, paper: Paper, entry: "PaperLog") -> None:
        """One paper finished with `entry.outcome`."""
        self.counts[entry.outcome] = self.counts.get(entry.outcome, 0) + 1
        if self._bar is not None:
            c = self.counts
            self._bar.update(self._task, advance=1, description=(
                f"extract: {c['accepted']} accepted, {c['duplicate']} dup, {c['rejected']} rejected, "
                f"{c['failed']} failed [dim]{escape(paper.id[-24:])}[/]"))

    @staticmethod
    def print_summary(result: "ExtractResult") -> None:
        """Print what the stage wrote and what it cost."""
        console = get_console()
        for line in result.summary_lines():
            console.print(escape(line), highlight=False)
