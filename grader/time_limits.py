"""Time limits on student code that count the CPU time it used, with a wall-clock backstop.

A limit on the wall clock flips with the machine's load: on a shared server where other work takes 5 of every 6
CPU seconds, a check that needs 0.1 s of CPU takes 0.6 s, and a limit with a 20x margin keeps barely 3x. The
process's CPU time (ITIMER_PROF: user + system, every thread) is what the code itself did, whatever else runs, so
a limit on it can be tight and still never fail a correct submission because the machine was busy; an endless
loop is caught after `cpu_s` of its own work. Code that waits instead of computing (a sleep, a read from a pipe
that never comes, DataLoader workers that never answer) uses no CPU: the wall-clock timer catches it at
WALL_FACTOR x `cpu_s`, a margin that holds up to a load of that factor times the check's own margin.

Both timers use signals, so they work in the main thread of a POSIX process (a grading process, a kernel's
forked check); elsewhere there is no limit here and the grading process's own wall-clock limit still holds.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

WALL_FACTOR = 3.0


class TimedOut(BaseException):
    """Student code ran past its time limit. A BaseException, so that the student's own `except Exception:` does
    not swallow it."""

    def __init__(self, cpu_s: float, clock: str) -> None:
        super().__init__(describe(cpu_s, clock))
        self.cpu_s = cpu_s
        self.clock = clock  # "cpu": it computed for cpu_s; "wall": it waited WALL_FACTOR x cpu_s

    @property
    def hint(self) -> str:
        """What to look for in the code, by which clock stopped it."""
        if self.clock == "cpu":
            return "an endless loop or a needlessly slow step"
        return "a sleep, input() or a wait for something that never comes"


def describe(cpu_s: float, clock: str) -> str:
    """'2 s of CPU time' or '6 s (waiting, not computing)': how long the code ran past its limit."""
    if clock == "cpu":
        return f"{cpu_s:g} s of CPU time"
    return f"{wall_limit(cpu_s):g} s (waiting, not computing)"


def wall_limit(cpu_s: float) -> float:
    return WALL_FACTOR * cpu_s


def usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def start(cpu_s: float, error: Callable[[float, str], BaseException] = TimedOut) -> Callable[[], None]:
    """Arm both timers: `error(cpu_s, clock)` is raised in the main thread when the first one expires. Returns
    the function that disarms them and puts the previous signal handlers back."""
    if not usable():
        return lambda: None
    previous = {number: signal.getsignal(number) for number in (signal.SIGPROF, signal.SIGALRM)}

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)

    def expired(clock: str) -> Callable[[int, object], None]:
        def handler(_signum: int, _frame: object) -> None:
            cancel()  # the other timer must not fire while this one's exception unwinds
            raise error(cpu_s, clock)
        return handler

    signal.signal(signal.SIGPROF, expired("cpu"))
    signal.signal(signal.SIGALRM, expired("wall"))
    signal.setitimer(signal.ITIMER_PROF, float(cpu_s))
    signal.setitimer(signal.ITIMER_REAL, wall_limit(cpu_s))
    return cancel


@contextlib.contextmanager
def time_limit(cpu_s: float | None, error: Callable[[float, str], BaseException] = TimedOut) -> Iterator[None]:
    """The block may compute for `cpu_s` seconds of CPU time and last WALL_FACTOR x that on the wall clock."""
    if not cpu_s:
        yield
        return
    cancel = start(cpu_s, error)
    try:
        yield
    finally:
        cancel()
