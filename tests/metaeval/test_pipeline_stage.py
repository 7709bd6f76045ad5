"""The pipeline's metaeval stage, grading through a real HTTP server (an OpenAI-shaped test server)."""

import json

from helpers.fault_server import FaultServer, ok_body
from sciplan.pipeline import load_pipeline_config, run_pipeline

GRADER = "{variant: binary, view: rubric, answer: schema, retries: 0}"


def _answer(path, body):
    # A plan request (no schema) gets a short plan; a grade satisfies every odd rubric item: a plan-blind judge.
    if "response_format" not in body:
        return ok_body("We run a controlled experiment with a baseline and report effect sizes.")
    n = body["response_format"]["json_schema"]["schema"]["properties"]["verdicts"]["maxItems"]
    verdicts = [{"index": i, "excerpt": "e", "reason": "r", "satisfied": i % 2 == 1} for i in range(1, n + 1)]
    return ok_body(json.dumps({"verdicts": verdicts}))


def test_metaeval_stage_writes_figures_and_says_how_well_the_grader_separates(tmp_path):
    from importlib.resources import files

    goals = files("sciplan") / "data" / "train_goals.jsonl"
    with FaultServer([], ok_json=_answer) as server:
        (tmp_path / "me.yaml").write_text(
            f"graders: ['openai:judge@{server.url}']\ngrader: {GRADER}\n"
            "settings: {cache: false}\nremoved_items: 1\ninjections: 1\nconsistency_seeds: 0\nlimit: 3\n")
        (tmp_path / "run.yaml").write_text(f"name: t\nout: {tmp_path / 'run'}\nmetaeval:\n  config: me.yaml\n"
                                           f"  goals: {goals}\n")
        (report,) = run_pipeline(load_pipeline_config(tmp_path / "run.yaml"))  # the stage closes its models
    assert report.name == "metaeval" and server.requests
    result = json.loads((tmp_path / "run" / "metaeval" / "metaeval.json").read_text())
    (fig,) = result["graders"].values()
    # A plan-blind judge gives every plan the same score: AUC exactly chance, and the note says so.
    assert fig["summary"]["grader_auc"] == 0.5
    assert any("the same score (0.50)" in n and "AUC is 0.50, chance" in n for n in report.notes)


def test_the_metaeval_section_joins_the_evaluation_report_of_the_run(tmp_path):
    from importlib.resources import files

    goals = files("sciplan") / "data" / "train_goals.jsonl"
    with FaultServer([], ok_json=_answer) as server:
        judge = f"openai:judge@{server.url}"
        (tmp_path / "me.yaml").write_text(
            f"graders: ['{judge}']\ngrader: {GRADER}\nsettings: {{cache: false}}\n"
            "families: [reference, vague, other_goal]\nconsistency_seeds: 0\nlimit: 3\n")
        (tmp_path / "ev.yaml").write_text(
            f"jury: ['{judge}']\ngrader: {GRADER}\nsettings: {{cache: false}}\n"
            "plan: {max_tokens: 40}\nstats: {bootstrap: 200}\n")
        (tmp_path / "run.yaml").write_text(
            f"name: t\nout: {tmp_path / 'run'}\nevaluate:\n  config: ev.yaml\n  models: ['openai:a@{server.url}']\n"
            f"  goals: {goals}\nmetaeval:\n  config: me.yaml\n  goals: {goals}\n")
        reports = run_pipeline(load_pipeline_config(tmp_path / "run.yaml"))
    assert [r.name for r in reports] == ["evaluate", "metaeval"]
    html = (tmp_path / "run" / "eval" / "report.html").read_text()
    section = html[html.index('id="metaeval"'):]
    assert "the same score (0.50)" in section and "AUC is 0.50" in section and "data:image/png;base64," in section
