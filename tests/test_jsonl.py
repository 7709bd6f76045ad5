import json
import os
import re

import pytest

from helpers.lock_holder import holding_lock
from sciplan.jsonl import (
    JsonlBusyError,
    JsonlReport,
    JsonlWriteError,
    JsonlWriter,
    append_records,
    ids_in,
    read_jsonl,
    read_records,
)
from sciplan.records import Goal, Plan


def _plan(i: int) -> Plan:
    return Plan(id=f"p{i}", goal_id="g", model="m", text=f"plan {i} ünïcode\nsecond line")


def test_write_then_read_roundtrip(tmp_path):
    path = tmp_path / "sub" / "plans.jsonl"
    with JsonlWriter(path) as w:
        w.write_all(_plan(i) for i in range(3))
    assert w.written == 3
    lines = path.read_bytes().split(b"\n")
    assert len(lines) == 4 and lines[-1] == b""  # one record per line, newline-terminated
    assert [p.id for p in read_records(path, Plan)] == ["p0", "p1", "p2"]
    assert ids_in(path) == {"p0", "p1", "p2"}


def test_writer_that_writes_nothing_creates_no_file(tmp_path):
    with JsonlWriter(tmp_path / "none.jsonl"):
        pass
    assert not (tmp_path / "none.jsonl").exists()


def test_torn_last_line_is_reported_and_cut_before_next_append(tmp_path):
    path = tmp_path / "plans.jsonl"
    append_records(path, [_plan(0), _plan(1)])
    with open(path, "ab") as fh:  # a crash in the middle of a write
        fh.write(_plan(2).model_dump_json().encode()[:25])
    report = JsonlReport(path)
    assert [p.id for p in read_records(path, Plan, report)] == ["p0", "p1"]
    assert report.torn_tail and not report.bad_lines
    append_records(path, [_plan(3)])
    report2 = JsonlReport(path)
    assert [p.id for p in read_records(path, Plan, report2)] == ["p0", "p1", "p3"]
    assert report2.clean


def test_bad_lines_in_the_middle_are_skipped_and_reported(tmp_path):
    path = tmp_path / "goals.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "x"}) + "\n" + "not json\n" + json.dumps({"id": "b"}) + "\n" + "[1]\n"
        + json.dumps({"id": "c", "text": "y"}) + "\n"
    )
    report = JsonlReport(path)
    goals = read_records(path, Goal, report)
    assert [g.id for g in goals] == ["a", "c"]
    assert [n for n, _ in report.bad_lines] == [2, 3, 4]  # line numbers of the bad lines
    assert "text" in dict(report.bad_lines)[3]  # record b misses its text


def test_unterminated_but_complete_last_line_is_kept(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}')
    assert [o["id"] for o in read_jsonl(path)] == ["a", "b"]


def _in_children(n: int, work) -> None:
    """Run `work(k)` in `n` forked processes at once; a child never returns into pytest."""
    pids = []
    for k in range(n):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                work(k)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


def test_concurrent_appends_from_processes_never_interleave(tmp_path):
    path = tmp_path / "many.jsonl"

    def work(k: int) -> None:
        with JsonlWriter(path, fsync=False, wait=True) as w:
            for i in range(50):
                w.write(Plan(id=f"{k}-{i}", goal_id="g", model="m", text="x" * 3000))

    _in_children(4, work)
    report = JsonlReport(path)
    assert len(read_records(path, Plan, report)) == 200 and report.clean


def test_big_records_from_many_processes_lose_nothing_and_repeat_nothing(tmp_path):
    """The stress case that once left an empty file: ten processes, each appending one large record."""
    path = tmp_path / "big.jsonl"
    _in_children(10, lambda k: append_records(path, [Plan(id=f"p{k}", goal_id="g", model="m", text="y" * 2_000_000)]))
    report = JsonlReport(path)
    plans = read_records(path, Plan, report)
    assert sorted(p.id for p in plans) == [f"p{k}" for k in range(10)] and report.clean
    assert all(len(p.text) == 2_000_000 for p in plans)


def test_a_second_writer_is_refused_and_the_line_being_written_survives(tmp_path):
    path = tmp_path / "papers.jsonl"
    line = _plan(0).model_dump_json() + "\n"
    with holding_lock(path, line[:40], line[40:]):  # the other writer is in the middle of a (long) line
        with pytest.raises(JsonlBusyError, match=re.escape(str(path)) + ": another process is writing"):
            JsonlWriter(path).open()
        assert path.read_text() == line[:40]  # nothing was cut
    append_records(path, [_plan(1)])  # after the first writer is gone the file is free again
    assert [p.id for p in read_records(path, Plan)] == ["p0", "p1"]


def test_a_complete_last_record_without_newline_is_kept_by_the_next_append(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(_plan(0).model_dump_json() + "\n" + _plan(1).model_dump_json())  # valid, no final newline
    append_records(path, [_plan(2)])
    report = JsonlReport(path)
    assert [p.id for p in read_records(path, Plan, report)] == ["p0", "p1", "p2"] and report.clean


def test_a_full_disk_is_one_clear_error_naming_the_file():
    with pytest.raises(JsonlWriteError, match=r"^/dev/full: cannot append a record \(the disk is full\)"):
        with JsonlWriter("/dev/full") as w:
            w.write(_plan(0))


def test_a_device_is_never_read_as_records():
    assert list(read_jsonl("/dev/zero")) == []  # an endless line would exhaust memory


def test_writers_in_one_process_share_the_file(tmp_path):
    """Two models' plans generated at once in one run append to one file side by side."""
    path = tmp_path / "plans.jsonl"
    with JsonlWriter(path) as a, JsonlWriter(path) as b:
        a.write(_plan(0))
        b.write(_plan(1))
        a.write(_plan(2))
    assert [p.id for p in read_records(path, Plan)] == [_plan(k).id for k in range(3)]
    append_records(path, [_plan(3)])  # both closed: the lock is free again
