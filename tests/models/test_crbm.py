"""Convolutional RBM and DBN: the conditionals against the equivalent fully-connected RBM with tied,
unrolled weights; probabilistic max-pooling against enumeration of every allowed hidden state; the
CD gradient against the unrolled RBM's statistics; the greedy stack."""

from __future__ import annotations

import itertools

import pytest
import torch

import neuralzoo as nz
from neuralzoo.models.crbm import ConvDBN, ConvRBM


def _model(shape=(2, 5, 4), K=2, NW=3, C=1, seed=0, **kw) -> ConvRBM:
    m = ConvRBM(shape, n_filters=K, filter_size=NW, pool_size=C, **kw).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # weights large enough for the conditionals to differ from 1/2
        m.W.copy_(torch.randn(m.W.shape, generator=g, dtype=torch.float64))
        m.a.copy_(torch.randn(m.a.shape, generator=g, dtype=torch.float64))
        m.b.copy_(torch.randn(m.b.shape, generator=g, dtype=torch.float64))
    return m


def _unrolled(m: ConvRBM) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(W_full (D, K NH NH'), b_full (D,), a_full (K NH NH',))`` by explicit loops: hidden unit
    (k, i, j) sees visible (l, i + s, j + t) through W[k, l, s, t] (tied across positions)."""
    L, H, W = m.input_shape
    K, NH, NHW = m.hidden_shape
    NW = m.filter_size
    Wf = torch.zeros(L, H, W, K, NH, NHW, dtype=torch.float64)
    for k, l, s, t, i, j in itertools.product(range(K), range(L), range(NW), range(NW), range(NH), range(NHW)):
        Wf[l, i + s, j + t, k, i, j] = m.W[k, l, s, t].detach()
    b = m.b.detach()[:, None, None].expand(L, H, W).reshape(-1)
    a = m.a.detach()[:, None, None].expand(K, NH, NHW).reshape(-1)
    return Wf.reshape(L * H * W, -1), b, a


def _blocks(m: ConvRBM) -> list[list[int]]:
    """The flat hidden indices of every pooling block (incomplete blocks at the edges included)."""
    K, NH, NHW = m.hidden_shape
    C = m.pool_size
    out = []
    for k in range(K):
        for bi in range(0, NH, C):
            for bj in range(0, NHW, C):
                out.append([k * NH * NHW + i * NHW + j for i in range(bi, min(bi + C, NH))
                            for j in range(bj, min(bj + C, NHW))])
    return out


def _allowed_states(m: ConvRBM) -> torch.Tensor:
    """Every hidden state with at most one unit on per block (S, K NH NH'), by enumeration."""
    n = m.hidden_shape[0] * m.hidden_shape[1] * m.hidden_shape[2]
    states = torch.zeros(1, n, dtype=torch.float64)
    for blk in _blocks(m):  # each block: all off, or one of its units on
        options = torch.zeros(len(blk) + 1, n, dtype=torch.float64)
        options[torch.arange(1, len(blk) + 1), blk] = 1.0
        states = (states[:, None, :] + options[None]).reshape(-1, n)
    return states


def _brute_force(m: ConvRBM, v: torch.Tensor):
    """``P(h = 1 | v)`` (N, n), ``P(block off | v)`` (N, n_blocks) and ``F(v)`` (N,) from the unrolled
    energy over every allowed hidden state."""
    Wf, b, a = _unrolled(m)
    S = _allowed_states(m)  # (S, n)
    neg_E = v @ Wf @ S.T + (S @ a)[None] + (v @ b)[:, None]  # (N, S)
    p = torch.softmax(neg_E, 1)
    off = torch.stack([p[:, S[:, blk].sum(1) == 0].sum(1) for blk in _blocks(m)], 1)
    return p @ S, off, -torch.logsumexp(neg_E, 1)


def _rows(m: ConvRBM, n: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.bernoulli(torch.full((n, m.n_features), 0.5, dtype=torch.float64), generator=g)


def test_conditionals_and_energy_equal_the_unrolled_rbm():
    m = _model(C=1)  # no pooling: exactly an RBM with tied weights
    Wf, b, a = _unrolled(m)
    v = _rows(m, 6)
    h = torch.bernoulli(torch.full((6, Wf.shape[1]), 0.4, dtype=torch.float64), generator=torch.Generator().manual_seed(2))
    maps = h.view(6, *m.hidden_shape)
    assert torch.allclose(m.energy(v, maps), -((v @ Wf) * h).sum(1) - h @ a - v @ b)
    assert torch.allclose(m.p_h_given_v(v).reshape(6, -1), torch.sigmoid(v @ Wf + a))
    assert torch.allclose(m.p_v_given_h(maps), torch.sigmoid(h @ Wf.T + b))
    assert torch.allclose(m.free_energy(v), -(v @ b) - torch.nn.functional.softplus(v @ Wf + a).sum(1))


@pytest.mark.parametrize("shape,K", [((1, 4, 5), 2), ((2, 4, 4), 1)])
def test_probabilistic_max_pooling_against_enumeration_of_allowed_states(shape, K):
    # NH x NH' = 3x4 and 3x3 with C = 2: full blocks and incomplete ones at the edges
    m = _model(shape=shape, K=K, NW=2, C=2)
    v = _rows(m, 5)
    p_h, p_off, free = _brute_force(m, v)
    assert torch.allclose(m.p_h_given_v(v).reshape(5, -1), p_h)
    assert torch.allclose(m.p_pool_given_v(v).reshape(5, -1), 1 - p_off)
    assert torch.allclose(m.free_energy(v), free)
    # the energy of every allowed state is the unrolled RBM's
    Wf, b, a = _unrolled(m)
    S = _allowed_states(m)[:7]
    vv = v[:1].expand(len(S), -1)
    assert torch.allclose(m.energy(vv, S.view(len(S), *m.hidden_shape)), -((vv @ Wf) * S).sum(1) - S @ a - vv @ b)


def test_block_samples_have_one_unit_on_at_most_and_the_enumerated_marginals():
    m = _model(shape=(1, 4, 5), K=1, NW=2, C=2)
    v = _rows(m, 1).expand(20000, -1)
    _, h = m.sample_h(v, generator=0)
    h = h.reshape(len(h), -1)
    for blk in _blocks(m):
        assert int(h[:, blk].sum(1).max()) <= 1
    p_h, _, _ = _brute_force(m, v[:1])
    assert torch.allclose(h.mean(0), p_h[0], atol=0.015)  # 20,000 draws: std <= 0.0036


def test_cd_gradient_equals_the_unrolled_rbms_statistics_tied():
    m = _model(shape=(1, 4, 5), K=2, NW=2, C=2)
    v0, vm = _rows(m, 4, seed=3), _rows(m, 4, seed=4)
    loss = m.surrogate(v0.view(-1, *m.input_shape), vm.view(-1, *m.input_shape))
    loss.backward()
    p0, _, _ = _brute_force(m, v0)
    pm, _, _ = _brute_force(m, vm)
    scale = m.hidden_shape[1] * m.hidden_shape[2]
    # -dL/dW_full = (<v p(h|v)>_data - <v p(h|v)>_model) / (NH NH'), then summed over the tied entries
    G = -(v0.T @ p0 - vm.T @ pm) / len(v0) / scale  # (D, n)
    L, H, W = m.input_shape
    K, NH, NHW = m.hidden_shape
    G = G.view(L, H, W, K, NH, NHW)
    expect = torch.zeros_like(m.W)
    for k, l, s, t in itertools.product(range(K), range(L), range(m.filter_size), range(m.filter_size)):
        expect[k, l, s, t] = sum(G[l, i + s, j + t, k, i, j] for i in range(NH) for j in range(NHW))
    assert torch.allclose(m.W.grad, expect)
    assert torch.allclose(m.a.grad, -(p0 - pm).view(-1, K, NH * NHW).sum(2).mean(0) / scale)
    assert torch.allclose(m.b.grad, -(v0 - vm).view(-1, L, H * W).sum(2).mean(0) / scale)


def test_fused_and_reference_convolutions_agree_with_gradients():
    fused = _model(shape=(2, 6, 6), K=3, NW=3, C=2)
    ref = _model(shape=(2, 6, 6), K=3, NW=3, C=2, ops="reference")
    v0, vm = _rows(fused, 4, 5).view(-1, 2, 6, 6), _rows(fused, 4, 6).view(-1, 2, 6, 6)
    for m in (fused, ref):
        m.surrogate(v0, vm).backward()
    h = fused.p_h_given_v(v0)
    assert torch.allclose(fused.p_v_given_h(h), ref.p_v_given_h(h))
    for p, q in zip(fused.parameters(), ref.parameters()):
        assert torch.allclose(p.grad, q.grad)


def test_training_lowers_reconstruction_error_and_sparsity_pulls_to_target(digits_train):
    X, _ = digits_train
    X = (X[:400] > 0.5).float()
    fresh = ConvRBM((1, 8, 8), n_filters=8, filter_size=3)
    sparse = ConvRBM((1, 8, 8), n_filters=8, filter_size=3, sparsity_target=0.02, sparsity_cost=5.0)
    dense = ConvRBM((1, 8, 8), n_filters=8, filter_size=3, sparsity_cost=0.0)
    for m in (sparse, dense):
        m.fit(X, epochs=5, seed=0, progress=False)
    fresh.start_from_data(X, 0)
    fresh._fitted = True
    assert dense.evaluate(X)["reconstruction_error"] < fresh.evaluate(X)["reconstruction_error"] - 0.02
    a_s, a_d = sparse.evaluate(X)["mean_activation"], dense.evaluate(X)["mean_activation"]
    assert abs(a_s - 0.02) < abs(a_d - 0.02) and a_s < 0.06


def test_cdbn_stacks_pooled_maps_greedily(digits_train, tmp_path):
    X, _ = digits_train
    X = (X[:150] > 0.5).float()
    cdbn = ConvDBN((1, 8, 8), n_filters=[4, 6], filter_size=[3, 2]).fit(
        X, epochs=1, seed=0, progress=False, out=tmp_path / "run")
    l1, l2 = cdbn.layers
    assert l2.input_shape == l1.pooled_shape == (4, 3, 3) and l2.pooled_shape == (6, 1, 1)
    assert [r["stage"] for r in cdbn.history_] == ["crbm1", "crbm2"]
    assert (tmp_path / "run" / "stages" / "crbm2").is_dir()
    # layer 2 trained on layer 1's pooled probabilities: its data_mean is their mean
    assert torch.allclose(l2.data_mean, l1.transform(X).mean(0), atol=1e-5)
    both = cdbn.transform(X[:3], layer=None)
    assert torch.equal(both, torch.cat([l1.transform(X[:3]), l2.transform(l1.transform(X[:3]))], 1))
    assert torch.equal(nz.load(tmp_path / "run").transform(X[:3]), cdbn.transform(X[:3]))


def test_bad_input_says_what_was_expected():
    m = ConvRBM((1, 8, 8), n_filters=2, filter_size=3)
    with pytest.raises(ValueError, match="filter_size 9 is larger than the 8x8"):
        ConvRBM((1, 8, 8), filter_size=9)
    with pytest.raises(ValueError, match="expected 64"):
        m.fit(torch.rand(5, 63), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"\[0, 1\]|outside"):
        m.fit(torch.rand(5, 64) * 3, epochs=1, progress=False)
    with pytest.raises(ValueError, match="layer 2: filter_size 3 is larger than its 2x2"):
        ConvDBN((1, 8, 8), n_filters=[2, 2], filter_size=[5, 3])
    with pytest.raises(nz.NotFittedError):
        m.transform(torch.rand(2, 64))
