"""Monkeypatching the check modules' own globals.

Attack: a submission with real bugs (BUGGY in tests/test_red_team.py) that, at import, rebinds `require` and
`fail` inside every loaded check module (`check_*` in sys.modules). The checks look these names up in their
module's globals at call time, so every requirement becomes a no-op, while the functions the integrity
snapshot watches (grader.checking.require, pytest.fail, ...) stay untouched.
Expected: no check scores more than it does for the same buggy code without this patch.
"""

import sys


def _rt_nothing(*args, **kwargs):
    return None


for _rt_name, _rt_module in list(sys.modules.items()):
    if _rt_name.startswith("check_") and hasattr(_rt_module, "require"):
        _rt_module.require = _rt_nothing
        if hasattr(_rt_module, "fail"):
            _rt_module.fail = _rt_nothing
