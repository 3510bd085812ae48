"""Hopfield networks: energy descent, storage rules against their formulas, dynamics, I/O."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralzoo
from neuralzoo.config import hyperparameters
from neuralzoo.models import NotFittedError
from neuralzoo.models.hopfield.continuous import ContinuousHopfield, ModernHopfield
from neuralzoo.models.hopfield.discrete import (
    Hopfield,
    RecallResult,
    find_spurious_state,
    flip,
    mask,
    storkey_weights,
)
from neuralzoo.train import checkpoint as ckpt


def random_patterns(p: int, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (p, n), generator=g).float() * 2 - 1  # (P, N) of -1/+1


# -- energy and dynamics ------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 9), seed=st.integers(0, 2**31 - 1))
def test_energy_never_increases_under_single_unit_updates(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    W = np.triu(A, 1) + np.triu(A, 1).T  # symmetric, zero diagonal
    hop = Hopfield(n).double().set_weights(W, rng.normal(size=n))
    x = torch.from_numpy(rng.choice([-1.0, 1.0], size=(3, n)))
    E = hop.energy(x)
    for i in rng.integers(0, n, size=4 * n):  # every single-unit update, in a random order
        x = hop.update_unit(x, int(i))
        E_new = hop.energy(x)
        assert (E_new <= E + 1e-9 * (1 + E.abs())).all()
        E = E_new


def test_async_recall_is_the_one_unit_at_a_time_rule():
    """The blocked sweep against the plain loop over units in the documented order."""
    n = 150  # more than one block of 64 units
    hop = Hopfield(n).store(random_patterns(12, n, 0))
    probes = flip(hop.patterns, 0.25, torch.Generator().manual_seed(1))
    got = hop.recall(probes, generator=5, max_sweeps=3)
    g = torch.Generator().manual_seed(5)
    x = probes.clone()
    for _ in range(3):
        fixed = hop.is_fixed_point(x)
        order = torch.randperm(n, generator=g).tolist()
        for i in order:
            x = torch.where(fixed[:, None], x, hop.update_unit(x, i))
    torch.testing.assert_close(got, x, rtol=0, atol=0)


def test_energy_trace_never_increases_and_ends_at_fixed_points():
    hop = Hopfield(100).store(random_patterns(10, 100, 2))
    probes = flip(hop.patterns, 0.3, torch.Generator().manual_seed(3))
    r = hop.recall(probes, generator=0, return_trace=True)
    assert isinstance(r, RecallResult)
    assert r.energies.shape == (10, r.sweeps + 1) and r.frames.shape == (r.sweeps + 1, 10, 100)
    assert (r.energies.diff(dim=1) <= 1e-4).all()
    assert r.converged.all() and not r.cycles.any()
    assert hop.is_fixed_point(r.states).all()
    torch.testing.assert_close(r.energies[:, -1], hop.energy(r.states))


def test_unscaled_hebbian_energy_of_the_reference_check():
    """REFERENCES.md: one pattern 1001100, W = x x^T zero diagonal: E = -21 and +3."""
    v = torch.tensor([[1.0, 0, 0, 1, 1, 0, 0]])
    hop = Hopfield(7, rule="hebbian", scaled=False).store(v)
    x = 2 * v - 1
    torch.testing.assert_close(hop.W, x.T @ x - torch.eye(7))
    assert hop.energy(v).item() == -21.0 and hop.energy(x).item() == -21.0
    assert hop.energy(torch.zeros(1, 7)).item() == 3.0  # all-zeros = all -1
    assert hop.energy(-torch.ones(7)).item() == 3.0  # one (N,) state -> a scalar


def test_stored_patterns_are_fixed_points_below_capacity():
    xi = random_patterns(5, 200, 0)  # P/N = 0.025, far below the Hebbian alpha_c = 0.138
    hop = Hopfield(200, rule="hebbian").store(xi)
    assert hop.is_fixed_point(xi).all()
    assert torch.equal(hop.recall(xi, generator=0), xi)


def test_recall_from_ten_percent_noise_at_low_load():
    xi = random_patterns(10, 200, 1)
    hop = Hopfield(200, rule="hebbian").store(xi)
    probes = flip(xi, 0.1, torch.Generator().manual_seed(0))
    assert int((probes != xi).sum(1).min()) == 20
    assert torch.equal(hop.recall(probes, generator=0), xi)
    assert torch.equal(hop.recall(probes, mode="sync"), xi)


def test_sync_mode_detects_a_two_cycle():
    hop = Hopfield(2).set_weights([[0.0, 1.0], [1.0, 0.0]])
    r = hop.recall(torch.tensor([[1.0, -1.0], [1.0, 1.0]]), mode="sync", return_trace=True)
    assert r.cycles.tolist() == [True, False] and r.converged.tolist() == [False, True]
    assert r.frames[:, 0].tolist() == [[1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]]
    # asynchronously the same network settles: energy descent, no cycle
    r = hop.recall(torch.tensor([[1.0, -1.0]]), mode="async", generator=0, return_trace=True)
    assert r.converged.all() and hop.is_fixed_point(r.states).all()


def test_ties_keep_the_current_state():
    # h_0 = w_01 x_1 + w_02 x_2 = 1 - 1 = 0 for x_1 = 1, x_2 = -1
    hop = Hopfield(3).set_weights([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    x = torch.tensor([[1.0, 1.0, -1.0], [-1.0, 1.0, -1.0]])
    assert torch.equal(hop.update_unit(x, 0), x)
    one_step = hop.recall(x, mode="sync", max_sweeps=1)
    assert torch.equal(one_step[:, 0], x[:, 0])  # unit 0 at a tie; units 1, 2 follow x_0
    assert torch.equal(one_step[:, 1:], x[:, :1].expand(2, 2))
    # 1/N-scaled Hebbian weights (not exact in float32): where the exact integer field
    # N h_i = sum_mu xi_i (xi . x) - P x_i is 0, the state keeps x_i, whatever x_i is
    xi = random_patterns(4, 31, 0)  # (N odd: with N even, N h_i = 2 mod 4 is never 0)
    hop = Hopfield(31, rule="hebbian").store(xi)
    x = random_patterns(200, 31, 1)
    exact = x.long() @ (xi.T.long() @ xi.long() - 4 * torch.eye(31, dtype=torch.long))  # N h
    rows, units = torch.nonzero(exact == 0, as_tuple=True)
    assert len(rows) > 50
    for r, i in zip(rows[:50].tolist(), units[:50].tolist()):
        for v in (-1.0, 1.0):
            y = x[r].clone()
            y[i] = v
            assert hop.update_unit(y, i)[i] == v


def test_async_same_seed_same_result_and_batch_equals_per_probe():
    xi = random_patterns(20, 120, 4)  # Hebbian alpha ~ 0.17: plenty of wrong bits, long paths
    hop = Hopfield(120, rule="hebbian").store(xi)
    probes = flip(xi, 0.2, torch.Generator().manual_seed(0))
    a = hop.recall(probes, generator=7)
    assert torch.equal(a, hop.recall(probes, generator=7))
    assert torch.equal(a, hop.recall(probes, generator=torch.Generator().manual_seed(7)))
    for k in range(len(probes)):
        assert torch.equal(hop.recall(probes[k], generator=7), a[k])


def test_recall_and_evaluate_take_a_keyword_only_generator():
    xi = random_patterns(10, 120, 2)
    hop = Hopfield(120).store(xi)
    probes = flip(xi, 0.3, torch.Generator().manual_seed(0))
    G = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    r = hop.recall(probes, generator=3, return_trace=True)
    assert torch.equal(r.frames, hop.recall(probes, generator=G(3), return_trace=True).frames)
    torch.manual_seed(1)
    a = hop.recall(probes)  # None: the orders come from a generator seeded by the global RNG
    torch.manual_seed(1)
    assert torch.equal(a, hop.recall(probes, generator=None))
    # evaluate: the flips and the recall's orders both start from the seed (as seed= did)
    for s in (0, 4):
        expected = hop.recall(flip(xi, 0.3, G(s)), generator=s)
        m = hop.evaluate(generator=s)
        assert m == hop.evaluate(generator=G(s))
        assert m["overlap"] == float(((expected * xi).sum(1) / 120).mean())
    assert hop.evaluate() == hop.evaluate(generator=0)  # the old seed=0 default
    with pytest.raises(TypeError):
        hop.recall(probes, "sync")  # mode is keyword-only
    with pytest.raises(TypeError):
        hop.recall(probes, seed=0)  # seed= seeds training only
    with pytest.raises(TypeError):
        hop.evaluate(None, None, 0.3)
    with pytest.raises(TypeError):
        hop.evaluate(seed=0)
    with pytest.raises(TypeError, match="generator: expected a torch.Generator, an int seed or None, got float"):
        hop.recall(probes, generator=1.5)


@pytest.mark.parametrize("cls", [ContinuousHopfield, ModernHopfield])
def test_graded_memories_take_the_generator_keyword_and_ignore_it(cls):
    xi = random_patterns(3, 60, 1)
    net = cls(60).store(xi)
    probes = flip(xi, 0.1, torch.Generator().manual_seed(0))
    assert torch.equal(net.recall(probes, generator=5), net.recall(probes))
    assert net.evaluate(generator=7) == net.evaluate(generator=torch.Generator().manual_seed(7))
    with pytest.raises(TypeError):
        net.recall(probes, seed=0)
    with pytest.raises(TypeError):
        net.recall(probes, None)
    with pytest.raises(TypeError, match="generator: expected"):
        net.recall(probes, generator="5")


# -- storage rules ------------------------------------------------------------------------------

def storkey_oracle(patterns: np.ndarray) -> np.ndarray:
    """Storkey 1997 written out: w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N, k != i, j."""
    p, n = patterns.shape
    W = np.zeros((n, n))
    for x in patterns:
        new = W.copy()
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                h_ij = sum(W[i, k] * x[k] for k in range(n) if k not in (i, j))
                h_ji = sum(W[j, k] * x[k] for k in range(n) if k not in (i, j))
                new[i, j] = W[i, j] + (x[i] * x[j] - x[i] * h_ji - h_ij * x[j]) / n
        W = new
    return W


def test_storkey_matches_the_triple_loop_formula():
    xi = np.array([[1, -1, 1, 1, -1], [1, 1, -1, 1, 1]], dtype=float)
    expected = storkey_oracle(xi)
    np.testing.assert_allclose(storkey_weights(torch.from_numpy(xi)).numpy(), expected, atol=1e-12)
    hop = Hopfield(5).double().store(xi, rule="storkey")
    np.testing.assert_allclose(hop.W.numpy(), expected, atol=1e-12)
    # incremental: one pattern, then the other, is the same sequential rule
    hop = Hopfield(5).double().store(xi[:1], rule="storkey").store(xi[1:], rule="storkey")
    np.testing.assert_allclose(hop.W.numpy(), expected, atol=1e-12)
    # and it is not the rule with the full local field (the trap of REFERENCES.md)
    assert not np.allclose(expected, storkey_full_field(xi))


def storkey_full_field(patterns: np.ndarray) -> np.ndarray:
    p, n = patterns.shape
    W = np.zeros((n, n))
    for x in patterns:
        h = W @ x
        W = W + (np.outer(x, x) - np.outer(x, h) - np.outer(h, x)) / n
        np.fill_diagonal(W, 0)
    return W


def test_incremental_hebbian_storage():
    a, b = random_patterns(3, 50, 0), random_patterns(4, 50, 1)
    one = Hopfield(50, rule="hebbian").store(a).store(b)
    both = Hopfield(50, rule="hebbian").store(torch.cat([a, b]))
    torch.testing.assert_close(one.W, both.W, rtol=0, atol=1e-6)
    torch.testing.assert_close(one.W, (torch.cat([a, b]).T @ torch.cat([a, b]) - 7 * torch.eye(50)) / 50)
    assert torch.equal(one.patterns, both.patterns) and one.hparams["n_stored"] == 7


def test_pseudo_inverse_stores_independent_patterns_exactly():
    for p in (50, 90):  # P/N = 0.5 and 0.9, far beyond Hebb's capacity
        xi = random_patterns(p, 100, p)
        hop = Hopfield(100, rule="pseudo-inverse").store(xi)
        assert hop.is_fixed_point(xi).all()
        assert torch.equal(hop.recall(xi, generator=0), xi)
        assert torch.equal(hop.W, hop.W.T) and not hop.W.diagonal().any()
    # incremental: recomputed from all stored patterns
    hop = Hopfield(100, rule="pseudo-inverse").store(xi[:40]).store(xi[40:])
    assert hop.is_fixed_point(xi).all()


# -- graded and modern networks -----------------------------------------------------------------

def test_continuous_hopfield_energy_is_a_lyapunov_function():
    rng = np.random.default_rng(0)
    n = 12
    A = rng.normal(size=(n, n)) / np.sqrt(n)
    for method in ("euler", "rk4"):
        net = ContinuousHopfield(n, gain=2.0, tau=1.0, dt=0.01, method=method, max_steps=400).double()
        net.set_weights(A + A.T, rng.normal(size=n) * 0.3)
        probes = torch.from_numpy(rng.choice([-1.0, 1.0], size=(4, n)))
        r = net.recall(probes, u0=torch.from_numpy(rng.normal(size=(4, n))), return_trace=True)
        assert r.sweeps > 10
        dE = r.energies.diff(dim=1)
        assert (dE <= 1e-10).all(), float(dE.max())
        assert r.energies[:, -1].lt(r.energies[:, 0]).all()


def test_continuous_hopfield_recalls_at_low_load():
    xi = random_patterns(5, 100, 0)
    net = ContinuousHopfield(100, rule="hebbian", gain=4.0).store(xi)
    probes = flip(xi, 0.1, torch.Generator().manual_seed(0))
    r = net.recall(probes, return_trace=True)
    assert torch.equal(r.states, xi) and r.converged.all()
    assert net.is_fixed_point(xi).all()
    # the energy at the binary corners: the integral term is ln 2 per unit
    E = net.energy(xi[:1])
    expected = -0.5 * (xi[:1] @ net.W @ xi[:1].T) + 100 * np.log(2) / 4.0
    torch.testing.assert_close(E, expected[0], rtol=1e-5, atol=1e-4)


def test_modern_hopfield_retrieves_beyond_hebbian_capacity():
    xi = random_patterns(50, 100, 0)  # P/N = 0.5: far past alpha_c = 0.138
    g = torch.Generator().manual_seed(1)
    probes = mask(xi, 0.4, generator=g)  # 40 units set to -1 each (about 20 wrong bits)
    modern = ModernHopfield(100, beta=1.0).store(xi)
    hebb = Hopfield(100, rule="hebbian").store(xi)
    got = modern.recall(probes)
    assert (got == xi).all(1).float().mean() >= 0.98
    assert (hebb.recall(probes, generator=0) == xi).all(1).float().mean() <= 0.2
    r = modern.recall(probes, return_trace=True)
    assert (r.energies.diff(dim=1) <= 1e-4).all()
    assert modern.is_fixed_point(xi).all()


# -- conventions, checkpoints, fit ----------------------------------------------------------------

def test_zero_one_round_trip():
    xi = random_patterns(4, 64, 0)
    v = (xi + 1) / 2
    for cls in (Hopfield, ContinuousHopfield, ModernHopfield):
        net = cls(64).store(v)
        assert torch.equal(net.patterns, xi)  # kept as -1/+1
        probes = flip(v, 0.1, torch.Generator().manual_seed(0))
        assert set(probes.unique().tolist()) == {0.0, 1.0}
        out = net.recall(probes)
        assert torch.equal(out, v)  # 0/1 in, 0/1 out
        assert torch.equal(net.recall(2 * probes - 1), xi)  # -1/+1 in, -1/+1 out


@pytest.mark.parametrize("cls", [Hopfield, ContinuousHopfield, ModernHopfield])
def test_state_dict_round_trip_rebuilds_an_identical_network(cls, tmp_path):
    xi = random_patterns(6, 80, 3)
    net = cls(80).store(xi[:4]).store(xi[4:])
    ckpt.save_weights(net, tmp_path / "model.safetensors")
    hparams = json.loads(json.dumps(net.hparams))  # as config.json holds them
    again = cls(**hparams)
    ckpt.load_weights(again, tmp_path / "model.safetensors")
    probes = flip(xi, 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(again.recall(probes, generator=3), net.recall(probes, generator=3))
    assert again.n_stored == 6


def test_fit_on_digits_stores_one_pattern_per_class_and_writes_the_run(digits_train, tmp_path):
    X, y = digits_train
    Xb = (X > 0.5).float()
    hop = Hopfield(**Hopfield.sizes_from_data(64, 10), rule="pseudo-inverse")
    hop.fit(Xb, y, epochs=5, lr=0.1, seed=0, progress=False, out=tmp_path / "run")
    assert hop.n_stored == 10 and hop.history_[0]["stage"] == "store"
    assert hop.history_[0]["fixed_fraction"] == 1.0
    metrics = hop.evaluate(Xb, y)
    assert set(metrics) == {"fixed_fraction", "overlap", "recall_exact"}
    assert 0.0 <= metrics["recall_exact"] <= 1.0 and -1.0 <= metrics["overlap"] <= 1.0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"] == "hopfield" and config["hparams"]["n_stored"] == 10
    assert config["hparams"]["n_features"] == 64 and "n_units" not in config["hparams"]
    again = Hopfield(**config["hparams"])
    ckpt.load_weights(again, tmp_path / "run" / "model.safetensors")
    assert again.evaluate() == metrics
    first = Hopfield(64, select="first", n_patterns=3).fit(Xb, progress=False)
    assert torch.equal(first.patterns, 2 * Xb[:3] - 1)
    assert Hopfield.data_defaults == {"binarize": "threshold"}


def test_corruptions_and_spurious_state():
    xi = random_patterns(3, 40, 0)
    g = torch.Generator().manual_seed(0)
    assert (flip(xi, 0.25, g) != xi).sum(1).tolist() == [10, 10, 10]
    m = mask((xi + 1) / 2, 0.5)
    assert (m[:, 20:] == 0).all() and torch.equal(m[:, :20], (xi[:, :20] + 1) / 2)
    hop = Hopfield(200, rule="hebbian").store(random_patterns(10, 200, 1))  # Hebb's mixture states
    s = find_spurious_state(hop, seed=0)
    assert s.spurious and s.fixed_point and len(s.mixture) == 3
    assert hop.is_fixed_point(s.state[None]).all()
    assert not ((hop.patterns == s.state).all(1) | (hop.patterns == -s.state).all(1)).any()


# -- hyperparameters declared once ---------------------------------------------------------------

CLASSES = [Hopfield, ContinuousHopfield, ModernHopfield]


@pytest.mark.parametrize("cls", CLASSES)
def test_get_params_round_trips_and_every_hyperparameter_is_documented(cls):
    net = cls(64).store(random_patterns(3, 64, 0))
    params = net.get_params()
    assert params["n_features"] == 64 and params["n_stored"] == 3 and net.n_units == 64
    assert type(net)(**params).get_params() == params == net.hparams
    assert cls.sizes_from_data(64, 10) == {"n_features": 64}
    hyper = hyperparameters(cls)
    assert "n_features" not in hyper and {"select", "patterns_per_class", "n_patterns"} <= set(hyper)
    for key, p in hyper.items():
        assert p.doc != "", f"{cls.__name__}.{key} has no line in the Args: block"
        assert not p.required, f"{cls.__name__}.{key} has no default"


def test_constructor_arguments_by_name():
    hop = Hopfield(n_features=16, rule="storkey", scaled=False)
    assert (hop.n_features, hop.n_units, hop.rule, hop.scaled) == (16, 16, "storkey", False)
    assert "n_features=16" in repr(hop)
    with pytest.raises(TypeError):
        Hopfield(n_units=16)  # the data size is n_features everywhere in the zoo
    with pytest.raises(TypeError):
        ModernHopfield(16, 8.0)  # beta is keyword-only
    assert ModernHopfield(16, beta=8.0).get_params()["beta"] == 8.0
    with pytest.raises(ValueError, match="n_features must be >= 1, got 0"):
        ContinuousHopfield(0)


@pytest.mark.parametrize("name", ["hopfield", "continuous-hopfield", "modern-hopfield"])
def test_train_help_lists_the_hyperparameters(name, run_cli):
    code, out, _ = run_cli("train", name, "--help")
    assert code == 0
    for key in hyperparameters(neuralzoo.models.get(name)):
        assert key in out


# the config.json "hparams" of a neuralzoo 0.1 run (no "format" key): N was called n_units
OLD_HPARAMS = {
    Hopfield: {"n_units": 64, "rule": "pseudo-inverse", "scaled": True, "select": "per-class",
               "patterns_per_class": 1, "n_patterns": 10, "n_stored": 6},
    ContinuousHopfield: {"n_units": 64, "rule": "hebbian", "gain": 4.0, "tau": 1.0, "dt": 0.05,
                         "method": "euler", "max_steps": 400, "tol": 1e-4, "select": "per-class",
                         "patterns_per_class": 1, "n_patterns": 10, "n_stored": 6},
    ModernHopfield: {"n_units": 64, "beta": 8.0, "max_steps": 3, "select": "per-class",
                     "patterns_per_class": 1, "n_patterns": 10, "n_stored": 6},
}


@pytest.mark.parametrize("cls", CLASSES)
def test_a_run_folder_of_neuralzoo_0_1_loads(cls, tmp_path):
    old = OLD_HPARAMS[cls]
    net = cls(**{**cls.upgrade_hparams(old), "n_stored": 0}).store(random_patterns(6, 64, 5))
    ckpt.save_weights(net, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": cls.registry_name, "hparams": old}))
    again = neuralzoo.load(tmp_path)
    assert type(again) is cls and again.get_params() == {**cls.upgrade_hparams(old), "n_stored": 6}
    probes = flip(net.patterns, 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(again.recall(probes, generator=1), net.recall(probes, generator=1))
    assert again.evaluate() == net.evaluate()


# -- errors --------------------------------------------------------------------------------------

def test_errors_say_what_was_expected():
    hop = Hopfield(100)
    with pytest.raises(NotFittedError, match="store"):
        hop.recall(torch.ones(1, 100))
    with pytest.raises(ValueError, match=r"expected binary patterns \(0/1 or -1/\+1\), got values"):
        hop.store(torch.full((2, 100), 0.5))
    with pytest.raises(ValueError, match="expected binary patterns"):
        hop.store(torch.tensor([[-1.0, 0.0, 1.0] * 33 + [1.0]]))
    with pytest.raises(ValueError, match="expected 100 units, got 99"):
        hop.store(random_patterns(2, 99, 0))
    with pytest.raises(ValueError, match=r"at most N linearly independent patterns: expected P <= 100, got 150"):
        Hopfield(100, rule="pseudo-inverse").store(random_patterns(150, 100, 0))
    xi = random_patterns(3, 100, 0)
    with pytest.raises(ValueError, match="at most N linearly independent patterns.*rank 2"):
        Hopfield(100).store(torch.cat([xi[:2], xi[:1]]), rule="pseudo-inverse")
    with pytest.raises(ValueError, match="rule: expected one of 'hebbian', 'storkey', 'pseudo-inverse', got 'oja'"):
        hop.store(xi, rule="oja")
    with pytest.raises(ValueError, match="rule: expected one of"):
        Hopfield(100, rule="hebb")
    hop.store(xi)
    with pytest.raises(ValueError, match="expected 100 units, got 99"):
        hop.recall(torch.ones(1, 99))
    with pytest.raises(ValueError, match="mode: expected one of 'async', 'sync', got 'parallel'"):
        hop.recall(xi, mode="parallel")
    with pytest.raises(ValueError, match="W must be symmetric"):
        Hopfield(2).set_weights([[0.0, 1.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match="zero diagonal"):
        Hopfield(2).set_weights([[1.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="needs labels"):
        Hopfield(100).fit(xi)
    with pytest.raises(NotFittedError):
        ModernHopfield(100).recall(xi)
    with pytest.raises(NotFittedError):
        ContinuousHopfield(100).recall(xi)
