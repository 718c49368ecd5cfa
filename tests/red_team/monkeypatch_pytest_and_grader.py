"""Monkeypatching pytest and the grader's helpers at import (the obvious way).

Attack: a submission with real bugs (see BUGGY in tests/test_red_team.py) that, at import, replaces
`_pytest.outcomes.fail`, `pytest.fail`, `grader.checking.fail` and `grader.checking.require` with functions
that do nothing, so that every failed requirement would pass.
Expected: the plugin's integrity snapshot sees the replaced functions and the parent awards nothing from the
run: no check scores more than it does for the same buggy code without this patch (here: all 0).
"""

import _pytest.outcomes
import pytest

import grader.checking


def _rt_nothing(*args, **kwargs):
    return None


_pytest.outcomes.fail = _rt_nothing
pytest.fail = _rt_nothing
grader.checking.fail = _rt_nothing
grader.checking.require = _rt_nothing
