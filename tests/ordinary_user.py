"""Running a command as an ordinary user, and as one whose user namespaces are refused, on this machine.

The grader confines differently as root (namespaces, then `nobody`) and as an ordinary user (a user namespace
of its own first), so the sandbox and red-team tests run both ways where the machine allows: as root, through
`ordinary_user_command`, which runs a command as uid 65534 (setpriv). If the interpreter lives under a folder
closed to other users (pyenv under /root), the command gets its own mount namespace in which that folder is
replaced by an open one holding only the interpreter: what an ordinary user with their own Python sees.

`python tests/ordinary_user.py -- COMMAND...` runs COMMAND in a user namespace of its own whose
user.max_user_namespaces is 0: a real kernel refusal of unshare(CLONE_NEWUSER) for it and its children
only (ENOSPC), as on a machine where unprivileged user namespaces are off.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

NOBODY = 65534
CLONE_NEWUSER = 0x10000000


def unavailable() -> str | None:
    """Why commands cannot be run as an ordinary user here, or None."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    missing = [tool for tool in ("setpriv", "unshare") if shutil.which(tool) is None]
    if os.geteuid() == 0 and missing:
        return f"no {', '.join(missing)} to become an ordinary user with"
    return None


def _closed_parent(path: str) -> str | None:
    for parent in reversed(Path(path).parents):
        if not os.stat(parent).st_mode & 0o001:
            return str(parent)
    return None


@contextlib.contextmanager
def ordinary_user_command(argv: list[str]) -> Iterator[tuple[list[str], dict[str, str]]]:
    """(command, environment) that run `argv` as uid 65534 with a home of its own; as is, if we are not root."""
    if os.geteuid() != 0:
        yield argv, dict(os.environ)
        return
    home = Path(tempfile.mkdtemp(prefix="ordinary-user-home-"))
    view = Path(tempfile.mkdtemp(prefix="ordinary-user-view-"))
    try:
        os.chown(home, NOBODY, NOBODY)
        view.chmod(0o755)
        become = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        interpreter = os.path.realpath(sys.base_prefix)
        closed = _closed_parent(interpreter)
        if closed is None:
            command = become + argv
        else:  # an open copy of the closed folder holding only the interpreter, in a mount namespace of its own
            inside = view / os.path.relpath(interpreter, closed)
            inside.mkdir(parents=True, mode=0o755)
            for folder in inside.parents:
                if folder.is_relative_to(view):
                    folder.chmod(0o755)
            script = f'mount --bind "{interpreter}" "{inside}" && mount --rbind "{view}" "{closed}" && exec "$@"'
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *become, *argv]
        env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTEST_", "COV_"))}
        yield command, env | {"HOME": str(home), "TMPDIR": "/tmp", "USER": "nobody", "LOGNAME": "nobody"}
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(view, ignore_errors=True)


def without_user_namespaces(argv: list[str]) -> list[str]:
    """`argv` run where the kernel refuses it (and its children) new user namespaces."""
    return [sys.executable, str(Path(__file__).resolve()), "--", *argv]


def _refuse_user_namespaces_and_exec(argv: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        Path(f"/proc/self/{name}").write_text(text)
    # The limit of this namespace, which bounds every namespace below it; exec drops the capability that set it.
    Path("/proc/sys/user/max_user_namespaces").write_text("0")
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    _refuse_user_namespaces_and_exec(sys.argv[sys.argv.index("--") + 1:])
