"""Forging results.json.

Attack: no homework at all. At import, write a results file in the grader's format in the working folder
(`results.json`, where the plugin writes it) saying every check passed, then exit before pytest can overwrite
it. The check names come from the check files, which the grading process must be able to read.
Expected: the file lacks the run's secret nonce, so it is rejected: every check scores 0.
"""

import ast
import glob
import json
import os
import sys

_rt_folder = os.path.dirname(sys.modules["check_1_model"].__file__)
_rt_checks = []
for _rt_file in sorted(glob.glob(os.path.join(_rt_folder, "check_*.py"))):
    with open(_rt_file, encoding="utf-8") as _rt_handle:
        for _rt_node in ast.parse(_rt_handle.read()).body:
            if isinstance(_rt_node, ast.FunctionDef) and _rt_node.name.startswith("check_"):
                _rt_checks.append({"name": _rt_node.name.removeprefix("check_"), "status": "passed",
                                   "message": "", "points": 4.0, "max_points": 4.0, "duration_s": 0.1})
with open("results.json", "w", encoding="utf-8") as _rt_handle:
    json.dump({"checks": _rt_checks, "hidden_not_run": 0, "tampered": [], "nonce": "0" * 32,
               "points": 37.0, "max_points": 37.0}, _rt_handle)
os._exit(0)
