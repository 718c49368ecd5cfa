# %% [markdown]
# # HW3: backpropagation by hand, and why initialisation matters
# # 과제 3: 손으로 구현하는 오차역전파와 가중치 초기화의 중요성
#
# Fill every `# Fill this blank!` below, then run `make check ASSIGNMENT=hw3_backprop_init` to see your
# visible score. Each blank is one function, graded on its own: keep the names and signatures.
# 아래의 모든 `# Fill this blank!` 부분을 채운 뒤 `make check ASSIGNMENT=hw3_backprop_init`로 공개 채점 결과를
# 확인하세요. 빈칸 하나가 함수 하나이고 따로 채점되므로 함수 이름과 인자는 바꾸지 마세요.
#
# The course notes behind it: lab 08-1 (one perceptron cannot learn XOR), lab 08-2 (the 2-2-1 sigmoid
# network with backpropagation written by hand, and xor-nn-wide-deep) and the weight-initialisation slides
# (activation histograms of 5 layers of 100 nodes with std 1, std 0.01, Xavier and He weights).
# 수업 자료: lab 08-1 (퍼셉트론 하나로는 XOR을 풀 수 없음), lab 08-2 (2-2-1 sigmoid 신경망의 손으로 쓴
# 오차역전파, xor-nn-wide-deep), 가중치 초기화 슬라이드 (100개 노드 5층의 활성화 값 히스토그램).
#
# Everything is `torch.float64`, and nothing in parts 2 and 3 may use autograd (`backward()`,
# `torch.autograd`, `requires_grad`): the point is to write the chain rule yourself.
# 모든 텐서는 `torch.float64`입니다. 2, 3번에서는 autograd(`backward()`, `torch.autograd`,
# `requires_grad`)를 쓰면 안 됩니다. 연쇄 법칙(chain rule)을 직접 구현하는 것이 이 과제의 목적입니다.

# %%
from __future__ import annotations

import math

import torch

DTYPE = torch.float64
LAYERS, NODES, SAMPLES = 5, 100, 1000  # part 4: 5 layers of 100 nodes, 1000 random inputs


