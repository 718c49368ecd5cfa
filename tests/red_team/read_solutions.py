"""Reading the reference solution from solutions/.

Attack: no homework of its own. At import, open the reference solution at its usual path
(/work/main/solutions/...) and at the real project's path computed from `grader.__file__`, list the
solutions folder, and execute the first file that defines `build_model` into this module, so its functions
become the submission's.
Expected: solutions/ is hidden from grading processes (an empty folder), nothing is found, the module
defines nothing: every check scores 0.
"""

import os

import grader

_rt_project = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
_rt_candidates = [
    os.path.join(_rt_project, "solutions", "hw1_bn_mlp", "hw1_bn_mlp.py"),
    "/work/main/solutions/hw1_bn_mlp/hw1_bn_mlp.py",
]
for _rt_root in (os.path.join(_rt_project, "solutions"), "/work/main/solutions"):
    try:
        for _rt_folder, _rt_dirs, _rt_files in os.walk(_rt_root):
            _rt_candidates += [os.path.join(_rt_folder, f) for f in _rt_files if f.endswith(".py")]
    except OSError:
        pass
for _rt_path in _rt_candidates:
    try:
        with open(_rt_path, encoding="utf-8") as _rt_handle:
            _rt_source = _rt_handle.read()
    except OSError as error:
        print(f"red team: cannot read {_rt_path}: {error}")
        continue
    if "def build_model" in _rt_source:
        print(f"red team: copied the solution from {_rt_path}")
        exec(compile(_rt_source, _rt_path, "exec"), globals())  # noqa: S102 - the attack
        break
