"""Writing outside the scratch folder.

Attack: no homework. At import, try to create a file named red_team_escape* in every place a later run, the
TA or another student would see: the project root and its checks folder (a planted conftest would run in
every later grading), the virtual environment's site-packages (a .pth runs at every interpreter start), /tmp,
/var/tmp and /dev/shm (shared with every other process), the grader's out folder and class folder (found in
/proc/self/mountinfo), and the batch work folder and its MNIST copy around the scratch folder.
Expected: every attempt fails (permission denied, read-only, or a private per-run /dev/shm); nothing named
red_team_escape* and nothing owned by a grading uid exists outside scratch afterwards. Every check scores 0.
Only new files are tried, never an existing one, so a failure of the sandbox cannot damage the project.
"""

import os
import site
import sys

import grader

_rt_project = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
_rt_scratch = os.path.realpath(os.getcwd())
_rt_targets = [
    os.path.join(_rt_project, "red_team_escape.txt"),
    os.path.join(_rt_project, "checks", "hw1_bn_mlp", "red_team_escape.py"),
    *(os.path.join(folder, "red_team_escape.pth") for folder in site.getsitepackages()),
    os.path.join(sys.prefix, "red_team_escape.txt"),
    "/tmp/red_team_escape.txt",
    "/var/tmp/red_team_escape.txt",
    "/dev/shm/red_team_escape.txt",
    os.path.join(os.path.dirname(_rt_scratch), "red_team_escape.txt"),
    os.path.join(os.path.dirname(_rt_scratch), "data", "MNIST", "raw", "red_team_escape.txt"),
]
try:
    with open("/proc/self/mountinfo", encoding="utf-8") as _rt_handle:
        _rt_targets += [os.path.join(line.split()[4], "red_team_escape.txt") for line in _rt_handle
                        if " tmpfs " in line]
except OSError:
    pass
for _rt_target in _rt_targets:
    try:
        _rt_fd = os.open(_rt_target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as error:
        print(f"red team: could not write {_rt_target}: {error.strerror}")
        continue
    os.write(_rt_fd, b"# written by tests/red_team/write_outside_scratch.py\n")
    os.close(_rt_fd)
    print(f"red team: WROTE {_rt_target}")
