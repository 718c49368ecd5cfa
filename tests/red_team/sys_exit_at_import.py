"""sys.exit at import.

Attack: the reference solution, then `sys.exit(0)` as the last line of the module, hoping that a clean exit
status is read as "import succeeded" or even as "all checks passed".
Expected: the import fails, so every check scores 0 (and the batch goes on).
"""

import sys

sys.exit(0)
