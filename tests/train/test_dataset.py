"""Goals in, training data out: held-out split, domain mixture, the rubric kept from the prompt."""

from __future__ import annotations

from collections import Counter

import pytest

from sciplan.errors import SciplanError
from sciplan.plan import PlanConfig
from sciplan.train import (
    GoalData,
    grpo_dataset,
    load_goals,
    mixture_order,
    sft_dataset,
    split_goals,
)


def test_shipped_goals_hold_out_their_test_split():
    split = split_goals(GoalData())
    assert split.train and split.validation
    assert all(g.split == "test" for g in split.validation)
    assert not {g.id for g in split.train} & {g.id for g in split.validation}


def test_unmarked_goals_hold_out_a_seeded_few(tmp_path, kit):
    path = kit.write_goals(tmp_path / "g.jsonl", [g.model_copy(update={"split": None}) for g in kit.GOALS])
    a = split_goals(GoalData(train=[path], validation_size=1, seed=3))
    b = split_goals(GoalData(train=[path], validation_size=1, seed=3))
    assert len(a.validation) == 1 and len(a.train) == 2 and a == b


def test_bad_lines_are_skipped_and_a_missing_file_is_named(tmp_path, kit):
    path = kit.write_goals(tmp_path / "g.jsonl")
    path.write_text(path.read_text() + "{not json\n")
    assert len(load_goals([path])) == 3
    with pytest.raises(SciplanError, match="nope.jsonl: no such goals file"):
        load_goals([tmp_path / "nope.jsonl"])


def test_mixture_follows_the_weights_and_names_unknown_domains(kit):
    order = mixture_order(kit.GOALS[:2], 400, {"ml": 3.0, "medical": 1.0}, seed=1)
    counts = Counter(g.domain for g in order)
    assert 0.65 < counts["ml"] / 400 < 0.85
    assert mixture_order(kit.GOALS[:2], 50, {"ml": 3.0, "medical": 1.0}, seed=1) == order[:50]  # stable prefix: resumable
    with pytest.raises(SciplanError, match="physics"):
        mixture_order(kit.GOALS, 4, {"physics": 1.0})


def test_without_a_mixture_every_goal_comes_before_any_repeats(kit):
    order = mixture_order(kit.GOALS, 6, {}, seed=0)
    assert {g.id for g in order[:3]} == {g.id for g in kit.GOALS}


def test_the_policy_prompt_never_contains_the_rubric(kit):
    ds = grpo_dataset(kit.GOALS, PlanConfig(max_words=50))
    assert ds.column_names == ["prompt", "goal_id", "domain"]
    for row, goal in zip(ds, kit.GOALS, strict=False):
        prompt = " ".join(m["content"] for m in row["prompt"])
        assert goal.text in prompt and not any(item in prompt for item in goal.rubric)


def test_sft_pairs_prompt_and_reference(kit):
    ds = sft_dataset(kit.GOALS, PlanConfig())
    assert [r["completion"][0]["content"] for r in ds] == [g.reference for g in kit.GOALS]
    with pytest.raises(SciplanError, match="reference"):
        sft_dataset([kit.GOALS[0].model_copy(update={"reference": None})], PlanConfig())
