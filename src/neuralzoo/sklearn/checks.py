"""The scikit-learn checks an estimator of the zoo cannot meet, declared in one place.

``EXPECTED_FAILED_CHECKS[estimator name][check name]`` is the reason, a sentence a reviewer can
judge; the test suite passes each dict to ``check_estimator(..., expected_failed_checks=...)``
(a declared check that passes after all is no error). Every other check of
``sklearn.utils.estimator_checks`` passes for every estimator, regressor variants included
(``tests/sklearn/test_estimator_checks.py``).
"""

from __future__ import annotations

_BINARIZED_BLOBS = (
    "Its visible units are Bernoulli (inputs in [0, 1]), so on the check's standardized real-valued "
    "blobs it must threshold them at 0.5 (binarize='threshold'); that leaves 4 distinct inputs for "
    "3 classes, and no classifier of them reaches the 0.83 accuracy the check asks (the best "
    "possible is 0.79)."
)

_RBF_ROUNDING = (
    "The Gaussian units compute ||x - mu||^2 as ||x||^2 - 2 x.mu + ||mu||^2, one float32 matrix "
    "product with few columns, whose vectorised and tail rows round differently; the subtraction "
    "magnifies that to ~1e-6 relative when a row moves within its batch, above the check's 1e-7."
)

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "RBFNetworkEstimator": {
        "check_methods_subset_invariance": _RBF_ROUNDING,
        "check_methods_sample_order_invariance": _RBF_ROUNDING,
    },
    "DBNEstimator": {"check_classifiers_train": _BINARIZED_BLOBS},
    "DBMEstimator": {"check_classifiers_train": _BINARIZED_BLOBS},
    "ClassificationRBMEstimator": {"check_classifiers_train": _BINARIZED_BLOBS},  # it reaches the 0.79
}
"""Estimator name -> {check name: why the family cannot meet it}."""

__all__ = ["EXPECTED_FAILED_CHECKS"]
