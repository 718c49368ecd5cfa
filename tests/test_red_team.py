"""Red team: hostile submissions graded in a class beside honest students, with `grade_batch`.

Every file in tests/red_team/ is one attack; its docstring says what it tries and what it must get. A
submission is the attack's file alone, or appended to an honest base (the reference solution, or BUGGY: the
reference with real bugs), so the attacks stay in step with the solution. Each class is graded in one
`grade_batch` call, run in a separate Python process (the "driver") so that a batch that hangs or eats
memory fails this test instead of taking it down; the driver's address space is capped for the same reason.

For every attack: (a) no check scores more than it does for the same submission without the hostile code
(the base graded in the same batch), or more than 0 for an attack without a base; (b) the honest students
get exactly their known results (the reference: full marks; the catalogue's wrong submission: exactly its
catalogued failures), identical in every batch they are graded in; (c) the batch completes, the gradebook
holds one consistent run per student, nothing is written outside scratch (the project tree, /tmp, /var/tmp,
/dev/shm: no new file owned by a grading uid, the same `git status`), none of our processes is left running
(they are recognised by a token in their environment, since other grading runs may share the machine and
the grading uids), the network listener opened here gets no connection, nothing runs in the grader's
process (the pickle marker), and the grader's memory stays bounded.

The grading processes learn two things from the environment only because a real attacker would know them
another way: $RED_TEAM_PORT (a listener to connect to) and $RED_TEAM_MARKER (a path only the grader's user
can write, for the pickle payload).

The grader confines differently as root (namespaces, then a grading uid) and as an ordinary user (a user
namespace of its own first, keeping the user's uid), so, run as root, the attacks on the confinement itself
(`ORDINARY_ATTACKS`: processes, memory, output, reading, writing, the network) are graded a second time, beside
honest students, by a driver running as uid 65534 (the `ordinary` batch; tests/ordinary_user.py; an attack's
tests then also run as `attack@ordinary`). The verdict-forging and parent-side attacks run the same code
whichever uid grades them: graded once. Run as an ordinary user, every batch is that user's already.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from catalogue import BUGS, plant
from ordinary_user import NOBODY, ordinary_user_command, unavailable

from grader.assignment import PROJECT_ROOT
from grader.gradebook import Gradebook, Run
from grader.suite import Suite, load_suite

ASSIGNMENT = "hw1_bn_mlp"
RED_TEAM = Path(__file__).parent / "red_team"
CHECKS = PROJECT_ROOT / "checks" / ASSIGNMENT
WRONG = "no_eval_in_evaluate"  # the honest wrong submission in the big batches (it trains: a real workload)
FAST_WRONG = "syntax_error"  # the honest wrong submission beside the parent-side attacks (cheap)
# Real bugs for the monkeypatching attacks to hide: each costs a check that fails through `require`, and
# train_epoch is left unfinished so that no training run is spent on these submissions.
BUGGY_BUGS = ("he_init", "sgd_optimizer", "mse_loss", "dropout_0_5", "test_loader_drops_last", "accuracy_in_percent")
BUGGY_FAILS = {"init_weights_xavier", "optimizer", "criterion", "dropout_p", "loaders", "evaluate_accuracy",
               "train_epoch_mode", "train_epoch_steps", "train_epoch_cost", "mnist_accuracy"}
UNFINISHED = {"name": "unfinished train_epoch", "old": "    model.train()\n    avg_cost = 0.0",
              "new": "    raise NotImplementedError  # Fill this blank! (not done yet)\n    model.train()\n    avg_cost = 0.0"}


@dataclass(frozen=True)
class Attack:
    base: str | None  # "reference" or "buggy": the honest code the attack is appended to; None: the file alone
    batch: str  # "hang", "main", or "parent" (a batch of its own: these attack the grader's own process)


ATTACKS = {
    # Resource and process attacks, graded under a short wall-clock limit.
    "import_infinite_loop": Attack(None, "hang"),
    "sigterm_ignored_busy_train_epoch": Attack("reference", "hang"),
    "fork_bomb": Attack(None, "hang"),
    "memory_bomb": Attack(None, "hang"),
    "stdout_flood_1gb": Attack(None, "hang"),
    "orphan_process": Attack(None, "hang"),
    # Faking results, rewiring the checks, reading what is hidden, reaching outside.
    "sys_exit_at_import": Attack("reference", "main"),
    "os_exit_fake_output": Attack("reference", "main"),
    "forge_results_json": Attack(None, "main"),
    "forge_results_stolen_nonce": Attack(None, "main"),
    "monkeypatch_pytest_and_grader": Attack("buggy", "main"),
    "monkeypatch_check_globals": Attack("buggy", "main"),
    "monkeypatch_register_plugin": Attack("buggy", "main"),
    "monkeypatch_and_rewrite_snapshot": Attack("buggy", "main"),
    "monkeypatch_builtins": Attack("buggy", "main"),
    "read_solutions": Attack(None, "main"),
    "read_other_students": Attack(None, "main"),
    "solution_from_project_copies": Attack(None, "main"),
    "leak_hidden_checks": Attack(None, "main"),
    "write_outside_scratch": Attack(None, "main"),
    "edit_gradebook": Attack(None, "main"),
    "network_connect": Attack(None, "main"),
    "lying_training_mode": Attack("reference", "main"),
    "pickle_bomb_artifacts": Attack("reference", "main"),
    # Files that attack the grader's own process when it reads them back.
    "fifo_results": Attack(None, "parent"),
    "fifo_artifacts": Attack(None, "parent"),
    "symlink_results_dev_zero": Attack(None, "parent"),
    "malformed_results_stolen_nonce": Attack(None, "parent"),
    "deeply_nested_results": Attack(None, "parent"),
    "crafted_artifacts_crash_verify": Attack(None, "parent"),
}


@dataclass(frozen=True)
class BatchPlan:
    members: dict[str, str]  # student id -> submission text
    limits: dict[str, float]  # grader.sandbox.Limits fields
    jobs: int
    timeout_s: float  # the driver is killed after this: the batch did not complete
    ordinary_user: bool = False  # graded by a driver running as uid 65534 (we are root)


# The attacks graded again by an ordinary user's driver, in one batch, when we are root and can become one.
ORDINARY = "ordinary"
ORDINARY_ATTACKS = ("fork_bomb", "memory_bomb", "orphan_process", "stdout_flood_1gb", "import_infinite_loop",
                    "sigterm_ignored_busy_train_epoch", "read_solutions", "read_other_students",
                    "solution_from_project_copies", "leak_hidden_checks", "write_outside_scratch", "edit_gradebook",
                    "network_connect")
ORDINARY_BATCHES = (ORDINARY,) if os.geteuid() == 0 and unavailable() is None else ()
BATCHES = ["hang", "main", *[n for n, a in ATTACKS.items() if a.batch == "parent"], *ORDINARY_BATCHES]


MEMORY = 2 * 2**30
PARENT_MEMORY = 4 * 2**30  # the driver may map this much beyond what it maps after importing the grader
OUTPUT_BYTES = 2**20  # Limits.output_bytes's default: the stored stdout is at most this plus a note


# ------------------------------------------------------------------------------------------ submissions


def reference_text() -> str:
    return plant(None)


def wrong_text(name: str) -> str:
    return plant(BUGS[name])


def buggy_text() -> str:
    source = reference_text()
    for name in BUGGY_BUGS:
        source = plant(BUGS[name], source)
    return plant(UNFINISHED, source)


def attack_text(name: str) -> str:
    hostile = (RED_TEAM / f"{name}.py").read_text(encoding="utf-8")
    base = ATTACKS[name].base
    if base is None:
        return hostile
    honest = reference_text() if base == "reference" else buggy_text()
    return f"{honest}\n\n# ----- hostile code appended from tests/red_team/{name}.py -----\n{hostile}"


def honest_members(wrong: str) -> dict[str, str]:
    return {"honest_reference": reference_text(), f"honest_{wrong}": wrong_text(wrong)}


def plans() -> dict[str, BatchPlan]:
    def attacks_of(batch: str) -> dict[str, str]:
        return {name: attack_text(name) for name, attack in ATTACKS.items() if attack.batch == batch}

    found = {
        "hang": BatchPlan(members=attacks_of("hang") | honest_members(WRONG),
                          limits={"wall_s": 30, "memory_bytes": MEMORY}, jobs=2, timeout_s=300),
        "main": BatchPlan(members=attacks_of("main") | honest_members(WRONG) | {"baseline_buggy": buggy_text()},
                          limits={"wall_s": 120, "memory_bytes": MEMORY}, jobs=2, timeout_s=300),
    }
    if ORDINARY_BATCHES:  # the hang batch's limits: the honest reference trains within them
        found[ORDINARY] = BatchPlan(members={name: attack_text(name) for name in ORDINARY_ATTACKS}
                                    | honest_members(FAST_WRONG), limits={"wall_s": 30, "memory_bytes": MEMORY},
                                    jobs=2, timeout_s=300, ordinary_user=True)
    for name, attack in ATTACKS.items():
        if attack.batch == "parent":  # one batch each: a batch that breaks says which attack broke it
            found[name] = BatchPlan(members={name: attack_text(name), f"honest_{FAST_WRONG}": wrong_text(FAST_WRONG)},
                                    limits={"wall_s": 60, "memory_bytes": MEMORY}, jobs=2, timeout_s=90)
    return found


# ----------------------------------------------------------------------------- watching the environment


def grading_uids() -> set[int]:
    """The uids student code runs as: `nobody` and the batch's per-slot uids as root; an ordinary user's own
    uid (65534 for our ordinary-user drivers)."""
    from grader import batch

    first = int(getattr(batch, "FIRST_UID", 61000))
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        nobody = NOBODY
    return set(range(first, first + 256)) | {nobody, NOBODY} | ({os.getuid()} if os.getuid() != 0 else set())


ATTACK_NAMES = {"rt_importloop", "rt_sigterm", "rt_forkbomb"}  # what the attacks call their processes (comm)


def processes(token: str) -> dict[int, str]:
    """Live processes of this test's batches: pid -> description.

    Ours only (other grading runs may share the machine and the grading uids): each driver's environment
    carries `token`, and every process forked below it, grading uid or not, shows that environment in
    /proc/<pid>/environ; the attacks' own processes are also recognisable by name.
    """
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if f"RED_TEAM_BATCH={token}".encode() in environ or comm in ATTACK_NAMES \
                or b"RED_TEAM_ORPHAN=1" in environ or cmdline == b"sleep\x00991\x00":
            uid = fields.get("Uid", "?").split()[0]
            found[int(entry)] = f"pid {entry} uid {uid} {comm!r} {cmdline[:80]!r}"
    return found


def leftover_processes(token: str, grace_s: float = 5.0) -> list[str]:
    """Our processes still alive `grace_s` after every driver has exited; killed once recorded."""
    deadline = time.monotonic() + grace_s
    while (left := processes(token)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return sorted(left.values())


def shared_folders() -> list[Path]:
    return [Path(p) for p in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(p)]


def owned_by_grading_uids(roots: list[Path], *, everything: bool = False, drivers: tuple[Path, ...] = ()) -> set[str]:
    """Paths under `roots` owned by a grading uid (descending only where such a uid may write, unless
    `everything`), and anything named red_team_escape*. Under `drivers` (the folders the drivers write, as the
    same uid as an ordinary user's student code), only the latter."""
    uids = grading_uids()
    found = set()
    stack = [str(root) for root in roots]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            ours = any(Path(entry.path).is_relative_to(driver) for driver in drivers)
            if (info.st_uid in uids and not ours) or entry.name.startswith("red_team_escape"):
                found.add(entry.path)
            if stat.S_ISDIR(info.st_mode) and (everything or info.st_mode & 0o002 or info.st_uid in uids):
                stack.append(entry.path)
    return found


def project_paths() -> list[Path]:
    import site

    return [PROJECT_ROOT, *(Path(p) for p in site.getsitepackages() if not Path(p).is_relative_to(PROJECT_ROOT))]


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          check=True).stdout


