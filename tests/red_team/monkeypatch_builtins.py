"""Monkeypatching builtins and the standard library the checks call.

Attack: a submission with real bugs (BUGGY in tests/test_red_team.py) that, at import, replaces
`builtins.isinstance` with a version that answers True when a check file asks whether something is a
CrossEntropyLoss or an Adam optimizer, replaces `math.isclose` with one that always says True (the cost and
accuracy checks compare with it), and wraps `builtins.__import__` (a hook that would let it rewrite any
module imported later). None of these are in the integrity snapshot.
Expected: no check scores more than it does for the same buggy code without this patch.
"""

import builtins
import math
import sys

import torch

_rt_isinstance = builtins.isinstance
_rt_import = builtins.__import__


def _rt_lying_isinstance(obj, kind):
    if kind in (torch.nn.CrossEntropyLoss, torch.optim.Adam):
        caller = sys._getframe(1).f_code.co_filename
        if caller.rsplit("/", 1)[-1].startswith("check_"):
            return True
    return _rt_isinstance(obj, kind)


def _rt_watching_import(name, globals=None, locals=None, fromlist=(), level=0):
    return _rt_import(name, globals, locals, fromlist, level)


builtins.isinstance = _rt_lying_isinstance
builtins.__import__ = _rt_watching_import
math.isclose = lambda *args, **kwargs: True
