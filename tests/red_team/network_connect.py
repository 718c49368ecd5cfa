"""Opening a network connection.

Attack: no homework. At import, connect over TCP to a listener the test opened on the host's loopback
(its port is in $RED_TEAM_PORT: a real attacker would use a known host) and send a message, then try the
same port on the host's own address, and a DNS lookup. A connection would allow fetching someone's solution
or sending out the hidden checks.
Expected: the grading process has no network (a fresh network namespace with only a down loopback): the
listener receives no connection. Every check scores 0.
"""

import os
import socket

_rt_port = int(os.environ.get("RED_TEAM_PORT", "9"))
for _rt_host in ("127.0.0.1", "::1", "localhost", socket.gethostname()):
    try:
        with socket.create_connection((_rt_host, _rt_port), timeout=3) as _rt_socket:
            _rt_socket.sendall(b"red team was here\n")
        print(f"red team: CONNECTED to {_rt_host}:{_rt_port}")
    except OSError as error:
        print(f"red team: no connection to {_rt_host}:{_rt_port}: {error}")
try:
    print("red team: resolved", socket.getaddrinfo("pypi.org", 443)[:1])
except OSError as error:
    print(f"red team: no DNS: {error}")