def grading_could_have(entry: str) -> bool:
    """Whether a `git status --porcelain` entry that changed during a batch may come from a grading process:
    something under it owned by a grading uid, named red_team_escape*, or writable by anyone; or, if it is
    gone, the folder it was in is one a grading uid may write. Other changes are people working on the project meanwhile."""
    path = PROJECT_ROOT / entry[3:].strip().strip('"').split(" -> ")[-1]
    uids = grading_uids()

    def open_to_them(info: os.stat_result) -> bool:
        return info.st_uid in uids or bool(info.st_mode & 0o002)

    if not os.path.lexists(path):
        folder = next(p for p in path.parents if p.exists())
        return open_to_them(folder.stat())
    files = [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else [])]
    return any(f.name.startswith("red_team_escape") or open_to_them(f.lstat()) for f in files)


def remove(paths: set[str]) -> None:
    """Remove what the attacks wrote (they name it red_team_*), never anything else."""
    for path in (p for p in paths if os.path.basename(p).startswith("red_team")):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


# ------------------------------------------------------------------------------------------- the driver

DRIVER = r"""
import json, resource, sys, time, traceback
from pathlib import Path

from grader.batch import BatchOptions, grade_batch
from grader.sandbox import Limits

args = json.loads(sys.argv[1])
with open("/proc/self/status") as status:
    mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
# A grader that reads without bound fails here with MemoryError instead of taking the machine (soft limit:
# the grading processes are given their own).
resource.setrlimit(resource.RLIMIT_AS, (mapped + args["parent_memory"], resource.RLIM_INFINITY))
report = {"error": None}
started = time.monotonic()
try:
    options = BatchOptions(assignment=args["assignment"], out=Path(args["out"]), jobs=args["jobs"], device="cpu",
                           force=True, limits=Limits(**args["limits"]),
                           data_root=Path(args["data_root"]) if args["data_root"] else None)
    summary = grade_batch(Path(args["submissions"]), options, progress=lambda line: print(line, file=sys.stderr,
                                                                                          flush=True))
    report["summary"] = {"graded": summary.graded, "skipped": summary.skipped, "bad_input": summary.bad_input}
except BaseException as error:
    report["error"] = f"{type(error).__name__}: {error}"
    report["traceback"] = traceback.format_exc()
report["wall_s"] = time.monotonic() - started
report["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
report["mapped_at_start"] = mapped
print("RED-TEAM-REPORT " + json.dumps(report), flush=True)
"""


