"""Forging results.json with the run's own nonce, stolen from the plugin's memory.

Attack: no homework at all. The plugin removes the nonce from the environment before student code runs, but
keeps it in its Collector object, in the same process as the student's code. At import, find that object
with `gc`, read its nonce and result path, write a full-marks result file with the right nonce, write an
artifacts file with what can be made up without the homework (Xavier weights of the right shapes; rows for
compare_hidden_sizes with the sizes the hidden check asks for, read from the job the grading process was given;
and, for each row, a network of those sizes described as built and as "trained", its weights nudged), and exit
before pytest writes the real results.
Expected: every check scores 0 (the submission implements nothing). compare_hidden_sizes too: the grader
checks the rows against its own copies of the networks, which have learned nothing.
"""

import ast
import gc
import glob
import json
import os
import sys

import torch

_rt_collector = next(o for o in gc.get_objects() if type(o).__name__ == "Collector" and hasattr(o, "_nonce"))
_rt_folder = os.path.dirname(sys.modules["check_1_model"].__file__)
_rt_checks = []
for _rt_file in sorted(glob.glob(os.path.join(_rt_folder, "check_*.py"))):
    with open(_rt_file, encoding="utf-8") as _rt_handle:
        for _rt_node in ast.parse(_rt_handle.read()).body:
            if isinstance(_rt_node, ast.FunctionDef) and _rt_node.name.startswith("check_"):
                _rt_checks.append({"name": _rt_node.name.removeprefix("check_"), "status": "passed",
                                   "message": "", "duration_s": 0.1})
with open(_rt_collector.path, "w", encoding="utf-8") as _rt_handle:
    json.dump({"checks": _rt_checks, "hidden_not_run": 0, "tampered": [], "nonce": _rt_collector._nonce},
              _rt_handle)
_rt_weights = [torch.nn.init.xavier_uniform_(torch.empty(fan_out, fan_in))
               for fan_in, fan_out in ((784, 100), (100, 100), (100, 10))]
# The hidden check's code is not here, but what it needs observed is, in the job the process was given.
_rt_job = next(o for o in gc.get_objects() if type(o).__name__ == "Job" and hasattr(o, "observations"))
_rt_configs = next(r["args"][0] for r in _rt_job.observations if r.get("key") == "compare_rows")
_rt_rows = [{"hidden": [h1, h2], "linear_shapes": [[784, h1], [h1, h2], [h2, 10]], "batchnorm_features": [h1, h2],
            "train_cost": 0.5, "test_accuracy": 0.9} for h1, h2 in _rt_configs]
# The grader's own describer: its package is readable in the sandbox.
from grader.kits.torch_models.replica import describe

_rt_built = []
for _rt_h1, _rt_h2 in _rt_configs:
    _rt_net = torch.nn.Sequential(torch.nn.Linear(784, _rt_h1), torch.nn.BatchNorm1d(_rt_h1), torch.nn.ReLU(),
                                  torch.nn.Dropout(0.3), torch.nn.Linear(_rt_h1, _rt_h2), torch.nn.BatchNorm1d(_rt_h2),
                                  torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(_rt_h2, 10))
    _rt_initial = describe(_rt_net)
    with torch.no_grad():
        for _rt_param in _rt_net.parameters():
            _rt_param.add_(0.01)  # "trained"
    _rt_built.append({"initial": _rt_initial, "final": describe(_rt_net)})
torch.save({"initial_linear_weights": _rt_weights, "compare_rows": _rt_rows, "compare_rows:built": _rt_built},
           "artifacts.pt")
os._exit(0)
