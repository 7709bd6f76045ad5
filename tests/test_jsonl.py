import json
import os

from sciplan.jsonl import JsonlReport, JsonlWriter, append_records, ids_in, read_jsonl, read_records
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


def test_concurrent_appends_from_processes_never_interleave(tmp_path):
    path = tmp_path / "many.jsonl"
    pids = []
    for k in range(4):
        pid = os.fork()
        if pid == 0:  # child: append 50 long records
            with JsonlWriter(path, fsync=False) as w:
                for i in range(50):
                    w.write(Plan(id=f"{k}-{i}", goal_id="g", model="m", text="x" * 3000))
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    report = JsonlReport(path)
    assert len(read_records(path, Plan, report)) == 200 and report.clean
