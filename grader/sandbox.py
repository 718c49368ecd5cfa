"""Run untrusted student code confined, and kill everything it started.

`run_confined(target, args, limits=..., scratch=...)` runs `target(*args)` in a process started from a
multiprocessing context (normally the grader's warm *forkserver*). Before the target runs, that process

1. starts a new session, points stdin at /dev/null and stdout/stderr at files in a private folder the
   student cannot write (the parent reads them back, truncated, without loading more than it keeps);
2. without root, enters a user namespace of its own first (the invoking user's uid and gid mapped to
   themselves, setgroups denied), in which it may build the rest; then, as root or in that user namespace,
   enters new network, mount, PID and IPC namespaces: no network (only a down loopback); a PID namespace
   whose init runs the target, so that when it exits or is killed the kernel kills every process left in
   the namespace (orphans, fork bombs, daemons that called setsid); and a new root, chrooted into, built
   from an allow-list: the system folders (/usr, /etc, /sys, ...) read-only with every mount below them,
   the interpreter (prefixes, standard library, site-packages) and `readable` read-only, scratch
   writable, each at its own path; a /dev with the harmless devices only (and a GPU's), bound from the
   host's; fresh size-capped tmpfs for /tmp, /var/tmp and /dev/shm; a fresh /proc; an empty read-only
   tmpfs over every `hide` path that the allow-list brings in. Nothing else of the host exists inside:
   not /root, /home, /work, other copies of the course repository, nor the host's temp folders;
3. sets resource limits (CPU, open files, processes, file size, no core files, memory);
4. changes to `scratch`, drops environment variables that look like credentials, sets HOME and TMPDIR to
   scratch; as root becomes `nobody` (or `limits.uid`: no groups), in its own user namespace drops every
   capability it had there (it keeps the invoking user's uid, which reaches nothing but the allow-list);
   no new privileges either way; closes inherited fds and resets multiprocessing to the platform's
   defaults (its own resource tracker, start method).

The parent waits `limits.wall_s` at most, then SIGKILLs the namespace's init (its waiting parent reaps it:
no zombie) and the process group. Whatever could not be enforced here is listed in `Outcome.notes`;
`confinement_problem()` says up front, in one line, whether anything would be missing here and how to
enable it. Only caller errors raise.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import glob
import multiprocessing
import multiprocessing.context
import os
import platform
import re
import resource
import shutil
import signal
import site
import stat
import struct
import sys
import sysconfig
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME = 1 << 18, 1 << 21
# mount_setattr(2) (Linux 5.12; the same number on every architecture): read-only down a whole mount tree.
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE = 442, -100, 0x8000
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 0x1, 0x2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 1, 24, 38, 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
# keyctl(2), by architecture (no libkeyutils needed): KEYCTL_JOIN_SESSION_KEYRING with no name makes a new,
# empty session keyring, so the student does not possess the caller's (its keys are readable by possession).
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219, "arm64": 219, "riscv64": 219, "ppc64le": 271, "s390x": 280,
              "i686": 288, "armv7l": 311}
KEYCTL_JOIN_SESSION_KEYRING = 1
# Since Linux 5.14 RLIMIT_NPROC counts a uid's processes per user namespace, so a run in a user namespace of
# its own counts only its own processes; before, it counted all of the invoking user's processes.
NPROC_PER_USER_NAMESPACE = (5, 14)
NOBODY_UID = 65534
# The host folders bound read-only into the new root (those that exist; a symlink such as /bin -> usr/bin
# is copied as a symlink). Nothing else of the host is there but the paths a run needs.
SYSTEM_FOLDERS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/etc", "/sys")
# The new root's /dev is a tmpfs with just these host devices bound in (and a GPU's, when there is one),
# the usual links into /proc/self/fd and a private /dev/shm: no kmsg, fuse, disks or terminals of the host.
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
GPU_DEVICES = ("nvidia*", "dri")
PRIVATE_TEMP = ("/tmp", "/var/tmp", "/dev/shm")  # a fresh tmpfs on each, per run
SETUP_FAILED = 125  # exit code of a confined process whose confinement could not be set up
# Environment variables that look like credentials are not handed to student code.
SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE_KEY|AUTH|COOKIE|SESSION",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    wall_s: float = 600.0  # wall clock for the whole confined run (grader grade: the assignment's limit)
    cpu_s: int = 600  # RLIMIT_CPU
    memory_bytes: int = 6 * 2**30  # address space (data on CUDA hosts) beyond what the process has at start
    open_files: int = 256  # RLIMIT_NOFILE
    processes: int = 64  # RLIMIT_NPROC (per uid as root; per user namespace, that is per run, without root)
    file_size_bytes: int = 64 * 2**20  # RLIMIT_FSIZE; SIGXFSZ ignored so writes fail with EFBIG
    output_bytes: int = 1 * 2**20  # stdout/stderr each kept up to this, then "[... truncated N bytes]"
    # The uid student code runs as when started as root; None: `nobody`. RLIMIT_NPROC counts per uid,
    # so concurrent runs get one uid each and a fork bomb in one cannot starve the other. Without root,
    # each run's own user namespace does that, and this is not used.
    uid: int | None = None


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None  # None if killed by a signal
    signal: int | None
    timed_out: bool
    wall_s: float
    stdout: str  # captured, truncated
    stderr: str
    notes: tuple[str, ...]  # what could NOT be enforced on this platform

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


# ----------------------------------------------------------------------------------------------- parent


def run_confined(target: Callable[..., None], args: tuple, *, limits: Limits, scratch: Path,
                 hide: Sequence[Path] = (), readable: Sequence[Path] = (),
                 context: multiprocessing.context.BaseContext | None = None) -> Outcome:
    """Run `target(*args)` confined (see the module docstring); never raises for what the target does.

    `hide`: folders or files that look empty inside. `readable`: paths the target must read (read-only),
    beside the interpreter's own folders and scratch; with a mount namespace nothing else is there.
    """
    scratch = Path(scratch).resolve()
    if not scratch.is_dir():
        raise FileNotFoundError(f"scratch folder {scratch} does not exist")
    if limits.wall_s <= 0 or limits.output_bytes < 0:
        raise ValueError(f"bad limits: {limits}")
    context = context or multiprocessing.get_context("forkserver")
    hidden = tuple(str(Path(p).resolve()) for p in hide)
    reach = tuple(str(Path(p).resolve()) for p in readable)
    private = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))  # 0700, owned by the caller
    try:
        process = context.Process(  # type: ignore[attr-defined]
            target=_confined_main, name="grader-sandbox", daemon=False,
            args=(target, args, limits, str(scratch), hidden, reach, str(private)))
        start = time.monotonic()
        process.start()  # pickling errors (a lambda as target) are caller errors and raise here
        try:
            process.join(limits.wall_s)
            timed_out = process.exitcode is None
            if timed_out:
                _kill_everything(process, private)
            wall_s = time.monotonic() - start
            _kill_group(process.pid)  # leftovers in the group (without a PID namespace)
            exit_code, sig = _exit_status(process, private, timed_out)
        finally:
            if process.exitcode is None:  # only when something above raised
                _kill_everything(process, private)
            with contextlib.suppress(ValueError):
                process.close()
        return Outcome(exit_code=exit_code, signal=sig, timed_out=timed_out, wall_s=wall_s,
                       stdout=_read_truncated(private / "stdout", limits.output_bytes),
                       stderr=_read_truncated(private / "stderr", limits.output_bytes),
                       notes=tuple(_read_notes(private)))
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _kill_everything(process: multiprocessing.process.BaseProcess, private: Path) -> None:
    """SIGKILL the PID namespace's init: the kernel kills the rest of the namespace, and the waiting middle
    process reaps the init (no zombie left) and exits. Then SIGKILL the group, for what is left."""
    pid1 = _read_int(private / "pid1")
    if pid1 is not None and not (private / "status").exists():  # not yet reaped: the pid is still its own
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid1, signal.SIGKILL)
        process.join(10)
    _kill_group(process.pid)
    with contextlib.suppress(ProcessLookupError, ValueError, AttributeError):
        process.kill()
    process.join(10)
    if pid1 is not None:
        _wait_dead(pid1, 10)


def _kill_group(pgid: int | None) -> None:
    # The group exists only once the child has called setsid(), so this never hits the caller's group.
    if pgid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def _wait_dead(pid: int, timeout: float) -> None:
    """Until `pid` is gone or a zombie: a dead namespace init has already taken its namespace with it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


