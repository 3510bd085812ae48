"""Drop-in replacements for scikit-learn's neural networks: change one import line.

``from neuralzoo.sklearn import BernoulliRBM, MLPClassifier, MLPRegressor, Perceptron`` in place
of ``from sklearn.neural_network import ...`` (``sklearn.linear_model`` for the perceptron): the
same parameters with the same names, defaults and checks (scikit-learn's own
``_parameter_constraints``), the same fitted attributes (NumPy arrays), methods, warnings and
errors. What differs is the engine: the RBM is a :class:`neuralzoo.models.RBM` (:mod:`.rbm`), the
MLPs compute in PyTorch on any ``device`` (:mod:`.mlp`, :mod:`._backprop`), and the perceptron
runs its example-by-example rule as one NumPy loop for all its one-vs-rest problems
(:mod:`.perceptron`).

Randomness. The draws scikit-learn makes from ``random_state`` are made the same way where they
decide the result — the initial weights, the MLPs' shuffles and validation split, the
perceptron's row orders — so with the same ``random_state`` the MLPs and the perceptron reproduce
scikit-learn's weights (up to rounding) and the RBM starts from its initial weights; the RBM's
Gibbs samples come from a ``torch.Generator`` seeded from it.

Beyond scikit-learn (keyword extras): ``device`` ("cpu", "cuda", "auto") for the RBM and the MLPs;
the RBM's ``method`` ("pcd", "cd", "pt") and ``k``, and ``log_likelihood(X, method="exact" |
"ais")``; its fitted ``rbm_`` is a :class:`neuralzoo.models.RBM` for the rest of the zoo (AIS,
sampling, a DBN layer).

Speed: on the CPU a step whose largest product is small (below ``SMALL_STEP`` multiply-adds)
runs on one thread — such a product ends before OpenMP's workers wake up, and on a busy machine a
worker waiting for a core stalls every operation (ten times slower, measured on two cores).
"""

from __future__ import annotations

from .mlp import MLPClassifier, MLPRegressor
from .perceptron import Perceptron
from .rbm import BernoulliRBM

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "BernoulliRBM": {
        "check_methods_subset_invariance": (
            "score_samples flips one random bit per row (scikit-learn's pseudo-likelihood "
            "estimate, kept for the same meaning), so a row's value depends on the rows drawn "
            "before it; scikit-learn's BernoulliRBM declares the same failure."),
        "check_methods_sample_order_invariance": (
            "score_samples flips one random bit per row, drawn in row order, so reordering the "
            "rows changes which bit each row gets; scikit-learn's BernoulliRBM declares the same "
            "failure."),
    },
    "MLPClassifier": {},
    "MLPRegressor": {},
    "Perceptron": {
        "check_sample_weight_equivalence_on_dense_data": (
            "a weight scales one example's update, which is not the same as seeing the example "
            "that many times in a shuffled epoch; scikit-learn's Perceptron declares the same."),
        "check_sample_weight_equivalence_on_sparse_data": (
            "as on dense data: weighted updates are not repeated examples; scikit-learn's "
            "Perceptron declares the same."),
    },
}
"""Estimator name -> {check_estimator check: why it cannot hold}, for ``expected_failed_checks``."""

__all__ = ["EXPECTED_FAILED_CHECKS", "BernoulliRBM", "MLPClassifier", "MLPRegressor", "Perceptron"]
