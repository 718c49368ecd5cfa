"""SIGTERM ignored, and a busy loop in train_epoch.

Attack: the reference solution whose train_epoch ignores SIGTERM (and SIGINT, SIGHUP), starts a helper
process that does the same, and spins forever, hoping that a grader that stops runs politely never gets rid
of it.
Expected: the grader kills (SIGKILL) at its wall-clock limit: no check scores more than the reference's,
nothing is left running, the batch goes on.
"""

import ctypes
import os
import signal


def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    ctypes.CDLL(None).prctl(15, b"rt_sigterm", 0, 0, 0)  # PR_SET_NAME: the test looks for leftovers by name
    if os.fork() == 0:
        while True:
            pass
    while True:
        pass
