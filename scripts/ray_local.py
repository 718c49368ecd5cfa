"""A throwaway Ray cluster on this machine, for tests/test_cluster.py and the bench (scripts/bench_cluster.py).

Each node is a real `ray start` (the head, then `ray start --address=...`) of one CPU, started as a process
group of its own on free ports under a private temp folder, and killed by pid, never with `ray stop` (which
stops every Ray cluster on the machine, another session's included).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

RAY = Path(sys.executable).parent / "ray"


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, title: Ray names a busy worker `ray::<task name>`)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                ppid, pgid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1:3]
            except (OSError, ValueError):
                continue
            found[int(entry.name)] = (int(ppid), int(pgid), title)
    return found


def titled(prefix: str, parent: int | None = None) -> list[int]:
    return [pid for pid, (ppid, _, title) in processes().items() if title.startswith(prefix) and parent in (None, ppid)]


@dataclass
class LocalCluster:
    temp: Path  # short: Ray's unix sockets live under it (at most 107 characters)
    gcs: int = 0
    client: int = 0
    groups: list[int] = field(default_factory=list)  # one process group per node, the head's first

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.gcs}"

    @property
    def client_address(self) -> str:
        return f"ray://127.0.0.1:{self.client}"

    def start_node(self, head: bool = False, cpus: int = 1) -> int:
        """Start a node as its own process group; its group id."""
        manager, objects, agent, agent_grpc, metrics, runtime_env = free_ports(6)
        command = [str(RAY), "start", f"--num-cpus={cpus}", "--num-gpus=0", "--node-ip-address=127.0.0.1",
                   "--disable-usage-stats", f"--node-manager-port={manager}", f"--object-manager-port={objects}",
                   f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={agent_grpc}",
                   f"--metrics-export-port={metrics}", f"--runtime-env-agent-port={runtime_env}",
                   f"--worker-port-list={','.join(map(str, free_ports(10)))}"]
        if head:
            self.gcs, self.client, dashboard = free_ports(3)
            command += ["--head", f"--port={self.gcs}", f"--ray-client-server-port={self.client}",
                        f"--temp-dir={self.temp}", "--include-dashboard=false", f"--dashboard-port={dashboard}"]
        else:
            command += [f"--address={self.address}"]
        # Fast failure detection: a killed node is declared dead in seconds, not the default half minute. A Ray
        # Client's server process gets 2 minutes to start, not 30 s (a loaded test machine needs more).
        env = os.environ | {"RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "4",
                            "RAY_health_check_initial_delay_ms": "0", "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "120"}
        process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self.groups.append(process.pid)  # the session leader: the node's daemons keep its group
        output, _ = process.communicate(timeout=180)
        if process.returncode != 0:
            raise RuntimeError(f"ray start failed: {output[-3000:]}")
        return process.pid

    def raylet(self, group: int) -> int:
        return next(pid for pid, (_, pgid, title) in processes().items()
                    if pgid == group and "raylet/raylet" in title)

    def kill(self, group: int) -> None:
        """SIGKILL a node: its process group and every descendant (Ray puts each worker in a group of its own)."""
        table = processes()
        doomed = {pid for pid, (_, pgid, _) in table.items() if pgid == group}
        while grown := {pid for pid, (ppid, _, _) in table.items() if ppid in doomed} - doomed:
            doomed |= grown
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def local_cluster(nodes: int) -> Iterator[LocalCluster]:
    """`nodes` one-CPU nodes (the head included), killed on the way out whatever happened."""
    cluster = LocalCluster(temp=Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp")))
    try:
        cluster.start_node(head=True)
        for _ in range(nodes - 1):
            cluster.start_node()
        yield cluster
    finally:
        for group in cluster.groups:
            cluster.kill(group)
        shutil.rmtree(cluster.temp, ignore_errors=True)