@dataclass(repr=False)
class Batch:
    name: str
    plan: BatchPlan
    folder: Path
    out: Path
    marker: Path
    completed: bool = False
    report: dict[str, object] = field(default_factory=dict)
    log: str = ""
    wall_s: float = 0.0
    runs: dict[str, Run] = field(default_factory=dict)
    run_counts: dict[str, int] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    written: set[str] = field(default_factory=set)
    git_before: str = ""
    git_after: str = ""
    connections: list[str] = field(default_factory=list)
    temp_left: list[str] = field(default_factory=list)  # what the grader left in its temporary folder

    def __repr__(self) -> str:
        return f"<batch {self.name}>"

    def run(self, student: str) -> Run:
        completed = self.completed
        assert completed, self.why_incomplete()
        assert student in self.runs, f"{student}: no run in the gradebook ({sorted(self.runs)})"
        return self.runs[student]

    def why_incomplete(self) -> str:
        error = self.report.get("error") or f"the batch did not finish within {self.plan.timeout_s:.0f} s (hung)"
        return (f"batch {self.name!r} did not complete: {error}\n{self.report.get('traceback', '')}"
                f"\ngrader progress:\n{self.log[-3000:]}\nrecorded runs: {sorted(self.runs)}")


@dataclass(frozen=True)
class Roots:
    """Where the batches are written: `root`, or for an ordinary user's driver `ordinary` (a folder of uid
    65534's, with `data`, its copy of the data; the grading processes write as that uid too, so the scans for
    escaped files look only for red_team_escape* names in it)."""

    root: Path
    ordinary: Path | None = None
    data: Path | None = None


