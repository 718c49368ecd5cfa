"""Crafted tensors that crash the grader's own recomputation.

Attack: no homework, no stolen nonce. The parent recomputes some verdicts from the tensors in artifacts.pt,
a file in the student's working folder. At import, write it with "initial weights" that are valid tensors
but empty (0 x 784, 0 x 0), so the parent's Xavier statistics divide by zero or take the max of nothing,
and exit before pytest overwrites the file.
Expected: tensors that cannot be verified cost this submission its points, nothing more: the batch
completes and this submission scores 0.
"""

import os

import torch

torch.save({"initial_linear_weights": [torch.empty(0, 784), torch.empty(0, 0)],
            "trained_state": {"0.weight": torch.empty(0)}}, "artifacts.pt")
os._exit(0)