def _exit_status(process: multiprocessing.process.BaseProcess, private: Path,
                 timed_out: bool) -> tuple[int | None, int | None]:
    if timed_out:
        return None, signal.SIGKILL
    status = _read_int(private / "status")  # the target's own wait status, from the PID namespace's parent
    if status is not None:
        if os.WIFSIGNALED(status):
            return None, os.WTERMSIG(status)
        return os.WEXITSTATUS(status), None
    code = process.exitcode
    if code is None or code >= 0:
        return code, None
    return None, -code


def _read_truncated(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = file.read(limit)
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if size > limit:
        text += f"\n[... truncated {size - limit} bytes]"
    return text


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def _read_notes(private: Path) -> list[str]:
    try:
        with open(private / "notes", encoding="utf-8", errors="replace") as file:
            return [line.rstrip("\n") for line in file.read(65536).splitlines() if line.strip()]
    except OSError:
        return []


# Notes that say a measure is weaker here, not missing: the run is still confined.
WEAKER_NOTES = ("NVIDIA driver present",)
NO_USER_NAMESPACE = "no user namespace"


def missing_measures(notes: Sequence[str]) -> list[str]:
    """The notes of a run that say a measure of confinement was not enforced."""
    return [note for note in notes if not note.startswith(WEAKER_NOTES)]


@functools.cache
def confinement_problem() -> str | None:
    """None where `run_confined` enforces every measure here; else one line: what is missing and how to enable
    it. Found by confining a trivial target (a fresh interpreter: about 0.1 s), once per process."""
    if not sys.platform.startswith("linux"):
        return f"student code cannot be confined on {sys.platform}: confinement needs Linux namespaces"
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as scratch:
        outcome = run_confined(_probe, (), limits=Limits(wall_s=60), scratch=Path(scratch),
                               context=multiprocessing.get_context("spawn"))
    missing = missing_measures(outcome.notes)
    if outcome.ok and not missing:
        return None
    cause = [note for note in missing if note.startswith(NO_USER_NAMESPACE)]
    what = "; ".join(cause or missing) or f"a confined test run failed (exit {outcome.exit_code}): " \
        f"{outcome.stderr[-300:]}"
    if not cause:  # namespaces refused to root, or a setup step failed: a container's limits, usually
        what += " (in a container, allow unshare and mount: CAP_SYS_ADMIN and a seccomp profile that permits them)"
    return f"student code cannot be confined here: {what}".replace("\n", " ")


def _probe() -> None:
    """The probe's target: nothing to do; the run's notes say what the sandbox could not enforce."""


# The settings that refuse unprivileged user namespaces, the value that refuses, and the fix (as root).
USERNS_SETTINGS = (
    ("/proc/sys/user/max_user_namespaces", "0", "sysctl -w user.max_user_namespaces=15000"),
    ("/proc/sys/kernel/unprivileged_userns_clone", "0", "sysctl -w kernel.unprivileged_userns_clone=1 (Debian)"),
    ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
     ("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 23.10+), or an AppArmor profile with "
     "'userns,' for this Python")),
)