class Driver:
    """One batch graded by a driver process (its environment is watched by `grade`, around all drivers)."""

    def __init__(self, name: str, plan: BatchPlan, roots: Roots) -> None:
        ordinary = plan.ordinary_user and roots.ordinary is not None
        folder = (roots.ordinary if ordinary else roots.root) / name  # type: ignore[operator]
        (folder / "class").mkdir(parents=True)
        for student, text in plan.members.items():
            (folder / "class" / f"{student}.py").write_text(text, encoding="utf-8")
        self.batch = Batch(name, plan, folder, folder / "out", folder / "pickle-marker")
        # The grader's temporary folders go to a folder of our own, removed afterwards even when the driver
        # had to be killed. It must be traversable by the grading uids (their scratch is inside), like /tmp.
        self.temp = Path(tempfile.mkdtemp(prefix=f"red-team-{name}-", dir="/tmp"))
        os.chmod(self.temp, 0o755)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.args = {"assignment": ASSIGNMENT, "submissions": str(folder / "class"), "out": str(self.batch.out),
                     "jobs": plan.jobs, "limits": plan.limits, "parent_memory": PARENT_MEMORY,
                     "data_root": str(roots.data) if ordinary and roots.data else ""}
        self.env = {"TMPDIR": str(self.temp), "RED_TEAM_PORT": str(self.listener.getsockname()[1]),
                    "RED_TEAM_MARKER": str(self.batch.marker)}
        self.ordinary = ordinary
        self.stack = ExitStack()
        if ordinary:
            for path in (self.temp, folder, *folder.rglob("*")):
                os.chown(path, NOBODY, NOBODY)

    def start(self) -> None:
        folder = self.batch.folder
        self.stdout = open(folder / "driver.out", "w+", encoding="utf-8")  # noqa: SIM115 - closed in finish()
        self.stderr = open(folder / "driver.err", "w+", encoding="utf-8")  # noqa: SIM115
        command = [sys.executable, "-c", DRIVER, json.dumps(self.args)]
        env = os.environ | self.env
        if self.ordinary:  # removes its own folders when the stack closes, in finish()
            command, env = self.stack.enter_context(ordinary_user_command(command))
            env |= self.env
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=self.stdout,
                                        stderr=self.stderr, start_new_session=True)

    def finish(self) -> Batch:
        batch = self.batch
        try:
            self.process.wait(max(1.0, batch.plan.timeout_s - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the driver and its forkserver
            self.process.wait()
        self.stack.close()
        batch.wall_s = time.monotonic() - self.started
        self.stdout.seek(0)
        self.stderr.seek(0)
        lines = [line for line in self.stdout.read().splitlines() if line.startswith("RED-TEAM-REPORT ")]
        batch.log = self.stderr.read()
        self.stdout.close()
        self.stderr.close()
        batch.report = json.loads(lines[-1].split(" ", 1)[1]) if lines else {}
        batch.completed = bool(lines) and batch.report.get("error") is None
        while True:
            try:
                connection, peer = self.listener.accept()
            except OSError:  # BlockingIOError: nobody connected
                break
            with connection:
                connection.settimeout(1)
                try:
                    data = connection.recv(200)
                except OSError:
                    data = b""
            batch.connections.append(f"{peer}: {data!r}")
        self.listener.close()
        # torch's own compile cache (torchinductor_<user>) is torch's, kept by design, not the grader's.
        batch.temp_left = sorted(n for n in os.listdir(self.temp) if not n.startswith("torchinductor_"))
        shutil.rmtree(self.temp, ignore_errors=True)
        self._read_gradebook()
        return batch

    def _read_gradebook(self) -> None:
        batch = self.batch
        path = batch.out / "grades.db"
        if not path.exists():
            return
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            batch.run_counts = dict(db.execute("SELECT student, COUNT(*) FROM runs GROUP BY student").fetchall())
        with Gradebook(path) as book:
            batch.runs = {run.student: run for run in book.latest(ASSIGNMENT)}


def grade(names: list[str], roots: Roots, at_once: int = 2) -> dict[str, Batch]:
    """Grade the named batches, `at_once` at a time (a driver and its forkserver hold over 1 GB); the
    environment is compared before and after all of them."""
    all_plans = plans()
    drivers = [Driver(name, all_plans[name], roots) for name in names]
    token = secrets.token_hex(8)
    for driver in drivers:
        driver.env["RED_TEAM_BATCH"] = token
    # The drivers' own folders: written as a grading uid when the driver is an ordinary user.
    ours = (roots.root, *([roots.ordinary] if roots.ordinary else []))
    shared_before = owned_by_grading_uids(shared_folders(), drivers=ours)
    project_before = owned_by_grading_uids(project_paths(), everything=True)
    git_before = git_status()
    graded = {}
    for first in range(0, len(drivers), at_once):
        group = drivers[first:first + at_once]
        for driver in group:
            driver.start()
        graded.update((driver.batch.name, driver.finish()) for driver in group)
    leftovers = leftover_processes(token)
    written = (owned_by_grading_uids(shared_folders(), drivers=ours) - shared_before) | \
        (owned_by_grading_uids(project_paths(), everything=True) - project_before)
    remove(written)  # recorded; do not leave them behind
    git_after = git_status()
    for batch in graded.values():
        batch.leftovers, batch.written, batch.git_before, batch.git_after = leftovers, written, git_before, git_after
    return graded


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Batch]]:
    """Batches graded on first use (the hang batch, then the main one, then the parent-side ones together)."""
    roots = Roots(tmp_path_factory.mktemp("red-team"))
    if ORDINARY_BATCHES:  # a folder and a copy of the data that uid 65534 may use (ours may be under /root)
        from grader.kits import ensure_data

        ordinary = Path(tempfile.mkdtemp(prefix="red-team-ordinary-", dir="/tmp"))
        data = ensure_data(suite().assignment.kits, None, log=lambda line: None)
        if data is not None:
            shutil.copytree(data, ordinary / "data")
        for path in (ordinary, *ordinary.rglob("*")):
            os.chown(path, NOBODY, NOBODY)
        ordinary.chmod(0o755)
        roots = Roots(roots.root, ordinary, ordinary / "data" if data is not None else None)
    graded: dict[str, Batch] = {}

    class Lazy(dict[str, Batch]):
        def __missing__(self, name: str) -> Batch:
            group = [name] if ATTACKS.get(name, Attack(None, name)).batch != "parent" else \
                [n for n, a in ATTACKS.items() if a.batch == "parent"]
            started = time.monotonic()
            graded.update(grade(group, roots))
            print(f"\nred team: graded {group} in {time.monotonic() - started:.0f} s", file=sys.stderr)
            for member in group:
                self[member] = graded[member]
            return graded[name]

    yield Lazy()
    if roots.ordinary is not None:
        shutil.rmtree(roots.ordinary, ignore_errors=True)


