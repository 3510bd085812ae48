"""BoltzmannMachine: the exact rule against finite differences and enumeration, sampled vs exact
learning, symmetry, temperature, clamping, checkpoints and error messages."""

from __future__ import annotations

import inspect
import itertools
import json

import pytest
import torch

import neuralzoo
from neuralzoo.config import hyperparameters
from neuralzoo.energy import exact
from neuralzoo.models.boltzmann import BoltzmannMachine, encoder_mask
from neuralzoo.train import checkpoint as ckpt


def brute_states(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def machine(D: int = 3, H: int = 2, T: float = 1.0, seed: int = 0, **kw) -> BoltzmannMachine:
    torch.manual_seed(seed)
    bm = BoltzmannMachine(D, H, temperature=T, init_std=0.7, **kw).double()
    with torch.no_grad():
        bm.b.normal_(0, 0.5)
    bm._fitted = True  # parameters given by hand
    return bm


V = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)


@pytest.mark.parametrize("T", [1.0, 2.0])
def test_exact_gradient_is_finite_difference_and_the_boltzmann_rule(T):
    bm = machine(T=T, method="exact")
    loss = bm.loss((V,))
    loss.backward()
    gA, gb = bm.A.grad.clone(), bm.b.grad.clone()
    # (a) central finite differences of the exact -mean log p(v), float64
    eps = 1e-6
    fd = torch.zeros_like(gA)
    with torch.no_grad():
        for i, j in itertools.combinations(range(5), 2):
            bm.A[i, j] += eps
            up = float(bm.loss((V,)))
            bm.A[i, j] -= 2 * eps
            down = float(bm.loss((V,)))
            bm.A[i, j] += eps
            fd[i, j] = (up - down) / (2 * eps)
    assert torch.allclose(gA, fd, atol=1e-7)
    assert torch.equal(gA.tril(), torch.zeros_like(gA))  # only the upper triangle is a parameter
    # (b) -(<s_i s_j>_clamped - <s_i s_j>_free) / T, by explicit enumeration of all 2^5 states
    W, b = bm.W.detach(), bm.b.detach()
    s = brute_states(5)
    logw = (0.5 * ((s @ W) * s).sum(1) + s @ b) / T
    p = torch.softmax(logw, 0)
    free = (s * p[:, None]).T @ s
    clamped = torch.zeros(5, 5, dtype=torch.float64)
    for v in V:
        q = torch.softmax(logw.masked_fill(~(s[:, :3] == v).all(1), -torch.inf), 0)
        clamped += (s * q[:, None]).T @ s / len(V)
    rule = -(clamped - free) / T
    assert torch.allclose(gA.triu(1), rule.triu(1), atol=1e-10)
    assert torch.allclose(gb, rule.diagonal(), atol=1e-10)
    # and the library's own statistics agree
    ss_c, _ = exact.bm_clamped_statistics(W, b, V, T)
    ss_f, _ = exact.bm_free_statistics(W, b, T)
    assert torch.allclose(ss_c - ss_f, clamped - free, atol=1e-10)


def test_sampled_gradient_estimates_the_exact_one():
    bm = machine(method="gibbs", n_chains=20000, k=20)
    bm.chains.copy_(torch.randint(0, 2, bm.chains.shape).double())
    Vb = V.repeat(2000, 1)  # many clamped chains per data row
    torch.manual_seed(0)
    bm.loss((Vb,)).backward()
    g_sampled = bm.A.grad.triu(1).clone()
    bm.A.grad = None
    bm.method = "exact"
    bm.loss((V,)).backward()
    assert torch.allclose(g_sampled, bm.A.grad.triu(1), atol=0.02)


def test_sampled_rule_learns_what_the_exact_rule_learns():
    g = torch.Generator().manual_seed(0)
    protos = torch.tensor([[1.0, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]])
    X = protos[torch.randint(0, 3, (300,), generator=g)]
    X = torch.where(torch.rand(X.shape, generator=g) < 0.05, 1 - X, X)  # 5% noise
    opts = dict(epochs=150, batch_size=300, lr=0.05, seed=0, progress=False)
    ex = BoltzmannMachine(4, 2, method="exact").fit(X, **opts)
    gi = BoltzmannMachine(4, 2, method="gibbs", k=3, n_chains=1000).fit(X, **opts)
    p_ex = ex.log_likelihood(brute_states(4)).exp()
    p_gi = gi.log_likelihood(brute_states(4)).exp()
    tv = 0.5 * float((p_ex - p_gi).abs().sum())
    nll_ex, nll_gi = -float(ex.log_likelihood(X).mean()), -float(gi.log_likelihood(X).mean())
    assert tv < 0.1
    assert abs(nll_ex - nll_gi) < 0.1
    untrained = BoltzmannMachine(4, 2)
    untrained._fitted = True  # its initial parameters, as a baseline
    assert nll_gi < -float(untrained.log_likelihood(X).mean()) - 0.5  # it did learn


@pytest.mark.parametrize("method", ["exact", "gibbs"])
def test_weights_stay_symmetric_with_zero_diagonal_and_mask(method):
    M = encoder_mask(2, 2)
    X = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])
    bm = BoltzmannMachine(4, 2, method=method, mask=M, init_std=0.5, n_chains=50)
    bm.fit(X, epochs=20, batch_size=2, lr=0.1, progress=False)
    W = bm.W
    assert torch.equal(W, W.T) and torch.equal(W.diagonal(), torch.zeros(6))
    assert torch.equal(W[M == 0], torch.zeros(int((M == 0).sum())))
    assert torch.equal(M[:2, 2:4], torch.zeros(2, 2)) and torch.equal(M[4:, 4:], torch.zeros(2, 2))
    assert bool((W[M == 1] != 0).all())


def test_temperature_scales_the_field():
    bm = machine(T=2.0)
    s = brute_states(5)
    u = s @ bm.W + bm.b
    assert torch.allclose(bm.p_s_given_rest(s), torch.sigmoid(u / 2))
    cold = machine(T=1.0)  # same seed: same W, b
    with torch.no_grad():
        cold.A.mul_(0.5)
        cold.b.mul_(0.5)
    v = brute_states(3)
    assert torch.allclose(bm.log_likelihood(v), cold.log_likelihood(v), atol=1e-12)


def test_annealing_runs_in_training_and_sampling():
    X = torch.tensor([[1.0, 1, 0, 0], [0, 0, 1, 1]]).repeat(10, 1)
    bm = BoltzmannMachine(4, 2, anneal=[4.0, 2.0], k=2, n_chains=20)
    bm.fit(X, epochs=3, batch_size=10, progress=False)
    s = bm.sample(7, steps=5, anneal=[8.0, 4.0, 2.0], generator=torch.Generator().manual_seed(0))
    assert s.shape == (7, 4) and set(s.unique().tolist()) <= {0.0, 1.0}
    s2 = bm.sample(7, steps=5, anneal=[8.0, 4.0, 2.0], generator=torch.Generator().manual_seed(0))
    assert torch.equal(s, s2)


def test_sample_runs_1000_sweeps_by_default_and_takes_its_options_by_keyword():
    bm = machine(D=3, H=2, seed=1).float()
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    assert inspect.signature(BoltzmannMachine.sample).parameters["steps"].default == 1000  # was 100
    assert torch.equal(bm.sample(6, generator=2), bm.sample(6, steps=1000, generator=G(2)))
    assert torch.equal(bm.sample(6, steps=5, generator=2, anneal=[4.0, 2.0]),
                       bm.sample(6, steps=5, generator=G(2), anneal=[4.0, 2.0]))
    with pytest.raises(TypeError):
        bm.sample(6, 100)  # steps is keyword-only
    with pytest.raises(TypeError, match="generator: expected a torch.Generator, an int seed or None, got str"):
        bm.sample(2, steps=1, generator="2")