def xor_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The four XOR points: X is 4x2, Y is 4x1 (0 or 1), float64. / XOR의 네 점."""
    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=DTYPE)
    Y = torch.tensor([[0], [1], [1], [0]], dtype=DTYPE)
    return X, Y


def bce_cost(prediction: torch.Tensor, Y: torch.Tensor) -> float:
    """The mean binary cross-entropy of predictions in (0, 1) against labels 0/1, as a float (the notes' cost).
    평균 binary cross-entropy (수업 자료의 cost)."""
    return float(-(Y * torch.log(prediction) + (1 - Y) * torch.log(1 - prediction)).mean())


def accuracy(prediction: torch.Tensor, Y: torch.Tensor) -> float:
    """The fraction of points where prediction > 0.5 agrees with the label. / 0.5 기준 예측의 정확도."""
    return float(((prediction > 0.5) == (Y > 0.5)).to(DTYPE).mean())


# %% [markdown]
# ## 1. One layer cannot learn XOR / 레이어 하나로는 XOR을 학습할 수 없다
# ### Blank 1: `single_layer_xor(steps=1000, lr=1.0, seed=0)`
# Lab 08-1 with `torch.nn`: after `torch.manual_seed(seed)`, train `torch.nn.Linear(2, 1)` followed by a sigmoid
# on the four XOR points with `torch.nn.BCELoss()` and `torch.optim.SGD(..., lr=lr)` for `steps` steps, and
# return the cost curve: a list of `steps` floats, the cost of each step **before** its update
# (`cost.item()`). Use float64 (`torch.nn.Linear(2, 1, dtype=torch.float64)`, `xor_data()`).
# The cost falls to ln 2 = 0.6931 and stays there, as in the notes' log: a line cannot separate XOR, and the
# best a single sigmoid unit can do is answer 0.5 everywhere, whose cross-entropy is ln 2. No weights of this
# model ever do better, so the curve never goes below ln 2.
# Lab 08-1을 `torch.nn`으로: `torch.manual_seed(seed)` 다음 `torch.nn.Linear(2, 1)` + sigmoid를 XOR 네 점에
# `torch.nn.BCELoss()`와 `torch.optim.SGD(..., lr=lr)`로 `steps`번 학습하고, 각 step의 **업데이트 전** cost
# (`cost.item()`) `steps`개를 list로 반환하세요. float64를 쓰세요. cost는 수업 자료의 로그처럼
# ln 2 = 0.6931에서 멈춥니다: 직선 하나로는 XOR을 나눌 수 없고, sigmoid 하나가 할 수 있는 최선은 모든 점에
# 0.5를 답하는 것(cross-entropy = ln 2)이기 때문입니다. 그래서 곡선은 ln 2 아래로 내려가지 않습니다.


# %%
def single_layer_xor(steps: int = 1000, lr: float = 1.0, seed: int = 0) -> list[float]:
    """The cost of each training step of Linear(2, 1) + sigmoid on XOR (before that step's update)."""
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ## 2. Backpropagation by hand: the 2-2-1 network / 손으로 구현하는 오차역전파: 2-2-1 신경망
# Lab 08-2's network: z1 = X w1 + b1, a1 = sigmoid(z1), z2 = a1 w2 + b2, a2 = sigmoid(z2), with X of shape
# (N, 2), w1 (2, 2), b1 (2,), w2 (2, 1), b2 (1,) and Y (N, 1). Parameters and gradients are dicts with the keys
# "w1", "b1", "w2", "b2". The cost is the **mean** binary cross-entropy over the N points (`bce_cost`).
# Lab 08-2의 신경망입니다. X는 (N, 2), w1 (2, 2), b1 (2,), w2 (2, 1), b2 (1,), Y는 (N, 1)입니다. 파라미터와
# gradient는 "w1", "b1", "w2", "b2" key를 갖는 dict입니다. cost는 N개 점에 대한 binary cross-entropy의
# **평균**입니다 (`bce_cost`).
#
# ### Blank 2: `sigmoid(z)`
# 1 / (1 + exp(-z)), elementwise, for a tensor of any shape. This form is safe for large |z| in float64:
# exp(-z) overflows to inf for z < -709 and 1 / (1 + inf) = 0, which is right; exp(z) / (1 + exp(z)) is not
# (inf / inf = nan for z > 709). The checks try |z| up to 1000.
# 원소별 1 / (1 + exp(-z)). 이 식은 float64에서 |z|가 커도 안전합니다 (z < -709이면 exp(-z) = inf이고
# 1 / (1 + inf) = 0). exp(z) / (1 + exp(z))는 z > 709에서 inf / inf = nan이 됩니다. 채점은 |z| ≤ 1000까지 봅니다.


# %%
def sigmoid(z: torch.Tensor) -> torch.Tensor:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 3: `sigmoid_prime(z)`
# The derivative of the sigmoid with respect to its input z (the pre-activation):
# sigmoid(z) * (1 - sigmoid(z)). It takes z, not the activation a = sigmoid(z): backward calls it with z1.
# sigmoid를 입력 z(pre-activation)로 미분한 값 sigmoid(z) * (1 - sigmoid(z))입니다. 활성화 값
# a = sigmoid(z)가 아니라 z를 받습니다: backward에서 z1을 넘겨 호출하세요.


# %%
def sigmoid_prime(z: torch.Tensor) -> torch.Tensor:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 4: `init_params(seed)`
# The notes write `w1 = torch.Tensor(2, 2)`: that is **uninitialised memory** (`torch.empty`), whatever bytes
# were there before: zeros, garbage, even nan, and different from run to run. Draw the parameters instead, from
# a generator seeded with `seed`, in this order: `generator = torch.Generator().manual_seed(seed)`, then
# `torch.randn(shape, generator=generator, dtype=torch.float64)` for w1 (2, 2), b1 (2,), w2 (2, 1), b2 (1,).
# The same seed must give the same parameters; the checks compare them with their own draw.
# 수업 자료의 `w1 = torch.Tensor(2, 2)`는 **초기화되지 않은 메모리**(`torch.empty`)입니다: 0, 쓰레기 값,
# nan까지 무엇이든 들어 있고 실행할 때마다 다릅니다. 대신 `generator = torch.Generator().manual_seed(seed)`를
# 만들고 w1 (2, 2), b1 (2,), w2 (2, 1), b2 (1,) 순서로 `torch.randn(shape, generator=generator,
# dtype=torch.float64)`를 뽑으세요. 같은 seed는 같은 파라미터를 주어야 합니다.


# %%
def init_params(seed: int = 0) -> dict[str, torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 5: `forward(X, params)`
# Return the cache of the forward pass, a dict {"z1": ..., "a1": ..., "z2": ..., "a2": ...} with shapes
# (N, 2), (N, 2), (N, 1), (N, 1). a2 is the network's prediction.
# forward pass의 중간 값들을 dict {"z1", "a1", "z2", "a2"}로 반환하세요 (모양 (N, 2), (N, 2), (N, 1), (N, 1)).
# a2가 신경망의 예측입니다.


# %%
def forward(X: torch.Tensor, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 6: `backward(X, Y, params, cache)`
# The gradients of the mean binary cross-entropy with respect to w1, b1, w2, b2, as a dict with those keys and
# the parameters' shapes, by the chain rule and without autograd (the checks compare your gradients with
# autograd's, on random networks and batches). `cache` is what `forward` returns.
# - With a sigmoid output and the cross-entropy, dcost/dz2 = (a2 - Y) / N: the sigmoid's derivative cancels the
#   cross-entropy's denominator. Write it so; the notes' `(Y_pred - Y) / (Y_pred * (1 - Y_pred) + 1e-7)` adds an
#   error the checks can see.
# - **Every** gradient is of the same mean cost. The notes mix two costs: their weight gradients
#   (`matmul(transpose(a1), d_l2)`) are sums over the batch (N times too large) while their bias updates take
#   `torch.mean`. Divide by N once, in dcost/dz2, and then sum over the batch everywhere (`X.T @ dz1`,
#   `dz1.sum(0)`).
# - sigmoid_prime takes the pre-activation: dz1 = (dz2 @ w2.T) * sigmoid_prime(z1).
# 평균 binary cross-entropy를 w1, b1, w2, b2로 미분한 gradient를 같은 key와 파라미터와 같은 모양의 dict로,
# autograd 없이 연쇄 법칙으로 계산하세요 (채점은 무작위 신경망과 batch에서 autograd의 값과 비교합니다).
# - sigmoid 출력과 cross-entropy를 함께 쓰면 dcost/dz2 = (a2 - Y) / N입니다. 수업 자료의
#   `(Y_pred - Y) / (Y_pred * (1 - Y_pred) + 1e-7)`은 채점에서 보이는 오차를 더합니다.
# - **모든** gradient는 같은 평균 cost의 gradient입니다. 수업 자료는 weight gradient는 batch 합(N배),
#   bias는 `torch.mean`으로 섞어 씁니다. N으로는 dcost/dz2에서 한 번만 나누고, 그 뒤로는 batch에 대해
#   합하세요 (`X.T @ dz1`, `dz1.sum(0)`).
# - sigmoid_prime에는 pre-activation을 넘깁니다: dz1 = (dz2 @ w2.T) * sigmoid_prime(z1).


# %%
def backward(X: torch.Tensor, Y: torch.Tensor, params: dict[str, torch.Tensor],
             cache: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 7: `train_xor(steps=10000, lr=1.0, seed=0)`
# Gradient descent on the four XOR points with your functions: start from `init_params(seed)`, then `steps`
# times: `forward`, record `bce_cost(cache["a2"], Y)`, `backward`, and update every parameter
# p <- p - lr * dp. Return `(params, costs)`: the parameters after the last update and the list of `steps`
# costs (each before its update). The 2-2-1 network has local minima (the notes' own run stops at 0.3467 with
# one point wrong); the checks train with seeds on which the reference reaches 100 % accuracy.
# XOR 네 점에 대해 위의 함수들로 경사 하강법을 하세요: `init_params(seed)`에서 시작해 `steps`번
# `forward`, `bce_cost(cache["a2"], Y)` 기록, `backward`, 모든 파라미터 p <- p - lr * dp 업데이트.
# `(params, costs)`를 반환합니다: 마지막 업데이트 후의 파라미터와 `steps`개의 cost (각 업데이트 전).
# 2-2-1 신경망에는 local minimum이 있습니다 (수업 자료의 실행도 한 점을 틀린 채 0.3467에서 멈춤). 채점은
# 정답 코드가 100% 정확도에 도달하는 seed로 학습합니다.


# %%
def train_xor(steps: int = 10000, lr: float = 1.0, seed: int = 0) -> tuple[dict[str, torch.Tensor], list[float]]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ## 3. Wider and deeper / 더 넓게, 더 깊게
# The notes' xor-nn-wide-deep (2 -> 10 -> 10 -> 10 -> 1) for any list of layer sizes `sizes` = [n0, n1, ..., nL]
# (L layers, a sigmoid after every one of them, the mean binary cross-entropy over all N x nL outputs).
# Parameters and gradients are dicts with keys "w1", "b1", ..., "wL", "bL" (1-based: layer i maps n(i-1) to
# n(i), "wi" has shape (n(i-1), n(i)) and "bi" (n(i),)); the number of layers is `len(params) // 2`.
# The cache holds exactly "z1", "a1", ..., "zL", "aL" (X itself is the input a0; backward gets X).
# 수업 자료의 xor-nn-wide-deep (2 -> 10 -> 10 -> 10 -> 1)을 임의의 layer 크기 목록 `sizes` = [n0, n1, ..., nL]로
# 일반화합니다 (L개 layer, 모든 layer 뒤에 sigmoid, N x nL개 출력 전체의 평균 binary cross-entropy).
# 파라미터와 gradient는 "w1", "b1", ..., "wL", "bL" key의 dict입니다 ("wi"는 (n(i-1), n(i)), "bi"는 (n(i),)).
# layer 수는 `len(params) // 2`입니다. cache는 정확히 "z1", "a1", ..., "zL", "aL"을 담습니다 (X가 a0입니다).
#
# ### Blank 8: `init_deep(sizes, seed)`
# Xavier weights and zero biases: `generator = torch.Generator().manual_seed(seed)`, then for i = 1..L in order
# "wi" = `torch.randn(n(i-1), n(i), generator=generator, dtype=torch.float64) * math.sqrt(1 / n(i-1))` and
# "bi" = `torch.zeros(n(i), dtype=torch.float64)` (biases draw nothing).
# Xavier weight와 0 bias: `generator = torch.Generator().manual_seed(seed)` 다음 i = 1..L 순서로
# "wi" = `torch.randn(n(i-1), n(i), generator=generator, dtype=torch.float64) * math.sqrt(1 / n(i-1))`,
# "bi" = `torch.zeros(n(i), dtype=torch.float64)` (bias는 난수를 뽑지 않습니다).


# %%
def init_deep(sizes: list[int], seed: int = 0) -> dict[str, torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 9: `forward_deep(X, params)`
# z_i = a_(i-1) w_i + b_i and a_i = sigmoid(z_i) for i = 1..L, with a_0 = X; return the cache
# {"z1": ..., "a1": ..., ..., "zL": ..., "aL": ...}. aL is the prediction.
# i = 1..L에 대해 z_i = a_(i-1) w_i + b_i, a_i = sigmoid(z_i) (a_0 = X); cache를 반환하세요. aL이 예측입니다.


# %%
def forward_deep(X: torch.Tensor, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ### Blank 10: `backward_deep(X, Y, params, cache)`
# The gradients of the mean binary cross-entropy (over all N x nL entries of Y) for every "wi" and "bi", without
# autograd: dz_L = (a_L - Y) / Y.numel(), then for i = L..1: dw_i = a_(i-1).T @ dz_i, db_i = dz_i.sum(0) and,
# below the first layer, dz_(i-1) = (dz_i @ w_i.T) * sigmoid_prime(z_(i-1)). Checked against autograd for
# networks of 2 to 5 layers; with nL outputs the mean is over N x nL numbers, as `torch.nn.BCELoss()` takes it.
# 평균 binary cross-entropy(Y의 N x nL개 전체에 대한 평균)의 모든 "wi", "bi" gradient를 autograd 없이
# 계산하세요: dz_L = (a_L - Y) / Y.numel(), i = L..1에 대해 dw_i = a_(i-1).T @ dz_i, db_i = dz_i.sum(0),
# 첫 layer가 아니면 dz_(i-1) = (dz_i @ w_i.T) * sigmoid_prime(z_(i-1)). 2~5층 신경망에서 autograd와
# 비교합니다. 출력이 nL개이면 `torch.nn.BCELoss()`처럼 N x nL개에 대한 평균입니다.


# %%
def backward_deep(X: torch.Tensor, Y: torch.Tensor, params: dict[str, torch.Tensor],
                  cache: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ## 4. Initialisation: the activation histograms / 초기화: 활성화 값 히스토그램
# The slides' experiment: 1000 random inputs pass through 5 layers of 100 nodes (no bias), with weights
# randn * scale, where `weight_scale` names the scale: "std1": 1, "std0.01": 0.01, "xavier": sqrt(1 / n),
# "he": sqrt(2 / n), with n = 100 nodes of the layer before; `activation` is "sigmoid", "tanh" or "relu".
# 슬라이드의 실험: 무작위 입력 1000개가 100개 노드의 5층(bias 없음)을 지납니다. weight는 randn * scale이고
# `weight_scale`은 "std1": 1, "std0.01": 0.01, "xavier": sqrt(1 / n), "he": sqrt(2 / n) (n = 앞 layer의
# 노드 수 100), `activation`은 "sigmoid", "tanh", "relu" 중 하나입니다.
#
# ### Blank 11: `activation_experiment(weight_scale, activation, seed=0)`
# `generator = torch.Generator().manual_seed(seed)`; x = `torch.randn(1000, 100, generator=generator,
# dtype=torch.float64)`; then 5 times: w = `torch.randn(100, 100, generator=generator, dtype=torch.float64)`
# times the scale, x = activation(x @ w). Return the list of the 5 layers' **activations** (after the
# activation function, each 1000 x 100), in this draw order: the checks compare each layer's mean, standard
# deviation and saturated fraction with their own run of the same seed.
# `generator = torch.Generator().manual_seed(seed)`; x = `torch.randn(1000, 100, generator=generator,
# dtype=torch.float64)`; 그다음 5번: w = `torch.randn(100, 100, generator=generator, dtype=torch.float64)`
# * scale, x = activation(x @ w). 5개 layer의 **활성화 값**(활성화 함수를 지난 값, 각 1000 x 100)의 list를
# 이 순서대로 뽑아 반환하세요. 채점은 같은 seed의 자체 실행과 layer별 평균, 표준편차, 포화 비율을 비교합니다.


# %%
def activation_experiment(weight_scale: str, activation: str, seed: int = 0) -> list[torch.Tensor]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# `layer_statistics` is given (no blank): the numbers the answers below are defined by.
# `layer_statistics`는 주어진 함수입니다 (빈칸 없음): 아래 답의 기준이 되는 값들입니다.


# %%
def layer_statistics(a: torch.Tensor, activation: str) -> dict[str, float]:
    """Mean, standard deviation and saturated fraction of one layer's activations. An activation is saturated
    where its function is flat: sigmoid below 0.01 or above 0.99, tanh beyond +-0.99; ReLU never saturates.
    한 layer 활성화 값의 평균, 표준편차, 포화 비율 (sigmoid < 0.01 또는 > 0.99, |tanh| > 0.99; ReLU는 포화 없음)."""
    if activation == "sigmoid":
        saturated = (a < 0.01) | (a > 0.99)
    elif activation == "tanh":
        saturated = a.abs() > 0.99
    else:
        saturated = torch.zeros_like(a, dtype=torch.bool)
    return {"mean": float(a.mean()), "std": float(a.std()), "saturated": float(saturated.to(DTYPE).mean())}


# %% [markdown]
# ### Blank 12: `activation_answers()`
# Run the experiment for every weight scale and activation, look at the **5th (last) layer's** statistics, and
# label each case with one of three words, defined by those numbers:
# - "saturated": at least 20 % of the activations are saturated (the slides' std 1 with sigmoid: values pile up
#   at 0 and 1, where the derivative is ~0, so gradients vanish on the way back);
# - "vanishing": fewer than 20 % saturated, and the standard deviation is below 0.04: every neuron outputs nearly
#   the same value (sigmoid: all ~0.5; tanh and ReLU: all ~0), the slides' "limited expressiveness" of std 0.01:
#   100 neurons that act like one, and backpropagated gradients that shrink with them;
# - "healthy": fewer than 20 % saturated and a standard deviation between 0.04 and 2: the activations stay
#   spread out (Xavier with sigmoid/tanh, He with ReLU).
# Return a dict {"scale/activation": label} for the 12 cases, e.g. {"std1/sigmoid": "saturated", ...}. Two cases
# are not graded: "std1/relu" explodes (a standard deviation in the thousands: none of the three) and
# "xavier/relu" shrinks by about sqrt(2) per layer (std 0.58 -> 0.15 over 5 layers: still "healthy" by these
# thresholds, but vanishing in deeper networks, as the notes say); label them as you see them.
# 모든 weight scale과 활성화 함수로 실험하고 **5번째(마지막) layer**의 통계를 보고 각 경우에 세 단어 중
# 하나를 붙이세요:
# - "saturated": 활성화 값의 20% 이상이 포화 (std 1 + sigmoid: 값이 0과 1에 몰려 미분값이 ~0, gradient 소실);
# - "vanishing": 포화 20% 미만이고 표준편차가 0.04 미만: 모든 뉴런이 거의 같은 값을 출력 (sigmoid는 모두
#   ~0.5, tanh와 ReLU는 모두 ~0). 슬라이드의 std 0.01 "표현력 제한": 뉴런 100개가 하나처럼 동작합니다;
# - "healthy": 포화 20% 미만이고 표준편차가 0.04 이상 2 이하: 활성화 값이 고르게 퍼져 있음.
# 12가지 경우에 대해 {"scale/activation": label} dict를 반환하세요 (예: {"std1/sigmoid": "saturated", ...}).
# "std1/relu"(표준편차가 수천으로 폭발: 셋 중 어느 것도 아님)와 "xavier/relu"(층마다 약 sqrt(2)배 줄어듦:
# 5층에서는 기준상 "healthy"지만 더 깊은 신경망에서는 소실)는 채점하지 않습니다. 본 대로 적으세요.


# %%
def activation_answers() -> dict[str, str]:
    # Fill this blank!
    raise NotImplementedError("Fill this blank!")


# %% [markdown]
# ## 5. The experiment / 실험
# Runs the whole homework with its printouts: `python hw3_backprop_init.py`. (The grader never runs this part.)
# 전체 과제를 출력과 함께 실행합니다. (채점기는 이 부분을 실행하지 않습니다.)


# %% tags=["experiment"]
def run_experiment() -> None:
    costs = single_layer_xor(steps=1001)
    for step in range(0, 1001, 100):
        print("one layer", step, costs[step])
    params, costs = train_xor(steps=10001, lr=1.0, seed=0)
    for step in range(0, 10001, 1000):
        print("2-2-1", step, costs[step])
    X, Y = xor_data()
    print("accuracy:", accuracy(forward(X, params)["a2"], Y))
    for scale in ("std1", "std0.01", "xavier", "he"):
        for activation in ("sigmoid", "tanh", "relu"):
            last = layer_statistics(activation_experiment(scale, activation)[-1], activation)
            print(f"{scale}/{activation}: " + ", ".join(f"{k} {v:.4g}" for k, v in last.items()))


if __name__ == "__main__":
    run_experiment()