def batch_of(batches: dict[str, Batch], attack: str) -> Batch:
    """The batch of `attack`, or of `attack@ordinary`: its grading by an ordinary user's driver."""
    name, _, ordinary = attack.partition("@")
    kind = ATTACKS[name].batch
    return batches[ordinary or (name if kind == "parent" else kind)]


def both_ways(attacks: list[str]) -> list[str]:
    """Each attack, and `attack@ordinary` where it is graded by an ordinary user's driver too."""
    return attacks + [f"{name}@{ORDINARY}" for name in attacks if name in ORDINARY_ATTACKS and ORDINARY_BATCHES]


# --------------------------------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=1)
def suite() -> Suite:
    return load_suite(CHECKS)


def points(run: Run) -> dict[str, float]:
    return {check.name: check.points for check in run.checks}


def describe(run: Run) -> str:
    lines = [f"{run.student}: {run.points:g}/{run.max_points:g} ({run.duration_s:.1f} s) notes={list(run.notes)}"]
    lines += [f"  {c.name}: {c.points:g} {c.status} {c.message[:160]}" for c in run.checks]
    lines += [f"  stdout: {run.stdout[:1500]}", f"  stderr: {run.stderr[-1500:]}"]
    return "\n".join(lines)


def hostile_and_bound(batches: dict[str, Batch], attack: str) -> tuple[Run, dict[str, float]]:
    """The attack's run, and the points per check its homework earns without the attack (none without one)."""
    batch = batch_of(batches, attack)
    name = attack.partition("@")[0]
    base = ATTACKS[name].base
    bound = {} if base is None else points(batch.run("honest_reference" if base == "reference" else "baseline_buggy"))
    return batch.run(name), bound


