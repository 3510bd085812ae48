"""The continuous Hopfield network as the lecture's circuit: per-unit capacitances C_i and
resistances R_i, and the discrete-time graded update V <- g(R (W V + I)) as its own modes
("async", "sync"); each against an oracle, and the energy never rising where its condition holds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuralzoo.models import ContinuousHopfield
from neuralzoo.models.hopfield import flip


def _symmetric(n: int, seed: int, diagonal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) / np.sqrt(n)
    W = A + A.T
    if not diagonal:
        np.fill_diagonal(W, 0.0)
    return torch.from_numpy(W), torch.from_numpy(rng.normal(size=n) * 0.3)


def _patterns(p: int, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (p, n), generator=g).double() * 2 - 1


def _old_recall(W, I, u, gain, tau, dt, method, steps, tol):
    """The network as it was, shared scalars C = 1, R = tau: its frames and energies, written out."""
    def flow(u):
        return -u / tau + torch.tanh(gain * u) @ W + I

    def energy(V):
        integral = 0.5 * (torch.xlogy(1 + V, 1 + V) + torch.xlogy(1 - V, 1 - V))
        return -0.5 * ((V @ W) * V).sum(-1) - V @ I + integral.sum(-1) / (tau * gain)

    frames, f, taken = [torch.tanh(gain * u)], flow(u), 0
    while taken < steps and float(f.abs().amax()) >= tol:
        if method == "euler":
            u = u + dt * f
        else:
            k2 = flow(u + dt / 2 * f)
            k3 = flow(u + dt / 2 * k2)
            k4 = flow(u + dt * k3)
            u = u + dt / 6 * (f + 2 * k2 + 2 * k3 + k4)
        f = flow(u)
        taken += 1
        frames.append(torch.tanh(gain * u))
    F = torch.stack(frames)
    return F, energy(F).T


# -- per-unit C_i, R_i ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_scalar_and_broadcast_vector_circuits_reproduce_the_old_network_exactly(method):
    n = 10
    W, I = _symmetric(n, 0, diagonal=True)
    u0 = torch.from_numpy(np.random.default_rng(1).normal(size=(3, n)))
    probes = torch.ones(3, n, dtype=torch.float64)
    old_F, old_E = _old_recall(W, I, u0, 2.0, 0.7, 0.02, method, 150, 1e-4)
    nets = [ContinuousHopfield(n, gain=2.0, tau=0.7, dt=0.02, method=method, max_steps=150),
            ContinuousHopfield(n, gain=2.0, C=[1.0] * n, R=[0.7] * n, dt=0.02, method=method, max_steps=150)]
    for net in nets:
        r = net.double().set_weights(W, I).recall(probes, u0=u0, return_trace=True)
        assert torch.equal(r.frames, old_F)  # the trajectory, bit for bit
        torch.testing.assert_close(r.energies, old_E, rtol=1e-13, atol=1e-13)
    assert torch.equal(nets[0].recall(probes, u0=u0, return_trace=True).energies, old_E)  # scalar: exact


def test_per_unit_time_constants_follow_the_rc_solution():
    # W = 0: each unit is an RC circuit, u_i(t) = R_i I_i + (u_i(0) - R_i I_i) exp(-t / (R_i C_i))
    n, dt, steps = 4, 0.01, 200
    C = torch.tensor([0.5, 1.0, 2.0, 1.0], dtype=torch.float64)
    R = torch.tensor([1.0, 0.5, 1.5, 3.0], dtype=torch.float64)
    I = torch.tensor([0.3, -0.2, 0.1, 0.05], dtype=torch.float64)
    net = ContinuousHopfield(n, gain=1.5, C=C.tolist(), R=R.tolist(), dt=dt, method="rk4",
                             max_steps=steps, tol=1e-12).double().set_weights(torch.zeros(n, n), I)
    u0 = torch.tensor([[1.0, -1.0, 0.5, 2.0]], dtype=torch.float64)
    r = net.recall(torch.ones(1, n), u0=u0, return_trace=True)
    t = dt * torch.arange(steps + 1, dtype=torch.float64)[:, None]  # (S+1, 1)
    u = R * I + (u0 - R * I) * torch.exp(-t / (R * C))  # (S+1, N)
    torch.testing.assert_close(r.frames[:, 0], torch.tanh(1.5 * u), rtol=0, atol=1e-9)
    assert net.get_params()["C"] == C.tolist() and net.get_params()["R"] == R.tolist()


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_energy_never_rises_with_per_unit_c_and_r(method):
    n = 12
    W, I = _symmetric(n, 2, diagonal=True)  # the continuous guarantee holds for any symmetric W
    rng = np.random.default_rng(3)
    C, R = rng.uniform(0.3, 3.0, n).tolist(), rng.uniform(0.3, 3.0, n).tolist()
    net = ContinuousHopfield(n, gain=2.0, C=C, R=R, dt=0.005, method=method, max_steps=2000)
    net = net.double().set_weights(W, I)
    r = net.recall(torch.ones(4, n), u0=torch.from_numpy(rng.normal(size=(4, n))), return_trace=True)
    assert r.sweeps > 100
    dE = r.energies.diff(dim=1)
    assert (dE <= 1e-10).all(), float(dE.max())
    assert r.energies[:, -1].lt(r.energies[:, 0] - 1e-3).all()


# -- the discrete-time graded update ----------------------------------------------------------------

def test_each_asynchronous_graded_update_lowers_the_energy():
    # the condition: w_ij = w_ji, w_ii = 0, g increasing; per-unit R enters the energy and the update
    n = 15
    W, I = _symmetric(n, 4)
    R = np.random.default_rng(5).uniform(0.5, 2.0, n).tolist()
    net = ContinuousHopfield(n, gain=3.0, R=R, tol=1e-12).double().set_weights(W, I)
    V = torch.from_numpy(np.random.default_rng(6).uniform(-1, 1, size=(5, n)))
    E = net.energy(V)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        for i in torch.randperm(n, generator=g).tolist():
            new = net.update(V, [i])
            assert torch.equal(new[:, [j for j in range(n) if j != i]], V[:, [j for j in range(n) if j != i]])
            # the oracle of the update: unit i jumps to g(R_i h_i), h_i its input now
            h = V @ W[:, i] + I[i]
            torch.testing.assert_close(new[:, i], torch.tanh(3.0 * R[i] * h), rtol=0, atol=1e-15)
            E_new = net.energy(new)
            assert (E_new <= E + 1e-12).all(), float((E_new - E).max())
            V, E = new, E_new
    # the sweeps reach a fixed point of V = g(R (W V + I))
    u0 = torch.atanh(V.clamp(-1 + 1e-12, 1 - 1e-12)) / 3.0  # V = g(u0)
    r = net.recall(torch.ones(5, n), u0=u0, mode="async", generator=1, return_trace=True)
    assert r.converged.all() and (r.energies.diff(dim=1) <= 1e-12).all()
    Vf = r.frames[-1]
    torch.testing.assert_close(Vf, torch.tanh(3.0 * torch.tensor(R, dtype=torch.float64) * (Vf @ W + I)), rtol=0, atol=1e-9)


def test_synchronous_update_descends_when_w_plus_diag_1_over_gain_r_is_psd_else_may_cycle():
    n, P, gain = 60, 5, 4.0
    xi = _patterns(P, n, 0)
    net = ContinuousHopfield(n, rule="hebbian", gain=gain, mode="sync").double().store(xi)
    lam_min = float(torch.linalg.eigvalsh(net.W).min())  # -P/N for Hebb
    assert lam_min + 1 / gain > 0  # the Marcus-Westervelt condition holds
    probes = flip(xi, 0.15, torch.Generator().manual_seed(1))
    r = net.recall(probes, return_trace=True)
    assert (r.energies.diff(dim=1) <= 1e-10).all() and r.converged.all() and not r.cycles.any()
    assert torch.equal(r.states, xi)
    # violated: two units inhibiting each other, updated together, swap forever
    pair = ContinuousHopfield(2, gain=10.0, max_steps=50).double().set_weights([[0.0, -1.0], [-1.0, 0.0]])
    sync = pair.recall(torch.tensor([[1.0, 1.0]]), mode="sync", return_trace=True)
    assert sync.cycles.all() and not sync.converged.any()
    one_at_a_time = pair.recall(torch.tensor([[1.0, 1.0]]), mode="async", generator=0, return_trace=True)
    assert one_at_a_time.converged.all() and (one_at_a_time.energies.diff(dim=1) <= 0).all()
    assert one_at_a_time.states[0, 0] == -one_at_a_time.states[0, 1]


def test_graded_modes_recall_stored_patterns_and_follow_the_seed():
    xi = _patterns(5, 100, 0)
    probes = flip(xi, 0.1, torch.Generator().manual_seed(0))
    for mode in ("async", "sync"):
        net = ContinuousHopfield(100, rule="hebbian", gain=4.0, mode=mode).store(xi)
        r = net.recall(probes, generator=3, return_trace=True)
        assert torch.equal(r.states, xi) and r.converged.all(), mode
        assert (r.energies.diff(dim=1) <= 1e-4).all(), mode  # float32
        assert net.is_fixed_point(xi).all()
        assert net.evaluate(generator=0)["recall_exact"] == 1.0
    net = ContinuousHopfield(100, rule="hebbian", gain=4.0).store(xi)
    a = net.recall(probes, mode="async", generator=3, return_trace=True)
    b = net.recall(probes, mode="async", generator=torch.Generator().manual_seed(3), return_trace=True)
    assert torch.equal(a.frames, b.frames)
    c = net.recall(probes, mode="async", generator=4, return_trace=True)
    assert not torch.equal(a.frames[1], c.frames[1])  # another unit order, another path


# -- declaration and bad input ----------------------------------------------------------------------

def test_circuit_hyperparameters_round_trip_and_bad_values_are_refused():
    net = ContinuousHopfield(3, C=[1.0, 2.0, 0.5], R=2, mode="async")
    params = net.get_params()
    assert params["C"] == [1.0, 2.0, 0.5] and params["R"] == 2.0 and params["mode"] == "async"
    assert type(net)(**params).get_params() == params
    assert ContinuousHopfield(3, C=torch.tensor([1.0, 2.0, 0.5])).get_params()["C"] == [1.0, 2.0, 0.5]
    assert "C=[1.0, 2.0, 0.5], R=2.0" in repr(net) and "mode='async'" in repr(net)
    with pytest.raises(ValueError, match=r"C: expected a positive number or N = 3 positive numbers, got shape \(2,\)"):
        ContinuousHopfield(3, C=[1.0, 2.0])
    with pytest.raises(ValueError, match="R: expected a positive number .* got -1"):
        ContinuousHopfield(3, R=-1)
    with pytest.raises(ValueError, match="smallest 0.0"):
        ContinuousHopfield(3, R=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="C: expected .* got nan"):
        ContinuousHopfield(3, C=math.nan)
    with pytest.raises(ValueError, match="R .* or tau .*not both: got R=2.0 and tau=0.5"):
        ContinuousHopfield(3, R=2.0, tau=0.5)
    with pytest.raises(ValueError, match="mode: expected one of 'continuous', 'async', 'sync', got 'parallel'"):
        ContinuousHopfield(3, mode="parallel")
    with pytest.raises(ValueError, match="mode: expected one of"):
        ContinuousHopfield(3).store(_patterns(1, 3, 0)).recall(torch.ones(1, 3), mode="euler")