def test_log_likelihood_method_and_log_z_are_keywords():
    bm = machine(D=3, H=2, seed=2)
    v = brute_states(3)
    assert torch.equal(bm.log_likelihood(v, method="exact"), bm.log_likelihood(v))
    assert torch.equal(bm.log_likelihood(v, log_z=bm.log_partition()), bm.log_likelihood(v))
    assert torch.equal(bm.log_likelihood(v, log_z=float(bm.log_partition())), bm.log_likelihood(v))
    with pytest.raises(TypeError):
        bm.log_likelihood(v, "exact")
    with pytest.raises(ValueError, match="method: expected one of 'exact', got 'ais'"):
        bm.log_likelihood(v, method="ais")


def test_completion_and_evaluate_take_an_int_seed_as_their_generator():
    big = machine(D=16, H=6, seed=3).float()  # 22 units: evaluate samples the completions
    X = (torch.rand(12, 16, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    known = torch.arange(16) < 8
    assert torch.equal(big.complete_proba(X, known, method="gibbs", steps=6, generator=1),
                       big.complete_proba(X, known, method="gibbs", steps=6, generator=G(1)))
    assert big.evaluate(X) == big.evaluate(X, generator=0) == big.evaluate(X, generator=G(0))
    assert big.completion_error(X, steps=6, generator=3) == big.completion_error(X, steps=6, generator=G(3))
    with pytest.raises(TypeError):
        big.evaluate(X, None, 0)


def test_gibbs_completion_agrees_with_exact_and_keeps_known_units():
    bm = machine(D=4, H=2, seed=3).float()
    v = torch.tensor([[1.0, 0, 0, 0], [0, 1, 1, 0]])
    known = torch.tensor([True, True, False, False])
    p_ex = bm.complete_proba(v, known, method="exact")
    p_gi = bm.complete_proba(v.repeat(500, 1), known, method="gibbs", steps=40,
                             generator=torch.Generator().manual_seed(0)).reshape(500, 2, 4).mean(0)
    assert torch.allclose(p_ex, p_gi, atol=0.05)
    filled = bm.complete(v, known)
    assert torch.equal(filled[:, :2], v[:, :2])


def test_checkpoint_carries_chains_and_mask(tmp_path):
    X = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])
    bm = BoltzmannMachine(4, 2, mask=encoder_mask(2, 2), n_chains=8).fit(X, epochs=2, progress=False)
    # the buffer M keeps neuralzoo 0.1's key "mask", in its place
    assert list(bm.state_dict()) == ["A", "b", "mask", "chains"]
    assert [name for name, _ in bm.named_buffers()] == ["M", "chains"]
    ckpt.save_weights(bm, tmp_path / "w.safetensors")
    again = BoltzmannMachine(**json.loads(json.dumps(bm.hparams)))
    assert torch.equal(again.M, encoder_mask(2, 2))
    ckpt.load_weights(again, tmp_path / "w.safetensors")
    assert torch.equal(again.chains, bm.chains) and torch.equal(again.W, bm.W)
    assert torch.equal(again.M, bm.M)
    plain = BoltzmannMachine(4, 2, n_chains=8)  # a checkpoint's mask is loaded into M
    plain.load_state_dict(bm.state_dict())
    assert torch.equal(plain.M, bm.M) and plain.mask is None  # (the argument stays as given)


