# %% [markdown]
# # HW2: optimizers, dropout and weight decay from scratch
# # 과제 2: Optimizer, Dropout, Weight Decay를 직접 구현하기
#
# Fill every `# Fill this blank!` below, then run `make check ASSIGNMENT=hw2_from_scratch` to see your visible
# score.
# 아래의 모든 `# Fill this blank!` 부분을 채운 뒤 `make check ASSIGNMENT=hw2_from_scratch`로 공개 채점 결과를
# 확인하세요.
#
# Each blank is graded on its own: keep the names and signatures. The optimizers are NumPy code (course
# session 5, "매개변수 갱신"); dropout and weight decay are PyTorch code (the d2l study slides).
# 빈칸마다 따로 채점되므로 이름과 인자는 바꾸지 마세요. Optimizer는 NumPy로(5회차 "매개변수 갱신"),
# dropout과 weight decay는 PyTorch로(d2l 스터디 슬라이드) 구현합니다.

# %%
from __future__ import annotations

import numpy as np
import torch


# %% [markdown]
# ## 1. Optimizers in NumPy / NumPy로 만드는 Optimizer
# Every optimizer has the course interface `update(params, grads)`: `params` and `grads` are dicts with the
# same keys; each value is a NumPy array or a Python float. `update` changes `params` itself:
# - an array is updated **in place** (`params[key] -= ...`), so it stays the same object with the same dtype;
# - a float cannot change in place, so `params[key] -= ...` (or `params[key] = new value`) stores a new float.
#
# The state of an optimizer (velocity, sums of squares, step counts) belongs to the instance (the dicts
# `__init__` creates) and is kept **per key**, created the first time `update` sees that key (start from
# `np.zeros_like(params[key])`), so a key added after some updates starts from a fresh state.
#
# 모든 optimizer는 수업의 인터페이스 `update(params, grads)`를 따릅니다. `params`와 `grads`는 같은 key를 갖는
# dict이고, 값은 NumPy 배열 또는 Python float입니다. `update`는 `params`를 직접 바꿉니다:
# 배열은 **in place**로 갱신하고(`params[key] -= ...`, 같은 객체와 dtype 유지), float는 새 값을 저장합니다.
# optimizer의 상태(속도, 기울기 제곱의 합, step 수)는 인스턴스마다(`__init__`이 만든 dict), **key마다**
# 따로 두고, `update`가 그 key를 처음 볼 때 `np.zeros_like(params[key])`로 만드세요. 나중에 추가된 key도
# 새 상태에서 시작합니다.
#
# ### Blank 1: `SGD.update`
# W ← W − η ∂L/∂W, with η = `self.lr` (default 0.01).
# W ← W − η ∂L/∂W (η = `self.lr`, 기본값 0.01).


# %%
class SGD:
    """Stochastic gradient descent (확률적 경사 하강법)."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict, grads: dict) -> None:
        ### BEGIN SOLUTION
        for key in params.keys():
            params[key] -= self.lr * grads[key]
        ### END SOLUTION


# %% [markdown]
# ### Blank 2: `Momentum.update`
# v ← αv − η ∂L/∂W, then W ← W + v, with α = `self.momentum` (default 0.9), η = `self.lr` (default 0.01) and
# v starting at 0 for each key (`self.v[key]`).
# v ← αv − η ∂L/∂W 다음 W ← W + v (α = `self.momentum`, 기본값 0.9; η = `self.lr`, 기본값 0.01).
# 속도 v는 key마다 0에서 시작합니다 (`self.v[key]`).


# %%
class Momentum:
    """Momentum SGD (모멘텀 SGD)."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: dict = {}  # velocity per key (key마다의 속도)

    def update(self, params: dict, grads: dict) -> None:
        ### BEGIN SOLUTION
        for key in params.keys():
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]
        ### END SOLUTION


