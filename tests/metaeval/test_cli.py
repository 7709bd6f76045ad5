"""`sciplan metaeval` from the command line, grading through a real HTTP server, with human labels."""

import csv
import json

from typer.testing import CliRunner

from helpers.fault_server import FaultServer, ok_body
from sciplan.data import data_path
from sciplan.jsonl import read_records
from sciplan.metaeval import MetaevalConfig, build_variants
from sciplan.records import Goal


def _answer(path, body):
    # A plan-blind judge: item 1 satisfied, the rest not.
    n = body["response_format"]["json_schema"]["schema"]["properties"]["verdicts"]["maxItems"]
    verdicts = [{"index": i, "excerpt": "e", "reason": "r", "satisfied": i == 1} for i in range(1, n + 1)]
    return ok_body(json.dumps({"verdicts": verdicts}))


def test_metaeval_cli_with_human_labels(tmp_path):
    from sciplan.cli.main import app

    goals = read_records(data_path("train_goals.jsonl"), Goal)
    cfg_text = ("grader: {variant: binary, view: rubric, answer: schema, retries: 0}\n"
                "families: [reference, vague]\nconsistency_seeds: 0\n")
    (tmp_path / "me.yaml").write_text(cfg_text)
    ref = next(v for v in build_variants(goals, MetaevalConfig(families=["reference", "vague"], limit=3))
               if v.meta["family"] == "reference")
    # Two annotators agree items 0 and 1 are satisfied; they split on item 2.
    with (tmp_path / "labels.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["goal_id", "plan", "index", "satisfied", "annotator"])
        for who, sat in (("ann1", (1, 1, 1)), ("ann2", (1, 1, 0))):
            for i, s in enumerate(sat):
                w.writerow([ref.goal_id, ref.id, i, s, who])
    with FaultServer([], ok_json=_answer) as server:
        res = CliRunner().invoke(app, [
            "metaeval", "--goals", str(data_path("train_goals.jsonl")), "--grader", f"openai:judge@{server.url}",
            "--config", str(tmp_path / "me.yaml"), "--out", str(tmp_path / "out"), "--human-labels",
            str(tmp_path / "labels.csv"), "--no-cache", "--limit", "3"])
    assert res.exit_code == 0, res.output
    result = json.loads((tmp_path / "out" / "metaeval.json").read_text())
    (judge,) = result["human"]["judges"]
    # Majority T, T on items 0 and 1; the judge says T, F: one hit, one miss; item 2 split apart.
    assert (judge["tp"], judge["fn"], judge["n"]) == (1, 1, 2) and judge["split_units"] == 1
    assert "macro F1" in res.output and "AUC" in res.output
