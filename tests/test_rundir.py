import pytest

from sciplan.jsonl import append_records
from sciplan.records import Plan
from sciplan.rundir import Resume, RunDir


def test_named_run_layout(tmp_path):
    run = RunDir.named("exp1", runs_root=tmp_path)
    assert run.root == tmp_path / "exp1" and run.root.is_dir()
    assert run.plans == tmp_path / "exp1" / "plans.jsonl"
    assert run.subdir("train").is_dir()


@pytest.mark.parametrize("bad", ["", "a/b", "..", "."])
def test_bad_run_names_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        RunDir.named(bad, runs_root=tmp_path)


def test_resume_skips_written_ids(tmp_path):
    out = tmp_path / "plans.jsonl"
    append_records(out, [Plan(id="p1", goal_id="g", model="m", text="t")])
    resume = Resume(out)
    assert resume.is_done("p1") and not resume.is_done("p2")
    assert resume.pending(["p1", "p2", "p3"], key=lambda x: x) == ["p2", "p3"]
    resume.mark("p2")
    assert resume.pending(["p1", "p2", "p3"], key=lambda x: x) == ["p3"]