def gained(hostile: Run, bound: dict[str, float]) -> dict[str, str]:
    return {c.name: f"{c.points:g} > {bound.get(c.name, 0.0):g} ({c.status}: {c.message[:120]})"
            for c in hostile.checks if c.points > bound.get(c.name, 0.0)}


def hidden_code_lines() -> list[str]:
    """Code lines of the checks' HIDDEN regions (distinctive ones, and not also in visible code): the text a
    student must never see."""
    lines, visible = [], set()
    for file in sorted(CHECKS.glob("check_*.py")):
        inside = False
        for raw in file.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("### BEGIN HIDDEN"):
                inside = True
            elif line.startswith("### END HIDDEN"):
                inside = False
            elif not inside:
                visible.add(line)
            elif len(line) >= 25 and not line.startswith(("#", "@", '"""', "def ", "from ", "import ")) \
                    and ("=" in line or "require(" in line):
                lines.append(line)
    return [line for line in lines if line not in visible]


def expected_failures(bug: str, names: list[str]) -> set[str]:
    fails = set(BUGS[bug]["fails"])
    return set(names) if fails == {"*"} else fails


# ----------------------------------------------------------------------------------------------- tests

# Attacks that still get through, each an open hole the grader must close, by name and why (each becomes a
# strict xfail: the day one is closed, its test passes, xfail fails, and its entry must go). None today: the
# child's verdicts can be forged by code that reaches into its own process (the monkeypatch attacks and
# forge_results_stolen_nonce do), but every check is judged again by the grader from what the child
# observed (grader/judging.py), which only correct code produces.
KNOWN_HOLES: dict[str, str] = {}


