"""An nn.Module that lies about `.training`.

Attack: the reference solution whose build_model swaps its Dropout and BatchNorm1d layers for subclasses
(still isinstance of nn.Dropout / nn.BatchNorm1d, same parameters and buffers) whose `training` is a
property answering whatever `train()`/`eval()` last asked for, while their forward always runs in training
mode: dropout always on, BatchNorm always normalising with the batch's statistics and updating its running
ones. Anything that looks at `.training` sees a model that switches modes correctly.
Expected: the mode checks look at behaviour, not at the flag: eval_mode_behaviour scores 0, and no check
scores more than it does for the reference.
"""

import torch


class _RtAlwaysDropout(torch.nn.Dropout):
    @property
    def training(self):
        return self.__dict__.get("_rt_claimed", True)

    @training.setter
    def training(self, mode):
        self.__dict__["_rt_claimed"] = mode

    def forward(self, x):
        return torch.nn.functional.dropout(x, self.p, True, self.inplace)


class _RtAlwaysBatchStats(torch.nn.BatchNorm1d):
    @property
    def training(self):
        return self.__dict__.get("_rt_claimed", True)

    @training.setter
    def training(self, mode):
        self.__dict__["_rt_claimed"] = mode

    def forward(self, x):
        return torch.nn.functional.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                              True, self.momentum, self.eps)


_rt_honest_build_model = build_model  # noqa: F821 - defined by the reference solution above


def build_model(hidden=(100, 100), p=0.3):
    model = _rt_honest_build_model(hidden, p)
    for module in model.modules():
        claimed = module.training
        if type(module) is torch.nn.Dropout:
            del module.training
            module.__class__ = _RtAlwaysDropout
            module.training = claimed
        elif type(module) is torch.nn.BatchNorm1d:
            del module.training
            module.__class__ = _RtAlwaysBatchStats
            module.training = claimed
    return model
