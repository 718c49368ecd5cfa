"""1 GB of output.

Attack: no homework. At import, write 1 GiB to stdout in 1 MiB chunks (ignoring write errors), then 100 MiB
more to stderr, hoping to fill the disk or the grader's memory when it reads the output back.
Expected: the output is capped (the stored stdout is at most the limit plus a truncation note), the grader's
memory is unaffected. Every check scores 0.
"""

import os

_rt_chunk = (b"PASSED " * 149797)[: 2**20 - 1] + b"\n"
for _rt_fd, _rt_count in ((1, 1024), (2, 100)):
    for _ in range(_rt_count):
        try:
            os.write(_rt_fd, _rt_chunk)
        except OSError:
            pass
