"""A result file that crashes the grader, written with the stolen nonce.

Attack: no homework. Steal the run's nonce from the plugin's Collector with `gc` (as
forge_results_stolen_nonce.py does), and write a result file that passes the nonce test but holds values of
the wrong types (a duration that is not a number, a "tampered" list of numbers), then exit. Parsing it with
`float(...)` or `", ".join(...)` raises in the grader's own process, outside any per-submission guard.
Expected: whatever the child wrote, the grader turns it into verdicts or into "unreadable" for this
submission only: the batch completes and this submission scores 0.
"""

import gc
import json
import os

_rt_collector = next(o for o in gc.get_objects() if type(o).__name__ == "Collector" and hasattr(o, "_nonce"))
with open(_rt_collector.path, "w", encoding="utf-8") as _rt_handle:
    json.dump({"nonce": _rt_collector._nonce, "tampered": [],
               "checks": [{"name": "layer_shapes", "status": "passed", "duration_s": "a while"}]}, _rt_handle)
os._exit(0)
