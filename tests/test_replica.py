"""grader/replica.py: a network described as plain data, rebuilt by the grader, and refused when the copy
would not behave like the original."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grader.kits.torch_models.nn_probes import batchnorm_state, same_tensors
from grader.kits.torch_models.replica import ReplicaError, describe, probe_batch, rebuild


def homework_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(100, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Dropout(0.3), nn.Linear(100, 10))


class Nested(nn.Module):
    """The catalogue's harmless custom module: blocks in a ModuleList, flattening in forward."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(784, 100), nn.BatchNorm1d(100), nn.ReLU()),
                                     nn.Sequential(nn.Dropout(0.3), nn.Linear(100, 10))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(x.shape[0], -1)
        for block in self.blocks:
            x = block(x)
        return x


class Reused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner, self.act, self.out = nn.Linear(784, 784), nn.ReLU(), nn.Linear(784, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(self.inner(self.act(self.inner(x)))))


class Functional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first, self.last = nn.Linear(784, 100), nn.Linear(100, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last(torch.relu(self.first(x)))  # a ReLU no layer records


def copy_and_original(model: nn.Module) -> tuple[nn.Module, nn.Module]:
    model.train()
    return rebuild(describe(model)), model


@pytest.mark.parametrize("make", [homework_model, Nested, Reused], ids=["sequential", "nested", "reused_layer"])
def test_the_copy_behaves_like_the_original_in_both_modes(make) -> None:
    replica, original = copy_and_original(make())
    batch = probe_batch()[:16] * 2
    with torch.no_grad():
        torch.manual_seed(1)
        train_copy = replica.train()(batch)
        torch.manual_seed(1)
        train_original = original.train()(batch)
        torch.testing.assert_close(train_copy, train_original)  # the same dropout masks, the same batch statistics
        torch.testing.assert_close(replica.eval()(batch), original.eval()(batch))


def test_describing_changes_neither_state_nor_mode() -> None:
    model = homework_model().train()
    model[3].eval()  # a mixed state must survive too
    before = batchnorm_state(model)
    describe(model)
    assert same_tensors(before, batchnorm_state(model))
    assert [m.training for m in model.modules()] == [True, True, True, True, False, True, True, True, True, True]


def test_a_forward_pass_that_does_more_than_its_layers_is_refused() -> None:
    with pytest.raises(ReplicaError, match="does not give your model's output"):
        rebuild(describe(Functional()))


@pytest.mark.parametrize("mutate", [
    lambda d: d["layers"].__setitem__(0, {"kind": "Bilinear"}),
    lambda d: d["layers"].__setitem__(0, {"kind": "__import__"}),
    lambda d: d.__setitem__("calls", [0, 99]),
    lambda d: d.__setitem__("calls", []),
    lambda d: d["state"].pop("0.weight"),
    lambda d: d["state"].__setitem__("0.weight", torch.zeros(3)),
    lambda d: d.__setitem__("output", None),
    lambda d: d.__setitem__("layers", "Linear"),
], ids=["unknown_layer", "not_a_layer", "call_out_of_range", "no_calls", "missing_tensor", "wrong_shape",
        "no_output", "garbage"])
def test_unusable_descriptions_raise_replica_error(mutate) -> None:
    description = describe(homework_model())
    mutate(description)
    with pytest.raises(ReplicaError):
        rebuild(description)


def test_non_descriptions_raise_replica_error() -> None:
    for sent in (None, "a model", [1, 2], {}):
        with pytest.raises(ReplicaError):
            rebuild(sent)


def test_sizes_a_description_claims_allocate_nothing_before_its_tensors_are_checked() -> None:
    description = describe(homework_model())
    description["layers"][0] = {"kind": "Linear", "in_features": 10**9, "out_features": 10**9, "bias": True}
    with pytest.raises(ReplicaError, match="unusable"):  # a size mismatch with the tensors sent, not 4 EB of RAM
        rebuild(description)


def test_a_forward_pass_of_a_million_calls_is_refused() -> None:
    description = describe(homework_model())
    description["calls"] = [2] * 10**6
    with pytest.raises(ReplicaError, match="more than"):
        rebuild(description)


def test_copies_are_independent_of_the_description_and_of_each_other() -> None:
    description = describe(homework_model())
    first = rebuild(description)
    with torch.no_grad():
        first.train()(probe_batch())  # moves the first copy's running statistics
    second = rebuild(description)  # still confirmed against the recorded output
    assert not same_tensors(batchnorm_state(first), batchnorm_state(second))


class Swish(nn.Module):  # an activation written by hand, as students do
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class RowNorm(nn.Module):  # stateless, but it mixes the numbers of a row: no function of one number
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / x.norm(dim=1, keepdim=True)


class HandDropout(nn.Module):  # stateless, but random in train mode
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.dropout(x, 0.3, self.training)


def with_layer(layer: nn.Module) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(784, 50), nn.BatchNorm1d(50), layer, nn.Linear(50, 10))
    model.train()
    with torch.no_grad():
        model(torch.rand(64, 784) * 3)  # running statistics of their own
    return model.eval()


def test_a_stateless_elementwise_layer_of_the_students_own_is_copied_as_the_function_it_computes() -> None:
    model = with_layer(Swish())
    copy = rebuild(describe(model))
    assert [type(layer).__name__ for layer in copy.layers] == ["Linear", "BatchNorm1d", "Swish", "Linear"]
    x = torch.randn(32, 784) * 4
    with torch.no_grad():
        torch.testing.assert_close(copy.eval()(x), model(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer", [RowNorm(), HandDropout()], ids=["mixes_a_row", "random_in_train_mode"])
def test_a_layer_that_is_not_a_function_of_one_number_is_named_not_copied(layer: nn.Module) -> None:
    with pytest.raises(ReplicaError, match=f"cannot copy \\({type(layer).__name__}\\)"):
        rebuild(describe(with_layer(layer)))
