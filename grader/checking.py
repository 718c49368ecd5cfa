"""Small helpers for writing checks: fail with one sentence, no traceback."""

from __future__ import annotations

from typing import NoReturn

import pytest


def fail(message: str) -> NoReturn:
    """Fail the check with one sentence for the student (pytest's `pytrace=False`)."""
    __tracebackhide__ = True
    pytest.fail(message, pytrace=False)


def require(condition: bool, message: str) -> None:
    __tracebackhide__ = True
    if not condition:
        fail(message)
