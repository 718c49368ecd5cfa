"""A fork bomb.

Attack: no homework. At import, every process forks forever (each named rt_forkbomb, so the test can find
leftovers), ignoring fork failures.
Expected: the process limit stops the growth, the wall-clock limit stops the run, every process of the bomb
is gone after the batch, other students are graded as if alone. Every check scores 0.
"""

import ctypes
import os

ctypes.CDLL(None).prctl(15, b"rt_forkbomb", 0, 0, 0)  # PR_SET_NAME
while True:
    try:
        os.fork()
    except OSError:
        pass
