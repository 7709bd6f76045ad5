"""The one progress layer: tasks start with a total, grow, advance with a note, finish."""

from __future__ import annotations

import io

from rich.console import Console

from sciplan.progress import Progress, RichProgress, Silent


def _bars(buf: io.StringIO) -> RichProgress:
    return RichProgress(Console(file=buf, force_terminal=True, width=120), transient=False)


def test_a_growing_task_counts_and_shows_its_note():
    buf = io.StringIO()
    with _bars(buf) as p:
        p.start("ingest", 2)
        p.extend("ingest", 1)  # a source listed one more paper
        p.advance("ingest", note="1 new, 0 failed  paper-a")
        p.advance("ingest", 2, note="3 new, 0 failed  paper-c")
        p.finish("ingest")
        p.message("ingest: 3 written")
        (task,) = p.bars.tasks
    assert (task.description, task.completed, task.total, task.fields["note"]) == ("ingest", 3, 3, "3 new, 0 failed  paper-c")
    assert task.finished and task.stop_time is not None
    out = buf.getvalue()
    assert "3/3" in out and "paper-c" in out and "ingest: 3 written" in out


def test_extend_starts_an_unknown_task_and_markup_in_notes_is_text():
    buf = io.StringIO()
    with _bars(buf) as p:
        p.extend("papers", 2)
        p.advance("papers", note="[bold]not markup[/]")
        (task,) = p.bars.tasks
    assert (task.completed, task.total) == (1, 2)
    assert "[bold]not markup[/]" in buf.getvalue()


def test_silent_takes_every_call_and_shows_nothing(capsys):
    p: Progress = Silent()
    p.start("x", 3)
    p.extend("x", 1)
    p.advance("x", note="n")
    p.finish("x")
    p.message("hello")
    assert capsys.readouterr() == ("", "")
