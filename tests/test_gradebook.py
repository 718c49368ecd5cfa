"""The gradebook keeps complete runs only and rebuilds the CSV and reports from them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from grader.exports import REPORT_SCHEMA, grades_csv, write_exports
from grader.gradebook import Gradebook, Run
from grader.results import CheckResult


def run(student: str, sha: str = "s1", points: float = 1.0, version: str = "v1") -> Run:
    checks = (CheckResult("a", "first", 1, points, "passed" if points else "failed", "" if points else "no"),
              CheckResult("b", "second", 2, 0, "error", "crashed", visibility="hidden"))
    return Run(student=student, assignment="hw", source=f"{student}.py", sha256=sha, suite_version=version,
               status="graded", problem="", points=points, max_points=3, graded_at="2026-11-23T00:00:00+00:00",
               duration_s=1.5, checks=checks, notes=("note",), stdout="out", stderr="err")


def test_latest_run_per_student_round_trips(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "grades.db") as book:
        book.record(run("bob", points=0))
        book.record(run("alice"))
        book.record(run("bob", sha="s2"))
        latest = book.latest("hw")
    assert [r.student for r in latest] == ["alice", "bob"]
    assert latest[1] == run("bob", sha="s2")


def test_is_current_needs_same_bytes_and_same_suite(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "grades.db") as book:
        book.record(run("alice"))
        assert book.is_current("hw", "alice", "s1", "v1")
        assert not book.is_current("hw", "alice", "s2", "v1")
        assert not book.is_current("hw", "alice", "s1", "v2")
        assert not book.is_current("hw", "carol", "s1", "v1")


def test_a_failed_write_leaves_no_partial_run(tmp_path: Path) -> None:
    broken = run("alice")
    broken = Run(**{**broken.__dict__, "checks": broken.checks + (broken.checks[0],)})  # duplicate check name
    with Gradebook(tmp_path / "grades.db") as book:
        with pytest.raises(Exception, match="UNIQUE"):
            book.record(broken)
        assert book.latest("hw") == []
        book.record(run("alice"))
        assert len(book.latest("hw")) == 1


def test_exports_are_rebuilt_from_the_gradebook(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "grades.db") as book:
        book.record(run("alice"))
        book.record(run("bob", points=0))
        write_exports(book, "hw", tmp_path)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert rows == [{"student": "alice", "total": "1", "max": "3", "status": "graded", "a": "1", "b": "0"},
                    {"student": "bob", "total": "0", "max": "3", "status": "graded", "a": "0", "b": "0"}]
    report = json.loads((tmp_path / "bob" / "report.json").read_text())
    assert report["schema"] == REPORT_SCHEMA and report["points"] == 0
    assert report["checks"][1]["visibility"] == "hidden" and report["checks"][1]["message"] == "crashed"
    assert report["output"] == {"stdout": "out", "stderr": "err"} and report["notes"] == ["note"]
    assert grades_csv([]) == "student,total,max,status\n"
