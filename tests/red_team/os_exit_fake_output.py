"""os._exit after printing fake results.

Attack: the reference solution, then at import print what a fully passing pytest run and a full-marks result
JSON look like (stdout and stderr), and leave with `os._exit(0)` before any check runs, hoping the grader reads
the output or the exit status instead of its own result file.
Expected: no result file, so every check scores 0; the fake output is only stored as captured output.
"""

import json
import os
import sys

print("." * 24 + " " * 49 + "[100%]")
print("24 passed in 1.00s")
print(json.dumps({"points": 37.0, "max_points": 37.0, "checks": [{"name": "mnist_accuracy", "status": "passed",
                                                                  "points": 4.0}]}))
print("RESULT: 37/37 passed", file=sys.stderr)
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
