"""The study's SQLite store (WAL): goals, plans, annotators, assignments and answers.

Every statement is parameterised. Each operation opens its own short-lived connection,
so the web server's worker threads never share one; writes take the write lock up front
(`BEGIN IMMEDIATE`) and wait for it (`busy_timeout`) instead of failing, so concurrent
saves queue up and none is lost. Answers are stored per arm (`a`/`b`), never per side.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.records import Goal, Plan
from sciplan.study.annotation import Annotation, Answer, ItemAnswer
from sciplan.study.assign import Assignment
from sciplan.study.config import StudyConfig

__all__ = ["StudyStore", "Login", "QueueEntry", "ItemView", "Progress", "SaveResult", "now"]

SCHEMA_VERSION = "1"
# A client reports time spent; one item is never credited with more than this (12 h).
MAX_TIME_MS = 12 * 3600 * 1000

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE goals (
    id TEXT PRIMARY KEY, position INTEGER NOT NULL, n_items INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE plans (
    id TEXT PRIMARY KEY, goal_id TEXT NOT NULL REFERENCES goals(id),
    arm TEXT NOT NULL CHECK (arm IN ('a', 'b')), record TEXT NOT NULL, UNIQUE (goal_id, arm));
CREATE TABLE annotators (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL UNIQUE);
CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    annotator_id TEXT NOT NULL REFERENCES annotators(id),
    goal_id TEXT NOT NULL REFERENCES goals(id),
    position INTEGER NOT NULL,
    left_arm TEXT NOT NULL CHECK (left_arm IN ('a', 'b')),
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'started', 'done')),
    preference TEXT CHECK (preference IN ('a', 'b', 'tie')),
    score_a INTEGER CHECK (score_a BETWEEN 1 AND 10),
    score_b INTEGER CHECK (score_b BETWEEN 1 AND 10),
    rationale TEXT NOT NULL DEFAULT '',
    time_spent_ms INTEGER NOT NULL DEFAULT 0,
    saves INTEGER NOT NULL DEFAULT 0,
    opened_at TEXT, updated_at TEXT, submitted_at TEXT,
    UNIQUE (annotator_id, goal_id), UNIQUE (annotator_id, position));
CREATE TABLE item_answers (
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    idx INTEGER NOT NULL,
    satisfied_a INTEGER NOT NULL DEFAULT 0,
    satisfied_b INTEGER NOT NULL DEFAULT 0,
    valid INTEGER,
    PRIMARY KEY (assignment_id, idx));
CREATE INDEX assignments_by_annotator ON assignments (annotator_id, position);
"""


def now() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Login:
    """Who a token belongs to: an annotator (with id and name) or the admin."""

    role: str
    token_hash: str
    annotator_id: str | None = None
    name: str = "admin"


@dataclass(frozen=True)
class QueueEntry:
    """One line of an annotator's queue."""

    id: str
    position: int
    status: str
    time_spent_ms: int


@dataclass(frozen=True)
class ItemView:
    """Everything the annotation page shows for one assignment."""

    id: str
    position: int
    status: str
    left_arm: str
    goal: Goal
    plan_a: Plan
    plan_b: Plan
    answer: Answer