def user_namespace_hint() -> str:
    """How to allow unprivileged user namespaces: the fix for each setting here that refuses them."""
    fixes = []
    for path, refusing, fix in USERNS_SETTINGS:
        with contextlib.suppress(OSError):
            if Path(path).read_text().strip() == refusing:
                fixes.append(fix)
    return "to enable them, as root: " + ("; ".join(fixes) or "allow unshare(CLONE_NEWUSER) in the container's "
                                          "seccomp profile, or run the grader as root")


# ------------------------------------------------------------------------------------------------ child


def _confined_main(target: Callable[..., None], args: tuple, limits: Limits, scratch: str,
                   hide: tuple[str, ...], readable: tuple[str, ...], private: str) -> None:
    """Runs in the child started from the context; never returns."""
    try:
        with contextlib.suppress(OSError):
            os.setsid()  # fails only if already a group leader (never for a forked child)
        os.umask(0o022)  # the folders made in the new root must be enterable by nobody
        _open_notes(private)  # kept open: the private folder is out of reach once chrooted
        _redirect_stdio(private)
        libc = _libc()
        _new_session_keyring(libc)
        if libc is not None:  # die with the process that started us (the forkserver dies with the caller)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        needed = _needed_paths(scratch, readable)
        user_namespace = os.geteuid() != 0 and _enter_user_namespace(libc)
        pid_namespace, root = _enter_namespaces(libc, hide, needed, _shm_bytes(limits), private)
        if pid_namespace:
            _become_pid1(private)  # only the namespace's init returns; this process waits for it
        if root is not None:
            _enter_root(libc, root, pid_namespace)
        _set_limits(limits, user_namespace)
        _drop_privileges(libc, Path(scratch), needed, limits.uid, user_namespace)
        _close_inherited_fds()
    except BaseException as error:  # noqa: BLE001 - never run student code half confined
        _note(f"sandbox setup failed: {type(error).__name__}: {error}")
        traceback.print_exc()
        _flush_and_exit(SETUP_FAILED)
    _flush_and_exit(_call_target(target, args))


