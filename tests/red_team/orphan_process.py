"""An orphan process that outlives the submission.

Attack: no homework. At import, double-fork; the grandchild leaves the session (setsid), ignores SIGHUP and
SIGTERM and replaces itself with `/bin/sleep 991` carrying RED_TEAM_ORPHAN=1 in its environment (so the test
can find it by its command line or environment). The submission itself returns at once.
Expected: when the grading process ends, everything it started ends too (a PID namespace): after the batch
no such process exists. Every check scores 0.
"""

import os
import signal

_rt_child = os.fork()
if _rt_child == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.execve("/bin/sleep", ["sleep", "991"], {**os.environ, "RED_TEAM_ORPHAN": "1"})
    os._exit(0)
os.waitpid(_rt_child, 0)
print("red team: orphan started")
