"""Reading the hidden checks and smuggling them out through the report.

Attack: no homework of its own. The hidden checks (`### BEGIN HIDDEN` regions, left out of the student
release) run in the grading process, so their files are there. At import, find check_4_compare.py (and every
check file) next to the loaded check modules, print them (captured output is stored in the gradebook and
written to the student's report.json), and make build_model raise an error whose text is that source (check
messages are stored and reported too).
Expected: the hidden checks are not readable by student code, or at least their contents never reach the
student's report: no line of a HIDDEN region appears in the stored output or messages. Every check scores 0.
"""

import glob
import os
import sys

_rt_folder = os.path.dirname(sys.modules["check_1_model"].__file__)
_rt_leak = ""
for _rt_path in sorted(glob.glob(os.path.join(_rt_folder, "check_*.py"))):
    try:
        with open(_rt_path, encoding="utf-8") as _rt_handle:
            _rt_leak += f"\n===== {os.path.basename(_rt_path)} =====\n" + _rt_handle.read()
    except OSError as error:
        _rt_leak += f"\n===== {os.path.basename(_rt_path)}: {error}\n"
print(_rt_leak)
print(_rt_leak, file=sys.stderr)
_rt_hidden = _rt_leak[_rt_leak.find("check_4_compare.py"):]


def build_model(hidden=(100, 100), p=0.3):
    raise RuntimeError(_rt_hidden[:900])
