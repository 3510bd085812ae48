"""The classification RBM against brute force: p(y|x) and F by enumerating h, the discriminative
gradient against the paper's closed form, the CD-1 gradient's expectation and the likelihood
gradient by enumerating (x, y, h), x ~ p(x|y) by enumeration, and the LabelRBM's p(y|x)."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

import neuralzoo as nz
from neuralzoo.models.rbm import ClassificationRBM, LabelRBM


def states(n: int) -> torch.Tensor:
    """All 2^n binary vectors (2^n, n), float64."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def tiny(D: int = 4, C: int = 3, H: int = 5, seed: int = 0, **kw) -> ClassificationRBM:
    torch.manual_seed(seed)
    m = ClassificationRBM(D, C, H, init_std=0.8, **kw).double()
    with torch.no_grad():
        for p in (m.b, m.a, m.d):
            p.normal_(0.0, 0.5)
    m._fitted = True
    return m


def joint_table(m: ClassificationRBM) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every (x, y) pair (S, D), (S,) and its unnormalised log p(x, y) = log sum_h exp(-E), by enumerating h."""
    xs, hs = states(m.n_features), states(m.n_hidden)
    X = xs.repeat_interleave(m.n_classes, 0)
    Y = torch.arange(m.n_classes).repeat(len(xs))
    E = torch.stack([m.energy(X, Y, h.expand(len(X), -1)) for h in hs], 1)  # (S, 2^H)
    return X, Y, torch.logsumexp(-E, 1)


def test_free_energy_and_p_y_given_x_by_enumerating_h():
    m = tiny()
    X, Y, log_pxy = joint_table(m)
    with torch.no_grad():
        assert torch.allclose(m.free_energy(X, Y), -log_pxy, atol=1e-10)
        brute = torch.softmax(log_pxy.view(-1, m.n_classes), 1)  # (2^D, C): p(y | x) for every x
        xs = X[::m.n_classes]
        assert torch.allclose(m.predict_proba(xs), brute, atol=1e-10)
        assert torch.equal(m.predict(xs), brute.argmax(1))
        # E[h | x] = sum_y p(y|x) p(h|x,y), the transform
        ph = torch.stack([m.p_h_given_xy(xs, torch.full((len(xs),), c)) for c in range(m.n_classes)], 1)
        assert torch.allclose(m.transform(xs), (brute[:, :, None] * ph).sum(1), atol=1e-10)


def test_p_y_given_x_equals_the_label_rbm_with_the_same_distribution():
    m = tiny(D=6, C=4, H=7)
    lab = LabelRBM(6, 4, 7).double()
    with torch.no_grad():
        lab.W.copy_(torch.cat([m.W, m.U]))  # visible [x, y]: W_label = [W; U]
        lab.b.copy_(torch.cat([m.b, m.d]))
        lab.a.copy_(m.a)
    x = states(6)
    assert torch.allclose(torch.softmax(lab.label_logits(x), 1), m.predict_proba(x), atol=1e-10)


def test_discriminative_gradient_against_the_closed_form():
    # Larochelle & Bengio eq. (6): with o_yj = a_j + U_yj + (x^T W)_j and p = p(.|x),
    # -dlog p(y|x)/dtheta = sum_j sig(o_yj) do_yj/dtheta - sum_y* p(y*) sum_j sig(o_y*j) do_y*j/dtheta (+ d terms)
    m = tiny(D=5, C=3, H=4, objective="discriminative")
    x = torch.bernoulli(torch.full((7, 5), 0.5, dtype=torch.float64), generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 2, 1, 0, 1])
    m.zero_grad()
    m.loss((x, y)).backward()
    with torch.no_grad():
        o = torch.addmm(m.a, x, m.W)[:, None, :] + m.U  # (N, C, H)
        p = torch.softmax(m.d + F.softplus(o).sum(2), 1)  # (N, C)
        e = F.one_hot(y, 3).double()
        g = (p - e)[:, :, None] * torch.sigmoid(o)  # (N, C, H): dL/do_cj per row
        N = len(x)
        expected = {"d": (p - e).sum(0) / N, "U": g.sum(0) / N, "a": g.sum((0, 1)) / N,
                    "W": x.T @ g.sum(1) / N, "b": torch.zeros(5, dtype=torch.float64)}
    for name, value in expected.items():
        grad = getattr(m, name).grad
        grad = torch.zeros_like(value) if grad is None else grad
        assert torch.allclose(grad, value, atol=1e-12), name


def _expected_free_energy_grads(m, X, Y, weights):
    """sum_s weights_s dF(x_s, y_s)/dtheta by autograd, one flat vector."""
    params = [m.W, m.U, m.b, m.a, m.d]
    g = torch.autograd.grad((weights * m.free_energy(X, Y)).sum(), params)
    return torch.cat([t.flatten() for t in g])


def _loss_grads(m, batch):
    params = [m.W, m.U, m.b, m.a, m.d]
    return torch.cat([t.flatten() for t in torch.autograd.grad(m.loss(batch), params)])


def test_cd1_gradient_expectation_against_enumeration():
    # E[grad of the CD-1 surrogate at (x, y)] = dF(x, y) - sum_{x', y'} q(x', y' | x, y) dF(x', y'),
    # q = sum_h p(h | x, y) p(x' | h) p(y' | h), every term enumerated
    m = tiny(D=3, C=2, H=3, objective="generative", k=1)
    x0, y0 = torch.tensor([[1.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([1])
    X, Y, _ = joint_table(m)
    hs = states(3)
    with torch.no_grad():
        ph = m.p_h_given_xy(x0, y0)[0]  # (H,)
        w_h = (hs * ph + (1 - hs) * (1 - ph)).prod(1)  # (2^H,) p(h | x0, y0)
        px, py = m.p_x_given_h(hs), m.p_y_given_h(hs)  # (2^H, D), (2^H, C)
        q = torch.stack([(w_h * (X[s] * px + (1 - X[s]) * (1 - px)).prod(1) * py[:, Y[s]]).sum()
                         for s in range(len(X))])
    assert float(q.sum()) == pytest.approx(1.0, abs=1e-12)
    exact = _expected_free_energy_grads(m, x0, y0, torch.ones(1)) - _expected_free_energy_grads(m, X, Y, q)
    torch.manual_seed(0)
    n = 200_000  # the batch mean over n chains from the same row is the Monte Carlo expectation
    mc = _loss_grads(m, (x0.expand(n, -1), y0.expand(n)))
    assert torch.allclose(mc, exact, atol=0.01), (mc - exact).abs().max()
    assert exact.abs().max() > 0.1  # not a vacuous comparison


def test_long_chains_give_the_exact_likelihood_gradient():
    # CD-k with large k on a tiny model: -d log p(x, y)/dtheta = dF(x, y) - E_p(x', y')[dF(x', y')]
    m = tiny(D=3, C=2, H=3, seed=3, objective="generative", k=30)
    with torch.no_grad():
        m.W.mul_(0.5)  # a well-mixing chain
    x0, y0 = torch.tensor([[0.0, 1.0, 1.0]], dtype=torch.float64), torch.tensor([0])
    X, Y, log_p = joint_table(m)
    p = torch.softmax(log_p, 0).detach()  # p(x', y') by enumeration: weights, not differentiated
    exact = _expected_free_energy_grads(m, x0, y0, torch.ones(1)) - _expected_free_energy_grads(m, X, Y, p)
    torch.manual_seed(1)
    mc = _loss_grads(m, (x0.expand(50_000, -1), y0.expand(50_000)))
    assert torch.allclose(mc, exact, atol=0.02), (mc - exact).abs().max()


def test_hybrid_loss_is_discriminative_plus_alpha_generative():
    m = tiny(objective="hybrid", alpha=0.3)
    x, y = states(4)[:6], torch.tensor([0, 1, 2, 0, 1, 2])
    torch.manual_seed(5)
    hybrid = m.loss((x, y))
    torch.manual_seed(5)
    parts = m.discriminative_loss(x, y) + 0.3 * m.generative_loss(x, y)
    assert float(hybrid) == pytest.approx(float(parts), abs=1e-12)


def test_sampling_x_given_y_matches_the_exact_conditional():
    m = tiny(D=3, C=2, H=3, seed=2)
    X, Y, log_p = joint_table(m)
    exact = torch.softmax(log_p[Y == 1], 0)  # p(x | y = 1) over the 8 x in order
    m.data_mean.fill_(0.5)
    x = m.sample(20_000, steps=20, generator=0, y=1)
    code = (x * torch.tensor([4.0, 2.0, 1.0], dtype=x.dtype)).sum(1).long()
    freq = torch.bincount(code, minlength=8).double() / len(code)
    assert 0.5 * (freq - exact).abs().sum() < 0.02  # total variation
    assert torch.equal(m.sample(5, steps=3, generator=7, y=[0, 1, 0, 1, 0]),
                       m.sample(5, steps=3, generator=7, y=[0, 1, 0, 1, 0]))


def test_fit_on_digits_every_objective_beats_chance_and_is_seeded():
    X, y = nz.datasets.load("digits", binarize="threshold")
    X, y = X[:600], y[:600]
    for objective in ("discriminative", "generative", "hybrid"):
        m = ClassificationRBM(64, 10, 32, objective=objective).fit(X, y, epochs=5, seed=0,
                                                                   progress=False)
        assert m.score(X, y) > 0.6, objective
    again = ClassificationRBM(64, 10, 32, objective="hybrid").fit(X, y, epochs=5, seed=0,
                                                                  progress=False)
    assert all(torch.equal(p, q) for p, q in zip(m.parameters(), again.parameters()))


def test_bad_input_says_what_was_expected():
    with pytest.raises(ValueError, match="objective"):
        ClassificationRBM(4, 2, objective="contrastive")
    with pytest.raises(ValueError, match="n_classes >= 2"):
        ClassificationRBM(4, 1)
    m = ClassificationRBM(4, 2, 3)
    with pytest.raises(ValueError, match="needs labels"):
        m.fit(torch.zeros(5, 4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m.fit(torch.full((5, 4), 2.0), torch.zeros(5, dtype=torch.long))
    with pytest.raises(nz.NotFittedError):
        m.predict(torch.zeros(2, 4))
