"""`sciplan dataset audit` on a small research-plan-gen parquet built here."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from helpers.scripted import scripted_model
from sciplan.extract import read_goals
from sciplan.grade import Grader, GraderConfig
from sciplan.metaeval.audit import PAPERGYM_RATES, AuditConfig, audit_dataset

ROWS = [
    {"Goal": "Test whether dropout rate changes calibration of small image classifiers on CIFAR-10.",
     "Rubric": ["Varies the dropout rate over several values.", "Measures calibration with expected calibration error."],
     "Reference solution": "Train ResNet-18 with dropout 0, 0.1, 0.3, 0.5; report ECE and accuracy over five seeds.",
     "article_id": "arxiv:1"},
    {"Goal": "Find out whether pretraining data size affects few-shot accuracy of language models.",
     "Rubric": ["Trains models on several data sizes with compute held fixed.", "Evaluates few-shot accuracy on held-out tasks.",
                "Reports variance over seeds."],
     "Reference solution": "Pretrain 125M models on 1B, 5B and 20B tokens; evaluate 5-shot on held-out tasks; three seeds each.",
     "article_id": "arxiv:2"},
    {"Goal": "Test whether pretraining data size affects few-shot accuracy of language models.",
     "Rubric": ["Trains models on several data sizes with compute held fixed."],
     "Reference solution": "Pretrain small models on three data sizes; evaluate few-shot.",
     "article_id": "arxiv:3"},
]


@pytest.fixture
def rpg_dir(tmp_path):
    root = tmp_path / "rpg"
    (root / "ml" / "test").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(ROWS), root / "ml" / "test" / "part-0.parquet")
    return root


def _leak_answer(request):
    # The judge says item 1 of every goal is given away by the goal text.
    n = request.json_schema["properties"]["items"]["maxItems"]
    return json.dumps({"items": [{"index": i, "reason": "r", "stated": i == 1} for i in range(1, n + 1)]})


def _grade_answer(request):
    n = request.json_schema["properties"]["verdicts"]["maxItems"]
    return json.dumps({"verdicts": [{"index": i, "excerpt": "x", "reason": "r", "satisfied": i != 2}
                                    for i in range(1, n + 1)]})


async def test_audit_figures_on_the_parquet(rpg_dir):
    goals = read_goals(rpg_dir, format="rpg")
    judge = scripted_model(respond=_leak_answer)
    grader = Grader(scripted_model(respond=_grade_answer), GraderConfig(variant="binary", view="rubric", answer="schema"))
    cfg = AuditConfig(leakage={"rule": "model"}, dedup={"threshold": 0.5, "shingle": 2})
    audit = await audit_dataset(goals, cfg, judge=judge, grader=grader)
    o = audit["overall"]
    # One judge call per goal, seeing all its items; 3 of 6 items judged given away.
    assert len(judge.backend.requests) == 3 and o["items"] == 6
    assert o["papergym_leakage"] == pytest.approx(3 / 6) and o["sciplan_leakage"] == pytest.approx(3 / 6)
    # References with a second item fail (it is marked unsatisfied); the one-item rubric passes.
    assert o["references_graded"] == 3 and o["references_failing"] == pytest.approx(2 / 3)
    # The third goal restates the second.
    assert o["duplicates"] == 1 and audit["duplicates"][0]["goal_id"] == goals[2].id
    assert audit["distributions"]["rubric_size"] == pytest.approx(
        {"n": 3, "min": 1, "p25": 1.5, "median": 2, "mean": 2, "p75": 2.5, "max": 3})
    assert [d["domain"] for d in audit["domains"]] == ["ml"] and audit["published"] == PAPERGYM_RATES


def test_audit_cli_writes_table_and_plot(rpg_dir, tmp_path):
    from sciplan.cli.main import app

    out = tmp_path / "audit"
    res = CliRunner().invoke(app, ["dataset", "audit", str(rpg_dir), "--format", "rpg", "--out", str(out)])
    assert res.exit_code == 0, res.output
    audit = json.loads((out / "audit.json").read_text())
    # Without a judge: sciplan's similarity check alone, no PaperGym-style figure.
    assert audit["overall"]["papergym_leakage"] is None and audit["overall"]["sciplan_leakage"] is not None
    assert (out / "audit.png").read_bytes()[:4] == b"\x89PNG"
    assert "ml" in (out / "audit_domains.csv").read_text() and "PaperGym-20k" in res.output


def test_audit_of_a_missing_file_names_it(tmp_path):
    from sciplan.cli.main import app

    res = CliRunner().invoke(app, ["dataset", "audit", str(tmp_path / "nope.jsonl")])
    assert res.exit_code != 0 and "nope.jsonl" in str(res.exception)
