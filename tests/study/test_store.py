"""The SQLite store: WAL, answers per arm, ownership in every query, status rules, token rotation."""

from __future__ import annotations

import sqlite3

import pytest

from sciplan.errors import SciplanError
from sciplan.records import Goal, Plan
from sciplan.study import Answer, ItemAnswer, StudyConfig, StudyStore, create_study
from sciplan.study.security import hash_token


def complete(**kw) -> Answer:
    items = [ItemAnswer(index=i, satisfied_a=i == 0, satisfied_b=i == 1, valid=i != 2) for i in range(3)]
    return Answer(
        **{
            "preference": "a",
            "score_a": 9,
            "score_b": 6,
            "rationale": "why",
            "items": items,
            "time_spent_ms": 5000,
            **kw,
        }
    )


def ids(study) -> dict[str, str]:
    """Annotator name -> their first assignment id."""
    out = {}
    for name in study.names:
        login = study.store.login(hash_token(study.token(name)))
        out[name] = study.store.queue(login.annotator_id)[0].id
    return out


def annotator_id(study, name):
    return study.store.login(hash_token(study.token(name))).annotator_id


def test_the_database_is_in_wal_mode_and_reopens(make_study):
    study = make_study()
    assert study.store.journal_mode() == "wal"
    again = StudyStore(study.store.path)
    assert again.counts() == {"goals": 4, "annotators": 2, "assignments": 4}
    assert again.config().title == "Test study"


