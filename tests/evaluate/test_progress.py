"""Rich progress bars count what the runner reports."""

from __future__ import annotations

import io

from rich.console import Console

from sciplan.evaluate import RichProgress


def test_rich_bars_count_starts_and_advances():
    buf = io.StringIO()
    with RichProgress(Console(file=buf, force_terminal=True, width=100), transient=False) as p:
        p.start("plans", 6)
        p.advance("plans", 2)
        p.advance("plans")
        p.start("grades", 4)
        p.advance("grades", 4)
        p.advance("unknown")  # a task never started is ignored
        tasks = {t.description: (t.completed, t.total) for t in p.bars.tasks}
    assert tasks == {"plans": (3, 6), "grades": (4, 4)}
    assert "3/6" in buf.getvalue() and "4/4" in buf.getvalue()
