"""grader.sandbox: confined runs of untrusted code, and nothing left running afterwards.

Targets are module-level functions (they cross to a forkserver child by pickling). Processes started
inside a PID namespace cannot tell the parent their pid as the parent sees it, so the tests that check
nothing is left running name those processes (prctl PR_SET_NAME) with a marker and look for it in /proc.

As root, the sandbox enters namespaces and becomes `nobody`; as an ordinary user, it enters a user namespace
of its own first. Run as root, this file also runs itself as an ordinary user (uid 65534), where every test
must pass again and none may skip for a measure the platform refused.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ordinary_user import ordinary_user_command, unavailable, without_user_namespaces

from grader.sandbox import Limits, Outcome, confinement_problem, missing_measures, run_confined

QUICK = Limits(wall_s=20.0, cpu_s=20, memory_bytes=1 * 2**30, output_bytes=64 * 2**10)
ROOT = os.geteuid() == 0


# ------------------------------------------------------------------------------------------- targets


def say_hello(name: str) -> None:
    print(f"hello {name}")
    print("to stderr", file=sys.stderr)


def raise_error() -> None:
    raise ValueError("student bug")


def call_sys_exit(code: int) -> None:
    sys.exit(code)


def call_os_exit(code: int) -> None:
    os._exit(code)


def loop_forever() -> None:
    while True:
        pass


def name_process(marker: str) -> None:
    ctypes.CDLL(None).prctl(15, marker.encode(), 0, 0, 0)  # PR_SET_NAME: shows in /proc/<pid>/comm


def ignore_sigterm_and_loop(marker: str) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    name_process(marker)
    if os.fork() == 0:  # a child that ignores SIGTERM too
        while True:
            time.sleep(0.05)
    loop_forever()


def leave_orphan(marker: str, pid_file: str) -> None:
    """Double fork: the grandchild leaves the session, names itself and sleeps forever; we return at once."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            name_process(marker)
            Path(pid_file).write_text(str(os.getpid()))
            os.close(write_end)
            while True:
                time.sleep(1)
        os._exit(0)
    os.close(write_end)
    os.read(read_end, 1)  # EOF once the orphan is named and has written its pid
    print("orphan started")


def fork_bomb(marker: str) -> None:
    name_process(marker)
    while True:
        try:
            os.fork()
        except OSError:
            pass


def allocate_at_once() -> None:
    bytearray(20 * 2**30)


def allocate_in_chunks() -> None:
    chunks = []
    while True:
        chunks.append(b"\x01" * (100 * 2**20))  # touched, not lazily mapped zero pages


def flood_stdout(megabytes: int) -> None:
    chunk = b"x" * 2**20
    for _ in range(megabytes):
        os.write(1, chunk)


def write_big_file(megabytes: int) -> None:
    chunk = b"y" * 2**20
    try:
        with open("big.bin", "wb", buffering=0) as file:
            file.writelines(chunk for _ in range(megabytes))
        print("wrote all")
    except OSError as error:
        print(errno.errorcode[error.errno], os.path.getsize("big.bin"))


