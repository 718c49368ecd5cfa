"""The progress display of `grader grade`: one redrawn line on a terminal, quiet in logs.

`Progress` is what `grade_batch(progress=...)` takes: called with a line, it prints that line (data
set-up, skipped submissions, bad input, interruption: always worth reading). Its hooks `start`,
`begin` and `finish` drive the bar: students done / total, the one(s) being graded, time left.
On a TTY the bar is one line redrawn with "\\r" (once a second, so time left keeps moving); when the
stream is not a TTY (CI logs, redirected output) there is no bar. Either way, per submission only those
with problems (not graded, or checks that could not run) get a line, and `close` prints the final
summary line; every score is in the table `grader grade` prints at the end.
"""

from __future__ import annotations

import heapq
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Self, TextIO


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, tick_s: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.tick_s = tick_s
        self.total = 0
        self.done = 0
        self.problems = 0
        self.current: dict[str, float] = {}  # student -> when their grading began
        self.durations: list[float] = []  # of the submissions finished, for the typical one's time
        self.slots = 1  # the most submissions graded at once so far (the batch's --jobs, once they all run)
        self.started_at: float | None = None
        self._lock = threading.RLock()
        self._shown = False  # a bar is on the screen
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- the interface grade_batch uses ---------------------------------------------------------------
    def __call__(self, line: str) -> None:
        """A message: printed whatever the stream is (above the bar on a terminal)."""
        with self._lock:
            self._clear()
            print(line, file=self.stream, flush=True)
            self._draw()

    def start(self, total: int) -> None:
        with self._lock:
            self.total, self.done, self.problems = total, 0, 0
            self.started_at = self.clock()
            if self.tty and total and self.tick_s > 0 and self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="grader-progress", daemon=True)
                self._ticker.start()
            self._draw()

    def begin(self, student: str) -> None:
        """A submission started grading (called from the worker threads)."""
        with self._lock:
            self.current[student] = self.clock()
            self.slots = max(self.slots, len(self.current))
            self._draw()

    def finish(self, student: str, line: str, *, problem: bool = False) -> None:
        with self._lock:
            began = self.current.pop(student, None)
            if began is not None:
                self.durations.append(self.clock() - began)
            self.done += 1
            self.problems += problem
            if problem:  # the scores are printed at the end; here only what needs a look
                self._clear()
                print(line, file=self.stream, flush=True)
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None
        with self._lock:
            self._clear()
            if self.started_at is not None and self.total:
                elapsed = self.clock() - self.started_at
                extra = f"; {self.problems} with problems (listed above)" if self.problems else ""
                print(f"graded {self.done}/{self.total} submission(s) in {_duration(elapsed)}{extra}",
                      file=self.stream, flush=True)
                self.started_at = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- drawing --------------------------------------------------------------------------------------
    def status_line(self) -> str:
        """The bar's text: done/total, a bar, who is being graded, time left."""
        now = self.clock()
        share = self.done / self.total if self.total else 0.0
        filled = round(20 * share)
        parts = [f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total}"]
        if self.current:
            names = sorted(self.current, key=lambda s: (self.current[s], s))
            parts.append("grading " + ", ".join(f"{name} ({_duration(now - self.current[name])})" for name in names))
        if self.started_at is not None and self.durations:
            parts.append(f"about {_duration(self.time_left(now))} left")
        elif self.done < self.total:
            parts.append("time left: after the first submission")
        return " | ".join(parts)

    def time_left(self, now: float) -> float:
        """What is left to do at the typical (median) submission's pace, spread over the slots: a few students who
        hung until their time limits do not make the estimate the worst case."""
        typical = statistics.median(self.durations)
        free_at = [max(0.0, typical - (now - began)) for began in self.current.values()]
        free_at += [0.0] * max(0, self.slots - len(free_at))
        heapq.heapify(free_at)
        for _ in range(self.total - self.done - len(self.current)):  # each waiting one takes the first free slot
            heapq.heappush(free_at, heapq.heappop(free_at) + typical)
        return max(free_at, default=0.0)

    def _draw(self) -> None:
        if not self.tty or self.started_at is None or not self.total:
            return
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        text = self.status_line()
        if len(text) > width:
            text = text[: width - 3] + "..."
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_s):
            with self._lock:
                self._draw()
