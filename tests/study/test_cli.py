"""`sciplan study ...` end to end: create, links, status, export, analyze (with a jury's grades)."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest
from typer.testing import CliRunner

from sciplan.cli.main import app, main
from sciplan.jsonl import append_records
from sciplan.records import Goal, Grade, GradeItem, Plan
from sciplan.study import Answer, ItemAnswer, StudyStore
from sciplan.study.security import hash_token

runner = CliRunner()


@pytest.fixture
def inputs(tmp_path):
    goals = [Goal(id=f"g{i}", text=f"goal {i}", rubric=["r1", "r2"]) for i in range(6)]
    append_records(tmp_path / "goals.jsonl", goals)
    for arm in "ab":
        append_records(
            tmp_path / f"{arm}.jsonl", [Plan(id=f"{g.id}{arm}", goal_id=g.id, model=f"m{arm}", text="t") for g in goals]
        )
    return tmp_path


def create(inputs, *extra: str):
    return runner.invoke(
        app,
        [
            "study",
            "create",
            "--goals",
            str(inputs / "goals.jsonl"),
            "--plans-a",
            str(inputs / "a.jsonl"),
            "--plans-b",
            str(inputs / "b.jsonl"),
            "--annotators",
            "3",
            "--per-goal",
            "2",
            "--db",
            str(inputs / "s.sqlite"),
            "--base-url",
            "https://study.example.org",
            "--links",
            str(inputs / "links.csv"),
            *extra,
        ],
    )


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def read_links(path) -> dict[str, str]:
    lines = path.read_text().splitlines()[1:]
    return dict(line.split(",", 1) for line in lines)


def test_create_prints_links_and_writes_a_private_links_file(inputs):
    result = create(inputs, "--title", "Pilot")
    assert result.exit_code == 0, result.output
    assert "6 goals, 3 annotators, 12 assignments (2 per goal)" in flat(result.output)
    links = read_links(inputs / "links.csv")
    assert set(links) == {"annotator-01", "annotator-02", "annotator-03", "admin"}
    assert stat.S_IMODE(os.stat(inputs / "links.csv").st_mode) == 0o600
    store = StudyStore(inputs / "s.sqlite")
    assert store.config().title == "Pilot"
    assert store.login(hash_token(token_of(links["admin"]))).role == "admin"
    assert all(link.startswith("https://study.example.org/login/") for link in links.values())


def test_links_replaces_tokens(inputs):
    create(inputs)
    old = read_links(inputs / "links.csv")
    result = runner.invoke(
        app,
        [
            "study",
            "links",
            "--db",
            str(inputs / "s.sqlite"),
            "--annotator",
            "annotator-02",
            "--links",
            str(inputs / "new.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    new = read_links(inputs / "new.csv")
    store = StudyStore(inputs / "s.sqlite")
    assert list(new) == ["annotator-02"]
    assert store.login(hash_token(token_of(old["annotator-02"]))) is None
    assert store.login(hash_token(token_of(new["annotator-02"]))).name == "annotator-02"
    assert store.login(hash_token(token_of(old["annotator-01"]))).name == "annotator-01"
    bad = runner.invoke(app, ["study", "links", "--db", str(inputs / "s.sqlite")])
    assert bad.exit_code != 0


def answer_everything(store: StudyStore, links: dict[str, str]) -> None:
    """Each annotator prefers arm a, ticks item 0 for a only, approves both items."""
    for name in store.annotator_names():
        me = store.login(hash_token(token_of(links[name]))).annotator_id
        for entry in store.queue(me):
            items = [ItemAnswer(index=i, satisfied_a=i == 0, valid=True) for i in range(2)]
            answer = Answer(preference="a", score_a=8, score_b=6, items=items, time_spent_ms=120_000)
            assert store.save(entry.id, me, answer, submit=True).status == "done"


def test_status_export_and_analyze_with_grades(inputs):
    create(inputs)
    store = StudyStore(inputs / "s.sqlite")
    answer_everything(store, read_links(inputs / "links.csv"))
    status = runner.invoke(app, ["study", "status", "--db", str(inputs / "s.sqlite")])
    assert status.exit_code == 0 and "annotator-01" in status.output

    exported = runner.invoke(
        app, ["study", "export", "--db", str(inputs / "s.sqlite"), "--out", str(inputs / "export")]
    )
    assert exported.exit_code == 0 and "Exported 12 annotations" in flat(exported.output)

    # A judge that agrees on every item verdict and prefers a on every goal.
    grades = []
    for i in range(6):
        for arm, score in (("a", 0.5), ("b", 0.0)):
            grades.append(
                Grade(
                    id=f"g{i}{arm}",
                    goal_id=f"g{i}",
                    plan_id=f"g{i}{arm}",
                    grader="judge-x",
                    score=score,
                    items=[GradeItem(index=0, item="r1", satisfied=arm == "a"), GradeItem(index=1, item="r2")],
                )
            )
    append_records(inputs / "grades.jsonl", grades)
    out = inputs / "report.json"
    result = runner.invoke(
        app,
        [
            "study",
            "analyze",
            "--annotations",
            str(inputs / "export" / "annotations.jsonl"),
            "--grades",
            str(inputs / "grades.jsonl"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "12/12 = 100.0%" in flat(result.output) and "judge-x" in result.output
    report = json.loads(out.read_text())
    assert report["preference"]["k"] == 12 and report["preference"]["p_value"] == pytest.approx(2 / 2**12)
    assert report["rubric"]["approval_rate"] == 1.0 and report["minutes_median"] == pytest.approx(2.0)
    (judge,) = report["jury"]
    assert judge["judge"] == "judge-x" and judge["items"]["n"] == 48 and judge["items"]["kappa"] == pytest.approx(1.0)
    # Everyone prefers a and so does the judge: agreement is total, κ undefined (chance agreement is 1).
    assert judge["preference"]["agreement"] == 1.0 and judge["preference"]["kappa"] is None


def test_bad_input_is_one_clear_line_without_a_traceback(inputs, capsys, monkeypatch):
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "sciplan",
            "study",
            "create",
            "--goals",
            str(inputs / "missing.jsonl"),
            "--plans-a",
            str(inputs / "a.jsonl"),
            "--plans-b",
            str(inputs / "b.jsonl"),
            "--db",
            str(inputs / "x.sqlite"),
        ],
    )
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    err = flat(capsys.readouterr().err)
    assert "missing.jsonl: no such goals file" in err and "Traceback" not in err
    monkeypatch.setattr(sys, "argv", ["sciplan", "study", "status", "--db", str(inputs / "none.sqlite")])
    with pytest.raises(SystemExit):
        main()
    assert "none.sqlite: no such study database" in flat(capsys.readouterr().err)


def test_create_reads_a_yaml_config_and_flags_override_it(inputs):
    (inputs / "study.yaml").write_text(
        "title: Pilot from YAML\nannotator_names: [ada, bo, cy]\nper_goal: 1\ninstructions: Read both plans.\n"
    )
    result = create(inputs, "--config", str(inputs / "study.yaml"))  # create() passes --per-goal 2
    assert result.exit_code == 0, result.output
    store = StudyStore(inputs / "s.sqlite")
    cfg = store.config()
    assert (cfg.title, cfg.per_goal, cfg.instructions) == ("Pilot from YAML", 2, "Read both plans.")
    assert store.annotator_names() == ["ada", "bo", "cy"] and store.counts()["assignments"] == 12
    (inputs / "bad.yaml").write_text("per_goal: 9\n")
    bad = runner.invoke(
        app,
        [
            "study",
            "create",
            "--goals",
            str(inputs / "goals.jsonl"),
            "--plans-a",
            str(inputs / "a.jsonl"),
            "--plans-b",
            str(inputs / "b.jsonl"),
            "--db",
            str(inputs / "t.sqlite"),
            "--config",
            str(inputs / "bad.yaml"),
        ],
    )
    assert bad.exit_code != 0 and "per_goal=9 needs at least that many annotators" in flat(str(bad.exception))
