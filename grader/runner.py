"""Run an assignment's checks on one submission in a separate pytest process and read back the results.

Student code never runs in the calling process: the checks import it inside a child pytest
process, which writes its results as JSON (never pickle) for this side to read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.results import SuiteResult

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKS = PROJECT_ROOT / "checks"


class UsageError(Exception):
    """Bad input from the user of the grader; the message says what to do. Exit code 2."""

    exit_code = 2


def suite_dir(assignment: str, checks_root: Path | None = None) -> Path:
    folder = (checks_root or DEFAULT_CHECKS) / assignment
    if not (folder / "pytest.ini").is_file():
        known = sorted(p.name for p in (checks_root or DEFAULT_CHECKS).glob("*/pytest.ini"))
        raise UsageError(f"no checks for assignment {assignment!r} in {folder.parent} (known: {known})")
    return folder


def pytest_command(suite: Path, submission: Path, results: Path, *, visibility: str, device: str,
                   data_root: Path | None, artifacts: Path | None = None, challenge: int = 0) -> list[str]:
    command = [
        sys.executable, "-m", "pytest", str(suite), "-c", str(suite / "pytest.ini"), "--rootdir", str(suite),
        "-q", "--no-header", "-p", "no:cacheprovider", f"--submission={submission.resolve()}",
        f"--grader-results={results}", f"--grader-visibility={visibility}", f"--grader-device={device}",
    ]
    command += [f"--grader-challenge={challenge}"] + ([f"--grader-artifacts={artifacts}"] if artifacts else [])
    return command + ([f"--grader-data-root={data_root.resolve()}"] if data_root else [])


def run_suite(submission: Path, assignment: str, *, visibility: str = "visible", device: str = "auto",
              data_root: Path | None = None, timeout_s: float = 900, checks_root: Path | None = None,
              artifacts: Path | None = None, challenge: int = 0) -> SuiteResult:
    """Grade `submission` with the checks of `assignment`; never raises for a broken submission.

    With `artifacts`, the checks' observations are saved there, for the suite's verify.py to judge."""
    suite = suite_dir(assignment, checks_root)
    with tempfile.TemporaryDirectory(prefix="grader-run-") as scratch:
        results = Path(scratch) / "results.json"
        command = pytest_command(suite, submission, results, visibility=visibility, device=device,
                                 data_root=data_root, artifacts=artifacts, challenge=challenge)
        env = os.environ | {"PYTHONDONTWRITEBYTECODE": "1", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
        try:
            proc = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True,
                                  errors="replace", timeout=timeout_s, stdin=subprocess.DEVNULL,
                                  check=False)
        except subprocess.TimeoutExpired:
            return _problem(submission, assignment, f"grading took longer than {timeout_s:.0f} s and was stopped")
        if not results.exists():
            tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["no output"]
            return _problem(submission, assignment, f"the grading process ended (exit code {proc.returncode}) "
                            f"before reporting any result: {tail[0][:300]}")
        data = json.loads(results.read_text(encoding="utf-8"))
    return SuiteResult.from_dict({"submission": str(submission), "assignment": assignment, **data})


def _problem(submission: Path, assignment: str, problem: str) -> SuiteResult:
    return SuiteResult(submission=str(submission), assignment=assignment, checks=(), problem=problem)
