"""Study integrity: blinding flags before create, attention items, ties, position bias and Krippendorff's α."""

from __future__ import annotations

import pytest

from sciplan.errors import SciplanError
from sciplan.study import StudyConfig, StudyStore, analyze, create_study
from sciplan.study.attention import attention_pairs
from sciplan.study.blinding import blinding_flags

from .conftest import make_goals, make_plans
from .test_app import answer_form


@pytest.mark.parametrize(
    "text,kinds",
    [
        ("As an AI language model, I would randomise the patients.", {"ai"}),
        ("We prompt GPT-4o and Llama-3.1 for hypotheses.", {"model"}),
        ("This plan was written with help from OpenAI tools.", {"lab"}),
        ("I am Claude, an assistant made by Anthropic.", {"model", "lab"}),
        # Science words that are also model names are no finding without a version.
        ("Immunise a llama; use Gemini telescope time; Claude Shannon's entropy; phi coefficient.", set()),
    ],
)
def test_blinding_flags(text, kinds):
    assert {f.kind for f in blinding_flags("p", text)} == kinds


def _plans_with_a_leak(goals):
    a, b = make_plans(goals, "a"), make_plans(goals, "b")
    b[1] = b[1].model_copy(update={"text": "As an AI language model, I suggest a simple survey of 40 sites."})
    return a, b


def test_blinding_report_refuse_and_drop(tmp_path):
    goals = make_goals(3)
    a, b = _plans_with_a_leak(goals)
    reported = create_study(tmp_path / "r.sqlite", goals, a, b, StudyConfig(annotators=1))
    assert list(reported.flagged) == ["g1"] and "says it is an AI" in reported.flagged["g1"][0]
    assert reported.goals == 3
    with pytest.raises(SciplanError, match="(?s)1 goals have plans that break the blinding.*goal g1: plan g1-b says it is an AI"):
        create_study(tmp_path / "x.sqlite", goals, a, b, StudyConfig(annotators=1, blinding="refuse"))
    assert not (tmp_path / "x.sqlite").exists()
    dropped = create_study(tmp_path / "d.sqlite", goals, a, b, StudyConfig(annotators=1, blinding="drop"))
    assert dropped.goals == 2 and any("g1: dropped" in s for s in dropped.skipped)
    assert {x.goal_id for x in StudyStore(tmp_path / "d.sqlite").annotations(include_started=True)} == set()
    assert StudyStore(tmp_path / "d.sqlite").counts()["goals"] == 2


def test_attention_items_break_the_goal_visibly_in_one_arm_only():
    goals = make_goals(4)
    pairs = list(zip(goals, make_plans(goals, "a"), make_plans(goals, "b"), strict=True))
    items = attention_pairs(pairs, 2, "THIS PLAN IGNORES THE GOAL.", seed=3)
    assert len(items) == 2
    for goal, pa, pb in items:
        good = goal.meta["attention"]
        clean, broken = (pa, pb) if good == "a" else (pb, pa)
        assert "THIS PLAN IGNORES THE GOAL." in broken.text and "IGNORES" not in clean.text
        assert broken.text.replace("\n\nTHIS PLAN IGNORES THE GOAL.", "") == clean.text
        assert pa.goal_id == pb.goal_id == goal.id and goal.id.startswith("attention-")
    assert attention_pairs(pairs, 2, "x", seed=3)[0][0].id == items[0][0].id  # seeded


def _submit(c, live, item, **fields):
    page = c.get(f"/item/{item}").text
    r = c.post(f"/item/{item}", data=answer_form(live.csrf_of(page), action="submit", **fields))
    assert r.status_code == 303, r.text
    return page


def test_attention_and_ties_through_the_real_app(tmp_path, serve):
    goals = make_goals(3)
    cfg = StudyConfig(annotators=2, per_goal=2, attention_items=1, allow_tie=True, attention_text="OFF-TOPIC PARAGRAPH.")
    created = create_study(tmp_path / "s.sqlite", goals, make_plans(goals, "a"), make_plans(goals, "b"), cfg)
    assert created.attention == 1 and created.goals == 3 and created.assignments == 2 * 4

    from .conftest import Study

    live = serve(Study(StudyStore(tmp_path / "s.sqlite"), created))
    for name, careful in (("annotator-01", True), ("annotator-02", False)):
        with live.client(name) as c:
            for item in live.item_ids(c.get("/").text):
                page = c.get(f"/item/{item}").text
                assert 'value="tie"' in page  # the study offers a tie answer
                if "OFF-TOPIC PARAGRAPH." in page:
                    # Plan 1 is shown left: the careful annotator picks the side without the paragraph.
                    left_broken = page.index("OFF-TOPIC PARAGRAPH.") < page.index("Plan 2")
                    pick = ("right" if left_broken else "left") if careful else ("left" if left_broken else "right")
                    _submit(c, live, item, preference=pick)
                else:
                    _submit(c, live, item, preference="tie" if careful else "left")
    anns = live.study.store.annotations()
    assert sum(a.attention is not None for a in anns) == 2
    r = analyze(anns)
    assert r.annotations == 6 and r.goals == 3  # attention items are left out of the statistics
    assert r.ties == 3 and r.preference.n == 3
    assert [(p.annotator, p.items, p.passed) for p in r.attention] == [("annotator-01", 1, 1), ("annotator-02", 1, 0)]
    # annotator-02 always chose the left plan on real items: position bias 3 of 3.
    assert (r.position_bias.k, r.position_bias.n) == (3, 3)


def test_a_tie_is_refused_where_the_study_offers_none(make_study, serve):
    live = serve(make_study(goals=1, annotators=1))
    with live.client("annotator-01") as c:
        (item,) = live.item_ids(c.get("/").text)
        page = c.get(f"/item/{item}").text
        assert 'value="tie"' not in page
        r = c.post(f"/item/{item}", data=answer_form(live.csrf_of(page), action="submit", preference="tie"))
        assert r.status_code == 422 and "no tie answer" in r.text


def test_position_bias_and_alpha_by_hand(make_annotation):
    T, F = True, False
    anns = []
    # 8 annotations by two annotators of 4 goals; the left plan wins 6 of 8.
    lefts = ["a", "a", "b", "b", "a", "b", "a", "b"]
    prefs = ["a", "a", "b", "b", "a", "b", "b", "a"]
    for k, (left, pref) in enumerate(zip(lefts, prefs, strict=True)):
        a = make_annotation(f"A{k}", f"g{k // 2}", pref, [(T, F)], [T], (6, 5), annotator=f"ann{k % 2}")
        anns.append(a.model_copy(update={"left_arm": left}))
    r = analyze(anns)
    assert (r.position_bias.k, r.position_bias.n) == (6, 8)
    assert r.position_bias.p_value == pytest.approx(0.2890625)  # 2 · P(X ≥ 6), X ~ Bin(8, 1/2)
    # Preference units per goal: [a, a], [b, b], [a, b], [b, a]: Krippendorff's α by hand.
    # Coincidences: o_aa = 2, o_bb = 2, o_ab = o_ba = 2; n_a = n_b = 4, n = 8.
    # α = 1 − (n − 1) · (o_ab + o_ba) / (n² − n_a² − n_b²) = 1 − 7 · 4 / 32 = 0.125.
    ia = r.inter_annotator.preference
    assert ia.alpha == pytest.approx(0.125)
    assert ia.kappa == pytest.approx(0.0)  # Fleiss: P̄ = .5, P_e = .5