def test_opening_a_missing_or_foreign_file_names_it(tmp_path):
    with pytest.raises(SciplanError, match="nope.sqlite: no such study database"):
        StudyStore(tmp_path / "nope.sqlite")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(SciplanError, match="other.sqlite: not a sciplan study database"):
        StudyStore(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database at all" * 100)
    with pytest.raises(SciplanError, match="notes.txt: not a sciplan study database"):
        StudyStore(text)


def test_an_existing_study_is_kept_unless_forced(make_study, tmp_path):
    study = make_study()
    goals = [Goal(id="x", text="t", rubric=["r"])]
    plans = lambda arm: [Plan(id=f"x{arm}", goal_id="x", model=arm, text="p")]  # noqa: E731
    with pytest.raises(SciplanError, match="already exists"):
        create_study(study.store.path, goals, plans("a"), plans("b"), StudyConfig(annotators=1))
    assert StudyStore(study.store.path).counts()["goals"] == 4
    create_study(study.store.path, goals, plans("a"), plans("b"), StudyConfig(annotators=1), force=True)
    assert StudyStore(study.store.path).counts()["goals"] == 1


def test_answers_round_trip_and_only_the_owner_can_read_or_write(make_study):
    study = make_study(goals=2, annotators=2)
    store, items = study.store, ids(study)
    alice, bob = annotator_id(study, "annotator-01"), annotator_id(study, "annotator-02")
    assert store.save(items["annotator-01"], bob, complete()) is None
    assert store.open_item(items["annotator-01"], bob) is None
    assert store.shape(items["annotator-01"], bob) is None
    assert store.annotations() == []

    result = store.save(items["annotator-01"], alice, complete())
    assert result.status == "started" and result.missing == []
    view = store.open_item(items["annotator-01"], alice)
    no_text = {"items": {"__all__": {"item"}}}
    assert view.answer.model_dump(exclude=no_text) == complete().model_dump(exclude=no_text)
    assert view.answer.items[1].item == "Reports variance over at least three random seeds."
    assert view.plan_a.model == "model-a" and view.plan_b.model == "model-b"
    (ann,) = store.annotations()
    assert (ann.annotator, ann.preference, ann.score_a, ann.score_b) == ("annotator-01", "a", 9, 6)
    assert ann.model_a == "model-a" and ann.model_b == "model-b" and ann.opened_at is not None


def test_done_needs_a_complete_submit_and_edits_that_break_it_reopen_it(make_study):
    study = make_study(goals=1, annotators=1)
    store, (item,) = study.store, ids(study).values()
    me = annotator_id(study, "annotator-01")
    half = store.save(item, me, Answer(preference="b"), submit=True)
    assert half.status == "started" and half.missing == ["both overall scores", "validity of rubric item 1, 2, 3"]
    done = store.save(item, me, complete(), submit=True)
    assert done.status == "done"
    assert store.save(item, me, complete(rationale="edited")).status == "done"  # still complete: stays done
    assert store.annotations(include_started=False)[0].submitted_at is not None
    assert store.save(item, me, complete(preference=None)).status == "started"
    assert store.annotations(include_started=False) == []


def test_recorded_time_only_grows_and_is_capped(make_study):
    study = make_study(goals=1, annotators=1)
    store, (item,) = study.store, ids(study).values()
    me = annotator_id(study, "annotator-01")
    store.save(item, me, complete(time_spent_ms=90_000))
    store.save(item, me, complete(time_spent_ms=10_000))  # a stale tab reports less
    assert store.annotations()[0].time_spent_ms == 90_000
    store.save(item, me, complete(time_spent_ms=10**12))
    assert store.annotations()[0].time_spent_ms == 12 * 3600 * 1000


def test_item_answers_beyond_the_rubric_are_ignored(make_study):
    study = make_study(goals=1, annotators=1)
    store, (item,) = study.store, ids(study).values()
    me = annotator_id(study, "annotator-01")
    store.save(item, me, complete(items=[ItemAnswer(index=7, satisfied_a=True, valid=True)]))
    assert [i.index for i in store.annotations()[0].items] == [0, 1, 2]


def test_quotes_and_sql_in_text_are_stored_verbatim(tmp_path):
    nasty = "x'); DROP TABLE assignments; --"
    goals = [Goal(id=nasty, text=nasty, rubric=[nasty])]
    plans = lambda arm: [Plan(id=f"{nasty}{arm}", goal_id=nasty, model=nasty, text=nasty)]  # noqa: E731
    created = create_study(tmp_path / "s.sqlite", goals, plans("a"), plans("b"), StudyConfig(annotators=1))
    store = StudyStore(created.path)
    me = store.login(hash_token(created.links["annotator-01"].rsplit("/", 1)[1])).annotator_id
    (entry,) = store.queue(me)
    store.save(entry.id, me, Answer(rationale=nasty))
    (ann,) = store.annotations()
    assert ann.goal_id == nasty and ann.rationale == nasty and ann.items[0].item == nasty
    assert store.counts()["assignments"] == 1


def test_new_tokens_replace_old_ones(make_study):
    study = make_study(annotators=2)
    store = study.store
    old = hash_token(study.token("annotator-01"))
    store.set_token_hash("annotator-01", hash_token("fresh"))
    assert store.login(old) is None
    assert store.login(hash_token("fresh")).name == "annotator-01"
    store.set_token_hash(None, hash_token("boss"))
    assert store.login(hash_token("boss")).role == "admin" and store.login(hash_token(study.admin_token)) is None
    with pytest.raises(SciplanError, match="no annotator named 'zed'"):
        store.set_token_hash("zed", hash_token("x"))


def test_progress_counts_per_annotator(make_study):
    study = make_study(goals=4, annotators=2, per_goal=2)
    me = annotator_id(study, "annotator-02")
    queue = study.store.queue(me)
    study.store.save(queue[0].id, me, complete(), submit=True)
    study.store.save(queue[1].id, me, Answer(rationale="later"))
    progress = {p.name: p for p in study.store.progress()}
    assert (progress["annotator-02"].done, progress["annotator-02"].started, progress["annotator-02"].total) == (
        1,
        1,
        4,
    )
    assert (progress["annotator-01"].done, progress["annotator-01"].started, progress["annotator-01"].last_active) == (
        0,
        0,
        None,
    )
    assert progress["annotator-02"].time_spent_ms == 5000
