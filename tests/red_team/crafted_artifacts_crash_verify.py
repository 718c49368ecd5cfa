"""Crafted observations that crash, exhaust or hang the grader's own verdicts.

Attack: no homework, no stolen nonce. The parent judges every check again from the observations in
artifacts.pt, a file in the student's working folder. At import, write it with observations made to hurt the
process that reads them: empty weight tensors (statistics of nothing), a model description that claims a
10^9 x 10^9 Linear layer (4 EB if built as claimed), one that runs a layer a million times, a layer type that
names a function, NaN costs, a non-number accuracy and deeply nested rows; then exit before pytest
overwrites the file.
Expected: observations that cannot be verified cost this submission its points, nothing more: the batch
completes, the grader's memory stays bounded, and this submission scores 0.
"""

import os

import torch

_rt_state = {"0.weight": torch.empty(0, 784), "0.bias": torch.empty(0)}
_rt_nested: list = []
for _ in range(50):
    _rt_nested = [_rt_nested]
torch.save({
    "init_weights_probe": [torch.empty(0, 784), torch.empty(0, 0)],
    "model:build_model()": {"layers": [{"kind": "Linear", "in_features": 10**9, "out_features": 10**9,
                                        "bias": True}], "calls": [0], "state": _rt_state,
                            "output": torch.zeros(64, 10)},
    "model:build_model(p=0.5)": {"layers": [{"kind": "ReLU"}], "calls": [0] * 10**6, "state": {},
                                 "output": torch.zeros(64, 784)},
    "model:build_model(hidden=(200, 150))": {"layers": [{"kind": "__import__"}], "calls": [0], "state": {},
                                             "output": None},
    "trained_model": {"layers": "Linear", "calls": None, "state": None, "output": None},
    "train_epoch:cost": float("nan"),
    "evaluate:plain": "0.75",
    "loaders": {"train": [torch.empty(0)] * 3, "test": None},
    "compare_rows": _rt_nested,
}, "artifacts.pt")
os._exit(0)