# %% [markdown]
# ### Blank 3: `Nesterov.update` (NAG)
# The notes: x_{n+1} = x_n + v_n and v_n = αv_{n−1} − η∇f(x_n + αv_{n−1}), with v_{−1} = 0. `update` only
# gets the gradient **at `params`**, so let `params` hold the look-ahead point θ_n = x_n + αv_{n−1}
# (θ_0 = x_0, since v_{−1} = 0): the gradient you are given is then exactly ∇f(x_n + αv_{n−1}), and
# substituting x_n = θ_n − αv_{n−1} gives
# v ← αv − η∇,  then  θ ← θ + αv − η∇  (with the new v; the same as θ + α²v_old − (1 + α)η∇).
# Defaults: η = 0.01, α = 0.9.
#
# 수업 자료의 NAG: x_{n+1} = x_n + v_n, v_n = αv_{n−1} − η∇f(x_n + αv_{n−1}), v_{−1} = 0.
# `update`는 **`params` 위치의** 기울기만 받으므로 `params`에 미리 가 본 위치 θ_n = x_n + αv_{n−1}을 저장하세요
# (v_{−1} = 0이므로 θ_0 = x_0). 그러면 받은 기울기가 바로 ∇f(x_n + αv_{n−1})이고, 대입하면
# v ← αv − η∇ 다음 θ ← θ + αv − η∇ (새 v 사용; θ + α²v_old − (1 + α)η∇와 같음). 기본값 η = 0.01, α = 0.9.


# %%
class Nesterov:
    """Nesterov's accelerated gradient (NAG); `params` holds the look-ahead point."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: dict = {}  # velocity per key (key마다의 속도)

    def update(self, params: dict, grads: dict) -> None:
        ### BEGIN SOLUTION
        for key in params.keys():
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.momentum * self.v[key] - self.lr * grads[key]
        ### END SOLUTION


# %% [markdown]
# ### Blank 4: `AdaGrad.update`
# h ← h + ∂L/∂W ⊙ ∂L/∂W, then W ← W − η ∂L/∂W / (√h + 1e-7), with η = `self.lr` (default 0.01) and h
# starting at 0 for each key. The 1e-7 is added **after** the square root, as in the notes' code.
# h ← h + ∂L/∂W ⊙ ∂L/∂W 다음 W ← W − η ∂L/∂W / (√h + 1e-7) (η 기본값 0.01, h는 key마다 0에서 시작).
# 1e-7은 수업 코드처럼 제곱근 **바깥에** 더합니다.


# %%
class AdaGrad:
    """AdaGrad: a learning rate per element, shrinking with the sum of squared gradients."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: dict = {}  # sum of squared gradients per key (key마다 기울기 제곱의 합)

    def update(self, params: dict, grads: dict) -> None:
        ### BEGIN SOLUTION
        for key in params.keys():
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
        ### END SOLUTION


# %% [markdown]
# ### Blank 5: `RMSprop.update`
# h ← ρh + (1 − ρ) ∂L/∂W ⊙ ∂L/∂W, then W ← W − η ∂L/∂W / (√h + 1e-7), with ρ = `self.decay_rate`
# (default 0.99), η = `self.lr` (default 0.01) and h starting at 0 for each key.
# h ← ρh + (1 − ρ) ∂L/∂W ⊙ ∂L/∂W 다음 W ← W − η ∂L/∂W / (√h + 1e-7) (ρ = `self.decay_rate`, 기본값 0.99;
# η 기본값 0.01; h는 key마다 0에서 시작).


# %%
class RMSprop:
    """RMSprop: AdaGrad with an exponential moving average of squared gradients."""

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        self.lr = lr
        self.decay_rate = decay_rate
        self.h: dict = {}  # moving average of squared gradients per key (key마다 기울기 제곱의 이동평균)

    def update(self, params: dict, grads: dict) -> None:
        ### BEGIN SOLUTION
        for key in params.keys():
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            self.h[key] = self.decay_rate * self.h[key] + (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
        ### END SOLUTION


# %% [markdown]
# ### Blank 6: `Adam.update`
# Momentum and RMSprop together, with bias correction. For each key, with t its number of updates so far
# (1 on the key's first update, `self.t[key]`):
# m ← β₁m + (1 − β₁)∇,  v ← β₂v + (1 − β₂)∇⊙∇,  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ),
# W ← W − η m̂ / (√v̂ + 1e-7).
# Defaults: η = 0.001, β₁ = 0.9, β₂ = 0.999; ε = 1e-7 as in the notes. (The textbook's equivalent form
# lr_t = η√(1 − β₂ᵗ)/(1 − β₁ᵗ), W ← W − lr_t m / (√v + 1e-7), which adds ε to √v instead, is accepted too.)
#
# Momentum과 RMSprop을 합치고 편향 보정을 합니다. key마다 t는 그 key의 갱신 횟수입니다 (첫 갱신에서 1,
# `self.t[key]`): m ← β₁m + (1 − β₁)∇, v ← β₂v + (1 − β₂)∇⊙∇, m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ),
# W ← W − η m̂ / (√v̂ + 1e-7). 기본값 η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-7 (수업 자료와 같음).
# (교재의 lr_t 형태, 즉 ε을 √v에 더하는 방식도 정답으로 인정합니다.)


# %%
class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction; step counts are kept per key."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.m: dict = {}  # first moment per key (key마다 1차 모멘트)
        self.v: dict = {}  # second moment per key (key마다 2차 모멘트)
        self.t: dict = {}  # number of updates per key (key마다 갱신 횟수)

    def update(self, params: dict, grads: dict) -> None:
        ### BEGIN SOLUTION
        for key in params.keys():
            if key not in self.m:
                self.m[key] = np.zeros_like(params[key])
                self.v[key] = np.zeros_like(params[key])
                self.t[key] = 0
            self.t[key] += 1
            t = self.t[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grads[key]
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grads[key] ** 2
            m_hat = self.m[key] / (1 - self.beta1 ** t)
            v_hat = self.v[key] / (1 - self.beta2 ** t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-7)
        ### END SOLUTION


# %% [markdown]
# ## 2. The exercise: optimizers on f(x, y) = x²/20 + y² / 실습 과제
# `f` and its gradient `df` are given (no blank).
# `f`와 기울기 `df`는 주어진 함수입니다 (빈칸 없음).


# %%
INIT_POS = (-7.0, 2.0)


def f(x: float, y: float) -> float:
    return x**2 / 20.0 + y**2


def df(x: float, y: float) -> tuple[float, float]:
    return x / 10.0, 2.0 * y


# %% [markdown]
# ### Blank 7: `optimizer_paths()`
# As in the notes' `optimizer_compare_naive`: for `SGD(lr=0.95)`, `Momentum(lr=0.1)`, `AdaGrad(lr=1.5)` and
# `Adam(lr=0.3)`, start at `INIT_POS` = (−7, 2) with `params = {"x": -7.0, "y": 2.0}` (Python floats) and
# take 30 steps, each with the gradient `df` at the current position. Return a dict
# `{"SGD": ..., "Momentum": ..., "AdaGrad": ..., "Adam": ...}` whose values are NumPy arrays of shape (31, 2):
# the start, then the (x, y) position after each of the 30 steps.
# 수업의 `optimizer_compare_naive`처럼 `SGD(lr=0.95)`, `Momentum(lr=0.1)`, `AdaGrad(lr=1.5)`, `Adam(lr=0.3)`
# 각각으로 (−7, 2)에서 시작해(`params = {"x": -7.0, "y": 2.0}`, Python float) 현재 위치의 기울기 `df`로 30번
# 갱신하세요. 반환값은 이름별 (31, 2) NumPy 배열의 dict입니다: 시작점, 그리고 30번의 갱신 후 위치 (x, y).


# %%
def optimizer_paths() -> dict:
    """{optimizer name: (31, 2) array of positions}, the start included."""
    ### BEGIN SOLUTION
    optimizers = {"SGD": SGD(lr=0.95), "Momentum": Momentum(lr=0.1), "AdaGrad": AdaGrad(lr=1.5),
                  "Adam": Adam(lr=0.3)}
    paths = {}
    for name, optimizer in optimizers.items():
        params = {"x": INIT_POS[0], "y": INIT_POS[1]}
        history = [(params["x"], params["y"])]
        for _ in range(30):
            grads = {}
            grads["x"], grads["y"] = df(params["x"], params["y"])
            optimizer.update(params, grads)
            history.append((params["x"], params["y"]))
        paths[name] = np.array(history, dtype=float)
    return paths
    ### END SOLUTION


# %% [markdown]
# ## 3. Dropout from scratch / Dropout 직접 구현하기
# ### Blank 8: `dropout_layer(X, p)`
# Zero each element of `X` independently with probability `p` and divide the others by 1 − p, so that the
# expected value of every element is unchanged: h' = 0 with probability p, h / (1 − p) otherwise.
# - `p == 0` returns `X` (unchanged values); `p == 1` returns zeros shaped like `X` (no division by 0);
# - draw a new mask on every call; never modify `X` itself (build a new tensor);
# - use torch operations on `X` (e.g. `mask * X / (1.0 - p)`), so gradients flow back to `X`.
#
# `X`의 각 원소를 확률 `p`로 0으로 만들고 나머지는 1 − p로 나누어 기댓값을 유지하세요:
# 확률 p로 h' = 0, 아니면 h / (1 − p). `p == 0`이면 `X`를 그대로, `p == 1`이면 `X` 모양의 0을 반환합니다
# (0으로 나누지 않기). 호출할 때마다 새 mask를 뽑고, `X` 자체는 바꾸지 마세요. torch 연산으로 계산해야
# (예: `mask * X / (1.0 - p)`) 기울기가 `X`로 전달됩니다.


# %%
def dropout_layer(X: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout: zero each element with probability p, scale the survivors by 1 / (1 - p)."""
    assert 0 <= p <= 1
    ### BEGIN SOLUTION
    if p == 1:
        return torch.zeros_like(X)
    if p == 0:
        return X
    mask = (torch.rand(X.shape) > p).float()
    return mask * X / (1.0 - p)
    ### END SOLUTION


# %% [markdown]
# ## 4. Weight decay from scratch / Weight Decay 직접 구현하기
# The notes' high-dimensional linear regression: y = 0.05 + Σᵢ 0.01 xᵢ + ε with ε ~ N(0, 0.01²), 200 inputs,
# only 20 training examples (and 100 test examples), so a linear model overfits without weight decay.
# The helpers below are given (no blank); every random draw comes from one `torch.Generator`, so an experiment
# with the same seed gives the same numbers.
# 수업의 고차원 선형 회귀: 입력 200개, 학습 데이터 20개(테스트 100개)뿐이라 weight decay 없이는 과적합합니다.
# 아래 함수들은 주어진 코드입니다 (빈칸 없음). 모든 난수는 하나의 `torch.Generator`에서 뽑으므로 같은 seed면
# 같은 결과가 나옵니다.


# %%
n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05


def synthetic_data(w: torch.Tensor, b: float, num_examples: int, generator: torch.Generator):
    """y = Xw + b + noise, X ~ N(0, 1), noise ~ N(0, 0.01²) (d2l.synthetic_data with a generator)."""
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), generator=generator)
    y = torch.matmul(X, w) + b
    y += torch.normal(0.0, 0.01, y.shape, generator=generator)
    return X, y.reshape((-1, 1))


def init_params(generator: torch.Generator) -> list[torch.Tensor]:
    w = torch.normal(0.0, 1.0, (num_inputs, 1), generator=generator).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: list[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch SGD on a summed loss: param -= lr * grad / batch_size, then the gradient is zeroed."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def data_iter(batch_size: int, features: torch.Tensor, labels: torch.Tensor, generator: torch.Generator):
    """Shuffled minibatches, the order drawn from `generator`."""
    indices = torch.randperm(len(features), generator=generator)
    for i in range(0, len(features), batch_size):
        j = indices[i:i + batch_size]
        yield features[j], labels[j]


def evaluate_loss(w: torch.Tensor, b: torch.Tensor, features: torch.Tensor, labels: torch.Tensor) -> float:
    """The mean squared_loss of the model (w, b) on a dataset."""
    with torch.no_grad():
        return float(squared_loss(linreg(features, w, b), labels).mean())


# %% [markdown]
# ### Blank 9: `l2_penalty(w)`
# The L2 norm penalty ‖w‖² / 2: the sum of the squares of all elements of `w`, divided by 2, as a torch
# scalar (keep it a tensor, so that autograd can differentiate it: its gradient is w itself).
# L2 norm penalty ‖w‖² / 2: `w`의 모든 원소의 제곱합을 2로 나눈 torch 스칼라를 반환하세요
# (autograd가 미분할 수 있도록 텐서로 유지; 기울기는 w 자신).


# %%
def l2_penalty(w: torch.Tensor) -> torch.Tensor:
    ### BEGIN SOLUTION
    return torch.sum(w.pow(2)) / 2
    ### END SOLUTION


# %% [markdown]
# ### Blank 10: `weight_decay_experiment(lambd, seed)`
# The data and the initial (w, b) are drawn for you. Write the notes' training loop: for each of the
# `num_epochs` epochs, for each minibatch `X, y` of `data_iter(batch_size, train_features, train_labels,
# generator)`, the loss is `squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)`; call `.sum().backward()`
# on it and update with `sgd([w, b], lr, batch_size)`. The losses and the trained (w, b) are returned for you.
# With λ = 0 the model fits the 20 training examples almost exactly and fails on the test set; with λ = 3 the
# test loss is far lower.
#
# 데이터와 초기 (w, b)는 이미 만들어져 있습니다. 수업의 학습 루프를 작성하세요: `num_epochs`번의 epoch마다
# `data_iter(batch_size, train_features, train_labels, generator)`의 minibatch `X, y`에 대해 손실은
# `squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)`이고, `.sum().backward()` 후
# `sgd([w, b], lr, batch_size)`로 갱신합니다. 손실과 학습된 (w, b)는 주어진 코드가 반환합니다.
# λ = 0이면 학습 데이터 20개에 거의 완벽히 맞추지만 테스트에서 실패하고, λ = 3이면 테스트 손실이 훨씬 낮습니다.


# %%
def weight_decay_experiment(lambd: float, seed: int = 0, num_epochs: int = 100, lr: float = 0.003) -> dict:
    """Train linreg with an L2 penalty of weight `lambd`; return the train and test losses and (w, b)."""
    generator = torch.Generator().manual_seed(int(seed))
    train_features, train_labels = synthetic_data(true_w, true_b, n_train, generator)
    test_features, test_labels = synthetic_data(true_w, true_b, n_test, generator)
    w, b = init_params(generator)
    ### BEGIN SOLUTION
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, train_features, train_labels, generator):
            loss = squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)
            loss.sum().backward()
            sgd([w, b], lr, batch_size)
    ### END SOLUTION
    return {"train_loss": evaluate_loss(w, b, train_features, train_labels),
            "test_loss": evaluate_loss(w, b, test_features, test_labels),
            "w": w.detach().clone(), "b": b.detach().clone()}


# %% [markdown]
# ## 5. The experiment / 실험
# Runs the whole homework with its printouts: `python hw2_from_scratch.py`. (The grader never runs this part.)
# 전체 과제를 실행합니다. (채점기는 이 부분을 실행하지 않습니다.)


# %% tags=["experiment"]
def run_experiment() -> None:
    for name, path in optimizer_paths().items():
        x, y = path[-1]
        print(f"{name:8s} after 30 steps: ({x:+.4f}, {y:+.4f})  f = {f(x, y):.6f}")
    X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
    for p in (0.0, 0.5, 1.0):
        print(f"dropout_layer(X, {p}) =\n{dropout_layer(X, p)}")
    for lambd in (0, 3):
        result = weight_decay_experiment(lambd)
        print(f"lambda = {lambd}: train loss {result['train_loss']:.6f}, test loss {result['test_loss']:.6f}, "
              f"L2 norm of w {float(result['w'].norm()):.4f}")


if __name__ == "__main__":
    run_experiment()
