"""A result file nested so deeply that parsing it crashes the grader.

Attack: no homework, and no stolen nonce: at import, write results.json as 500,000 nested JSON arrays (1 MB,
under the size limit) and exit. The grader parses the file before it can look for the nonce, and Python's
json module raises RecursionError, which is neither OSError nor ValueError.
Expected: an unparsable result file costs this submission its points, nothing more: the batch completes and
this submission scores 0.
"""

import os

with open("results.json", "w", encoding="utf-8") as _rt_handle:
    _rt_handle.write("[" * 500_000 + "]" * 500_000)
os._exit(0)
