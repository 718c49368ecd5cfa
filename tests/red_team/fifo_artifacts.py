"""A FIFO where the grader reads the recorded tensors.

Attack: no homework. At import, make artifacts.pt (where the checks save their tensors, in the working
folder) a named pipe, and exit: the parent opens it to load the tensors and blocks forever.
Expected: the grader loads artifacts only from a regular file: this submission scores 0 and the batch
completes.
"""

import os

os.mkfifo("artifacts.pt")
os._exit(0)
