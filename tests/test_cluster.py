"""`grader grade --cluster` on a real two-node Ray cluster started on this machine (grader/cluster.py).

The fixture runs `ray start --head` and `ray start --address=...` (scripts/ray_local.py: one CPU each, separate
process groups, free ports, a private temp folder) and kills them on teardown whatever happened (never `ray stop`,
which stops every Ray cluster on the machine). hw3_backprop_init's example class needs no data and grades in seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import PROJECT_ROOT
from grader.batch import BatchOptions, grade_batch
from grader.cluster import MAX_TRIES

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from ray_local import LocalCluster, local_cluster, titled

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

ASSIGNMENT = "hw3_backprop_init"
EXAMPLES = PROJECT_ROOT / "examples" / ASSIGNMENT
GRADER = Path(sys.executable).parent / "grader"
# What differs between two gradings of the same file on the same machine: when, how long, and pytest's output
# (its timing line and the temporary folders the checks were staged in). The suite version is left out too: a
# worker grades only with the TA's (else "grader error"), and in a work tree being edited it moves between runs.
TIMINGS = {"id", "graded_at", "duration_s", "stdout", "stderr", "suite_version"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(nodes=2) as started:
        yield started


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hw3's example class, plus zed, who handed in alice's file (graded once)."""
    folder = tmp_path_factory.mktemp("class")
    for file in EXAMPLES.glob("*.py"):
        shutil.copyfile(file, folder / file.name)
    shutil.copyfile(EXAMPLES / "alice.py", folder / "zed.py")
    return folder


@pytest.fixture(scope="module")
def local(klass: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class graded by the local pool, the reference the cluster must equal."""
    out = tmp_path_factory.mktemp("local")
    grade_batch(klass, BatchOptions(assignment=ASSIGNMENT, out=out, jobs=2), progress=lambda _: None)
    return out


def grade(klass: Path, out: Path, address: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GRADER), "grade", str(klass), "--assignment", ASSIGNMENT, "--out", str(out),
                           "--cluster", address, *more], capture_output=True, text=True, timeout=300, check=False)


def latest(out: Path) -> dict[str, dict[str, object]]:
    """Each student's latest run and its checks, timings left out."""
    with sqlite3.connect(out / "grades.db") as db:
        db.row_factory = sqlite3.Row
        runs = db.execute("SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY student)").fetchall()
        found = {}
        for run in runs:
            checks = db.execute("SELECT name, visibility, max_points, points, status, message FROM check_results "
                                "WHERE run_id = ? ORDER BY position", (run["id"],)).fetchall()
            found[run["student"]] = {k: run[k] for k in run.keys() if k not in TIMINGS} | {  # noqa: SIM118
                "checks": [tuple(c) for c in checks]}
    return found


def differences(out: Path, reference: Path, *, but: str = "") -> list[str]:
    """What the gradebook in `out` holds that the one in `reference` does not (timings and student `but` aside)."""
    ours, theirs = latest(out), latest(reference)
    ours.pop(but, None), theirs.pop(but, None)
    found = [f"{student}: only in one" for student in set(ours) ^ set(theirs)]
    for student in sorted(set(ours) & set(theirs)):
        a, b = ours[student], theirs[student]
        found += [f"{student} {key}: {str(a[key])[:300]} != {str(b[key])[:300]}" for key in a if a[key] != b[key]]
    return found


def run_count(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / "grades.db") as db:
        return dict(db.execute("SELECT student, COUNT(*) FROM runs GROUP BY student").fetchall())


def test_the_cluster_gives_the_local_pools_gradebook_and_resumes(cluster: LocalCluster, klass: Path, local: Path,
                                                                  tmp_path: Path) -> None:
    done = grade(klass, tmp_path, cluster.client_address)
    assert done.returncode == 0, done.stderr[-3000:]
    on_cluster = latest(tmp_path)
    assert set(on_cluster) == {"alice", "bob", "carol", "dave", "zed"}
    assert not differences(tmp_path, local)
    for out in (tmp_path, local):  # zed's run is alice's, to the microsecond: graded once, on both
        with sqlite3.connect(out / "grades.db") as db:
            durations = dict(db.execute("SELECT student, duration_s FROM runs").fetchall())
        assert durations["zed"] == durations["alice"]
    again = grade(klass, tmp_path, cluster.address)  # resume: nothing changed, nothing sent to the cluster
    assert again.returncode == 0 and "unchanged 5" in again.stdout, again.stderr[-3000:]
    assert run_count(tmp_path) == dict.fromkeys(on_cluster, 1)


def test_a_killed_node_loses_nothing_and_a_submission_killing_its_worker_is_not_graded(
        cluster: LocalCluster, klass: Path, local: Path, tmp_path: Path) -> None:
    """One batch, two failures: a third node is killed while it grades someone (that task is retried elsewhere
    and recorded once), and every worker process that grades bob is killed (after MAX_TRIES, "not graded")."""
    victim = f"ray::grade {ASSIGNMENT} {hashlib.sha256((klass / 'bob.py').read_bytes()).hexdigest()[:12]}"
    kills: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set():
            for pid in titled(victim):
                os.kill(pid, signal.SIGKILL)
                kills.append(pid)
            time.sleep(0.02)

    group = cluster.start_node()
    raylet = cluster.raylet(group)
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        batch = subprocess.Popen([str(GRADER), "grade", str(klass), "--assignment", ASSIGNMENT, "--out",
                                  str(tmp_path), "--cluster", cluster.address], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while batch.poll() is None and time.monotonic() < deadline and not (
                set(titled("ray::grade", parent=raylet)) - set(titled(victim))):
            time.sleep(0.05)
        assert batch.poll() is None, "the batch ended before the third node got a submission"
        cluster.kill(group)  # the node, its raylet and the worker grading a submission, mid-task
        _, stderr = batch.communicate(timeout=240)
    finally:
        stop.set()
        thread.join()
    assert batch.returncode == 3, stderr[-3000:]  # the grader failed for bob: run the command again
    assert 1 <= len(set(kills)) <= MAX_TRIES  # (a try of bob's may also die with the node)
    assert run_count(tmp_path) == dict.fromkeys(latest(local), 1)  # each student recorded once
    graded = latest(tmp_path)
    assert graded["bob"]["status"] == "grader_error" and graded["bob"]["points"] == 0
    assert str(graded["bob"]["problem"]).startswith("not graded: grader error")
    assert not differences(tmp_path, local, but="bob")
