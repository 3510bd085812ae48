"""The arithmetic of scikit-learn's ``BaseMultilayerPerceptron`` in PyTorch: activations, losses,
back-propagation into a flat gradient, and its SGD and Adam optimizers on flat tensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ._common import _numpy, _tensor

if TYPE_CHECKING:
    from .mlp import _BaseMLP


def _activate(z: torch.Tensor, name: str) -> torch.Tensor:
    """scikit-learn's ``ACTIVATIONS[name]`` in place (softmax into a new tensor)."""
    if name == "relu":
        return z.clamp_min_(0)
    if name == "tanh":
        return z.tanh_()
    if name == "logistic":
        return z.sigmoid_()
    if name == "exp":
        return z.exp_()
    if name == "softmax":  # written out: twice as fast as torch.softmax on small float64 rows
        z = z.sub_(z.amax(1, keepdim=True)).exp_()
        return z.div_(z.sum(1, keepdim=True))
    return z  # identity


def _derivative(a: torch.Tensor, delta: torch.Tensor, name: str) -> torch.Tensor:
    """``delta * f'(z)``, written with the activation ``a = f(z)`` (scikit-learn's ``DERIVATIVES``)."""
    if name == "relu":  # delta[a == 0] = 0, as one kernel (a >= 0)
        return torch.ops.aten.threshold_backward(delta, a, 0)
    if name == "tanh":
        return delta.mul_(1 - a * a)
    if name == "logistic":
        return delta.mul_(a * (1 - a))
    return delta  # identity


def _loss(name: str, y: torch.Tensor, p: torch.Tensor, sw: torch.Tensor | None) -> torch.Tensor:
    """scikit-learn's ``LOSS_FUNCTIONS[name](y, p, sample_weight)`` (a 0-d tensor)."""
    if name in ("log_loss", "binary_log_loss"):
        eps = torch.finfo(p.dtype).eps
        p = p.clamp(eps, 1 - eps)
        if name == "log_loss":  # softmax: -sum_k y_k log p_k per row
            per = torch.xlogy(y, p).neg_()
        else:  # logistic outputs, each a two-class log-loss
            per = (torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)).neg_()
    elif name == "squared_error":  # half the squared error, averaged over the outputs too
        per = (y - p).square_().mul_(0.5 / y.shape[1])
    else:  # poisson: half the deviance
        per = torch.xlogy(y, y / p) - y + p
    # the (weighted) average over the rows of the per-row sum over the outputs
    return per.sum().div_(y.shape[0]) if sw is None else (sw @ per).sum().div_(sw.sum())


