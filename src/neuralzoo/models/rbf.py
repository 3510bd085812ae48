"""Radial basis function network (径向基函数网络): Gaussian hidden units, linear output.

The lecture's two-stage RBF network: the hidden layer is placed without labels (centres by
k-means or on every training point, widths by a heuristic), then the linear output layer is
solved in closed form by least squares. Optional gradient fine-tuning then adjusts
everything on the cross-entropy (or the squared error for regression).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_X, check_y
from ..config import check_choice
from ..train import History, as_tensor, resolve_device
from ..train import fit as train_fit
from ..train.run_folder import write_run
from .base import Classifier, Trainable, count_parameters, model_device
from .fit_options import FitOptions, takes_fit_options

CENTERS = ("kmeans", "random", "all")
WIDTHS = ("nearest", "max-distance")


def squared_distances(x: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    """``||x_n - mu_j||^2`` for all pairs, shape (N, K), by ``x^2 - 2 x.mu + mu^2`` (no (N, K, D))."""
    d2 = (x * x).sum(1, keepdim=True) - 2.0 * x @ mu.T + (mu * mu).sum(1)  # (N, K)
    return d2.clamp_min(0.0)  # rounding can make a zero distance slightly negative


def gaussian_phi(x: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """``phi_j(x) = exp(-||x - mu_j||^2 / (2 sigma_j^2))``, shape (N, K)."""
    return torch.exp(-squared_distances(x, mu) / (2.0 * sigma * sigma))


class RBFNetwork(Trainable, Classifier, nn.Module):
    r"""Radial basis function network: K Gaussian units and a linear output layer.

    Forward pass::

        phi_j(x) = exp(-||x - mu_j||^2 / (2 sigma_j^2))      j = 1 .. K   (hidden layer)
        o(x)     = W phi(x) + b                              (linear output, C values)
        y_hat    = softmax(o)                                class probabilities

    Training in two stages (Moody & Darken 1989; Haykin ch. 5), all in :meth:`fit`:

    1. Centres ``mu_j`` without labels: ``centers="kmeans"`` (scikit-learn ``KMeans``,
       ``n_init=4``, ``random_state=seed``), ``"random"`` (K distinct training points) or
       ``"all"`` (every training point, K = N: exact interpolation; ``n_centers`` is then
       taken from the data at fit time, and ``get_params()`` reports it).
    2. Widths: ``width="max-distance"`` sets every ``sigma_j = d_max / sqrt(2K)``, ``d_max``
       the largest distance between two centres (Haykin's rule: the units neither too
       peaked nor too flat); ``width="nearest"`` sets, per centre,
       ``sigma_j = mean distance from mu_j to its p nearest other centres`` (``p =
       n_neighbors``), which widens units where the centres are sparse; a float fixes
       ``sigma_j`` for all. The heuristic widths are multiplied by ``width_scale``.
    3. Output weights in closed form (:meth:`fit_output_weights`), with targets ``T`` one-hot
       (classification) or real values (``regression=True``)::

           min_{W, b}  sum_n ||W phi(x_n) + b - t_n||^2 + ridge ||W||^2

       i.e. linear least squares on the design matrix ``[Phi, 1]`` (N, K+1), solved in float64
       by an SVD-based solver (``gelsd``); the bias is not penalised. With ``centers="all"``,
       ``bias=False`` and ``ridge=0`` the (N, N) system ``Phi W^T = T`` is solved exactly:
       the network interpolates the training targets.
    4. Optional fine-tuning (``finetune_epochs > 0``): gradient descent by
       :func:`neuralzoo.fit` on all parameters ``mu, sigma, W, b`` of the cross-entropy
       ``log sum_j exp(o_j) - o_y`` (mean squared error for regression). The widths are
       stored as ``log_sigma`` so that they stay positive.

    Args:
        n_features: D, the width of an input row (fixed by the data).
        n_classes: C, the number of classes, or of real outputs m with ``regression=True``
            (fixed by the data).
        n_centers: K Gaussian units (ignored with centers="all": K = N; None allowed there).
        centers: "kmeans", "random" (K training points) or "all" (every point).
        width: "nearest", "max-distance" or a fixed sigma.
        width_scale: factor on the heuristic widths.
        n_neighbors: p, the nearest other centres averaged by width="nearest".
        ridge: L2 penalty on W in the least-squares output layer.
        bias: output bias b (not penalised).
        finetune_epochs: gradient fine-tuning of mu, sigma, W, b after the closed form.
        regression: real-valued outputs (squared error, R^2) instead of classes.

    Glossary (N batch, D inputs, K centres, C outputs):
        x: (N, D) inputs;  mu: (K, D) centres;  sigma = exp(log_sigma): (K,) widths;
        phi: (N, K) hidden activations;  W: (C, K) output weights;  b: (C,) output biases;
        o: (N, C) outputs (logits for classification, values for regression);
        T: (N, C) targets.

    Attributes:
        mu: (K, D) centres, zero until fitted.
        log_sigma: (K,) log widths, zero (sigma = 1) until fitted.
        W: (C, K) output weights, zero until fitted.
        b: (C,) output biases, zero until fitted (absent with ``bias=False``).

    With ``regression=True`` ``n_classes`` is the number of real outputs m; ``predict``
    returns ``o`` ((N,) when m = 1) and ``score`` the coefficient of determination R^2.
    For exact interpolation to ~1e-12, use float64 (``net.double()``) before ``fit``.

    Example:
        >>> import torch
        >>> X = torch.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = torch.tensor([0, 1, 1, 0])
        >>> net = RBFNetwork(2, 2, centers="all", width=0.5).fit(X, y, progress=False)
        >>> net.n_centers, net.predict(X).tolist()      # XOR, which no perceptron separates
        (4, [0, 1, 1, 0])

    Reference: Broomhead & Lowe, "Multivariable functional interpolation and adaptive
    networks", Complex Systems 1988; Moody & Darken, "Fast learning in networks of
    locally-tuned processing units", Neural Computation 1989; Haykin, Neural Networks, ch. 5.
    """

    registry_name = "rbf"
    train_defaults = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "optimizer": "adam"}

    def __init__(self, n_features: int, n_classes: int, *, n_centers: int | None = 300,
                 centers: str = "kmeans", width: str | float = "nearest", width_scale: float = 1.0,
                 n_neighbors: int = 2, ridge: float = 1e-6, bias: bool = True,
                 finetune_epochs: int = 0, regression: bool = False) -> None:
        super().__init__()
        check_choice("centers", centers, CENTERS)
        if n_centers is None:
            if centers != "all":
                raise ValueError("n_centers must be an integer >= 1 unless centers='all': "
                                 f"got None with centers={centers!r}")
            n_centers = 0  # set from the data at fit time
        n_features, n_centers, n_classes = int(n_features), int(n_centers), int(n_classes)
        if n_features < 1:
            raise ValueError(f"n_features must be >= 1, got {n_features}")
        if n_centers < (0 if centers == "all" else 1):
            raise ValueError(f"n_centers must be >= 1, got {n_centers}")
        if n_classes < (1 if regression else 2):
            raise ValueError(f"n_classes must be >= {1 if regression else 2}, got {n_classes}")
        if isinstance(width, str):
            check_choice("width", width, WIDTHS)
        elif isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
            raise ValueError(f"width must be {' or '.join(map(repr, WIDTHS))} or a positive float, "
                             f"got {width!r}")
        else:
            width = float(width)
        if not width_scale > 0:
            raise ValueError(f"width_scale must be positive, got {width_scale}")
        if int(n_neighbors) < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors}")
        if not ridge >= 0:
            raise ValueError(f"ridge must be >= 0, got {ridge}")
        if int(finetune_epochs) < 0:
            raise ValueError(f"finetune_epochs must be >= 0, got {finetune_epochs}")
        self.n_features, self.n_classes = n_features, n_classes
        self.centers, self.width, self.width_scale = centers, width, float(width_scale)
        self.n_neighbors, self.ridge, self.bias = int(n_neighbors), float(ridge), bool(bias)
        self.finetune_epochs, self.regression = int(finetune_epochs), bool(regression)
        self.mu = nn.Parameter(torch.zeros(n_centers, n_features))  # (K, D)
        self.log_sigma = nn.Parameter(torch.zeros(n_centers))  # (K,)
        self.W = nn.Parameter(torch.zeros(n_classes, n_centers))  # (C, K)
        self.b = nn.Parameter(torch.zeros(n_classes)) if bias else None  # (C,)
        self.reset_parameters()

    @property
    def n_centers(self) -> int:
        """K, the number of Gaussian units (the constructor's ``n_centers``, read from ``mu``)."""
        return self.mu.shape[0]

    @property
    def sigma(self) -> torch.Tensor:
        """Widths ``sigma = exp(log_sigma)``, shape (K,)."""
        return self.log_sigma.exp()

    def reset_parameters(self) -> None:
        """Centres at zero, widths 1, output weights and bias zero (``fit`` places them)."""
        with torch.no_grad():
            for p in (self.mu, self.log_sigma, self.W, self.b):
                if p is not None:
                    p.zero_()

    def _resize(self, k: int) -> None:
        """Re-create the parameters for ``k`` centres (``centers="all"``: K = N)."""
        like = self.mu
        self.mu = nn.Parameter(like.new_zeros(k, self.n_features))  # (K, D)
        self.log_sigma = nn.Parameter(like.new_zeros(k))  # (K,)
        self.W = nn.Parameter(like.new_zeros(self.n_classes, k))  # (C, K)

    # -- the network ---------------------------------------------------------------------

    def phi(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden activations ``phi_j(x)``, shape (N, K)."""
        return gaussian_phi(x.to(self.mu.dtype), self.mu, self.sigma)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``o = W phi(x) + b``, shape (N, C): logits, or values for regression."""
        o = self.phi(x) @ self.W.T  # (N, C)
        return o if self.b is None else o + self.b

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean cross-entropy ``log sum_j exp(o_j) - o_y`` (mean squared error for regression)."""
        x, t = batch
        o = self(x)
        return F.mse_loss(o, t.to(o.dtype)) if self.regression else F.cross_entropy(o, t)

    # -- the two training stages ---------------------------------------------------------

    def place_centers(self, X: Any, *, seed: int = 0) -> RBFNetwork:
        """Stage 1: the centres ``mu`` from the inputs ``X`` (N, D) by ``self.centers``."""
        X = check_X(X, self.n_features)
        n, k = len(X), self.n_centers
        if self.centers == "all":
            if k != n:
                self._resize(n)
            mu = X
        elif k > n:
            raise ValueError(f"centers={self.centers!r} needs at least n_centers training points: "
                             f"expected >= {k}, got {n} sample{'' if n == 1 else 's'}")
        elif self.centers == "random":
            g = torch.Generator().manual_seed(seed)
            mu = X[torch.randperm(n, generator=g)[:k]]
        else:
            from sklearn.cluster import KMeans

            km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(X.detach().cpu().double().numpy())
            mu = torch.from_numpy(km.cluster_centers_)
        with torch.no_grad():
            self.mu.copy_(mu.to(self.mu))
        return self

    def choose_widths(self) -> RBFNetwork:
        """Stage 2: the widths ``sigma`` from the centres by ``self.width`` (times ``width_scale``)."""
        k = self.n_centers
        mu = self.mu.detach().double()
        if isinstance(self.width, float):
            sigma = torch.full((k,), self.width, dtype=torch.float64)
        else:
            if k < 2:
                raise ValueError(f"width={self.width!r} needs at least 2 centres (else give a "
                                 f"fixed width): expected K >= 2, got {k}")
            dist = squared_distances(mu, mu).sqrt()  # (K, K)
            if self.width == "max-distance":
                sigma = (dist.max() / math.sqrt(2 * k)).expand(k) * self.width_scale
            else:
                p = min(self.n_neighbors, k - 1)
                dist.fill_diagonal_(float("inf"))  # the other centres only
                nearest = dist.topk(p, dim=1, largest=False).values  # (K, p)
                sigma = nearest.mean(1) * self.width_scale
        if not (sigma > 0).all():
            bad = int((sigma <= 0).sum())
            raise ValueError(f"widths must be positive: got {bad} zero widths (coinciding centres; "
                             "raise n_neighbors or give a fixed width)")
        with torch.no_grad():
            self.log_sigma.copy_(sigma.log().to(self.log_sigma))
        return self

    def _targets(self, y: Any, n: int) -> torch.Tensor:
        """Labels -> one-hot (N, C) float64, or real targets (N,) / (N, m) -> (N, m) float64."""
        if not self.regression:
            t = as_tensor(y)
            if t.dim() == 2 and t.is_floating_point():  # already a target matrix
                if tuple(t.shape) != (n, self.n_classes):
                    raise ValueError(f"targets must have shape (N, C): expected {(n, self.n_classes)}, "
                                     f"got {tuple(t.shape)}")
                return t.double()
            return F.one_hot(check_y(y, self.n_classes, n), self.n_classes).double()
        t = as_tensor(y).double()
        if t.dim() == 1:
            t = t[:, None]  # (N,) -> (N, 1)
        if t.dim() != 2 or tuple(t.shape) != (n, self.n_classes):
            raise ValueError("regression targets must have shape (N, m): "
                             f"expected {(n, self.n_classes)}, got {tuple(as_tensor(y).shape)}")
        if not torch.isfinite(t).all():
            bad = int((~torch.isfinite(t)).sum())
            raise ValueError("regression targets must be finite: expected no NaN or inf, "
                             f"got {bad} non-finite values")
        return t

    def fit_output_weights(self, X: Any, y: Any) -> RBFNetwork:
        """Stage 3: ``W, b`` minimising ``||Phi W^T + b - T||^2 + ridge ||W||^2`` in closed form.

        ``y`` holds labels (N,) (one-hot targets), a target matrix (N, C), or real targets
        for regression. Solved in float64 by ``torch.linalg.lstsq`` (``gelsd``, on the CPU)
        on ``[Phi, 1]`` stacked over ``[sqrt(ridge) I, 0]`` (the penalty as extra rows, so the
        condition number is not squared as in the normal equations).
        """
        X = check_X(X, self.n_features)
        T = self._targets(y, len(X))  # (N, C)
        k = self.n_centers
        with torch.no_grad():
            mu, sigma = self.mu.detach().double().cpu(), self.sigma.detach().double().cpu()
            A = gaussian_phi(X.detach().cpu().double(), mu, sigma)  # (N, K)
            T = T.cpu()
            if self.bias:
                A = torch.cat([A, A.new_ones(len(A), 1)], dim=1)  # (N, K+1)
            if self.ridge > 0:
                penalty = torch.zeros(k, A.shape[1], dtype=torch.float64)
                penalty[:, :k] = math.sqrt(self.ridge) * torch.eye(k, dtype=torch.float64)
                A = torch.cat([A, penalty])  # (N+K, K+1)
                T = torch.cat([T, T.new_zeros(k, T.shape[1])])
            theta = torch.linalg.lstsq(A, T, driver="gelsd").solution  # (K(+1), C)
            self.W.copy_(theta[:k].T.to(self.W))
            if self.b is not None:
                self.b.copy_(theta[k].to(self.b))
        return self

    # -- fit -----------------------------------------------------------------------------

    @takes_fit_options
    def fit(self, X: Any, y: Any, opts: FitOptions) -> RBFNetwork:
        """Centres, widths and output weights in closed form, then optional fine-tuning.

        The options of :meth:`Trainable.fit`: ``epochs`` is the number of fine-tuning epochs
        (default ``finetune_epochs``; 0 takes no gradient step); the others go to
        :func:`neuralzoo.fit` for that stage. With ``warm_start`` or ``resume`` the closed-form
        stages are skipped. ``history_`` starts with a row ``epoch=0, stage="closed_form"``
        holding the training loss of the least-squares solution, then one row per fine-tuning epoch.
        """
        if y is None:
            raise ValueError("RBFNetwork.fit needs targets: expected fit(X, y), got y=None")
        epochs = self.finetune_epochs if opts.epochs is None else int(opts.epochs)
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        X, y = self._fit_data(X, y)
        cfg = opts.config(self, epochs=max(epochs, 1))
        device = resolve_device(cfg.device)
        self.to(device)
        X, y = X.to(device), y.to(device)
        if not (opts.warm_start or opts.resume):
            self.place_centers(X, seed=cfg.seed).choose_widths().fit_output_weights(X, y)
        self._fitted = True
        history = History([{"epoch": 0, "stage": "closed_form", **self.metrics(X, y)}])
        if epochs > 0:
            val_data = None if opts.val_data is None else self._fit_data(*opts.val_data)
            history.extend(train_fit(self, (X, y), cfg, val_data=val_data, out=opts.out, resume=opts.resume,
                                     overwrite=opts.overwrite, callbacks=opts.callbacks, stage="finetune",
                                     run_info=opts.run_info))
        elif opts.out is not None:
            write_run(self, opts.out, cfg, history, overwrite=opts.overwrite, run_info=opts.run_info)
        self.history_ = history
        return self

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        X = check_X(X, self.n_features)
        if self.regression:
            t = self._targets(y, len(X)).to(self.mu.dtype)  # (N, m), float64 after .double()
            return X, t
        return X, check_y(y, self.n_classes, len(X))

    # -- evaluation ------------------------------------------------------------------------

    def metrics(self, X: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """Training loss (cross-entropy, or MSE) and accuracy for classification."""
        device = model_device(self)
        with torch.no_grad():
            if not self.regression:
                return super().metrics(X.to(device), y.to(device))
            o = self(X.to(device))
            return {"loss": float(F.mse_loss(o, y.to(o)))}

    def predict(self, X: Any) -> torch.Tensor:
        """Classes (N,), or for regression the outputs (N, m) ((N,) when m = 1)."""
        if not self.regression:
            return super().predict(X)
        o = self._logits(X)
        return o[:, 0] if self.n_classes == 1 else o

    def predict_proba(self, X: Any) -> torch.Tensor:
        """Class probabilities ``softmax(o)``, shape (N, C) (classification only)."""
        if self.regression:
            raise ValueError("predict_proba needs a classifier: expected regression=False, "
                             "got regression=True")
        return super().predict_proba(X)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy, or for regression R^2 = 1 - SS_res / SS_tot (averaged over outputs)."""
        if not self.regression:
            return super().score(X, y)
        t = self._targets(y, len(as_tensor(X)))  # (N, m)
        o = self._logits(X).double().cpu().reshape(t.shape)
        ss_res = ((t - o) ** 2).sum(0)
        ss_tot = ((t - t.mean(0)) ** 2).sum(0)
        return float((1 - ss_res / ss_tot).mean())

    def extra_repr(self) -> str:
        return (f"n_features={self.n_features}, n_centers={self.n_centers}, n_classes={self.n_classes}, "
                f"centers={self.centers!r}, width={self.width!r}, regression={self.regression}, "
                f"params={count_parameters(self):,}")

