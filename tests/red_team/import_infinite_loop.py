"""An infinite loop at import.

Attack: no homework. At import, ignore SIGALRM (pytest-timeout's per-check alarm, so the check timeout
cannot cut the loop short) and spin forever.
Expected: the grader stops the process at its wall-clock limit: every check scores 0, the batch goes on,
nothing is left running.
"""

import ctypes
import signal

ctypes.CDLL(None).prctl(15, b"rt_importloop", 0, 0, 0)  # PR_SET_NAME: the test looks for leftovers by name
signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass
