"""Statistical tests for weight initialisation, with a stated false-fail probability.

Xavier (Glorot) initialisation draws each weight of a Linear layer with fan_in inputs and fan_out
outputs independently with mean 0 and variance 2 / (fan_in + fan_out), either from
U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (`xavier_uniform_`) or from N(0, var)
(`xavier_normal_`). A layer passes if it is consistent with either family at level `alpha`:

- normal family: sum(w^2) / var follows chi-square with n degrees of freedom exactly, so the
  two-sided test at the alpha/2 quantiles rejects a correct layer with probability alpha;
- uniform family: every |w| <= a, and mean(w^2 / a^2) (each term in [0, 1], mean 1/3) lies within
  Hoeffding's bound t = sqrt(ln(2 / alpha) / (2n)) of 1/3, which a correct layer misses with
  probability at most alpha.

A correct layer comes from one family, so it fails with probability <= alpha; a model with L
layers tested at alpha = p / L each fails with probability <= p (union bound).
"""

from __future__ import annotations

import math

import torch
from scipy.stats import chi2


def xavier_variance(fan_in: int, fan_out: int) -> float:
    return 2.0 / (fan_in + fan_out)


def xavier_problem(weight: torch.Tensor, alpha: float) -> str | None:
    """None when `weight` (out_features x in_features) is consistent with Xavier, else what is off."""
    fan_out, fan_in = weight.shape
    var = xavier_variance(fan_in, fan_out)
    w = weight.detach().to("cpu", torch.float64).flatten()
    n = w.numel()
    sum_sq = float((w * w).sum())
    if _normal_ok(sum_sq / var, n, alpha) or _uniform_ok(w, sum_sq, var, alpha):
        return None
    return (
        f"has std {math.sqrt(sum_sq / n):.4f} and max |w| {float(w.abs().max()):.4f}, but Xavier gives "
        f"std {math.sqrt(var):.4f} = sqrt(2/({fan_in}+{fan_out})) (uniform bound {math.sqrt(3 * var):.4f})"
    )


def _normal_ok(statistic: float, n: int, alpha: float) -> bool:
    return bool(chi2.ppf(alpha / 2, n) <= statistic <= chi2.isf(alpha / 2, n))


def _uniform_ok(w: torch.Tensor, sum_sq: float, var: float, alpha: float) -> bool:
    bound = math.sqrt(3 * var)
    # 1e-6 relative slack: xavier_uniform_ samples in float32 below a bound rounded to float32.
    if float(w.abs().max()) > bound * (1 + 1e-6):
        return False
    hoeffding = math.sqrt(math.log(2 / alpha) / (2 * w.numel()))
    return abs(sum_sq / w.numel() / bound**2 - 1 / 3) <= hoeffding


def weight_histogram(weight: torch.Tensor, bins: int = 40) -> dict[str, object]:
    """A layer's weights binned over +-1.5 Xavier bounds, with what Xavier predicts, for the reports."""
    fan_out, fan_in = weight.shape
    var = xavier_variance(fan_in, fan_out)
    bound = math.sqrt(3 * var)
    w = weight.detach().to("cpu", torch.float64).flatten()
    counts = torch.histc(w.clamp(-1.5 * bound, 1.5 * bound), bins=bins, min=-1.5 * bound, max=1.5 * bound)
    return {"in_features": int(fan_in), "out_features": int(fan_out), "bound": bound, "xavier_std": math.sqrt(var),
            "std": float(w.std()), "mean": float(w.mean()), "n": int(w.numel()), "lo": -1.5 * bound,
            "hi": 1.5 * bound, "counts": [int(c) for c in counts.tolist()]}
