"""A FIFO where the grader reads its results.

Attack: no homework. At import, make results.json (where the plugin writes, in the working folder) a named
pipe, and exit before pytest replaces it. A reader that opens it blocks until someone opens it for writing,
and nobody ever will.
Expected: the grader reads only a regular file (no link, no FIFO, no device): this submission scores 0
and the batch completes.
"""

import os

os.mkfifo("results.json")
os._exit(0)
