"""Convolutional deep belief network: convolutional RBMs stacked greedily (Lee et al., ICML 2009)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ...config import to_dict
from ...train.stages import Stage, fit_stages
from ..base import NotFittedError, Trainable, count_parameters
from ..cnn.base import image_shape
from ..fit_options import FitOptions, takes_fit_options
from .model import OPS, ConvRBM, per_layer, pooled_images


class ConvDBN(Trainable, nn.Module):
    r"""Convolutional DBN: a stack of :class:`ConvRBM` s, each on the pooled maps of the one below.

    Layer 1 models the image; layer ``l + 1`` takes the pooling layer of layer ``l`` as its visible
    layer, ``K_l`` channels of ``NP_l x NP_l'`` units, with the mean-field probabilities
    ``P(p_alpha^k = 1 | below)`` as its data (the paper's greedy layer-wise training, Hinton et al.
    2006). Each layer is one stage ``crbm<l>`` of :func:`~neuralzoo.train.stages.fit_stages` (its own
    checkpoint in ``<out>/stages/crbm<l>``; a resumed run skips finished layers). The recognition
    pass is bottom-up on probabilities::

        p_1 = P(p^(1) = 1 | v),   p_{l+1} = P(p^(l+1) = 1 | p_l)

    and :meth:`transform` returns the pooled maps of a layer, or of all layers side by side, flat
    (the paper classifies MNIST from the CDBN's features with a linear SVM).

    Args:
        input_shape: (L, NV, NV') the image (fixed by the data).
        n_filters: K_l, the groups of every layer, bottom up.
        filter_size: NW_l, every layer's filter side (one int: the same for all).
        pool_size: C_l, every layer's pooling block side (one int: the same for all).
        sparsity_target: q_l, every layer's target activation (one float: the same for all).
        sparsity_cost: weight of the sparsity rule of every layer.
        k: Gibbs steps of every layer's CD estimate.
        init_std: standard deviation of the initial filters. 0.1: at 0.01 every group sees the same
            near-uniform block softmax and receives the same gradient, and the filters collapse onto
            one (8 groups of 3x3 on the digits, 20 epochs: mean cosine between filters 0.996; 0.71 at
            0.1, where logistic regression on the pooled maps gains 0.783 -> 0.831).
        ops: "fused" (PyTorch's kernels) or "reference" (the lecture's explicit convolution).

    Attributes:
        layers: the :class:`ConvRBM` s, bottom up (``layers[l].input_shape`` is the pooled shape of
        ``layers[l - 1]``).

    >>> import neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits", binarize="threshold")
    >>> cdbn = ConvDBN((1, 8, 8), n_filters=[8, 8]).fit(X[:200], epochs=1, seed=0, progress=False)
    >>> [l.pooled_shape for l in cdbn.layers], cdbn.transform(X[:2], layer=None).shape
    ([(8, 3, 3), (8, 1, 1)], torch.Size([2, 80]))

    Reference: Lee, Grosse, Ranganath & Ng, "Convolutional deep belief networks for scalable
    unsupervised learning of hierarchical representations", ICML 2009.
    """

    registry_name = "conv-dbn"
    data_defaults = {"binarize": "threshold"}
    train_defaults = ConvRBM.train_defaults

    def __init__(self, input_shape: tuple[int, int, int], *, n_filters: list[int] = (16, 16),
                 filter_size: int | list[int] = 3, pool_size: int | list[int] = 2,
                 sparsity_target: float | list[float] = 0.05, sparsity_cost: float = 1.0, k: int = 1,
                 init_std: float = 0.1, ops: str = "fused") -> None:
        super().__init__()
        groups = [int(n) for n in n_filters]
        if not groups:
            raise ValueError("n_filters: expected at least one layer, got none")
        L = len(groups)
        sizes, pools = per_layer("filter_size", filter_size, L), per_layer("pool_size", pool_size, L)
        targets = per_layer("sparsity_target", sparsity_target, L)
        if ops not in OPS:
            raise ValueError(f"ops: expected one of {', '.join(OPS)}, got {ops!r}")
        self.input_shape = tuple(int(s) for s in input_shape)  # type: ignore[assignment]
        self.n_filters = groups
        self.filter_size = filter_size if isinstance(filter_size, int) else [int(s) for s in sizes]
        self.pool_size = pool_size if isinstance(pool_size, int) else [int(s) for s in pools]
        self.sparsity_target = (float(sparsity_target) if isinstance(sparsity_target, (int, float))
                                else [float(t) for t in targets])
        self.sparsity_cost, self.k, self.init_std, self.ops = float(sparsity_cost), int(k), float(init_std), ops
        self.n_features = self.input_shape[0] * self.input_shape[1] * self.input_shape[2]
        layers, shape = [], self.input_shape
        for l in range(L):
            if int(sizes[l]) > min(shape[1:]):
                raise ValueError(f"layer {l + 1}: filter_size {sizes[l]} is larger than its {shape[1]}x{shape[2]} "
                                 f"input maps (the pooled maps of layer {l}): expected filter_size <= "
                                 f"{min(shape[1:])}, or fewer layers")
            layer = ConvRBM(shape, n_filters=groups[l], filter_size=sizes[l], pool_size=pools[l], k=k,
                            sparsity_target=targets[l], sparsity_cost=sparsity_cost, init_std=init_std, ops=ops)
            layers.append(layer)
            shape = layer.pooled_shape
        self.layers = nn.ModuleList(layers)

    @classmethod
    def sizes_from_data(cls, n_features: int, n_classes: int, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        """``input_shape`` read from the width D of a flat row (a square grey or RGB image)."""
        return {"input_shape": image_shape(n_features)}

    def reset_parameters(self) -> None:
        for layer in self.layers:
            layer.reset_parameters()

    def up(self, X: Any) -> list[torch.Tensor]:
        """The recognition pass: every layer's pooled features, flat ``[(N, K_1 NP_1 NP_1'), ...]``."""
        x = self.layers[0].images(X)
        out = []
        with torch.no_grad():
            for layer in self.layers:
                x = layer.transform(x)  # (N, K NP NP')
                out.append(x)
        return out

    def transform(self, X: Any, *, layer: int | None = -1) -> torch.Tensor:
        """Pooled features of hidden layer ``layer`` (0: the first, -1: the top) flattened, or with
        ``layer=None`` those of every layer side by side (N, sum_l K_l NP_l NP_l')."""
        feats = self.up(X)
        return torch.cat(feats, 1) if layer is None else feats[layer]

    def reconstruct(self, X: Any) -> torch.Tensor:
        """The first layer's mean-field reconstruction (N, D)."""
        return self.layers[0].reconstruct(X)

    def evaluate(self, X: Any, y: Any = None) -> dict[str, float]:
        """Every layer's measures (:meth:`ConvRBM.evaluate`) on its input, ``layer<l>_`` prefixed,
        and the first layer's ``reconstruction_error``."""
        out: dict[str, float] = {}
        x = self.layers[0].images(X)
        for l, layer in enumerate(self.layers):
            out.update({f"layer{l + 1}_{k}": v for k, v in layer.evaluate(x).items()})
            x = layer.transform(x)
        out["reconstruction_error"] = out["layer1_reconstruction_error"]
        return out

    def stages(self, X: torch.Tensor, opts: FitOptions) -> list[Stage]:
        """The greedy stages ``crbm1 .. crbmL`` on rows ``X`` (N, D): layer ``l`` drawn from
        ``seed + l`` and trained on the pooled features of the layers below."""
        cfg = opts.config(self)

        def make_input(l: int):
            return None if l == 0 else (lambda x: pooled_images(self.layers[l - 1], x))

        def start(l: int):
            return lambda x: self.layers[l].start_from_data(x, cfg.seed + l)

        def end(l: int):
            def done() -> None:
                self.layers[l]._fitted = True
            return done

        return [Stage(f"crbm{l + 1}", layer, cfg, make_input=make_input(l), start=start(l), end=end(l),
                      callbacks=opts.callbacks) for l, layer in enumerate(self.layers)]

    @takes_fit_options
    def fit(self, X: Any, y: Any, opts: FitOptions) -> ConvDBN:
        """Greedy layer-wise training of every layer (the options of :meth:`Trainable.fit`, used by
        every stage); ``y`` is ignored. Returns ``self``."""
        if opts.warm_start or opts.val_data is not None:
            raise ValueError("ConvDBN.fit: expected no warm_start and no val_data (each layer trains "
                             "from its own start on the features below)")
        X = self.layers[0].images(X).reshape(-1, self.n_features).cpu()
        cfg = opts.config(self)
        self.history_ = fit_stages(self.stages(X, opts), X, model=self, config=cfg, out=opts.out,
                                   resume=opts.resume, overwrite=opts.overwrite,
                                   run_info={**(opts.run_info or {}), "train_config": to_dict(cfg)})
        self._fitted = True
        return self

    def _check_fitted(self) -> None:
        if not getattr(self, "_fitted", False) and not getattr(self, "_fitting", 0):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X) first "
                                 "(or load a trained run, or a trained state_dict)")

    def extra_repr(self) -> str:
        return f"input_shape={self.input_shape}, n_filters={self.n_filters}, params={count_parameters(self):,}"


__all__ = ["ConvDBN"]