def connect(port: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        print("connected")
    except OSError as error:
        print(f"blocked: {errno.errorcode.get(error.errno, error)}")


def read_secrets(folder: str, file: str) -> None:
    try:
        print("folder lists:", sorted(os.listdir(folder)))
    except OSError as error:
        print("folder:", errno.errorcode[error.errno])
    try:
        print("file holds:", repr(Path(file).read_text()))
    except OSError as error:
        print("file:", errno.errorcode[error.errno])


def import_fresh_modules(scratch: str) -> None:
    # Standard-library modules the forkserver has not imported (which ones it has depends on the caller).
    candidates = ["wave", "xml.dom.minidom", "encodings.idna", "colorsys", "tabnanny", "mailbox", "sndhdr"]
    fresh = [name for name in candidates if name not in sys.modules][:3]
    for name in fresh:
        __import__(name)
    Path(scratch, "absolute.txt").write_text("reached")
    print("imported fresh:", len(fresh))


def use_shared_memory() -> None:
    print(multiprocessing.get_start_method())
    # A named POSIX semaphore in /dev/shm, registered with a resource tracker the sandbox must let it start.
    with multiprocessing.get_context("spawn").Lock():
        pass
    Path("/dev/shm/sandbox-test-left").write_bytes(b"x")
    print(sorted(os.listdir("/dev/shm")))
    try:
        with open("/dev/shm/fill", "wb", buffering=0) as file:
            file.writelines(bytes(2**20) for _ in range(1000))
    except OSError as error:
        print(errno.errorcode[error.errno])


def use_devices() -> None:
    print(sorted(name for name in os.listdir("/dev") if not name.startswith("nvidia")))
    with open("/dev/null", "w") as sink:
        sink.write("gone")
    with open("/dev/urandom", "rb") as source:
        print(len(source.read(16)))
    print(os.path.exists("/dev/kmsg"), os.readlink("/dev/stdout"))


def show_environment() -> None:
    from grader.sandbox import SECRET_ENV

    print(os.environ["HOME"] == os.getcwd() == os.environ["TMPDIR"] == tempfile.gettempdir())
    print([name for name in os.environ if SECRET_ENV.search(name)])


def show_privileges() -> None:
    """Capabilities, and every mount that is writable, but the ones a run is given to write to."""
    status = dict(line.split(":\t", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":\t" in line)
    print({name: status[name].strip() for name in ("CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")})
    writable = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point, options = fields[4], fields[5].split(",")
        if "rw" in options and point not in (os.getcwd(), "/tmp", "/var/tmp", "/dev/shm", "/proc") \
                and not point.startswith("/dev/"):
            writable.append(point)
    print("writable:", writable)


def fork_children(count: int) -> None:
    """`count` children alive at once (each waits for the pipe to close), then reaped."""
    read_end, write_end = os.pipe()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os.close(write_end)
            os.read(read_end, 1)
            os._exit(0)
        pids.append(pid)
    os.close(write_end)
    for pid in pids:
        os.waitpid(pid, 0)
    print(f"forked {count}")


def write_outside(outside: str) -> None:
    Path("inside.txt").write_text("fine")  # scratch is the working directory and is writable
    try:
        Path(outside, "escaped.txt").write_text("escaped")
        print("wrote outside")
    except OSError as error:
        print("denied", errno.errorcode[error.errno], os.getuid())


# -------------------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("forkserver")


@pytest.fixture
def scratch():
    # Outside pytest's tmp_path, whose parents are closed to other users (one test covers that case).
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run(context, target, *args, limits: Limits = QUICK, scratch: Path, hide=(), readable=()) -> Outcome:
    return run_confined(target, args, limits=limits, scratch=scratch, hide=hide, readable=readable,
                        context=context)


def require(outcome: Outcome, missing: str) -> None:
    """Skip when the run says the platform lacks the feature under test."""
    for note in outcome.notes:
        if note.startswith(missing):
            pytest.skip(f"not enforceable here: {note}")


def live_processes_named(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if comm == marker and state != "Z":
            found.append(int(entry))
    return found


def assert_none_left(marker: str, grace_s: float = 2.0) -> None:
    deadline = time.monotonic() + grace_s
    while (left := live_processes_named(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes left running: {left}"


def marker(tag: str) -> str:
    return f"sbx{tag}{os.getpid() % 100000}"[:15]


# ---------------------------------------------------------------------------------------------- tests


def test_normal_return_exits_0_with_captured_output(context, scratch):
    outcome = run(context, say_hello, "world", scratch=scratch)
    assert (outcome.exit_code, outcome.signal, outcome.timed_out) == (0, None, False)
    assert outcome.stdout == "hello world\n"
    assert outcome.stderr == "to stderr\n"
    assert outcome.ok


def test_exception_exits_1_with_traceback(context, scratch):
    outcome = run(context, raise_error, scratch=scratch)
    assert outcome.exit_code == 1
    assert "ValueError: student bug" in outcome.stderr


@pytest.mark.parametrize(("target", "code"), [(call_sys_exit, 3), (call_os_exit, 7)])
def test_exit_codes_pass_through(context, scratch, target, code):
    outcome = run(context, target, code, scratch=scratch)
    assert (outcome.exit_code, outcome.signal, outcome.timed_out) == (code, None, False)


def test_infinite_loop_times_out(context, scratch):
    outcome = run(context, loop_forever, limits=Limits(wall_s=2), scratch=scratch)
    assert outcome.timed_out and outcome.exit_code is None and outcome.signal == signal.SIGKILL
    assert 2 <= outcome.wall_s < 6


def test_sigterm_ignoring_target_and_child_are_killed(context, scratch):
    name = marker("term")
    outcome = run(context, ignore_sigterm_and_loop, name, limits=Limits(wall_s=2), scratch=scratch)
    assert outcome.timed_out
    assert_none_left(name)


def test_orphan_that_leaves_the_session_does_not_survive(context, scratch):
    name = marker("orph")
    pid_file = scratch / "orphan.pid"
    outcome = run(context, leave_orphan, name, str(pid_file), scratch=scratch)
    if any(note.startswith("no PID namespace") for note in outcome.notes):
        for pid in live_processes_named(name):  # the orphan escaped, as the note says: clean up after it
            os.kill(pid, signal.SIGKILL)
    require(outcome, "no PID namespace")
    assert outcome.exit_code == 0 and outcome.stdout == "orphan started\n"
    assert pid_file.read_text().isdigit()  # its pid inside the namespace: the marker finds it from here
    assert_none_left(name)


def test_fork_bomb_is_contained_and_cleaned_up(context, scratch):
    name = marker("bomb")
    limits = Limits(wall_s=3, processes=32)
    outcome = run(context, fork_bomb, name, limits=limits, scratch=scratch)
    assert outcome.timed_out
    assert_none_left(name)
    if ROOT:  # pgrep -u nobody, limited to this test's processes (other sandboxes may run beside it)
        assert not [pid for pid in live_processes_named(name) if os.stat(f"/proc/{pid}").st_uid == 65534]
    assert run(context, say_hello, "again", scratch=scratch).stdout == "hello again\n"  # parent unharmed


@pytest.mark.parametrize("target", [allocate_at_once, allocate_in_chunks])
def test_memory_bomb_fails_without_harming_the_parent(context, scratch, target):
    limits = Limits(wall_s=20, memory_bytes=256 * 2**20)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcome = run(context, target, limits=limits, scratch=scratch)
    assert not outcome.ok
    assert outcome.timed_out or outcome.signal is not None or "MemoryError" in outcome.stderr
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 2**10  # KiB


def test_huge_stdout_is_truncated_without_loading_it(context, scratch):
    limits = Limits(wall_s=20, output_bytes=64 * 2**10, file_size_bytes=200 * 2**20)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcome = run(context, flood_stdout, 100, limits=limits, scratch=scratch)
    assert outcome.exit_code == 0
    assert outcome.stdout == "x" * 2**16 + f"\n[... truncated {100 * 2**20 - 2**16} bytes]"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 2**10  # KiB


def test_file_size_limit_fails_writes_with_efbig(context, scratch):
    limits = Limits(wall_s=20, file_size_bytes=8 * 2**20)
    outcome = run(context, write_big_file, 100, limits=limits, scratch=scratch)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == f"EFBIG {8 * 2**20}\n"
    assert (scratch / "big.bin").stat().st_size == 8 * 2**20


def test_network_is_unreachable_inside(context, scratch):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.2)
        outcome = run(context, connect, listener.getsockname()[1], scratch=scratch)
        require(outcome, "no network namespace")
        assert outcome.stdout.startswith("blocked: "), outcome.stdout
        with pytest.raises(TimeoutError):
            listener.accept()[0].close()


def test_hidden_paths_are_empty_inside_and_intact_outside(context, scratch):
    shared = Path(tempfile.mkdtemp(prefix="sandbox-shared-"))
    try:
        shared.chmod(0o755)  # readable by anyone: only the mount hides what is hidden
        secrets = shared / "secrets"
        secrets.mkdir()
        (secrets / "solution.py").write_text("answer = 42\n")
        lone_file = shared / "secrets.key"
        lone_file.write_text("secret")
        (shared / "visible.txt").write_text("seen")
        for path in (lone_file, shared / "visible.txt"):
            path.chmod(0o644)
        outcome = run(context, read_secrets, str(secrets), str(lone_file), scratch=scratch,
                      hide=[secrets, lone_file], readable=[shared])
        require(outcome, "no mount namespace")
        assert outcome.stdout == "folder lists: []\nfile holds: ''\n", outcome.stdout
        outcome = run(context, read_secrets, str(shared), str(shared / "visible.txt"), scratch=scratch,
                      hide=[secrets, lone_file], readable=[shared])
        assert outcome.stdout == ("folder lists: ['secrets', 'secrets.key', 'visible.txt']\n"
                                  "file holds: 'seen'\n"), outcome.stdout
        assert (secrets / "solution.py").read_text() == "answer = 42\n"
        assert lone_file.read_text() == "secret"
    finally:
        shutil.rmtree(shared)


def test_only_the_allow_list_exists_inside(context, scratch):
    """A folder the run was not given is not there at all, whatever its mode: another copy of the course
    repository, the host's /tmp, /root. The host's temp folders are replaced by fresh, empty ones."""
    outside = Path(tempfile.mkdtemp(prefix="sandbox-elsewhere-"))
    try:
        outside.chmod(0o755)
        (outside / "solution.py").write_text("answer = 42\n")
        (outside / "solution.py").chmod(0o644)
        outcome = run(context, read_secrets, str(outside), str(outside / "solution.py"), scratch=scratch)
        require(outcome, "no mount namespace")
        assert outcome.stdout == "folder: ENOENT\nfile: ENOENT\n", outcome.stdout
        outcome = run(context, read_secrets, "/var/tmp", "/etc/hostname", scratch=scratch)
        assert outcome.stdout.startswith("folder lists: []\n"), outcome.stdout
    finally:
        shutil.rmtree(outside)


def test_writing_outside_scratch_is_denied(context, scratch):
    """As root the student is `nobody`; as an ordinary user it keeps the user's uid, so a folder of the user's
    own is writable to it but for the read-only mount: EROFS."""
    outside = Path(tempfile.mkdtemp(prefix="sandbox-outside-"))
    student = 65534 if ROOT else os.getuid()
    try:
        outside.chmod(0o755)  # the caller's, readable by all, writable by the caller only
        outcome = run(context, write_outside, str(outside), scratch=scratch, readable=[outside])
        require(outcome, "no mount namespace")
        assert outcome.exit_code == 0, outcome.stderr
        denied = (f"denied EROFS {student}\n", f"denied EACCES {student}\n") if ROOT else (f"denied EROFS {student}\n",)
        assert outcome.stdout in denied, outcome.stdout
        assert not (outside / "escaped.txt").exists()
        assert (scratch / "inside.txt").read_text() == "fine"
        assert (scratch / "inside.txt").stat().st_uid == student
        assert not missing_measures(outcome.notes), outcome.notes
    finally:
        shutil.rmtree(outside)


def test_the_folders_around_a_deeper_scratch_are_read_only(context):
    """Scratch deep in the private /tmp (as under grader grade): the folders leading to it are not writable,
    although without root the student's uid owns them."""
    top = Path(tempfile.mkdtemp(prefix="sandbox-deep-"))
    try:
        scratch = top / "batch" / "scratch"
        scratch.mkdir(parents=True)
        for path in (top, top / "batch"):
            path.chmod(0o755)
        outcome = run(context, write_outside, str(top / "batch"), scratch=scratch)
        require(outcome, "no mount namespace")
        assert outcome.stdout.startswith(("denied EROFS", "denied EACCES") if ROOT else "denied EROFS"), outcome.stdout
        assert not (top / "batch" / "escaped.txt").exists()
    finally:
        shutil.rmtree(top)


def test_no_capability_and_nothing_writable_but_scratch_and_temp(context, scratch):
    """No capability left to undo a mount or leave the chroot, none to gain by executing a program; every mount
    read-only but scratch, the private temp folders and /dev's (a bound /sys's cgroup mounts too)."""
    outcome = run(context, show_privileges, scratch=scratch)
    require(outcome, "no mount namespace")
    zero = "0000000000000000"
    assert outcome.stdout == (f"{{'CapPrm': '{zero}', 'CapEff': '{zero}', 'CapBnd': '{zero}', 'CapAmb': '{zero}', "
                              "'NoNewPrivs': '1'}\nwritable: []\n"), outcome.stderr


def test_a_fork_bomb_does_not_starve_a_run_beside_it(context, scratch, tmp_path):
    """The process limit counts each run apart: one uid per run as root, one user namespace per run without."""
    from grader.batch import claim_uids

    claimed = claim_uids(2)
    try:
        (bomb_uid, _), (other_uid, _) = claimed
        other_scratch = tmp_path / "other"
        other_scratch.mkdir()
        with ThreadPoolExecutor(1) as pool:
            bomb = pool.submit(run, context, fork_bomb, marker("bmb2"), scratch=scratch,
                               limits=Limits(wall_s=4, processes=16, uid=bomb_uid))
            time.sleep(1)  # the bomb is at its limit
            outcome = run(context, fork_children, 8, scratch=other_scratch,
                          limits=Limits(wall_s=20, processes=16, uid=other_uid))
            assert bomb.result().timed_out
        assert outcome.stdout == "forked 8\n", (outcome.stdout, outcome.stderr[-500:])
        assert_none_left(marker("bmb2"))
    finally:
        for _, fd in claimed:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def test_interpreter_and_scratch_stay_reachable_under_closed_parents(context, tmp_path):
    # pytest's tmp_path lies under /tmp/pytest-of-root (0700); pyenv's Python may lie under /root (0700).
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    outcome = run(context, import_fresh_modules, str(scratch), scratch=scratch)
    for note in outcome.notes:
        if "is not reachable by the student" in note:  # no mount namespace to open the closed parents
            pytest.skip(f"not enforceable here: {note}")
    assert outcome.stdout == "imported fresh: 3\n", outcome.stderr
    assert (scratch / "absolute.txt").read_text() == "reached"


def test_dev_shm_is_private_and_capped_and_multiprocessing_works(context, scratch):
    outcome = run(context, use_shared_memory, limits=Limits(wall_s=20, memory_bytes=256 * 2**20,
                                                           file_size_bytes=512 * 2**20), scratch=scratch)
    require(outcome, "no mount namespace")
    default = "fork" if sys.version_info < (3, 14) else "forkserver"  # not the caller's forkserver context
    assert outcome.stdout == f"{default}\n['sandbox-test-left']\nENOSPC\n", outcome.stderr
    assert not Path("/dev/shm/sandbox-test-left").exists()


def test_dev_holds_only_harmless_devices(context, scratch):
    outcome = run(context, use_devices, scratch=scratch)
    require(outcome, "no mount namespace")
    expected = {"fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"}
    expected |= {"dri"} if os.path.exists("/dev/dri") else set()  # a GPU's, like /dev/nvidia* (not listed)
    assert outcome.stdout == f"{sorted(expected)}\n16\nFalse /proc/self/fd/1\n", outcome.stderr


def test_environment_points_at_scratch_without_credentials(context, scratch):
    outcome = run(context, show_environment, scratch=scratch)
    assert outcome.stdout == "True\n[]\n", outcome.stderr


def test_missing_scratch_is_a_caller_error(context, scratch):
    with pytest.raises(FileNotFoundError):
        run(context, say_hello, "x", scratch=scratch / "missing")


def test_private_output_folder_is_removed(context, scratch, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where run_confined makes its private folder
    run(context, say_hello, "x", scratch=scratch)
    run(context, loop_forever, limits=Limits(wall_s=0.5), scratch=scratch)
    assert list(tmp_path.iterdir()) == []


def test_the_probe_says_what_a_run_would_miss(context, scratch):
    """`confinement_problem` (what grader grade refuses over) agrees with what a real run could not enforce."""
    problem = confinement_problem()
    outcome = run(context, say_hello, "x", scratch=scratch)
    assert (problem is None) == (not missing_measures(outcome.notes)), (problem, outcome.notes)


def test_only_the_interpreter_is_taken_from_the_callers_python(monkeypatch, scratch, tmp_path):
    """A sys.path entry of the caller's (its working folder, a script's folder) is not part of the new root."""
    from grader.sandbox import _needed_paths

    monkeypatch.syspath_prepend(str(tmp_path))
    needed = _needed_paths(str(scratch), readable=("/usr/share",))
    assert str(tmp_path.resolve()) not in needed
    assert os.path.realpath(sys.prefix) in needed and os.path.realpath(sys.base_prefix) in needed
    assert needed[str(scratch.resolve())] is True and needed["/usr/share"] is False


PROBE = """
import json, multiprocessing, sys, tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from grader.sandbox import Limits, confinement_problem, run_confined
from test_sandbox import say_hello
with tempfile.TemporaryDirectory() as scratch:
    outcome = run_confined(say_hello, ("x",), limits=Limits(wall_s=30), scratch=Path(scratch),
                           context=multiprocessing.get_context("forkserver"))
print(json.dumps({"problem": confinement_problem(), "stdout": outcome.stdout, "notes": outcome.notes}))
"""


@pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}")
def test_without_user_namespaces_the_probe_and_the_run_say_what_is_missing():
    """Where the kernel refuses user namespaces, an ordinary user's run still runs (unconfined, as the notes
    say) and the probe names the cause and the setting that enables them, in one line."""
    import json

    with ordinary_user_command(without_user_namespaces([sys.executable, "-c", PROBE])) as (command, env):
        done = subprocess.run(command, env=env | {"PYTHONPATH": str(Path(__file__).parent)}, capture_output=True,
                              text=True, timeout=120, check=False, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["stdout"] == "hello x\n"
    assert found["problem"].startswith("student code cannot be confined here: no user namespace (No space left on "
                                       "device)"), found["problem"]
    assert "sysctl -w user.max_user_namespaces=" in found["problem"] and "\n" not in found["problem"]
    assert any(note.startswith("no network namespace") for note in found["notes"]), found["notes"]
    assert any(note.startswith("running as the invoking user") for note in found["notes"]), found["notes"]


REMOUNT = """
import ctypes, os, subprocess, sys
from grader.sandbox import MS_BIND, MS_REC, _must_mount, remount_read_only
libc = ctypes.CDLL(None, use_errno=True)
target = sys.argv[1]
_must_mount(libc, "/sys", target, None, MS_BIND | MS_REC, None, "binding /sys")
remount_read_only(libc, target, "test")
mounts = [line.split() for line in open("/proc/self/mountinfo")]
below = [fields for fields in mounts if fields[4] == target or fields[4].startswith(target + "/")]
print(len(below), sorted({fields[5].split(",")[0] for fields in below}))
"""


@pytest.mark.skipif(shutil.which("unshare") is None, reason="no unshare(1)")
def test_read_only_remount_without_mount_setattr_covers_every_mount_below(tmp_path):
    """The path taken on kernels before 5.12, in a user namespace (where locked flags must be kept): every
    mount of a bound /sys (cgroup mounts included) comes out read-only."""
    target = tmp_path / "sys"
    target.mkdir()
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", REMOUNT,
                           str(target)], capture_output=True, text=True, timeout=60, check=False)
    if "unshare failed" in done.stderr:
        pytest.skip(f"no user namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-2000:]
    count, options = done.stdout.split(" ", 1)
    assert int(count) >= 1 and options.strip() == "['ro']", done.stdout


@pytest.mark.slow
@pytest.mark.skipif(not ROOT or unavailable() is not None, reason="run as root, this file reruns as an ordinary user")
def test_every_test_here_passes_as_an_ordinary_user():
    """The same tests as uid 65534, where the sandbox confines through a user namespace of its own: all pass,
    and none skips because a measure was refused (those that run as uid 65534 already are left out; the
    root-only one skips)."""
    test_file = Path(__file__).resolve()
    pytest_command = [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider",
                      "-k", "not ordinary_user and not without_user_namespaces and not refuses_unconfined"]
    with ordinary_user_command(pytest_command) as (command, env):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False,
                              cwd=test_file.parent.parent)
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary + done.stderr[-2000:]
    assert " passed" in summary and "not enforceable here" not in summary, summary  # require()'s skips


@pytest.mark.slow
@pytest.mark.skipif(unavailable() is not None, reason=f"{unavailable()}")
def test_grade_refuses_unconfined_grading_unless_told_and_then_notes_what_is_missing(tmp_path):
    """`grader grade` where user namespaces are refused: one line saying what is missing and how to enable it,
    exit 2, nothing graded; with --unconfined the class is graded, and each report's notes say what was not
    enforced (an assignment without data, so that uid 65534 needs no copy of it)."""
    import json

    from grader.assignment import PROJECT_ROOT

    work = Path(tempfile.mkdtemp(prefix="sandbox-refusal-"))
    try:
        (work / "class").mkdir()
        shutil.copy(PROJECT_ROOT / "examples" / "hw3_backprop_init" / "alice.py", work / "class" / "alice.py")
        for path in (work, work / "class", work / "class" / "alice.py"):
            os.chown(path, os.geteuid() if not ROOT else 65534, -1)
        grade = [str(Path(sys.executable).with_name("grader")), "grade", str(work / "class"), "--assignment",
                 "hw3_backprop_init", "--out", str(work / "out")]
        results = []
        for extra in ([], ["--unconfined"]):
            with ordinary_user_command(without_user_namespaces(grade + extra)) as (command, env):
                results.append(subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                                              check=False, cwd=PROJECT_ROOT))
        refused, graded = results
        assert refused.returncode == 2, refused.stderr[-2000:]
        last = refused.stderr.strip().splitlines()[-1]
        assert last.startswith("grader: student code cannot be confined here: no user namespace") \
            and "sysctl -w user.max_user_namespaces=" in last and last.endswith("pass --unconfined to grade "
                                                                                "without that confinement"), last
        assert graded.returncode == 0, graded.stderr[-3000:]
        assert "grading unconfined (--unconfined): student code cannot be confined here" in graded.stderr
        report = json.loads((work / "out" / "alice" / "report.json").read_text())
        assert report["points"] == report["max_points"], report
        notes = report["notes"]
        for missing in ("no user namespace", "no network namespace", "no mount namespace", "no PID namespace",
                        "running as the invoking user"):
            assert any(note.startswith(missing) for note in notes), (missing, notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


KEYRING = """
import ctypes, multiprocessing, os, platform, sys, tempfile
from pathlib import Path
from grader.sandbox import KEYCTL_JOIN_SESSION_KEYRING, SYS_KEYCTL, Limits, run_confined
libc = ctypes.CDLL(None, use_errno=True)
keyctl = SYS_KEYCTL[platform.machine()]
ADD_KEY = {250: 248, 219: 217}.get(keyctl)  # add_key(2): x86_64, generic

def read_key(key):
    data = ctypes.create_string_buffer(64)
    size = libc.syscall(ctypes.c_long(keyctl), 11, ctypes.c_long(key), data, 64, 0)  # KEYCTL_READ
    print(data.raw[:size] if size >= 0 else os.strerror(ctypes.get_errno()))

if ADD_KEY is None or libc.syscall(ctypes.c_long(keyctl), KEYCTL_JOIN_SESSION_KEYRING, None) < 0:
    print("SKIP no keyrings here"); sys.exit()
key = libc.syscall(ctypes.c_long(ADD_KEY), b"user", b"ta-token", b"hunter2", 7, -3)  # into our session keyring
read_key(key)
with tempfile.TemporaryDirectory() as scratch:
    outcome = run_confined(read_key, (key,), limits=Limits(wall_s=30), scratch=Path(scratch),
                           context=multiprocessing.get_context("fork"))
print(outcome.stdout.strip(), outcome.notes)
"""


def test_the_callers_session_keyring_is_out_of_reach():
    """A secret in the grader's session keyring (a TA's token; readable by whoever possesses the keyring, any
    uid) is not readable by the student: the sandbox joins a new, empty session keyring."""
    done = subprocess.run([sys.executable, "-c", KEYRING], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    if done.stdout.startswith("SKIP"):
        pytest.skip(done.stdout)
    assert done.stdout == "b'hunter2'\nPermission denied ()\n", done.stdout


@pytest.mark.skipif(not ROOT or shutil.which("setpriv") is None, reason="needs root and setpriv(1)")
def test_root_without_cap_sys_admin_is_told_what_the_container_must_allow():
    """As root in a container that refuses namespaces (no CAP_SYS_ADMIN here, dropped from the bounding set),
    the probe names each missing namespace and what a container must allow, in one line."""
    probe = "from grader.sandbox import confinement_problem; print(confinement_problem())"
    done = subprocess.run(["setpriv", "--bounding-set=-sys_admin", sys.executable, "-c", probe], capture_output=True,
                          text=True, timeout=60, check=False, cwd="/")
    assert done.returncode == 0, done.stderr[-2000:]
    problem = done.stdout.strip()
    assert problem.startswith("student code cannot be confined here: no network namespace"), problem
    assert "no mount namespace" in problem and "no PID namespace" in problem and "\n" not in problem
    assert problem.endswith("(in a container, allow unshare and mount: CAP_SYS_ADMIN and a seccomp profile that "
                            "permits them)"), problem
