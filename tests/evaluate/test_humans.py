"""Human labels (simple CSV/JSONL and the study's export) and agreement with each judge, hand-worked."""

from __future__ import annotations

import json

import pytest

from sciplan.errors import SciplanError
from sciplan.evaluate import JURY, EvalData, human_agreement, load_human_labels
from sciplan.plan import plan_id

# Two annotators; the fifth row names the plans the other way round and the preferred one by model.
PREFERENCES = """goal_id,plan_a,plan_b,preferred,annotator
g1,A,B,B,ann1
g1,A,B,a,ann2
g2,A,B,tie,ann1
g3,A,B,a,ann1
g3,B,A,B,ann2
g2,A,B,b,ann2
"""


def row(df, judge, labels):
    return df[(df.judge == judge) & (df.labels == labels)].iloc[0]


def test_preferences_from_csv_ties_left_out_and_counted(hand, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(PREFERENCES)
    labels = load_human_labels(path)
    assert [p.preferred for p in labels.preferences] == ["b", "a", "tie", "a", "a", "b"]
    out = human_agreement(labels, EvalData.build(hand.goals, hand.plans, hand.grades))
    # J2 (A .5/.5/0, B 1/0/1) prefers b, b, a, b, a, a on the six rows. Row 3 is a human tie:
    # left out. Pairs (human, judge): (b,b) (a,b) (a,b) (a,a) (b,a): p_o = 2/5;
    # human a 3, b 2; judge b 3, a 2: p_e = 12/25; κ = (10/25 - 12/25) / (13/25) = -2/13.
    j2 = row(out, "J2", "preference")
    assert (j2.n, j2.judge_ties, j2.human_ties, j2.unmatched) == (5, 0, 1, 0)
    assert (j2.agreement, j2.kappa) == (pytest.approx(2 / 5), pytest.approx(-2 / 13))
    # J1 (A .5/0/.5, B 1/.5/.5) ties on g3 (rows 4, 5): judge ties, left out. Row 3: human tie.
    # Pairs (b,b) (a,b) (b,b): p_o = 2/3 = p_e (the judge always says b): κ = 0.
    j1 = row(out, "J1", "preference")
    assert (j1.n, j1.judge_ties, j1.human_ties) == (3, 2, 1)
    assert (j1.agreement, j1.kappa) == (pytest.approx(2 / 3), pytest.approx(0.0))
    # The jury (A .5/.25/.25, B 1/.25/.75) ties on g2 (rows 3 and 6: a judge tie is counted as
    # such even when the human tied too). Pairs (b,b) (a,b) (a,b) (a,a): p_o = 1/2;
    # human a 3, b 1; jury b 3, a 1: p_e = 6/16; κ = (8/16 - 6/16) / (10/16) = 0.2.
    jury = row(out, JURY, "preference")
    assert (jury.n, jury.judge_ties, jury.human_ties) == (4, 2, 0)
    assert (jury.agreement, jury.kappa) == (pytest.approx(0.5), pytest.approx(0.2))


def test_item_labels_from_jsonl_by_model_or_plan_id(hand, tmp_path):
    path = tmp_path / "labels.jsonl"
    rows = [
        {"goal_id": "g1", "plan": "A", "index": 0, "satisfied": True},  # J1 T, J2 T, jury T
        {"goal_id": "g1", "plan": "A", "index": 1, "satisfied": "yes"},  # J1 F, J2 F, jury F
        {"goal_id": "g2", "plan": plan_id("g2", "B", 0), "index": 0, "satisfied": "no"},  # J1 T, J2 F, jury split
        {"goal_id": "g3", "plan": "B", "index": 1, "satisfied": 0},  # J1 F, J2 T, jury split
        {"goal_id": "g3", "plan": "nobody", "index": 0, "satisfied": 1},  # no such plan
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = human_agreement(load_human_labels(path), EvalData.build(hand.goals, hand.plans, hand.grades))
    j1 = row(out, "J1", "items")
    assert (j1.n, j1.agreement, j1.judge_ties, j1.unmatched) == (4, pytest.approx(2 / 4), 0, 1)
    jury = row(out, JURY, "items")
    # A split jury has no verdict (a judge tie): only the two g1 labels pair up (T/T agree, T/F do not).
    assert (jury.n, jury.agreement, jury.judge_ties, jury.unmatched) == (2, pytest.approx(0.5), 2, 1)
    assert row(out, JURY, "preference").n == 0


def test_study_export_is_read_as_is(hand, tmp_path):
    base = {
        "annotator": "x",
        "goal_id": "g1",
        "plan_a_id": plan_id("g1", "A", 0),
        "plan_b_id": plan_id("g1", "B", 0),
        "left_arm": "a",
        "preference": "b",
        "items": [
            {"index": 0, "satisfied_a": True, "satisfied_b": True},
            {"index": 1, "satisfied_a": False, "satisfied_b": True},
        ],
    }
    path = tmp_path / "annotations.jsonl"
    path.write_text(
        json.dumps({**base, "id": "a1", "status": "done"})
        + "\n"
        + json.dumps({**base, "id": "a2", "status": "started", "preference": "a"})
        + "\n"
    )
    labels = load_human_labels(path)
    assert len(labels.preferences) == 1 and len(labels.items) == 4  # the unsubmitted one is ignored
    out = human_agreement(labels, EvalData.build(hand.goals, hand.plans, hand.grades))
    j1 = row(out, "J1", "items")
    assert (j1.n, j1.agreement) == (4, 1.0)  # J1: A [T, F], B [T, T] on g1
    assert row(out, "J1", "preference").agreement == 1.0


@pytest.mark.parametrize(
    "name,text,message",
    [
        ("l.csv", "goal_id,plan_a,plan_b,preferred\ng1,A,B,C\n", "row 1: preferred must be a, b, tie"),
        ("l.csv", "goal_id,plan,index,satisfied\ng1,A,0,maybe\n", "row 1: satisfied must be"),
        ("l.csv", "goal_id,plan,index,satisfied\ng1,A,first,1\n", "row 1: index"),
        ("l.csv", "goal_id,plan,score\ng1,A,3\n", "neither a preference"),
        ("l.jsonl", "{not json\n", "l.jsonl:1: not a JSON line"),
        ("l.csv", "goal_id,plan,index,satisfied\n", "no human labels found"),
    ],
)
def test_bad_label_files_name_the_file_and_row(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SciplanError, match="^" + str(path).replace(".", r"\.")) as info:
        load_human_labels(path)
    assert message in str(info.value)


def test_missing_label_file(tmp_path):
    with pytest.raises(SciplanError, match="no such human-label file"):
        load_human_labels(tmp_path / "none.csv")
