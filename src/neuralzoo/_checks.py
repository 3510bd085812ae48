"""Input checks shared by every model: one module, expected-vs-got messages.

Each check returns the checked (and converted) input or raises a ``ValueError`` /
``TypeError`` whose message says what was expected and what came, e.g.
``X.size(-1) must equal n_features: expected 784, got 785``.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import torch

from .train import as_tensor

DATA_FORMS = "a tensor, a NumPy array, a nested list, a Dataset or a DataLoader"
"""What a model's data may be: what the message says when something else came."""


def check_given(X: Any, where: str) -> None:
    """Refuse ``X=None`` where data is required, saying where and what was expected (instead of
    torch's "Could not infer dtype of NoneType" from deep inside)."""
    if X is None:
        raise TypeError(f"{where}: expected the data as {DATA_FORMS}, got None")


def _tensor(X: Any, name: str) -> torch.Tensor:
    """``X`` as a tensor (:func:`~neuralzoo.train.as_tensor`); None, or what no tensor can be made
    of (a dict, a string, ragged lists), refused by name in one line."""
    check_given(X, name)
    try:
        return as_tensor(X)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(f"{name}: expected {DATA_FORMS}, got {type(X).__name__} ({e})") from None


def check_finite(t: torch.Tensor, name: str = "X") -> torch.Tensor:
    """Refuse NaN and inf in a floating tensor, saying how many there are; ``t`` returned as it is."""
    # a finite sum means every entry is finite (NaN and inf propagate); 15x cheaper than
    # isfinite over a large t, and only a non-finite sum pays for the full count
    if t.is_floating_point() and not torch.isfinite(t.sum()) and not torch.isfinite(t).all():
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(f"{name} must be finite: expected no NaN or inf, got {bad} non-finite values")
    return t


def check_finite_targets(y: Any, name: str = "y") -> None:
    """Refuse NaN and inf in the targets ``y`` of any model (a regressor's above all: its squared
    error would train on NaN); labels of other kinds, and None, are left to the family's checks."""
    if y is None or isinstance(y, (str, bytes, dict)):
        return
    try:
        t = as_tensor(y)
    except (TypeError, ValueError, RuntimeError):
        return  # what no tensor can be made of: the family's own check names it
    check_finite(t, name)


def check_count(value: Any, name: str, *, minimum: int) -> int:
    """``value`` as an int ``>= minimum`` (a count: samples to draw, Gibbs steps), else one line
    saying what was expected and what came; bools and non-integral numbers are refused."""
    if isinstance(value, bool) or (isinstance(value, torch.Tensor) and value.numel() != 1):
        ok = False
    else:
        try:
            value = operator.index(value)
            ok = True
        except TypeError:
            ok = False
    if not ok or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}: got {value!r}")
    return value


def check_X(X: Any, n_features: int, *, name: str = "X", device: torch.device | None = None,
            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``X`` as an (N, D) tensor of ``dtype`` (a model passes its own) on ``device``; refuses empty,
    wrong width, NaN/inf, and what is no data at all (None, a dict)."""
    X = _tensor(X, name)
    if X.dim() != 2:
        if X.dim() > 2:
            X = X.reshape(len(X), -1)  # (N, ...) -> (N, D)
        else:
            raise ValueError(f"{name} must be 2-D (N, {n_features}): got shape {tuple(X.shape)}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one row of {n_features} features, got 0")
    if X.shape[1] != n_features:
        raise ValueError(f"{name}.size(-1) must equal n_features: expected {n_features}, got {X.shape[1]}")
    if not X.is_floating_point():
        X = X.float()
    X = check_finite(X.to(dtype if dtype.is_floating_point else torch.float32), name)
    return X if device is None else X.to(device)


def check_unit_interval(X: torch.Tensor, name: str = "X") -> torch.Tensor:
    """Refuse values outside [0, 1] (Bernoulli visible units), naming how many and the first."""
    if X.numel() == 0:
        return X
    lo, hi = torch.aminmax(X)  # one pass, ~7x cheaper than the two comparisons on 60k images;
    if lo >= 0 and hi <= 1:  # the full check below only to say how many values are out and where
        return X
    bad = (X < 0) | (X > 1)
    if bool(bad.any()):
        r, c = (int(i) for i in bad.nonzero()[0])
        raise ValueError(f"{name} must lie in [0, 1] for Bernoulli visible units: got {int(bad.sum())} "
                         f"values outside, first at row {r}, column {c}")
    return X


def check_y(y: Any, n_classes: int, n: int, *, device: torch.device | None = None) -> torch.Tensor:
    """``y`` as an int64 (N,) tensor of labels in [0, n_classes); refuses None, empty, NaN."""
    if y is None:
        raise TypeError(f"y is required: expected {n} class labels in [0, {n_classes - 1}], got None")
    y = _tensor(y, "y")
    if y.dim() != 1:
        raise ValueError(f"y must be 1-D (N,): got shape {tuple(y.shape)}")
    if len(y) != n:
        raise ValueError(f"y must have one label per row of X: expected {n}, got {len(y)}")
    if n == 0:
        raise ValueError("y is empty: expected at least one class label, got 0")
    if y.is_floating_point():
        check_finite(y, "y")
        if not torch.equal(y, y.round()):
            raise ValueError("y must hold integer class labels: got non-integer values")
    y = y.long()
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes - 1}]: got values in [{lo}, {hi}]")
    return y if device is None else y.to(device)


def check_hidden(hidden: Any, expected: str) -> list[Any]:
    """``hidden`` as a new list, its items as given; refuses anything but a list or tuple, saying
    what was ``expected`` (e.g. ``"hidden layer widths, e.g. [100]"``)."""
    if not isinstance(hidden, (list, tuple)):
        raise TypeError(f"hidden must be a list of {expected}: got {type(hidden).__name__} {hidden!r}")
    return list(hidden)


def check_widths(n_features: int, hidden: Any, last: str, size: int, example: str) -> list[int]:
    """The widths ``[D, *hidden, size]`` of a feed-forward network, as integers >= 1; ``last`` names
    the size of the last layer (``"n_classes"``, ``"code"``, ...), ``example`` a good ``hidden``."""
    hidden = [int(h) for h in check_hidden(hidden, f"hidden layer widths, e.g. {example}")]
    sizes = [int(n_features), *hidden, int(size)]
    if min(sizes) < 1:
        raise ValueError(f"n_features, hidden and {last} must be >= 1: expected sizes >= 1, got "
                         f"n_features={n_features}, hidden={hidden}, {last}={size}")
    return sizes


def check_sizes(sizes: Sequence[int], name: str = "sizes") -> list[int]:
    """Layer sizes ``[D, H_1, ..., H_L]``: at least two, each an integer >= 1."""
    try:
        out = [int(s) for s in sizes]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list of layer sizes, got {sizes!r}") from None
    if len(out) < 2 or min(out) < 1 or any(float(s) != int(s) for s in sizes):
        raise ValueError(f"{name} must list at least 2 integer layer sizes >= 1 (visible first), got {list(sizes)}")
    return out
