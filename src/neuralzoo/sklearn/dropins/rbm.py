"""``BernoulliRBM``: scikit-learn's RBM on :class:`neuralzoo.models.RBM`, with its lean CD/PCD loop."""

from __future__ import annotations

import time
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn import neural_network as _sk_nn
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state, gen_even_slices
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ...energy import exact
from ...energy.sampling import bernoulli
from ...models import RBM
from ...train import resolve_device
from ._common import _DEVICE, _MAX_INT, _dense, _numpy, _tensor, _threads_for, _torch_dtype


def _cd_train(rbm: RBM, h: torch.Tensor, x: torch.Tensor, slices: list[slice], n_iter: int, lr: float,
              cd: bool, gen: torch.Generator, on_iter: Any = None) -> torch.Tensor:
    r"""``n_iter`` passes of CD-k (``cd``) or PCD-k over the batches ``x[s]``, updating ``rbm``'s
    ``W, b, a`` in place; returns the chains' hidden states (M, H).

    The update is the gradient of :meth:`RBM.loss`, ``<v p(h|v)^T>_data - <v' p(h|v')^T>_model``
    (and ``<v>``, ``<p(h|v)>`` for ``b``, ``a``), taken as scikit-learn's ``_fit`` takes it: in
    place, without autograd or an optimizer. The biases ride in one matrix ``G = [[W, b], [a^T,
    0]]`` (D+1, H+1) and rows carry a constant 1::

        [v, 1] G[:, :H] = a + v^T W,      [h, 1] G[:D]^T = b + h^T W^T
        G += lr/N [v_0, 1]^T [p_0, 1] - lr/M [v', 1]^T [p', 1]      (W, b and a in two products)

    so a step is seven tensor operations and the sampling, whose uniforms are drawn into buffers
    (as :func:`~neuralzoo.energy.sampling.bernoulli` draws them, without its allocations). PCD
    keeps, as scikit-learn's ``h_samples_`` does, the chains' hidden states, drawn from ``p(h |
    v')`` of the update's own negative phase: five products of N x D x H per step, as CD-1
    (persistent visible states would need a sixth). ``rbm.chains`` receives the last visible states.
    """
    D, H, k = rbm.n_visible, rbm.n_hidden, rbm.k
    with torch.no_grad():
        G = x.new_zeros(D + 1, H + 1)
        G[:D, :H], G[:D, H], G[D, :H] = rbm.W, rbm.b, rbm.a
        up, down = G[:, :H], G[:D].T  # (D+1, H) = [W; a^T], (H+1, D) = [W^T; b^T]
        n_max = max(s.stop - s.start for s in slices)
        M = n_max if cd else len(h)
        V0, P0 = x.new_ones(n_max, D + 1), x.new_ones(n_max, H + 1)  # [v_0, 1], [p(h|v_0), 1]
        Vm, Pm, Hm = x.new_ones(M, D + 1), x.new_ones(M, H + 1), x.new_ones(M, H + 1)  # [v',1] [p',1] [h,1]
        Uv, Uh = x.new_empty(M, D), x.new_empty(M, H)  # uniforms of the visible and hidden draws
        if not cd:
            Hm[:, :H] = h
        views = {}  # batch size n -> the buffers' views (at most two sizes: the slices are even)
        for n in {s.stop - s.start for s in slices}:
            m = n if cd else M
            views[n] = (V0[:n], V0[:n, :D], P0[:n], P0[:n, :H], Vm[:m], Vm[:m, :D], Pm[:m], Pm[:m, :H],
                        Hm[:m], Hm[:m, :H], Uv[:m], Uh[:m], lr / n, -lr / m)
        batches = [(x[s], *views[s.stop - s.start]) for s in slices]
        for it in range(n_iter):
            for xb, v0, v0D, p0, p0H, vm, vmD, pm, pmH, hm, hmH, uv, uh, a0, am in batches:
                v0D.copy_(xb)
                # 1. data phase: p(h | v_0)
                torch.sigmoid(torch.mm(v0, up), out=p0H)
                # 2. model phase: k Gibbs steps from h_0 ~ p(h | v_0) (CD) or the chains' h (PCD)
                if cd:
                    torch.lt(torch.rand(uh.shape, generator=gen, out=uh), p0H, out=hmH)
                for step in range(k):
                    pv = torch.mm(hm, down).sigmoid_()  # p(v | h)
                    torch.lt(torch.rand(uv.shape, generator=gen, out=uv), pv, out=vmD)  # v'
                    torch.sigmoid(torch.mm(vm, up), out=pmH)  # p(h | v')
                    if step < k - 1 or not cd:  # the next h (PCD: the chains' state for the next batch)
                        torch.lt(torch.rand(uh.shape, generator=gen, out=uh), pmH, out=hmH)
                # 3. G += lr (<[v,1]^T [p,1]>_data - <[v',1]^T [p',1]>_model)
                G.addmm_(v0.T, p0, alpha=a0).addmm_(vm.T, pm, alpha=am)
            if on_iter is not None or it == n_iter - 1:
                rbm.W.copy_(G[:D, :H])
                rbm.b.copy_(G[:D, H])
                rbm.a.copy_(G[D, :H])
                if not cd and rbm.chains.shape == (M, D):
                    rbm.chains.copy_(Vm[:, :D])
                if on_iter is not None:
                    on_iter(it)
        return Hm[:, :H].clone()


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Bernoulli restricted Boltzmann machine, scikit-learn's ``BernoulliRBM`` on :class:`neuralzoo.models.RBM`.

    The model (the lecture's notation: ``W`` (D, H) weights, ``b`` visible and ``a`` hidden biases)::

        E(v, h) = -v^T W h - b^T v - a^T h,          p(v, h) = exp(-E(v, h)) / Z
        p(h_j = 1 | v) = sigmoid(a_j + (v^T W)_j)  (transform),   p(v_i = 1 | h) = sigmoid(b_i + (W h)_i)
        F(v) = -b^T v - sum_j softplus(a_j + (v^T W)_j)

    scikit-learn's names: ``components_ = W^T`` (H, D), ``intercept_visible_ = b``,
    ``intercept_hidden_ = a``. Training is scikit-learn's: ``W ~ N(0, 0.01^2)`` (the same draw from
    ``random_state``), zero biases, ``n_iter`` passes over even batches in data order, and for each
    batch of N rows one plain SGD step (no momentum, no weight decay) along the likelihood gradient
    with the model term from M = ``batch_size`` persistent chains (PCD-k, Tieleman 2008)::

        W += lr (<v p(h|v)^T>_data - <v' p(h|v')^T>_chains),   b += lr (<v> - <v'>),   a += lr (<p(h|v)> - <p(h|v')>)

    ``method="cd"`` starts the ``k`` Gibbs steps from the data instead; ``"pt"`` runs parallel
    tempering through :meth:`RBM.fit <neuralzoo.models.RBM.fit>` (plain SGD, float32, data in [0, 1]).

    Args:
        n_components: H, binary hidden units.
        learning_rate: SGD step size.
        batch_size: N, rows per step, and M, the persistent chains.
        n_iter: passes over the data.
        verbose: print the pseudo-likelihood after every pass.
        random_state: int, ``RandomState`` or None: the initial weights, then the seed of the Gibbs sampler.
        method: "pcd" (scikit-learn's), "cd" or "pt" (extra).
        k: Gibbs steps per update (extra; scikit-learn's is 1).
        device: "cpu", "cuda" or "auto" (extra).

    Attributes:
        rbm_: the fitted :class:`neuralzoo.models.RBM` (float32 or float64 as the data of ``fit``).
        components_ (H, D), intercept_hidden_ (H,), intercept_visible_ (D,): views of its ``W^T, a, b``.
        h_samples_ (M, H): the chains' hidden states (CD: those of the last negative phase).
        n_features_in_, feature_names_in_: as scikit-learn's.

    Methods: ``fit, partial_fit, transform, gibbs, score_samples`` with scikit-learn's meaning
    (``gibbs`` returns booleans; ``score_samples`` is D times the log-probability of one random
    bit given the others), and the extra ``log_likelihood(X, method="exact" | "ais")`` in nats.

    >>> import numpy as np
    >>> X = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    >>> rbm = BernoulliRBM(n_components=2, random_state=0).fit(X)
    >>> rbm.transform(X).shape, rbm.components_.shape, rbm.log_likelihood(X).shape
    ((4, 2), (2, 3), (4,))

    Reference: Tieleman, "Training restricted Boltzmann machines using approximations to the
    likelihood gradient", ICML 2008; scikit-learn's ``sklearn/neural_network/_rbm.py``.
    """

    _parameter_constraints: dict = {
        **_sk_nn.BernoulliRBM._parameter_constraints,
        "method": [StrOptions({"pcd", "cd", "pt"})],
        "k": [Interval(Integral, 1, None, closed="left")],
        "device": _DEVICE,
    }

    def __init__(self, n_components: int = 256, *, learning_rate: float = 0.1, batch_size: int = 10,
                 n_iter: int = 10, verbose: int = 0, random_state: Any = None, method: str = "pcd",
                 k: int = 1, device: str = "cpu") -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.method = method
        self.k = k
        self.device = device

    # -- scikit-learn's attributes: views of the torch model (an AttributeError before fit) ------

    @property
    def components_(self) -> np.ndarray:
        return _numpy(self.rbm_.W).T

    @components_.setter
    def components_(self, value: Any) -> None:
        with torch.no_grad():
            self.rbm_.W.copy_(torch.as_tensor(np.asarray(value).T))

    @property
    def intercept_hidden_(self) -> np.ndarray:
        return _numpy(self.rbm_.a)

    @intercept_hidden_.setter
    def intercept_hidden_(self, value: Any) -> None:
        with torch.no_grad():
            self.rbm_.a.copy_(torch.as_tensor(np.asarray(value)))

    @property
    def intercept_visible_(self) -> np.ndarray:
        return _numpy(self.rbm_.b)

    @intercept_visible_.setter
    def intercept_visible_(self, value: Any) -> None:
        with torch.no_grad():
            self.rbm_.b.copy_(torch.as_tensor(np.asarray(value)))

    @property
    def h_samples_(self) -> np.ndarray:
        return _numpy(self._h)

    @h_samples_.setter
    def h_samples_(self, value: Any) -> None:
        self._h = torch.tensor(np.asarray(value)).to(self.rbm_.W)

    # -- training --------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> BernoulliRBM:
        """Train on ``X`` (N, D) from scratch: ``n_iter`` passes of even batches in data order."""
        self._validate_params()
        X = _dense(validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32)))
        self._start(X, check_random_state(self.random_state))
        n_batches = int(np.ceil(X.shape[0] / self.batch_size))
        self._train(X, list(gen_even_slices(n_batches * self.batch_size, n_batches, n_samples=X.shape[0])),
                    self.n_iter)
        return self

    def partial_fit(self, X: Any, y: Any = None) -> BernoulliRBM:
        """One update with all of ``X`` as the batch (initialising the model on the first call)."""
        self._validate_params()
        first = not hasattr(self, "rbm_")
        X = _dense(validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=first))
        if first:
            self._start(X, check_random_state(self.random_state))
        self._train(X, [slice(0, X.shape[0])], 1)
        return self

    def _start(self, X: np.ndarray, rng: np.random.RandomState) -> None:
        """scikit-learn's start: ``W ~ N(0, 0.01^2)`` drawn from ``rng`` as it draws it, zero
        biases, hidden chain states 0 (so the first negative sample is ``v' ~ p(v | h = 0)``)."""
        D, H = X.shape[1], self.n_components
        W = rng.normal(0, 0.01, (H, D))
        device = resolve_device(self.device)
        with torch.random.fork_rng(devices=[]):  # the constructor draws chains from torch's global RNG
            rbm = RBM(D, H, method=self.method, k=self.k, n_chains=self.batch_size, init_std=0.01)
        rbm.to(device=device, dtype=_torch_dtype(X.dtype))
        gen = torch.Generator(device=device).manual_seed(int(rng.randint(_MAX_INT)))
        with torch.no_grad():
            rbm.W.copy_(torch.from_numpy(W.T))
            rbm.b.zero_()
            rbm.a.zero_()
            rbm.data_mean.copy_(torch.from_numpy(X.mean(0)))  # base rates of AIS, start of rbm_.sample
            rbm.chains.copy_(bernoulli(torch.full_like(rbm.chains, 0.5), gen))  # p(v | h = 0) at b = 0
        self.rbm_ = rbm
        rbm._fitted = True  # trained by this estimator's own loop, not rbm.fit: its methods answer
        self._h = rbm.W.new_zeros(self.batch_size, H)
        self._rng = gen.get_state()
        self._n_features_out = H

    def _generator(self) -> torch.Generator:
        """The sampler's generator, continued from the last call (its state is what is pickled)."""
        return torch.Generator(device=self.rbm_.W.device).set_state(self._rng)

    def _train(self, X: np.ndarray, slices: list[slice], n_iter: int) -> None:
        rbm, gen = self.rbm_, self._generator()
        rbm.k = self.k  # as set now (set_params between partial fits)
        x = _tensor(X, rbm.W.device, rbm.W.dtype)
        begin = time.time()

        def report(it: int) -> None:
            nonlocal begin
            end = time.time()
            print(f"[{type(self).__name__}] Iteration {it + 1}, pseudo-likelihood = "
                  f"{self.score_samples(X).mean():.2f}, time = {end - begin:.2f}s")
            begin = end

        if self.method == "pt":
            if n_iter > 0:
                self._train_pt(x, max(s.stop - s.start for s in slices), n_iter, gen)
                if self.verbose:
                    report(n_iter - 1)
        else:
            n_max = max(s.stop - s.start for s in slices)
            with _threads_for(x.device, n_max * rbm.n_visible * rbm.n_hidden):
                self._h = _cd_train(rbm, self._h, x, slices, n_iter, float(self.learning_rate),
                                    self.method == "cd", gen, report if self.verbose else None)
        self._rng = gen.get_state()

    def _train_pt(self, x: torch.Tensor, batch_size: int, n_iter: int, gen: torch.Generator) -> None:
        """Parallel tempering: the RBM's own loss through ``neuralzoo.fit`` (plain SGD, batches in
        order, float32 — the trainer feeds float32 batches), then a hidden sample of the beta = 1 chains."""
        rbm, dtype = self.rbm_, self.rbm_.W.dtype
        seed = int(torch.randint(_MAX_INT, (1,), generator=gen, device=gen.device))
        rbm.float().fit(x.float(), warm_start=True, epochs=n_iter, batch_size=batch_size,
                        lr=float(self.learning_rate), optimizer="sgd", momentum=0.0, shuffle=False,
                        seed=seed, device=str(x.device), progress=False)
        rbm.to(dtype)
        with torch.no_grad():
            self._h = bernoulli(rbm.p_h_given_v(rbm.chains[0]), gen)

    # -- inference -------------------------------------------------------------------------------

    def _params(self, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(W, b, a)`` in ``dtype`` (the input's, as NumPy would promote), without gradient."""
        return tuple(t.detach().to(dtype) for t in (self.rbm_.W, self.rbm_.b, self.rbm_.a))

    def _input(self, X: Any) -> torch.Tensor:
        X = _dense(validate_data(self, X, accept_sparse="csr", reset=False, dtype=(np.float64, np.float32)))
        return _tensor(X, self.rbm_.W.device)

    def transform(self, X: Any) -> np.ndarray:
        """Hidden probabilities ``p(h = 1 | v = X)`` (N, H), in the dtype of ``X``."""
        check_is_fitted(self)
        v = self._input(X)
        W, _, a = self._params(v.dtype)
        with torch.no_grad():
            return _numpy(torch.sigmoid(torch.addmm(a, v, W)))

    def gibbs(self, v: Any) -> np.ndarray:
        """One Gibbs step ``v -> h ~ p(h|v) -> v' ~ p(v|h)``: the new visible states (N, D), booleans."""
        check_is_fitted(self)
        v = _dense(check_array(v, accept_sparse="csr", dtype=(np.float64, np.float32)))
        gen = self._generator()
        v_new = self.rbm_.gibbs_step(_tensor(v, self.rbm_.W.device, self.rbm_.W.dtype), 1, gen)
        self._rng = gen.get_state()
        return _numpy(v_new).astype(bool)

    def _free_energy(self, v: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return exact.rbm_free_energy(*self._params(v.dtype), v)

    def score_samples(self, X: Any) -> np.ndarray:
        """scikit-learn's pseudo-likelihood: ``D log sigmoid(F(v~) - F(v))`` (N,) for ``v~`` = ``v``
        with one bit flipped per row, drawn from a fresh ``check_random_state(random_state)`` as it
        draws it (so the same estimator gives scikit-learn's value)."""
        check_is_fitted(self)
        v = self._input(X)
        rng = check_random_state(self.random_state)
        rows, cols = np.arange(v.shape[0]), rng.randint(0, v.shape[1], v.shape[0])
        flipped = v.clone()
        flipped[rows, cols] = 1 - flipped[rows, cols]
        gap = self._free_energy(flipped) - self._free_energy(v)
        return _numpy(v.shape[1] * torch.nn.functional.logsigmoid(gap))

    def log_likelihood(self, X: Any, *, method: str = "exact", log_z: Any = None, **options: Any) -> np.ndarray:
        """``log p(v) = -F(v) - log Z`` in nats (N,) float64 for binary ``X``: ``log Z`` by
        enumeration ("exact", min(D, H) <= 30) or AIS ("ais"; ``options`` as :meth:`RBM.ais
        <neuralzoo.models.RBM.ais>`), unless ``log_z`` is given."""
        check_is_fitted(self)
        X = _dense(validate_data(self, X, accept_sparse="csr", reset=False, dtype=(np.float64, np.float32)))
        return _numpy(self.rbm_.log_likelihood(X, method=method, log_z=log_z, **options))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


__all__ = ["BernoulliRBM"]
