"""A symbolic link from the results file to /dev/zero.

Attack: no homework. At import, make results.json a symbolic link to /dev/zero and exit. The size check sees
a character device of size 0; reading it never ends, and the grader's process fills its memory.
Expected: the grader never follows a link out of scratch and reads a bounded number of bytes: this
submission scores 0, the batch completes and the grader's memory stays where it was.
"""

import os

os.symlink("/dev/zero", "results.json")
os._exit(0)
