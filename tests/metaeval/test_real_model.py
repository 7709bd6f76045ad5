"""metaeval end to end on the real bundled model, on the shipped held-out goals.

The 135M model is no judge of research; what is tested is that every variant gets a real
grade and every figure is computed from them (whatever the figures are).
"""

import pytest

from sciplan.grade import GraderConfig
from sciplan.jsonl import read_records
from sciplan.llm import ModelSettings, get_model
from sciplan.metaeval import MetaevalConfig, run_metaeval
from sciplan.records import Goal, Grade

pytestmark = pytest.mark.model


async def test_metaeval_on_the_bundled_model(tmp_path):
    from importlib.resources import files

    # Two held-out shipped goals, three families (reference, vague, one injection with and
    # without the scanner): 8 short grades, so the real case stays in the default run.
    goals = [g for g in read_records(files("sciplan") / "data" / "train_goals.jsonl", Goal) if g.split == "test"]
    cfg = MetaevalConfig(
        grader=GraderConfig(variant="binary", view="rubric", max_tokens=160, excerpt_chars=16, reason_chars=16,
                            retries=0),
        families=["reference", "vague", "injection"], injections=1, consistency_seeds=0, bootstrap=200, limit=2,
    )
    model = get_model("local:smollm2", ModelSettings(cache=False))
    result = await run_metaeval(goals, cfg, tmp_path, models=[model])
    grades = read_records(tmp_path / "grades.jsonl", Grade)
    s = result["graders"][model.name]["summary"]
    assert s["grades"] == len(grades) == 8 and 0 <= s["parse_rate"] <= 1
    # Every grade came from the model, except an injection the scanner strips to nothing.
    assert 6 <= s["calls"] <= 8 and s["tokens_in"] > 0
    usable = [g for g in grades if not g.failed]
    assert all(len(g.items) == 4 and g.score == sum(i.satisfied for i in g.items) / 4 for g in usable)
    if s["grader_auc"] is not None:
        assert 0 <= s["grader_auc"] <= 1
    assert (tmp_path / "metaeval.html").stat().st_size > 0