def _close_inherited_fds() -> None:
    """Close every fd but stdio (with a fork context: the caller's sockets and files; the notes file), and
    make multiprocessing forget the caller's resource tracker and forkserver, whose fds those were: the
    student's own multiprocessing (DataLoader workers) starts its own, inside the sandbox, with the
    platform's default start method (a forkserver child inherits "forkserver", whose new server must import
    torch again: seconds per DataLoader)."""
    global _NOTES_FD
    os.closerange(3, 1 << 16)
    _NOTES_FD = None
    from multiprocessing import forkserver, resource_tracker

    multiprocessing.set_start_method(None, force=True)

    for state, names in ((resource_tracker._resource_tracker, ("_fd", "_pid")),
                         (forkserver._forkserver, ("_forkserver_alive_fd", "_forkserver_address",
                                                   "_forkserver_pid", "_inherited_fds"))):
        for name in names:
            if hasattr(state, name):
                setattr(state, name, None)


def _call_target(target: Callable[..., None], args: tuple) -> int:
    try:
        target(*args)
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return (stop.code or 0) & 0xFF
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 - the student's exception is the outcome
        traceback.print_exc()
        return 1
    return 0


def _flush_and_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


_NOTES_FD: int | None = None  # set in the confined child only


def _open_notes(private: str) -> None:
    global _NOTES_FD
    _NOTES_FD = os.open(os.path.join(private, "notes"), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                        0o600)


def _note(text: str) -> None:
    """One line for Outcome.notes, through the fd opened before anything else in the confined child."""
    if _NOTES_FD is not None:
        with contextlib.suppress(OSError):
            os.write(_NOTES_FD, (text.replace("\n", " ") + "\n").encode())


def _redirect_stdio(private: str) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, "stdout", flags), (2, "stderr", flags)):
        opened = os.open(os.path.join(private, path), mode, 0o600)
        os.dup2(opened, fd)  # dup2 clears close-on-exec on the copy
        os.close(opened)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115