@dataclass(frozen=True)
class Progress:
    """One annotator's progress, for the admin view."""

    name: str
    total: int
    started: int
    done: int
    time_spent_ms: int
    last_active: str | None


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the new status and what still blocks submission."""

    status: str
    missing: list[str]
    saved_at: str


class StudyStore:
    """A study database; create it with `StudyStore.create`, open it with `StudyStore(path)`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SciplanError(f"{self.path}: no such study database (create one with `sciplan study create`)")
        try:
            version = self.meta("schema_version")
        except sqlite3.DatabaseError:
            version = None
        if version != SCHEMA_VERSION:
            raise SciplanError(f"{self.path}: not a sciplan study database (or of another version)")
        self._secret = self.meta("secret")

    # -- building -----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        config: StudyConfig,
        pairs: list[tuple[Goal, Plan, Plan]],
        annotators: list[tuple[str, str, str]],
        assignments: list[Assignment],
        admin_hash: str,
        secret: str,
        force: bool = False,
    ) -> StudyStore:
        """Write a new study: `pairs` (goal, plan a, plan b), annotators (id, name, token hash)."""
        path = Path(path)
        if path.exists():
            if not force:
                raise SciplanError(f"{path}: already exists (pass --force to replace it)")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The database holds the CSRF secret and every answer: owner-only from the first byte.
        # SQLite gives its -wal and -shm files the database file's mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        con = sqlite3.connect(path, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("BEGIN")
            # Statement by statement: executescript() would commit outside this transaction.
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                con.execute(stmt)
            meta = {
                "schema_version": SCHEMA_VERSION,
                "created_at": now(),
                "config": config.model_dump_json(),
                "admin_hash": admin_hash,
                "secret": secret,
            }
            con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            for pos, (goal, plan_a, plan_b) in enumerate(pairs):
                con.execute(
                    "INSERT INTO goals (id, position, n_items, record) VALUES (?, ?, ?, ?)",
                    (goal.id, pos, len(goal.rubric), goal.model_dump_json()),
                )
                for arm, plan in (("a", plan_a), ("b", plan_b)):
                    con.execute(
                        "INSERT INTO plans (id, goal_id, arm, record) VALUES (?, ?, ?, ?)",
                        (plan.id, goal.id, arm, plan.model_dump_json()),
                    )
            con.executemany("INSERT INTO annotators (id, name, token_hash) VALUES (?, ?, ?)", annotators)
            rows = [(_new_id(), annotators[a.annotator][0], a.goal_id, a.position, a.left_arm) for a in assignments]
            con.executemany(
                "INSERT INTO assignments (id, annotator_id, goal_id, position, left_arm) VALUES (?, ?, ?, ?, ?)", rows
            )
            con.execute("COMMIT")
        except BaseException:
            con.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        con.close()
        return cls(path)

    # -- plumbing -------------------------------------------------------------------

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA busy_timeout=60000")
            con.execute("PRAGMA foreign_keys=ON")
            # FULL: a saved answer survives a power cut, not only a crash of the server.
            con.execute("PRAGMA synchronous=FULL")
            # Reads too run in one transaction: several SELECTs then see one snapshot.
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield con
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def meta(self, key: str) -> str | None:
        """One value of the study's meta table."""
        with self._connect() as con:
            row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @property
    def secret(self) -> str:
        """The study's server secret (keys CSRF tokens)."""
        return self._secret or ""

    def config(self) -> StudyConfig:
        """The configuration the study was created with."""
        return StudyConfig.model_validate_json(self.meta("config") or "{}")

    def journal_mode(self) -> str:
        """SQLite's journal mode for this database (`wal`)."""
        with self._connect() as con:
            return str(con.execute("PRAGMA journal_mode").fetchone()[0])

    # -- logins ---------------------------------------------------------------------

    def login(self, token_hash: str) -> Login | None:
        """Who holds the token with this hash, if anyone."""
        with self._connect() as con:
            row = con.execute("SELECT id, name FROM annotators WHERE token_hash = ?", (token_hash,)).fetchone()
            if row is not None:
                return Login("annotator", token_hash, row["id"], row["name"])
            admin = con.execute("SELECT value FROM meta WHERE key = 'admin_hash'").fetchone()
        if admin is not None and admin[0] == token_hash:
            return Login("admin", token_hash)
        return None

    def set_token_hash(self, name: str | None, token_hash: str) -> None:
        """Replace the token of annotator `name` (or the admin's when None); the old one stops working."""
        with self._connect(write=True) as con:
            if name is None:
                con.execute("UPDATE meta SET value = ? WHERE key = 'admin_hash'", (token_hash,))
                return
            cur = con.execute("UPDATE annotators SET token_hash = ? WHERE name = ?", (token_hash, name))
            if cur.rowcount != 1:
                raise SciplanError(f"{self.path}: no annotator named {name!r}")

    def goal_ids(self) -> list[str]:
        """The ids of the study's goals, in study order."""
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT id FROM goals ORDER BY position")]

    def annotator_names(self) -> list[str]:
        """All annotators' names, in creation order."""
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT name FROM annotators ORDER BY rowid")]

    # -- annotating -----------------------------------------------------------------

    def queue(self, annotator_id: str) -> list[QueueEntry]:
        """An annotator's assignments in their order."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, position, status, time_spent_ms FROM assignments WHERE annotator_id = ? ORDER BY position",
                (annotator_id,),
            ).fetchall()
        return [QueueEntry(r["id"], r["position"], r["status"], r["time_spent_ms"]) for r in rows]

    def open_item(self, assignment_id: str, annotator_id: str) -> ItemView | None:
        """The assignment with its goal, plans and answers, only if it is this annotator's."""
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM assignments WHERE id = ? AND annotator_id = ?", (assignment_id, annotator_id)
            ).fetchone()
            if row is None:
                return None
            goal = Goal.model_validate_json(
                con.execute("SELECT record FROM goals WHERE id = ?", (row["goal_id"],)).fetchone()[0]
            )
            plans = {
                r["arm"]: Plan.model_validate_json(r["record"])
                for r in con.execute("SELECT arm, record FROM plans WHERE goal_id = ?", (row["goal_id"],))
            }
            items = _group_items(
                con.execute("SELECT * FROM item_answers WHERE assignment_id = ?", (assignment_id,)).fetchall()
            ).get(assignment_id, {})
        if row["opened_at"] is None:  # only the first visit writes
            with self._connect(write=True) as con:
                con.execute(
                    "UPDATE assignments SET opened_at = COALESCE(opened_at, ?) WHERE id = ?", (now(), assignment_id)
                )
        answer = _answer(row, goal.rubric, items)
        return ItemView(
            row["id"], row["position"], row["status"], row["left_arm"], goal, plans["a"], plans["b"], answer
        )

    def shape(self, assignment_id: str, annotator_id: str) -> tuple[str, int] | None:
        """The arm shown left and the number of rubric items, only if the assignment is this annotator's."""
        with self._connect() as con:
            row = con.execute(
                "SELECT a.left_arm, g.n_items FROM assignments a JOIN goals g ON g.id = a.goal_id "
                "WHERE a.id = ? AND a.annotator_id = ?",
                (assignment_id, annotator_id),
            ).fetchone()
        return None if row is None else (row["left_arm"], row["n_items"])

    def save(self, assignment_id: str, annotator_id: str, answer: Answer, submit: bool = False) -> SaveResult | None:
        """Store an annotator's answers for their assignment (None when it is not theirs).

        The item is done once submitted complete, and stays done while edits keep it complete.
        """
        with self._connect(write=True) as con:
            row = con.execute(
                "SELECT a.status, a.time_spent_ms, a.submitted_at, g.n_items FROM assignments a "
                "JOIN goals g ON g.id = a.goal_id WHERE a.id = ? AND a.annotator_id = ?",
                (assignment_id, annotator_id),
            ).fetchone()
            if row is None:
                return None
            missing = answer.missing(row["n_items"])
            done = (submit or row["status"] == "done") and not missing
            stamp = now()
            submitted_at = stamp if (done and submit) else (row["submitted_at"] if done else None)
            # Time only grows: a stale tab or a retried save never takes recorded time away.
            spent = max(row["time_spent_ms"], min(answer.time_spent_ms, MAX_TIME_MS))
            con.execute(
                "UPDATE assignments SET preference = ?, score_a = ?, score_b = ?, rationale = ?, "
                "time_spent_ms = ?, status = ?, updated_at = ?, submitted_at = ?, saves = saves + 1 WHERE id = ?",
                (
                    answer.preference,
                    answer.score_a,
                    answer.score_b,
                    answer.rationale,
                    spent,
                    "done" if done else "started",
                    stamp,
                    submitted_at,
                    assignment_id,
                ),
            )
            con.executemany(
                "INSERT INTO item_answers (assignment_id, idx, satisfied_a, satisfied_b, valid) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (assignment_id, idx) DO UPDATE SET satisfied_a = excluded.satisfied_a, "
                "satisfied_b = excluded.satisfied_b, valid = excluded.valid",
                [
                    (
                        assignment_id,
                        i.index,
                        int(i.satisfied_a),
                        int(i.satisfied_b),
                        None if i.valid is None else int(i.valid),
                    )
                    for i in answer.items
                    if 0 <= i.index < row["n_items"]
                ],
            )
        return SaveResult("done" if done else "started", missing, stamp)

    # -- overview -------------------------------------------------------------------

    def progress(self) -> list[Progress]:
        """Each annotator's progress."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT n.name, COUNT(a.id) AS total, SUM(a.status = 'started') AS started, "
                "SUM(a.status = 'done') AS done, COALESCE(SUM(a.time_spent_ms), 0) AS spent, "
                "MAX(a.updated_at) AS last FROM annotators n LEFT JOIN assignments a ON a.annotator_id = n.id "
                "GROUP BY n.id ORDER BY n.rowid"
            ).fetchall()
        return [Progress(r["name"], r["total"], r["started"] or 0, r["done"] or 0, r["spent"], r["last"]) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many goals, annotators and assignments the study has."""
        with self._connect() as con:
            row = con.execute(
                "SELECT (SELECT COUNT(*) FROM goals), (SELECT COUNT(*) FROM annotators), "
                "(SELECT COUNT(*) FROM assignments)"
            ).fetchone()
        return {"goals": row[0], "annotators": row[1], "assignments": row[2]}

    def annotations(self, include_started: bool = True) -> list[Annotation]:
        """Submitted assignments (and those in progress, unless told not to), resolved to arms."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT a.*, n.name AS annotator, g.record AS goal, pa.id AS pa_id, pa.record AS pa, "
                "pb.id AS pb_id, pb.record AS pb FROM assignments a "
                "JOIN annotators n ON n.id = a.annotator_id JOIN goals g ON g.id = a.goal_id "
                "JOIN plans pa ON pa.goal_id = a.goal_id AND pa.arm = 'a' "
                "JOIN plans pb ON pb.goal_id = a.goal_id AND pb.arm = 'b' "
                "WHERE (a.status = 'done' OR (? AND a.status = 'started')) ORDER BY g.position, n.rowid",
                (include_started,),
            ).fetchall()
            items = _group_items(
                con.execute(
                    "SELECT i.* FROM item_answers i JOIN assignments a ON a.id = i.assignment_id "
                    "WHERE (a.status = 'done' OR (? AND a.status = 'started'))",
                    (include_started,),
                ).fetchall()
            )
        out = []
        for r in rows:
            goal = Goal.model_validate_json(r["goal"])
            answer = _answer(r, goal.rubric, items.get(r["id"], {}))
            out.append(
                Annotation(
                    **answer.model_dump(),
                    id=r["id"],
                    annotator=r["annotator"],
                    goal_id=r["goal_id"],
                    plan_a_id=r["pa_id"],
                    plan_b_id=r["pb_id"],
                    model_a=Plan.model_validate_json(r["pa"]).model,
                    model_b=Plan.model_validate_json(r["pb"]).model,
                    left_arm=r["left_arm"],
                    attention=goal.meta.get("attention"),
                    status=r["status"],
                    opened_at=r["opened_at"],
                    updated_at=r["updated_at"],
                    submitted_at=r["submitted_at"],
                )
            )
        return out


def _new_id() -> str:
    # Random, not derived: knowing a goal id and a name must not let anyone name another's item.
    return os.urandom(12).hex()


def _group_items(rows: list[sqlite3.Row]) -> dict[str, dict[int, sqlite3.Row]]:
    out: dict[str, dict[int, sqlite3.Row]] = {}
    for r in rows:
        out.setdefault(r["assignment_id"], {})[r["idx"]] = r
    return out


def _answer(row: sqlite3.Row, rubric: list[str], items: dict[int, sqlite3.Row]) -> Answer:
    answers = []
    for i, text in enumerate(rubric):
        it = items.get(i)
        answers.append(
            ItemAnswer(
                index=i,
                item=text,
                satisfied_a=bool(it and it["satisfied_a"]),
                satisfied_b=bool(it and it["satisfied_b"]),
                valid=None if it is None or it["valid"] is None else bool(it["valid"]),
            )
        )
    return Answer(
        preference=row["preference"],
        score_a=row["score_a"],
        score_b=row["score_b"],
        rationale=row["rationale"],
        items=answers,
        time_spent_ms=row["time_spent_ms"],
    )