def known(values: list[str], holes: dict[str, str]) -> list[object]:
    return [pytest.param(v, marks=pytest.mark.xfail(strict=True, reason=holes[v.partition("@")[0]]))
            if v.partition("@")[0] in holes else v for v in values]


def test_corpus_is_complete_and_documented() -> None:
    files = {path.stem for path in RED_TEAM.glob("*.py")}
    assert files == set(ATTACKS), f"files without an entry: {files - set(ATTACKS)}; entries without a file: " \
                                  f"{set(ATTACKS) - files}"
    assert len(ATTACKS) >= 15
    for name in ATTACKS:
        text = (RED_TEAM / f"{name}.py").read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert "Attack:" in doc and "Expected:" in doc, f"{name}.py: its docstring must say what it tries and gets"
        compile(attack_text(name), f"{name}.py", "exec")  # the composed submission is valid Python
    assert hidden_code_lines(), "the leak test needs code lines inside ### BEGIN HIDDEN regions"


@pytest.mark.slow
@pytest.mark.parametrize("name", BATCHES)
def test_batch_completes_with_one_consistent_run_per_student(batches: dict[str, Batch], name: str) -> None:
    batch = batches[name]
    print(f"\n{name}: {batch.wall_s:.0f} s, grader max RSS {batch.report.get('maxrss_bytes', 0) / 2**20:.0f} MiB")
    for run in batch.runs.values():
        print(f"  {run.student}: {run.points:g}/{run.max_points:g} in {run.duration_s:.1f} s")
    completed = batch.completed
    assert completed, batch.why_incomplete()
    assert set(batch.runs) == set(batch.plan.members), batch.why_incomplete()
    assert batch.run_counts == {student: 1 for student in batch.plan.members}
    for run in batch.runs.values():
        assert run.status in ("graded", "could_not_grade"), describe(run)  # the latter: nothing usable came back
        assert run.max_points == suite().max_points and len(run.checks) == len(suite().checks), describe(run)
        assert run.points == sum(c.points for c in run.checks), describe(run)
        for check in run.checks:  # what the grader writes, and nothing else
            assert check.points == (check.max_points if check.status == "passed" else 0.0), describe(run)
    assert {p.name for p in batch.out.iterdir()} <= {"grades.db", "grades.db-wal", "grades.db-shm"}
    assert not batch.temp_left, f"the grader left temporary files behind: {batch.temp_left}"


# How the sandbox's notes begin when a measure of confinement was not enforced (grader/sandbox.py).
NOT_CONFINED = ("no user namespace", "no network namespace", "no mount namespace", "no PID namespace",
                "no IPC namespace", "running as the invoking user", "hidden paths not hidden", "no process limit",
                "sandbox setup failed", "resource limit")


@pytest.mark.slow
@pytest.mark.parametrize("name", BATCHES)
def test_every_submission_is_graded_with_no_missing_measure(batches: dict[str, Batch], name: str) -> None:
    """As root and as an ordinary user alike, no report's notes say a measure was not enforced."""
    batch = batches[name]
    for run in batch.runs.values():
        assert not [note for note in run.notes if note.startswith(NOT_CONFINED)], describe(run)


@pytest.mark.slow
@pytest.mark.parametrize("name", BATCHES)
def test_nothing_escapes_the_sandbox(batches: dict[str, Batch], name: str) -> None:
    batch = batches[name]
    assert not batch.leftovers, f"processes left running after batch {name!r}: {batch.leftovers}"
    assert not batch.written, f"written outside scratch during batch {name!r}: {sorted(batch.written)}"
    changed = set(batch.git_before.splitlines()) ^ set(batch.git_after.splitlines())
    if changed:
        print(f"git status changed during batch {name!r}: {sorted(changed)}")
    suspicious = sorted(entry for entry in changed if grading_could_have(entry))
    assert not suspicious, f"the project tree changed in a way a grading process could have: {suspicious}"
    assert not batch.connections, f"the listener on 127.0.0.1 was reached: {batch.connections}"
    assert not batch.marker.exists(), f"code ran in the grader's process: {batch.marker.read_text()}"
    maxrss = int(batch.report.get("maxrss_bytes", 0))  # type: ignore[call-overload]
    assert maxrss < 2 * 2**30, f"the grader's process reached {maxrss / 2**20:.0f} MiB"