def _new_session_keyring(libc: ctypes.CDLL | None) -> None:
    """Leave the caller's session keyring (a TA's tokens, Kerberos tickets) for a new, empty one."""
    number = SYS_KEYCTL.get(platform.machine())
    if libc is None or number is None:
        _note(f"the caller's session keyring stays reachable: no keyctl number known for {platform.machine()}")
    elif libc.syscall(ctypes.c_long(number), ctypes.c_int(KEYCTL_JOIN_SESSION_KEYRING), None) < 0 \
            and ctypes.get_errno() not in (errno.ENOSYS, errno.EPERM):  # no keyrings here, or a seccomp filter:
        code = ctypes.get_errno()  # the student cannot use them either
        _note(f"the caller's session keyring stays reachable: keyctl failed: {os.strerror(code)}")


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _enter_user_namespace(libc: ctypes.CDLL | None) -> bool:
    """Without root: a user namespace of our own, in which this process holds the capabilities that building
    the rest needs (all dropped before the target runs). It maps one uid and one gid, the invoking user's, to
    themselves: files keep their owners and scratch stays writable; setgroups is denied, as the kernel wants
    of an unprivileged map."""
    uid, gid = os.geteuid(), os.getegid()
    if libc is None:
        _note(f"{NO_USER_NAMESPACE}: not Linux ({sys.platform})")
        return False
    if libc.unshare(CLONE_NEWUSER) != 0:
        _note(f"{NO_USER_NAMESPACE} ({os.strerror(ctypes.get_errno())}): unprivileged user namespaces are refused "
              f"here; {user_namespace_hint()}")
        return False
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as file:
            file.write(text)
    return True


def _enter_namespaces(libc: ctypes.CDLL | None, hide: tuple[str, ...], needed: dict[str, bool],
                      shm_bytes: int, private: str) -> tuple[bool, str | None]:
    """New net, mount, PID and IPC namespaces, as many as allowed; with a mount namespace, the new root built
    (not yet entered). Returns (whether the PID namespace worked, the new root or None)."""
    wanted = {CLONE_NEWNET: "no network namespace: network not blocked",
              CLONE_NEWNS: "no mount namespace: hidden paths stay visible",
              CLONE_NEWPID: "no PID namespace: processes that leave the process group may survive",
              CLONE_NEWIPC: "no IPC namespace: System V shared memory and queues are shared with other runs"}
    entered = set()
    if libc is not None and libc.unshare(sum(wanted)) == 0:
        entered = set(wanted)
    for flag, missing in wanted.items():
        if flag in entered:
            continue
        if libc is not None and libc.unshare(flag) == 0:
            entered.add(flag)
        else:
            _note(f"{missing} ({os.strerror(ctypes.get_errno()) if libc else 'not Linux'})")
    root = None
    if CLONE_NEWNS in entered:
        _must_mount(libc, "none", "/", None, MS_REC | MS_PRIVATE, None, "making mounts private")
        root = _build_root(libc, needed, hide, shm_bytes, private)
    elif hide:
        _note(f"hidden paths not hidden: {', '.join(hide)}")
    return CLONE_NEWPID in entered, root


def _must_mount(libc: ctypes.CDLL | None, source: str, target: str, fstype: str | None, flags: int,
                data: str | None, what: str) -> None:
    def encode(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    if libc is None:
        raise OSError(errno.ENOSYS, f"{what} failed: no libc")
    if libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what} failed: mount {target}: {os.strerror(code)}")


def _needed_paths(scratch: str, readable: tuple[str, ...]) -> dict[str, bool]:
    """What the student must reach (path -> writable): scratch, `readable`, and the interpreter: its
    prefixes, standard library and site-packages. Not every sys.path entry: the caller's working folder or
    script folder (a home folder, /tmp) may be there, and none of it is needed to grade."""
    paths = sysconfig.get_paths()
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages(),
              *(paths[name] for name in ("stdlib", "platstdlib", "purelib", "platlib") if name in paths),
              *readable]
    needed = {os.path.realpath(path): False for path in python if path and os.path.exists(path)}
    needed[os.path.realpath(scratch)] = True
    return needed


