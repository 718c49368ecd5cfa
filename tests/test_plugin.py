"""The points plugin end to end: markers, hidden checks, messages, the JSON it writes."""

from __future__ import annotations

import json
import time

import pytest

CHECKS = '''
import pytest
from grader.checking import fail

@pytest.mark.points(2)
def check_passes():
    """A check that passes."""

@pytest.mark.points(1)
def check_fails_with_sentence():
    fail("layer 2 should map 100 -> 100 features.")

@pytest.mark.points(3)
def check_not_implemented():
    raise NotImplementedError("Fill this blank!")

@pytest.mark.points(1)
def check_crashes():
    {}["missing"]

@pytest.mark.points(5, visibility="hidden")
def check_hidden():
    pass
'''


def run(pytester: pytest.Pytester, *args: str) -> dict:
    pytester.makeini("[pytest]\npython_files = check_*.py\npython_functions = check_*\n")
    pytester.makepyfile(check_demo=CHECKS)
    out = pytester.path / "results.json"
    pytester.runpytest_subprocess(f"--grader-results={out}", *args)
    return json.loads(out.read_text())


def test_points_status_and_messages(pytester: pytest.Pytester) -> None:
    data = run(pytester)
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["passes"]["status"] == "passed" and checks["passes"]["points"] == 2
    assert checks["passes"]["description"] == "A check that passes."
    assert checks["fails_with_sentence"] == checks["fails_with_sentence"] | {
        "status": "failed", "points": 0.0, "message": "layer 2 should map 100 -> 100 features."}
    assert checks["not_implemented"]["message"].endswith("is not implemented yet: fill its blank.")
    assert checks["crashes"]["status"] == "error" and "raised KeyError" in checks["crashes"]["message"]
    assert checks["hidden"]["visibility"] == "hidden" and data["hidden_not_run"] == 0


def test_visible_run_deselects_hidden_checks_and_counts_them(pytester: pytest.Pytester) -> None:
    data = run(pytester, "--grader-visibility=visible")
    assert "hidden" not in {c["name"] for c in data["checks"]}
    assert data["hidden_not_run"] == 1


def test_misspelt_visibility_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\npython_files = check_*.py\npython_functions = check_*\n")
    pytester.makepyfile(check_bad='import pytest\n@pytest.mark.points(1, visibility="secret")\ndef check_x(): pass\n')
    result = pytester.runpytest_subprocess(f"--grader-results={pytester.path / 'r.json'}")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*visibility must be 'visible' or 'hidden'*"])


def test_plugin_is_inert_without_results_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_ok(): pass\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_hanging_check_times_out_alone(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\npython_files = check_*.py\npython_functions = check_*\n"
                     "timeout_method = signal\n")
    pytester.makepyfile(check_loop='''
import pytest

@pytest.mark.points(1)
@pytest.mark.timeout(1)
def check_loops():
    while True:
        pass

@pytest.mark.points(1)
def check_after():
    pass
''')
    out = pytester.path / "results.json"
    pytester.runpytest_subprocess(f"--grader-results={out}")
    checks = {c["name"]: c for c in json.loads(out.read_text())["checks"]}
    assert checks["loops"]["status"] == "error"
    assert checks["loops"]["message"] == ("timed out after 1 s of CPU time: look for an "
                                          "endless loop or a needlessly slow step.")
    assert checks["after"]["status"] == "passed"


def test_a_check_that_waits_is_stopped_by_the_wall_clock(pytester: pytest.Pytester) -> None:
    """A sleep uses no CPU: the wall-clock backstop (3x the CPU limit) stops it, and the message says it waited."""
    pytester.makeini("[pytest]\npython_files = check_*.py\npython_functions = check_*\n")
    pytester.makepyfile(check_wait='''
import time
import pytest

@pytest.mark.points(1)
@pytest.mark.timeout(0.5)
def check_sleeps():
    time.sleep(60)
''')
    out = pytester.path / "results.json"
    started = time.monotonic()
    pytester.runpytest_subprocess(f"--grader-results={out}")
    assert time.monotonic() - started < 30
    (check,) = json.loads(out.read_text())["checks"]
    assert check["status"] == "error"
    assert check["message"].startswith("timed out after 1.5 s (waiting, not computing)"), check["message"]
    assert "a sleep, input()" in check["message"]