def test_sizes_from_data_and_evaluate():
    bm = BoltzmannMachine(**BoltzmannMachine.sizes_from_data(4, 10), n_hidden=3, method="exact")
    assert (bm.n_features, bm.n_visible, bm.n_hidden, bm.method) == (4, 4, 3, "exact")
    assert BoltzmannMachine.data_defaults == {"binarize": "threshold"}
    X = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])
    bm._fitted = True  # its initial parameters
    out = bm.evaluate(X)
    assert out["nll"] == pytest.approx(-out["log_likelihood"]) and out["nll"] > 0
    big = BoltzmannMachine(24, 2)  # 26 units: the sampled measure
    big._fitted = True
    out = big.evaluate(torch.ones(3, 24))
    assert set(out) == {"completion_error", "completion_error_zeros"}
    assert out["completion_error_zeros"] == 1.0


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"exact enumeration of 2\^30 states is too large: expected n <= 24 "
                                         r"units; use Gibbs sampling \(method='gibbs'\)"):
        BoltzmannMachine(20, 10).fit(torch.zeros(4, 20), method="exact", progress=False)
    big = BoltzmannMachine(20, 10)
    big._fitted = True  # its initial parameters
    with pytest.raises(ValueError, match=r"2\^30 states is too large"):
        big.log_likelihood(torch.zeros(4, 20))
    with pytest.raises(ValueError, match=r"X.size\(-1\) must equal n_features: expected 4, got 5"):
        BoltzmannMachine(4, 1).fit(torch.zeros(3, 5), progress=False)
    with pytest.raises(ValueError, match=r"expected 0/1 data, got values in \[0, 0.5\]"):
        BoltzmannMachine(2, 1).fit(torch.tensor([[0.0, 0.5], [0.25, 0.0]]), progress=False)
    with pytest.raises(ValueError, match="method: expected one of 'exact', 'gibbs', got 'cd'"):
        BoltzmannMachine(2, 1, method="cd")
    with pytest.raises(ValueError, match=r"mask must have shape \(3, 3\)"):
        BoltzmannMachine(2, 1, mask=torch.ones(2, 2))


def test_get_params_round_trips_and_every_hyperparameter_is_documented():
    bm = BoltzmannMachine(4, 2, temperature=2.0, k=3, n_chains=7, anneal=(4, 2.0),
                          mask=encoder_mask(2, 2), init_std=0.1)
    params = bm.get_params()
    assert params == {"n_features": 4, "n_hidden": 2, "temperature": 2.0, "method": "gibbs", "k": 3,
                      "n_chains": 7, "anneal": [4.0, 2.0], "mask": encoder_mask(2, 2).int().tolist(),
                      "init_std": 0.1} == bm.hparams
    assert json.loads(json.dumps(params)) == params  # config.json holds it as it is
    assert type(bm)(**params).get_params() == params
    assert BoltzmannMachine(3).get_params()["mask"] is None
    assert BoltzmannMachine.sizes_from_data(64, 10) == {"n_features": 64}
    hyper = hyperparameters(BoltzmannMachine)
    assert "n_features" not in hyper and "n_visible" not in hyper
    for key, p in hyper.items():
        assert p.doc != "", f"BoltzmannMachine.{key} has no line in the Args: block"
        assert not p.required, f"BoltzmannMachine.{key} has no default"
    assert hyper["n_hidden"].default == 32  # `neuralzoo train boltzmann`'s H, as before
    with pytest.raises(TypeError):
        BoltzmannMachine(4, 2, 2.0)  # the temperature is keyword-only
    # fit's method and k overrides are kept, and read back
    X = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])
    bm = BoltzmannMachine(4, 2).fit(X, method="exact", k=2, epochs=1, progress=False)
    assert (bm.get_params()["method"], bm.get_params()["k"]) == ("exact", 2)


def test_train_help_lists_the_hyperparameters(run_cli):
    code, out, _ = run_cli("train", "boltzmann", "--help")
    assert code == 0
    for key in hyperparameters(BoltzmannMachine):
        assert key in out


def test_a_run_folder_of_neuralzoo_0_1_loads(tmp_path):
    """config.json of neuralzoo 0.1 (no "format" key): D was called n_visible."""
    old = {"n_visible": 4, "n_hidden": 2, "temperature": 1.0, "method": "gibbs", "k": 5,
           "n_chains": 8, "anneal": None, "mask": encoder_mask(2, 2).int().tolist(), "init_std": 0.01}
    new = BoltzmannMachine.upgrade_hparams(old)
    assert "n_visible" not in new and new["n_features"] == 4
    X = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])
    bm = BoltzmannMachine(**new).fit(X, epochs=3, lr=0.1, progress=False)
    ckpt.save_weights(bm, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": "boltzmann", "hparams": old}))
    again = neuralzoo.load(tmp_path)
    assert type(again) is BoltzmannMachine and again.get_params() == bm.get_params()
    assert torch.equal(again.M, bm.M) and torch.equal(again.chains, bm.chains)
    assert torch.equal(again.log_likelihood(X), bm.log_likelihood(X))
