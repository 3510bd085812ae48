"""Gaussian-Bernoulli RBM: real-valued visible units, binary hidden units (Cho, Ilin & Raiko 2011)."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_X
from ...config import check_choice
from ...energy import exact
from ...energy.sampling import bernoulli
from ..base import model_device
from .bernoulli import RBM

CONSTANT_RTOL = 1e-6  # a feature whose std is below this fraction of the data's scale is constant


def feature_scales(X: torch.Tensor) -> torch.Tensor:
    """The ``x_std`` (D,) that standardisation divides by: each feature's std over the rows of
    ``X`` (N, D), except that a feature *constant* in ``X`` gets the data's typical spread.

    A constant feature (std at most ``CONSTANT_RTOL`` times the largest std or mean magnitude:
    float rounding leaves a constant column a std of ~1e-9, not 0) has no spread to divide by.
    Flooring it at a tiny std (1e-6, as before) made the model a delta at the training value:
    every row at that value gained ``-log 1e-6 = 13.8`` nats of density per such feature and a
    test row off it lost ``x^2 / 2e-12`` (on digits, pixel 24 is 0 in all 1,437 training rows
    and 1/16 in two test rows: the test mean log-density was -1.1e7). Such a feature gets the
    mean std of the non-constant features instead (1 when every feature is constant), so a
    value off the training constant by one typical spread costs about 1/2 nat, as anywhere else.

    >>> X = torch.tensor([[0.0, 1.0, 5.0], [0.0, 3.0, 5.0], [0.0, 5.0, 5.0]])
    >>> feature_scales(X).tolist()   # std of column 1 is 2; columns 0 and 2 are constant
    [2.0, 2.0, 2.0]
    """
    std = X.std(0)  # (D,)
    tol = CONSTANT_RTOL * float(torch.cat([std, X.mean(0).abs()]).max())
    constant = std <= tol  # (D,) bool
    spread = std[~constant].mean() if bool((~constant).any()) else torch.ones((), dtype=std.dtype)
    return torch.where(constant, spread.to(std), std)


class GaussianRBM(RBM):
    r"""RBM with Gaussian visible units ``v`` in R^D and binary hidden units, for real-valued data.

    The parametrisation of Cho, Ilin & Raiko (2011), where the visible input of the hidden
    units is scaled by ``1/sigma_i^2`` (learning is stable, and ``sigma`` can be learned)::

        E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j a_j h_j - sum_ij (v_i / sigma_i^2) w_ij h_j
        p(h_j = 1 | v) = sigmoid(a_j + sum_i w_ij v_i / sigma_i^2)
        p(v_i | h) = Normal(b_i + sum_j w_ij h_j, sigma_i^2)
        F(v) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j softplus(a_j + sum_i w_ij v_i / sigma_i^2)
        log Z = log sum_h exp(a^T h + sum_i ((b_i + (W h)_i)^2 - b_i^2) / (2 sigma_i^2))
                + sum_i log(2 pi sigma_i^2) / 2          (v integrated out in closed form)

    ``sigma_i^2 = exp(z_i)``: the parameter ``log_var`` (D,) is learned when ``learn_sigma``
    (else fixed at 0, unit variance). The learning rule is the RBM's surrogate
    ``mean F(v_data) - mean F(v_model)`` (methods "cd" and "pcd"); differentiated in ``z`` it
    gives the CD estimate of ``d log p / d z``.

    The energy sees *standardised* data ``(x - mean) / std`` (buffers ``x_mean``, ``x_std``
    set by ``fit`` when ``standardize``): :meth:`energy`, :meth:`free_energy` and the
    conditionals work in that model space; :meth:`transform`, :meth:`reconstruct`,
    :meth:`sample` and :meth:`log_likelihood` take and give data in the original units
    (``log p(x) = log p(v) - sum_i log std_i``). A feature constant in the training data has
    no std: it is scaled by the data's typical spread instead (:func:`feature_scales`), so its
    density is a Gaussian of that width around the training value, not a spike. (With
    ``learn_sigma`` its model-space variance still shrinks as training goes on, the data never
    leaving the value: digits' pixel 0 reached sigma^2 = 0.017 after 60 epochs, 64-16, seed 0.)

    Args:
        n_features: D, the number of visible units (the width of a data row; fixed by the data).
        n_hidden: hidden units H.
        learn_sigma: learn the visible variances sigma_i^2 (log-parametrised).
        standardize: the model sees (x - mean) / std, statistics set by fit.
        method: negative samples: "cd" or "pcd".
        k: Gibbs steps per parameter update.
        n_chains: persistent chains ("pcd").
        init_std: standard deviation of the initial weights.

    >>> import torch
    >>> X = torch.randn(500, 3) * torch.tensor([0.5, 1.0, 2.0]) + 1.0
    >>> rbm = GaussianRBM(3, 2, learn_sigma=True).fit(X, epochs=2, seed=0, progress=False)
    >>> rbm.sample(4, steps=10).shape
    torch.Size([4, 3])

    Reference: Cho, Ilin & Raiko, "Improved learning of Gaussian-Bernoulli restricted
    Boltzmann machines", ICANN 2011; Hinton's guide §13.2.
    """

    registry_name = "gaussian-rbm"
    data_defaults: dict[str, Any] = {}
    train_defaults = {"epochs": 10, "batch_size": 20, "lr": 0.01, "optimizer": "sgd", "momentum": 0.5}

    def __init__(self, n_features: int, n_hidden: int = 100, *, learn_sigma: bool = False,
                 standardize: bool = True, method: str = "cd", k: int = 1, n_chains: int = 100,
                 init_std: float = 0.01) -> None:
        check_choice("method", method, ("cd", "pcd"))
        self.learn_sigma, self.standardize = bool(learn_sigma), bool(standardize)
        super().__init__(n_features, n_hidden, method=method, k=k, n_chains=n_chains, init_std=init_std)
        self.log_var = nn.Parameter(torch.zeros(self.n_visible), requires_grad=self.learn_sigma)  # (D,) z
        self.register_buffer("x_mean", torch.zeros(self.n_visible))  # (D,)
        self.register_buffer("x_std", torch.ones(self.n_visible))  # (D,)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``W ~ N(0, init_std^2)``, zero biases, unit variances, chains ``N(0, 1)``."""
        with torch.no_grad():
            self.W.normal_(0.0, self.init_std)
            self.b.zero_()
            self.a.zero_()
            if hasattr(self, "log_var"):  # RBM.__init__ resets before log_var exists
                self.log_var.zero_()
            self.chains.normal_()

    @property
    def sigma2(self) -> torch.Tensor:
        """Visible variances ``sigma_i^2 = exp(z_i)`` (D,), in model space."""
        return self.log_var.exp()

    # -- the model (model space) -----------------------------------------------------------------

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``E(v, h)`` of paired rows (N, D), (N, H) -> (N,)."""
        s2 = self.sigma2
        return (((v - self.b) ** 2) / (2 * s2)).sum(-1) - h @ self.a - (((v / s2) @ self.W) * h).sum(-1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(v)`` (N, D) -> (N,), see the class docstring."""
        return (((v - self.b) ** 2) / (2 * self.sigma2)).sum(-1) - F.softplus(
            self._hidden_input(v, self.W, self.a)).sum(-1)

    def _hidden_input(self, v: torch.Tensor, W: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return torch.addmm(a, v / self.sigma2, W)

    def _mean_visible_energy(self, v: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (((v - b) ** 2) / (2 * self.sigma2)).sum(-1).mean()

    def _down(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        mean = torch.addmm(b, h, W.T)
        return mean + torch.randn_like(mean) * self.sigma2.detach().sqrt()

    def p_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        """``p(h_j = 1 | v) = sigmoid(a_j + sum_i w_ij v_i / sigma_i^2)`` (N, D) -> (N, H)."""
        return torch.sigmoid(self._hidden_input(v, self.W, self.a))

    def p_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """The mean of ``p(v | h)``, ``b + W h`` (N, H) -> (N, D)."""
        return torch.addmm(self.b, h, self.W.T)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, v)``: the mean ``b + W h`` and a sample ``mean + sigma * eps``, both (N, D)."""
        mean = self.p_v_given_h(h)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return mean, mean + eps * self.sigma2.sqrt()

    # -- data space -------------------------------------------------------------------------------

    def _model_space(self, v: torch.Tensor) -> torch.Tensor:
        return (v - self.x_mean) / self.x_std

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        return self._model_space(check_X(X, self.n_visible, name=name, device=model_device(self)).to(self.W.dtype))

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (check_X(X, self.n_visible),)

    def reconstruct(self, v: Any) -> torch.Tensor:
        """Mean-field reconstruction ``E[v | h = p(h|v)]`` in data units (N, D)."""
        with torch.no_grad():
            return self.p_v_given_h(self.p_h_given_v(self._check(v))) * self.x_std + self.x_mean

    def sample(self, n: int, *, steps: int = 1000, generator: torch.Generator | int | None = None,
               from_data: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` samples (n, D) in data units after ``steps`` Gibbs steps from N(0, 1) (or
        ``from_data``); ``generator``: a ``torch.Generator``, an int seed or None (global RNG)."""
        v = super().sample(n, steps=steps, generator=generator, from_data=from_data)  # (n, D) model space
        return v * self.x_std + self.x_mean

    def _chain_start(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return torch.randn(n, self.n_visible, generator=generator, device=model_device(self))

    def log_partition(self, method: str = "exact", **options: Any) -> torch.Tensor:
        """Exact ``log Z`` (float64) by enumerating the ``2^H`` hidden states (H <= 30)."""
        check_choice("method", method, ("exact",))
        exact.check_rbm_enumerable(self.n_hidden, self.n_hidden)
        with torch.no_grad():
            W, b, a = self.W.double(), self.b.double(), self.a.double()
            s2 = self.sigma2.double()
            parts = [torch.logsumexp(h @ a + ((((h @ W.T) + b) ** 2 - b**2) / (2 * s2)).sum(-1), 0)
                     for h in exact.enumerate_states(self.n_hidden, 1 << 14, device=W.device,
                                                     max_units=exact.MAX_RBM_EXACT_UNITS)]
            return torch.logsumexp(torch.stack(parts), 0) + 0.5 * torch.log(2 * math.pi * s2).sum()

    def log_likelihood(self, X: Any, *, method: str = "exact", log_z: float | torch.Tensor | None = None,
                       **options: Any) -> torch.Tensor:
        """``log p(x)`` density in nats of the data units, (N, D) -> (N,) float64 (exact, H <= 30)."""
        v = self._check(X)
        if log_z is None:
            log_z = self.log_partition(method)
        with torch.no_grad():
            return (-self.free_energy(v).double() - torch.as_tensor(log_z, dtype=torch.float64)
                    - torch.log(self.x_std.double()).sum())

    def ais(self, **options: Any):
        raise ValueError("AIS is implemented for Bernoulli visible units only: use log_partition('exact') "
                         "(GaussianRBM, H <= 30)")

    def pseudo_likelihood(self, X: Any, **options: Any) -> torch.Tensor:
        raise ValueError("the pseudo-likelihood is defined for binary visible units: GaussianRBM has "
                         "real-valued ones (use log_likelihood or reconstruction_error)")

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """``reconstruction_error`` (standardised units) and, when H <= 20, the exact ``log_likelihood``."""
        out = {"reconstruction_error": self.reconstruction_error(X)}
        if self.n_hidden <= 20:
            out["log_likelihood"] = float(self.log_likelihood(X).mean())
        return out

    def _exact_ok(self) -> bool:
        return self.n_hidden <= exact.MAX_RBM_EXACT_UNITS

    def fit(self, X: Any, y: Any = None, **options: Any) -> GaussianRBM:
        """As :meth:`RBM.fit` (defaults lr 0.01); first sets ``x_mean, x_std`` from ``X`` when
        ``standardize`` (unless ``warm_start``/``resume``): the mean and :func:`feature_scales`."""
        if not (options.get("warm_start") or options.get("resume")):
            Xc = check_X(X, self.n_visible)
            with torch.no_grad():
                if self.standardize:
                    if len(Xc) < 2:  # the std of one row is NaN: it would train on NaN
                        raise ValueError("standardize needs at least 2 rows to estimate each feature's "
                                         f"std: got {len(Xc)} sample (or build with standardize=False)")
                    self.x_mean.copy_(Xc.mean(0))
                    self.x_std.copy_(feature_scales(Xc))
                else:
                    self.x_mean.zero_()
                    self.x_std.fill_(1.0)
        return super().fit(X, y, **options)

    def _init_visible_biases(self) -> None:
        with torch.no_grad():
            self.b.copy_(self._model_space(self.data_mean))  # the data mean (0 when standardised)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", learn_sigma={self.learn_sigma}"


__all__ = ["GaussianRBM", "bernoulli"]
