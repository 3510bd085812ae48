"""What several energy models share: Gibbs sampling and annealing (:mod:`.gibbs`), exact
sums over all states of a small model (:mod:`.exact`)."""

from __future__ import annotations

from .exact import (
    MAX_EXACT_UNITS,
    bm_clamped_statistics,
    bm_conditional_marginals,
    bm_energy,
    bm_free_statistics,
    bm_log_marginal,
    bm_log_partition,
    bm_log_unnormalized,
    bm_neg_energy_grid,
    check_enumerable,
    enumerate_states,
    independent_units,
    log_partition,
    probabilities,
    state_index,
)
from .gibbs import anneal, geometric_schedule, gibbs_sample, gibbs_sweep, local_field

__all__ = [
    "MAX_EXACT_UNITS",
    "anneal",
    "bm_clamped_statistics",
    "bm_conditional_marginals",
    "bm_energy",
    "bm_free_statistics",
    "bm_log_marginal",
    "bm_log_partition",
    "bm_log_unnormalized",
    "bm_neg_energy_grid",
    "check_enumerable",
    "enumerate_states",
    "independent_units",
    "geometric_schedule",
    "gibbs_sample",
    "gibbs_sweep",
    "local_field",
    "log_partition",
    "probabilities",
    "state_index",
]
