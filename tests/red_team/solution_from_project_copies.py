"""Copying the reference solution from the copies the project keeps outside solutions/.

Attack: no homework of its own. solutions/ is hidden, but the project folder is readable, and it holds the
reference elsewhere: the example class (examples/submissions/alice/ is the reference, for `make demo`) and
the git object store (the solution is committed; `git show` works with `-c safe.directory=*`, and loose
objects are just zlib). At import, try those, and execute the first that defines `build_model` into this
module.
Expected: nothing that holds the reference solution is readable by a grading process: the module defines
nothing, every check scores 0.
"""

import glob
import os
import subprocess
import zlib

import grader

_rt_project = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
_rt_sources = []
for _rt_path in sorted(glob.glob(os.path.join(_rt_project, "examples", "**", "*.py"), recursive=True)):
    try:
        with open(_rt_path, encoding="utf-8") as _rt_handle:
            _rt_sources.append((_rt_path, _rt_handle.read()))
    except (OSError, UnicodeDecodeError):
        pass
try:
    _rt_shown = subprocess.run(
        ["git", "-c", "safe.directory=*", "-C", _rt_project, "show", "HEAD:solutions/hw1_bn_mlp/hw1_bn_mlp.py"],
        check=False, capture_output=True, text=True, timeout=30)
    _rt_sources.append(("git show HEAD:solutions/hw1_bn_mlp/hw1_bn_mlp.py", _rt_shown.stdout))
except (OSError, subprocess.SubprocessError):
    pass
for _rt_path in glob.glob(os.path.join(_rt_project, ".git", "objects", "??", "*")):
    try:
        with open(_rt_path, "rb") as _rt_handle:
            _rt_blob = zlib.decompress(_rt_handle.read())
    except (OSError, zlib.error):
        continue
    if _rt_blob.startswith(b"blob ") and b"### BEGIN SOLUTION" in _rt_blob:
        _rt_sources.append((_rt_path, _rt_blob.split(b"\0", 1)[1].decode("utf-8", "replace")))


def _rt_works(source, where):
    space = {"__name__": "red_team_probe"}
    try:
        exec(compile(source, where, "exec"), space)  # noqa: S102 - the attack
        space["build_model"]()
        space["make_criterion"]()
    except BaseException:  # noqa: BLE001 - a template or a wrong example: try the next
        return False
    return True


_rt_working = [(where, source) for where, source in _rt_sources
               if "def build_model" in source and _rt_works(source, where)]
for _rt_where, _ in _rt_working:
    print(f"red team: the reference solution is readable at {_rt_where}")
if _rt_working:
    exec(compile(_rt_working[0][1], _rt_working[0][0], "exec"), globals())  # noqa: S102 - the attack
