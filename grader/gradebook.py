"""The SQLite gradebook: every grading run, one transaction each, so a killed grader leaves it consistent.

A run is written only when it is complete (run row and all its check rows commit together), so an
interrupted batch simply has fewer runs and the next `grader grade` resumes with the students that
have none. CSV and per-student JSON reports are rebuilt from here, never kept on the side.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Self

from grader.results import CheckResult, Run

__all__ = ["Gradebook", "Run"]

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    status TEXT NOT NULL,            -- graded | could_not_grade | a bad-input status from intake
    problem TEXT NOT NULL DEFAULT '',
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    graded_at TEXT NOT NULL,
    duration_s REAL NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '[]', -- JSON list: isolation that could not be enforced, recomputations
    stdout TEXT NOT NULL DEFAULT '',
    stderr TEXT NOT NULL DEFAULT '',
    extras TEXT NOT NULL DEFAULT '{}' -- JSON: data for the reports' figures (histograms, costs, confusion)
);
CREATE INDEX IF NOT EXISTS runs_by_student ON runs (assignment, student, id);
CREATE TABLE IF NOT EXISTS check_results (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    visibility TEXT NOT NULL,
    max_points REAL NOT NULL,
    points REAL NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    duration_s REAL NOT NULL,
    PRIMARY KEY (run_id, name)
);
"""


class Gradebook:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record(self, run: Run) -> None:
        """Store a complete run atomically."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (student, assignment, source, sha256, suite_version, status, problem, points, "
                "max_points, graded_at, duration_s, device, notes, stdout, stderr, extras) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.student, run.assignment, run.source, run.sha256, run.suite_version, run.status, run.problem,
                 run.points, run.max_points, run.graded_at, run.duration_s, run.device,
                 json.dumps(list(run.notes)), run.stdout, run.stderr, json.dumps(run.extras, sort_keys=True)),
            )
            db.executemany(
                "INSERT INTO check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, i, c.name, c.description, c.visibility, c.max_points, c.points, c.status,
                  c.message, c.duration_s) for i, c in enumerate(run.checks)],
            )

    def is_current(self, assignment: str, student: str, sha256: str, suite_version: str) -> bool:
        """Whether the student's latest run graded exactly these bytes with exactly this suite (a run the grader's
        own failure left ungraded is never current)."""
        latest = self._latest_row(assignment, student)
        return (latest is not None and latest["status"] != "grader_error"
                and (latest["sha256"], latest["suite_version"]) == (sha256, suite_version))

    def latest(self, assignment: str) -> list[Run]:
        """Each student's latest run for `assignment`, sorted by student."""
        with closing(self._db.cursor()) as cursor:
            cursor.row_factory = sqlite3.Row
            rows = cursor.execute(
                "SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs WHERE assignment = ? GROUP BY student) "
                "ORDER BY student", (assignment,)).fetchall()
        return [self._run_from(row) for row in rows]

    def assignments(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT assignment FROM runs ORDER BY assignment")]

    def _latest_row(self, assignment: str, student: str) -> sqlite3.Row | None:
        with closing(self._db.cursor()) as cursor:
            cursor.row_factory = sqlite3.Row
            return cursor.execute("SELECT * FROM runs WHERE assignment = ? AND student = ? ORDER BY id DESC LIMIT 1",
                                  (assignment, student)).fetchone()

    def _run_from(self, row: sqlite3.Row) -> Run:
        checks = self._db.execute(
            "SELECT name, description, max_points, points, status, message, visibility, duration_s "
            "FROM check_results WHERE run_id = ? ORDER BY position", (row["id"],)).fetchall()
        fields: dict[str, Any] = {k: row[k] for k in row.keys()  # noqa: SIM118 - a Row iterates values
                                  if k not in ("id", "notes", "extras")}
        return Run(**fields, notes=tuple(json.loads(row["notes"])), extras=json.loads(row["extras"]),
                   checks=tuple(CheckResult(*c) for c in checks))  # type: ignore[arg-type]