def _layers(flat: torch.Tensor, units: list[int]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Views of ``flat`` as the weights (fan_in, fan_out), then the biases (fan_out,): scikit-learn's ``_pack`` order."""
    Ws, bs, i = [], [], 0
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        Ws.append(flat[i:i + fan_in * fan_out].view(fan_in, fan_out))
        i += fan_in * fan_out
    for fan_out in units[1:]:
        bs.append(flat[i:i + fan_out])
        i += fan_out
    return Ws, bs


def _forward(Ws: list[torch.Tensor], bs: list[torch.Tensor], x: torch.Tensor, hidden: str,
             out: str) -> list[torch.Tensor]:
    """The activations ``[x, h^(1), ..., y_hat]``: ``h^(l) = f(h^(l-1) W^(l) + b^(l))``, the output's own ``f``."""
    acts = [x]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        acts.append(_activate(torch.addmm(b, acts[-1], W), hidden if i < len(Ws) - 1 else out))
    return acts


class _Net:
    """The parameters of a fit as one flat tensor ``theta`` (and its gradient), with the layer views,
    and scikit-learn's ``_backprop``: the loss and its gradient written into ``grad``."""

    def __init__(self, est: _BaseMLP, device: torch.device) -> None:
        flat = np.concatenate([a.ravel() for a in est.coefs_ + est.intercepts_])
        self.units = [est.coefs_[0].shape[0]] + [b.shape[0] for b in est.intercepts_]
        self.theta = _tensor(flat, device)
        self.grad = torch.empty_like(self.theta)
        self.Ws, self.bs = _layers(self.theta, self.units)
        gWs, gbs = _layers(self.grad, self.units)
        # per layer, last first: W, W^T, dL/dW, dL/db, and whether it narrows (fan_out < fan_in)
        self.backward = [(W, W.T, gW, gb, W.shape[1] < W.shape[0])
                         for W, gW, gb in reversed(list(zip(self.Ws, gWs, gbs)))]
        self.weights = self.theta[:sum(W.numel() for W in self.Ws)]  # every W^(l), flat: the L2 term
        self.hidden, self.out, self.alpha = est.activation, est.out_activation_, float(est.alpha)
        loss = est.loss
        self.loss_name = "binary_log_loss" if loss == "log_loss" and self.out == "logistic" else loss

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return _forward(self.Ws, self.bs, x, self.hidden, self.out)[-1]

    def backprop(self, x: torch.Tensor, y: torch.Tensor, sw: torch.Tensor | None) -> torch.Tensor:
        """The loss ``L + alpha/2 ||W||^2 / n`` (0-d) of rows ``x`` with targets ``y``; its gradient
        lands in ``grad``. ``n`` is the number of rows or the sum of their weights ``sw``."""
        with torch.no_grad():
            acts = _forward(self.Ws, self.bs, x, self.hidden, self.out)
            n = x.shape[0] if sw is None else float(sw.sum())
            loss = _loss(self.loss_name, y, acts[-1], sw).add_(self.weights.dot(self.weights),
                                                               alpha=0.5 * self.alpha / n)
            # the output layer's delta is y_hat - y for each of scikit-learn's (link, loss) pairs,
            # scaled by 1/n here once (every later delta is linear in it); y_hat is not needed again
            delta = acts[-1].sub_(y).div_(n) if sw is None else acts[-1].sub_(y).mul_(sw[:, None] / n)
            for i, (W, WT, gW, gb, narrowing) in zip(range(len(self.Ws) - 1, -1, -1), self.backward):
                # dL/dW^(l) = (h^(l-1)^T delta + alpha W^(l)) / n,  dL/db^(l) = sum_rows delta / n
                if narrowing:  # BLAS is faster with the wide side as the rows of the product
                    torch.add(torch.mm(delta.T, acts[i]).T, W, alpha=self.alpha / n, out=gW)
                else:
                    torch.addmm(W, acts[i].T, delta, beta=self.alpha / n, out=gW)
                torch.sum(delta, 0, out=gb)
                if i > 0:
                    delta = _derivative(acts[i], torch.mm(delta, WT), self.hidden)
            return loss

    def store(self, est: _BaseMLP) -> None:
        """``coefs_`` and ``intercepts_`` as NumPy views of ``theta`` (on the CPU: the same memory)."""
        Ws, bs = _layers(torch.from_numpy(_numpy(self.theta)), self.units)
        est.coefs_, est.intercepts_ = [W.numpy() for W in Ws], [b.numpy() for b in bs]


class _SGD:
    """scikit-learn's ``SGDOptimizer`` on a flat parameter tensor: momentum (Nesterov's or plain),
    the ``constant``, ``invscaling`` and ``adaptive`` learning rates."""

    def __init__(self, theta: torch.Tensor, est: _BaseMLP) -> None:
        self.learning_rate_init = self.learning_rate = float(est.learning_rate_init)
        self.lr_schedule, self.power_t = est.learning_rate, est.power_t
        self.momentum, self.nesterov = est.momentum, est.nesterovs_momentum
        self.velocity = torch.zeros_like(theta)

    def update(self, theta: torch.Tensor, grad: torch.Tensor) -> None:
        self.velocity.mul_(self.momentum).sub_(grad, alpha=self.learning_rate)
        if self.nesterov:
            theta.add_(self.velocity, alpha=self.momentum).sub_(grad, alpha=self.learning_rate)
        else:
            theta.add_(self.velocity)

    def iteration_ends(self, time_step: int) -> None:
        if self.lr_schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(f"{msg} Setting learning rate to {self.learning_rate:f}")
        return False


class _Adam(_SGD):
    """scikit-learn's ``AdamOptimizer``: ``theta -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)``."""

    def __init__(self, theta: torch.Tensor, est: _BaseMLP) -> None:
        self.learning_rate_init = self.learning_rate = float(est.learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = est.beta_1, est.beta_2, est.epsilon
        self.t = 0
        self.m, self.v, self.denom = torch.zeros_like(theta), torch.zeros_like(theta), torch.empty_like(theta)
        self.step = torch.zeros((), dtype=theta.dtype, device=theta.device)
        self.fused = hasattr(torch, "_fused_adam_")

    def update(self, theta: torch.Tensor, grad: torch.Tensor) -> None:
        self.t += 1
        self.learning_rate = (self.learning_rate_init * np.sqrt(1 - self.beta_2**self.t)
                              / (1 - self.beta_1**self.t))
        if self.fused:  # PyTorch's one-kernel Adam, whose eps is added after the bias correction of
            # sqrt(v): eps sqrt(1 - b2^t) there is scikit-learn's eps added before it
            try:
                self.step.fill_(self.t)
                torch._fused_adam_([theta], [grad], [self.m], [self.v], [], [self.step], lr=self.learning_rate_init,
                                   beta1=self.beta_1, beta2=self.beta_2, weight_decay=0.0, amsgrad=False,
                                   eps=self.epsilon / np.sqrt(1 - self.beta_2**self.t), maximize=False)
                return
            except (RuntimeError, TypeError, NotImplementedError):  # an older PyTorch: no fused Adam here
                self.fused = False
        self.m.lerp_(grad, 1 - self.beta_1)  # beta_1 m + (1 - beta_1) g
        self.v.mul_(self.beta_2).addcmul_(grad, grad, value=1 - self.beta_2)
        theta.addcdiv_(self.m, torch.sqrt(self.v, out=self.denom).add_(self.epsilon), value=-self.learning_rate)

    def iteration_ends(self, time_step: int) -> None:
        pass

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        if verbose:
            print(msg + " Stopping.")
        return True