@pytest.mark.slow
@pytest.mark.parametrize("name", BATCHES)
def test_honest_students_get_exactly_their_own_results(batches: dict[str, Batch], name: str) -> None:
    batch = batches[name]
    honest = [student for student in batch.plan.members if student.startswith("honest_")]
    for student in honest:
        run = batch.run(student)
        assert run.status == "graded", describe(run)
        names = [c.name for c in run.checks]
        should_fail = set() if student == "honest_reference" else \
            expected_failures(student.removeprefix("honest_"), names)
        failed = {c.name for c in run.checks if not c.passed}
        assert failed == should_fail, describe(run)
        assert all(not c.message for c in run.checks if c.passed), describe(run)
        # The same verdicts and messages as wherever else this student was graded.
        for other in batches.values():
            if other is not batch and student in other.runs:
                mine = [(c.name, c.points, c.status, c.message) for c in run.checks]
                theirs = [(c.name, c.points, c.status, c.message) for c in other.runs[student].checks]
                assert mine == theirs, f"{student} graded differently beside {name!r} and {other.name!r}"


@pytest.mark.slow
@pytest.mark.parametrize("attack", known(both_ways(list(ATTACKS)), KNOWN_HOLES))
def test_attack_earns_nothing_it_did_not_earn(batches: dict[str, Batch], attack: str) -> None:
    hostile, bound = hostile_and_bound(batches, attack)
    print(f"\n{attack}: {hostile.points:g}/{hostile.max_points:g} ({hostile.duration_s:.1f} s); "
          f"without the attack: {sum(bound.values()):g}")
    assert not gained(hostile, bound), f"{attack} gained points: {gained(hostile, bound)}\n{describe(hostile)}"


@pytest.mark.slow
def test_buggy_baseline_has_the_bugs_the_monkeypatches_try_to_hide(batches: dict[str, Batch]) -> None:
    run = batches["main"].run("baseline_buggy")
    assert {c.name for c in run.checks if not c.passed} >= BUGGY_FAILS, describe(run)


@pytest.mark.slow
def test_lying_about_training_loses_the_eval_mode_check(batches: dict[str, Batch]) -> None:
    run = batches["main"].run("lying_training_mode")
    assert points(run)["eval_mode_behaviour"] == 0, describe(run)


@pytest.mark.slow
@pytest.mark.parametrize("attack", both_ways(["leak_hidden_checks"]))
def test_hidden_checks_never_reach_the_students_report(batches: dict[str, Batch], attack: str) -> None:
    """The grading process gets the students' copy of the checks (grader/observe.py), so there is nothing to leak."""
    run = batch_of(batches, attack).run("leak_hidden_checks")
    reported = "\n".join([run.stdout, run.stderr, *(c.message for c in run.checks)])
    leaked = [line for line in hidden_code_lines() if line in reported]
    assert not leaked, f"hidden check code in the report of leak_hidden_checks: {leaked[:5]}"


@pytest.mark.slow
@pytest.mark.parametrize("attack", both_ways(["write_outside_scratch", "edit_gradebook", "network_connect",
                                               "read_solutions", "read_other_students", "solution_from_project_copies"]))
def test_attack_reports_no_success_of_its_own(batches: dict[str, Batch], attack: str) -> None:
    """Each of these prints a line in capitals (WROTE, EDITED, CONNECTED) or 'copied' when it gets through.

    A write to /tmp, /var/tmp or /dev/shm is no escape: each run has private ones (the environment test
    checks the real ones).
    """
    run = batch_of(batches, attack).run(attack.partition("@")[0])
    private = ("red team: WROTE /tmp/red_team_escape", "red team: WROTE /var/tmp/red_team_escape",
               "red team: WROTE /dev/shm/red_team_escape")
    successes = [line for line in run.stdout.splitlines()
                 if line.startswith("red team: ") and not line.startswith(private)
                 and any(word in line for word in ("WROTE", "EDITED", "CONNECTED", "copied", "readable at"))]
    assert not successes, "\n".join(successes)


@pytest.mark.slow
@pytest.mark.parametrize("attack", both_ways(["stdout_flood_1gb"]))
def test_a_flood_of_output_is_stored_truncated(batches: dict[str, Batch], attack: str) -> None:
    run = batch_of(batches, attack).run("stdout_flood_1gb")
    assert len(run.stdout) <= OUTPUT_BYTES + 200 and len(run.stderr) <= OUTPUT_BYTES + 200
    assert "truncated" in run.stdout, run.stdout[-300:]
