"""Variational autoencoder (变分自编码器), one of the extensions the lecture lists.

The encoder gives a distribution over the code instead of one code, the decoder a
distribution over the data; training maximises the evidence lower bound (ELBO) with the
reparameterisation trick, and decoding draws from the prior gives new samples.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_unit_interval, check_widths, check_X
from ...config import check_choice
from ...energy.sampling import as_generator
from ..base import Trainable, count_parameters, model_device, model_dtype
from .basic import ACTIVATIONS, linear_on_top


class VAE(Trainable, nn.Module):
    r"""Variational autoencoder with a Gaussian code and Bernoulli outputs (Kingma & Welling 2014).

    Generative model and approximate posterior (encoder ``[D, H_1, ..]`` -> ``mu, log sigma^2``)::

        p(z) = N(0, I),   p(x | z) = prod_i Bernoulli(x_i; sigmoid(dec(z))_i)
        q(z | x) = N(mu(x), diag sigma^2(x))

    Evidence lower bound, per example (x in [0, 1]: grey values as Bernoulli means)::

        log p(x) >= ELBO(x) = E_{q(z|x)}[log p(x | z)] - KL(q(z|x) || p(z))
        KL = 1/2 sum_k (mu_k^2 + sigma_k^2 - log sigma_k^2 - 1)

    Reparameterisation: ``z = mu + sigma * eps, eps ~ N(0, I)``, so the gradient of the
    one-sample estimate flows through ``mu`` and ``sigma``; ``loss = -mean_n ELBO(x_n)``.

    Args:
        n_features: D, the width of an input row (fixed by the data).
        hidden: encoder hidden widths H_1 .. (the decoder mirrors them; [] for none).
        latent: K, the size of the code z.
        activation: f of the hidden layers: "sigmoid", "tanh" or "relu".

    Glossary (N batch, D input, H hidden, K latent): ``encoder`` Linear layers with f,
    ``mu_layer`` / ``logvar_layer`` (K, H); ``decoder`` Linear layers K -> .. -> D;
    ``sizes`` the encoder's sizes ``[D, *hidden, K]``.

    >>> import neuralzoo as nz
    >>> X, _ = nz.datasets.load("digits")
    >>> vae = VAE(64, hidden=[32], latent=2).fit(X, epochs=2, seed=0, progress=False)
    >>> vae.sample(4, generator=0).shape
    torch.Size([4, 64])

    Reference: D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    """

    registry_name = "vae"
    sizes_hparams = ("n_features", "hidden", "latent")  # a 0.1 run's sizes=[D, *H, K]
    train_defaults = {"epochs": 30, "batch_size": 64, "lr": 1e-3, "optimizer": "adam"}

    def __init__(self, n_features: int, *,
                 hidden: list[int] = [128],  # noqa: B006 (read, never mutated)
                 latent: int = 2, activation: str = "relu") -> None:
        super().__init__()
        sizes = check_widths(n_features, hidden, "latent", latent, "[128] ([] for none)")
        hidden = sizes[1:-1]  # a copy
        check_choice("activation", activation, ("sigmoid", "tanh", "relu"))
        self.n_features, self.hidden, self.latent = sizes[0], hidden, sizes[-1]
        self.sizes, self.activation = sizes, activation  # [D, *hidden, K]
        enc = sizes[:-1]  # D, H_1, ...
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(enc[:-1], enc[1:]))
        self.mu_layer = nn.Linear(enc[-1], self.latent)  # (K, H)
        self.logvar_layer = nn.Linear(enc[-1], self.latent)  # (K, H)
        dec = sizes[::-1]  # K, ..., D
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dec[:-1], dec[1:]))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform weights, zero biases."""
        for layer in [*self.encoder, self.mu_layer, self.logvar_layer, *self.decoder]:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, log sigma^2)`` of ``q(z | x)``, each (N, K)."""
        f = ACTIVATIONS[self.activation]
        h = x
        for layer in self.encoder:
            h = f(layer(h))  # (N, H_l)
        return self.mu_layer(h), self.logvar_layer(h)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, *,
                       generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``z = mu + sigma * eps``, ``eps ~ N(0, I)`` (N, K); ``generator``: a ``torch.Generator``,
        an int seed or None (torch's global RNG)."""
        eps = torch.randn(mu.shape, generator=as_generator(generator, mu.device), device=mu.device)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The logits of ``p(x | z)`` (N, D)."""
        return linear_on_top(z, self.decoder, ACTIVATIONS[self.activation])

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The Bernoulli means ``sigmoid(dec(z))`` (N, D)."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The mean reconstruction ``decode(mu(x))`` (N, D)."""
        return self.decode(self.encode(x)[0])

    def elbo(self, x: torch.Tensor, *, n_samples: int = 1,
             generator: torch.Generator | int | None = None) -> torch.Tensor:
        """ELBO per example (N,) in nats: ``n_samples``-sample estimate of the expected
        log-likelihood, the KL term in closed form (differentiable); ``generator``: a
        ``torch.Generator``, an int seed or None (torch's global RNG)."""
        generator = as_generator(generator, x.device)  # one stream for all the samples
        mu, logvar = self.encode(x)
        kl = 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(1)  # (N,)
        rec = 0.0
        for _ in range(n_samples):
            z = self.reparameterize(mu, logvar, generator=generator)
            rec = rec - F.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="none").sum(1)
        return rec / n_samples - kl

    def loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``-mean_n ELBO(x_n)`` (one reparameterised sample per example)."""
        return -self.elbo(batch[0]).mean()

    # -- use ----------------------------------------------------------------------------------------

    def _check(self, X: Any, name: str = "X") -> torch.Tensor:
        return check_unit_interval(check_X(X, self.n_features, name=name, device=model_device(self), dtype=model_dtype(self)), name)

    def transform(self, X: Any) -> torch.Tensor:
        """The posterior means ``mu(x)`` (N, K)."""
        self._check_fitted()
        with torch.no_grad():
            return self.encode(self._check(X))[0]

    def reconstruct(self, X: Any) -> torch.Tensor:
        """``decode(mu(x))`` (N, D)."""
        self._check_fitted()
        with torch.no_grad():
            return self(self._check(X))

    def sample(self, n: int, *, generator: torch.Generator | int | None = None) -> torch.Tensor:
        """``n`` draws ``x ~ p(x | z)`` as Bernoulli means, ``z ~ N(0, I)`` (n, D); ``generator``:
        a CPU ``torch.Generator``, an int seed or None (torch's global RNG). ``z`` is drawn on the
        CPU, so one seed gives the same samples on every device."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self._check_fitted()
        z = torch.randn((n, self.latent), generator=as_generator(generator)).to(model_device(self))
        with torch.no_grad():
            return self.decode(z)

    def traverse(self, x: Any, *, dim: int = 0, steps: int = 9, span: float = 3.0) -> torch.Tensor:
        """Latent traversal: ``decode(mu(x) + t e_dim)`` for ``t`` in ``[-span, span]`` (steps, D)."""
        if not 0 <= dim < self.latent:
            raise ValueError(f"dim must lie in [0, {self.latent - 1}], got {dim}")
        self._check_fitted()
        with torch.no_grad():
            mu = self.encode(self._check(x)[:1])[0]  # (1, K)
            t = torch.linspace(-span, span, steps, device=mu.device)
            z = mu.repeat(steps, 1)
            z[:, dim] = z[:, dim] + t
            return self.decode(z)

    def metrics(self, X: torch.Tensor, y: Any = None) -> dict[str, float]:
        with torch.no_grad():
            return {"loss": float(-self.elbo(X).mean())}

    def evaluate(self, X: Any, y: Any = None, *, generator: torch.Generator | int | None = 0) -> dict[str, float]:
        """Held-out ``elbo`` (nats per image, 10 samples drawn from ``generator``: a
        ``torch.Generator``, an int seed, 0 by default, or None) and ``squared_error`` per image."""
        X = self._check(X)
        self._check_fitted()
        with torch.no_grad():
            elbo = float(self.elbo(X, n_samples=10, generator=as_generator(generator, X.device)).mean())
            err = float(((self(X) - X) ** 2).sum(1).mean())
        return {"elbo": elbo, "squared_error": err}

    def _fit_data(self, X: Any, y: Any) -> tuple[torch.Tensor]:
        return (check_unit_interval(check_X(X, self.n_features)),)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, latent={self.latent}, params={count_parameters(self):,}"