def _shm_bytes(limits: Limits) -> int:
    """/dev/shm holds RAM outside the address-space limit: a quarter of memory_bytes, at least 64 MiB."""
    return max(limits.memory_bytes // 4, 64 * 2**20)


def _topmost_closed_parent(path: str) -> str | None:
    """The highest parent folder that other users cannot enter (mode without o+x), if any."""
    for parent in reversed(Path(path).parents):
        with contextlib.suppress(OSError):
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return str(parent)
    return None


def _build_root(libc: ctypes.CDLL | None, needed: dict[str, bool], hide: tuple[str, ...],
                shm_bytes: int, private: str) -> str:
    """Build the new root in `private`/root from the allow-list (see the module docstring) and return it.
    Every folder made on the way is a fresh 0755 one, so a needed path under a folder closed to other
    users (pyenv under /root, pytest's tmp_path) is reachable by nobody, and nothing beside it is there."""
    root = os.path.join(private, "root")
    os.mkdir(root, 0o755)
    _must_mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755", "the new root")
    for folder in SYSTEM_FOLDERS:
        if os.path.islink(folder):
            os.symlink(os.readlink(folder), root + folder)
        elif os.path.isdir(folder):
            _bind_into(libc, folder, root, writable=False)
    _build_dev(libc, root)
    for folder in PRIVATE_TEMP:
        size = shm_bytes if folder == "/dev/shm" else 64 * 2**20
        os.makedirs(root + folder, mode=0o755, exist_ok=True)
        _must_mount(libc, "tmpfs", root + folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777",
                    "a private " + folder)
    os.makedirs(root + "/proc", mode=0o755, exist_ok=True)
    skeletons = _temp_skeletons(needed)
    for folder in skeletons:
        os.makedirs(root + folder, mode=0o755)
        _must_mount(libc, "tmpfs", root + folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755", "a skeleton")
    system = [folder for folder in SYSTEM_FOLDERS if os.path.isdir(folder) and not os.path.islink(folder)]
    for path in sorted(needed):  # parents first; a writable path inside a read-only one is bound anew
        inside = [other for other in [*needed, *system] if other != path and _within(path, other)]
        if needed[path] or not inside:
            _bind_into(libc, path, root, writable=needed[path])
    for path in hide:
        if os.path.lexists(root + path):
            _hide(libc, root + path)
    # Built: the tmpfs made for folders read-only too (without root, the student's uid owns them).
    for folder, flags in ((root + "/dev", MS_NOEXEC), *((root + s, MS_NODEV) for s in skeletons), (root, MS_NODEV)):
        _must_mount(libc, "none", folder, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | flags, None,
                    "making the new root read-only")
    return root


def _temp_skeletons(needed: dict[str, bool]) -> list[str]:
    """The folders, right inside a private temp folder, that lead to a needed path deeper in it (scratch under
    $TMPDIR/grader-batch-*/): each gets a tmpfs of its own, read-only once built, so that the folders around
    scratch are not writable, as a student owns them without root."""
    tops = set()
    for path in needed:
        for folder in PRIVATE_TEMP:
            parts = os.path.relpath(path, folder).split(os.sep)
            if _within(path, folder) and len(parts) > 1:
                tops.add(os.path.join(folder, parts[0]))
    return sorted(tops - set(needed))


def _build_dev(libc: ctypes.CDLL | None, root: str) -> None:
    os.makedirs(root + "/dev", mode=0o755)
    _must_mount(libc, "tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755", "a new /dev")
    devices = [f"/dev/{name}" for name in DEVICES] + sorted(
        path for pattern in GPU_DEVICES for path in glob.glob(f"/dev/{pattern}"))
    for device in devices:
        if os.path.exists(device):
            _bind_into(libc, device, root, writable=True)  # a device's own permissions decide
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")


def _bind_into(libc: ctypes.CDLL | None, path: str, root: str, *, writable: bool) -> None:
    """Bind host `path` at the same path under `root`, read-only unless writable."""
    target = root + path
    if os.path.isdir(path):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    _must_mount(libc, path, target, None, MS_BIND | MS_REC, None, "reaching " + path)
    if not writable:
        _make_read_only(libc, target, "making " + path + " read-only")


def _make_read_only(libc: ctypes.CDLL | None, target: str, what: str) -> None:
    """Read-only and nosuid, with every mount below it (a bound /sys brings the host's cgroup mounts, whose
    files may belong to the invoking user): mount_setattr(2) where the kernel has it (5.12), else a remount
    of each of those mounts."""
    attr = ctypes.create_string_buffer(struct.pack("QQQQ", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0, 0, 0), 32)
    if libc is not None and libc.syscall(ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD),
                                         ctypes.c_char_p(target.encode()), ctypes.c_uint(AT_RECURSIVE), attr,
                                         ctypes.c_size_t(32)) == 0:
        return
    code = ctypes.get_errno() if libc is not None else errno.ENOSYS
    if code not in (errno.ENOSYS, errno.EPERM):  # ENOSYS: before 5.12; EPERM: a seccomp filter refusing it
        raise OSError(code, f"{what} failed: mount_setattr {target}: {os.strerror(code)}")
    remount_read_only(libc, target, what)


def remount_read_only(libc: ctypes.CDLL | None, target: str, what: str) -> None:
    """`_make_read_only` without mount_setattr: each mount at or below `target` remounted read-only, keeping
    the flags it has (a user namespace refuses a remount that would clear nodev, noexec or its atime flag)."""
    for point in sorted(_mount_points(target)):  # parents first
        info = os.statvfs(point).f_flag
        kept = sum(flag for st_flag, flag in ((os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                                              (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                                              (os.ST_RELATIME, MS_RELATIME)) if info & st_flag)
        _must_mount(libc, "none", point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | kept, None, what)


def _mount_points(target: str) -> set[str]:
    """`target` and the mount points below it, from /proc/self/mountinfo (its octal escapes decoded)."""
    points = {target}
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as file:
        for line in file:
            point = re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), line.split()[4])
            if _within(point, target):
                points.add(point)
    return points


def _enter_root(libc: ctypes.CDLL | None, root: str, pid_namespace: bool) -> None:
    """Give the new root its /proc (fresh when this is the PID namespace's init) and chroot into it."""
    if pid_namespace:
        _must_mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None, "fresh /proc")
    else:
        _must_mount(libc, "/proc", root + "/proc", None, MS_BIND | MS_REC, None, "reaching /proc")
    os.chroot(root)
    os.chdir("/")


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide(libc: ctypes.CDLL | None, path: str) -> None:
    """An empty read-only tmpfs over a folder, /dev/null (read-only) over a file."""
    if os.path.isdir(path):
        _must_mount(libc, "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "size=4k,mode=0555", "hiding " + path)
    else:
        _must_mount(libc, "/dev/null", path, None, MS_BIND, None, "hiding " + path)
        _make_read_only(libc, path, "hiding " + path)


def _become_pid1(private: str) -> None:
    """Fork the PID namespace's init. The parent (outside the namespace) reports its pid, waits for it,
    records its wait status and exits; only the init returns, once its pid is on record."""
    gate_r, gate_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(gate_w)
        os.read(gate_r, 1)  # EOF once the parent has written pid1: it can then be killed from outside
        os.close(gate_r)
        return
    os.close(gate_r)
    _write_atomically(os.path.join(private, "pid1"), str(pid))
    os.close(gate_w)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = SETUP_FAILED << 8
    _write_atomically(os.path.join(private, "status"), str(status))
    os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


def _write_atomically(path: str, text: str) -> None:
    with open(path + ".tmp", "w", encoding="ascii") as file:
        file.write(text)
    os.replace(path + ".tmp", path)


def _cuda_host() -> bool:
    return os.path.exists("/dev/nvidiactl")


_CUDA_MEMORY_NOTE = ("NVIDIA driver present: memory limited with RLIMIT_DATA, not RLIMIT_AS (CUDA reserves "
                     "huge address ranges): shared memory mappings are not limited")


def _set_limits(limits: Limits, user_namespace: bool) -> None:
    _set_limit(resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s + 1)  # SIGXCPU, then SIGKILL
    _set_limit(resource.RLIMIT_NOFILE, limits.open_files, limits.open_files)
    if user_namespace and _kernel() < NPROC_PER_USER_NAMESPACE:  # it would count the invoking user's processes
        _note(f"no process limit: Linux {platform.release()} counts processes per user, not per user namespace "
              "(5.14 and later do), so without root a fork bomb is stopped by the wall-clock limit only")
    else:
        _set_limit(resource.RLIMIT_NPROC, limits.processes, limits.processes)
    _set_limit(resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes)
    _set_limit(resource.RLIMIT_CORE, 0, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # The process already maps what the forkserver imported (torch: several GB of address space), so the
    # limit is what it has now plus memory_bytes.
    which, field = (resource.RLIMIT_DATA, "VmData") if _cuda_host() else (resource.RLIMIT_AS, "VmSize")
    if which == resource.RLIMIT_DATA:
        _note(_CUDA_MEMORY_NOTE)
    now = _status_kib(field)
    if now is None:
        _note(f"memory not limited: no {field} in /proc/self/status")
    else:
        _set_limit(which, now * 1024 + limits.memory_bytes, now * 1024 + limits.memory_bytes)


def _set_limit(which: int, soft: int, hard: int) -> None:
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (OSError, ValueError) as error:
        _note(f"resource limit {which} not set: {error}")


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as file:
            for line in file:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _kernel() -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", platform.release())[:2])


def _drop_privileges(libc: ctypes.CDLL | None, scratch: Path, needed: dict[str, bool],
                     as_uid: int | None, user_namespace: bool) -> None:
    os.chdir(scratch)
    for name in [name for name in os.environ if SECRET_ENV.search(name)]:
        del os.environ[name]
    os.environ["HOME"] = os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = None  # re-read TMPDIR
    if user_namespace:
        _drop_capabilities(libc)
    elif os.geteuid() != 0:
        _note("running as the invoking user, unconfined: it reaches what the invoking user reaches")
    else:
        with contextlib.suppress(OSError):  # belt and braces here: setuid and NO_NEW_PRIVS already suffice
            _drop_bounding_set(libc)
        uid, gid = _nobody()
        uid = as_uid if as_uid is not None else uid
        _give_tree(scratch, uid, gid)
        for path in needed:
            if (closed := _topmost_closed_parent(path)) is not None:
                _note(f"{path} is not reachable by the student: {closed} is closed to other users")
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError(errno.EPERM, "could not drop privileges")
        os.environ["USER"] = os.environ["LOGNAME"] = "nobody"
    if libc is not None:  # setuid programs (su, sudo) cannot give privileges back; die with the parent
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            _note("setuid programs not neutralised (prctl NO_NEW_PRIVS failed)")
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _drop_capabilities(libc: ctypes.CDLL | None) -> None:
    """In our own user namespace: no capability left, none to gain (bounding and ambient sets emptied), so the
    student cannot undo a mount, leave the chroot or mount anything; executing a program gains nothing."""
    if libc is None:
        raise OSError(errno.ENOSYS, "no libc to drop capabilities with")
    _drop_bounding_set(libc)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    if libc.capset(header, (ctypes.c_uint32 * 6)()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"could not drop capabilities: {os.strerror(code)}")


def _drop_bounding_set(libc: ctypes.CDLL | None) -> None:
    """Empty the capability bounding set (no file capability can add one back)."""
    for capability in range(64):
        if libc is None or libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0:
            continue
        if ctypes.get_errno() == errno.EINVAL:  # past the kernel's last capability
            return
        raise OSError(ctypes.get_errno(), f"could not drop capability {capability} from the bounding set")


def _nobody() -> tuple[int, int]:
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except (ImportError, KeyError):
        return NOBODY_UID, NOBODY_UID


def _give_tree(root: Path, uid: int, gid: int) -> None:
    """chown scratch and what it holds to the student's user; never through a link, never a hard link."""
    os.chown(root, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                info = os.lstat(path)
                if stat.S_ISDIR(info.st_mode) or (stat.S_ISREG(info.st_mode) and info.st_nlink == 1):
                    os.chown(path, uid, gid, follow_symlinks=False)
