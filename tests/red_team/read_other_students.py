"""Copying another student's submission from the class folder or the grader's work folders.

Attack: no homework of its own. At import, find the folders the grader hides (they are listed in
/proc/self/mountinfo: the class folder, the intake folder, the out folder), walk them, try the batch work
folder around this process's scratch folder (its parent), and execute the first other student's .py that
defines `build_model` and `train_epoch` (the homework's) into this module.
Expected: those folders look empty and the work folder cannot be listed: nothing is found, the module
defines nothing, every check scores 0.
"""

import glob
import os
import sys

_rt_here = os.path.realpath(os.getcwd())
_rt_places = [os.path.dirname(_rt_here), os.path.join(os.path.dirname(_rt_here), "intake")]
try:
    with open("/proc/self/mountinfo", encoding="utf-8") as _rt_handle:
        _rt_places += [line.split()[4] for line in _rt_handle if " tmpfs " in line]
except OSError:
    pass
_rt_places += glob.glob("/tmp/grader-batch-*") + glob.glob("/tmp/*/grader-batch-*")
_rt_found = []
for _rt_place in _rt_places:
    try:
        for _rt_folder, _rt_dirs, _rt_files in os.walk(_rt_place):
            _rt_found += [os.path.join(_rt_folder, f) for f in _rt_files if f.endswith(".py")]
    except OSError:
        pass
print(f"red team: searched {len(_rt_places)} places, found {len(_rt_found)} .py files")
_rt_python = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, *sys.path} if p)
for _rt_path in _rt_found:
    if os.path.realpath(_rt_path).startswith((_rt_here, *_rt_python)):
        continue  # our own copy, the interpreter's and the grader's own files
    try:
        with open(_rt_path, encoding="utf-8") as _rt_handle:
            _rt_source = _rt_handle.read()
    except (OSError, UnicodeDecodeError):
        continue
    if "def build_model" in _rt_source and "def train_epoch" in _rt_source and "red team" not in _rt_source:
        print(f"red team: copied {_rt_path}")
        exec(compile(_rt_source, _rt_path, "exec"), globals())  # noqa: S102 - the attack
        break
