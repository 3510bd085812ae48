"""The scikit-learn face of neuralzoo: every model of the zoo as an estimator.

``from neuralzoo.sklearn import MLPEstimator, RBMEstimator, DBNEstimator, LSTMEstimator, ...``:
one estimator per model of ``neuralzoo.models.REGISTRY`` (the model's class name + ``Estimator``),
generated from the model's one declaration of its hyperparameters plus the training settings
(:mod:`neuralzoo.sklearn.estimators`). Each passes scikit-learn's ``check_estimator`` but for the
checks declared in :data:`EXPECTED_FAILED_CHECKS`. ``est.save(path)`` writes a run folder and
:func:`from_run` reads one back (also a run of ``neuralzoo train``).
"""

from __future__ import annotations

import importlib.util

from .base import ZooEstimator
from .checks import EXPECTED_FAILED_CHECKS as _ZOO_EXPECTED_FAILED_CHECKS
from .estimators import *  # noqa: F403 -- the generated classes: estimators.__all__
from .estimators import ESTIMATORS, FAMILIES, make_estimator
from .runs import from_run

__all__ = ["ESTIMATORS", "EXPECTED_FAILED_CHECKS", "FAMILIES", "ZooEstimator", "from_run",
           "make_estimator", *(cls.__name__ for cls in ESTIMATORS.values())]

DROPINS = ("BernoulliRBM", "MLPClassifier", "MLPRegressor", "Perceptron")
"""scikit-learn's own classes, same names and parameters (``neuralzoo.sklearn.dropins``)."""

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = dict(_ZOO_EXPECTED_FAILED_CHECKS)
"""Estimator name -> {check name: reason}: the zoo's estimators' (:mod:`.checks`) and the drop-ins'."""

if importlib.util.find_spec(f"{__name__}.dropins") is not None:
    from . import dropins as _dropins

    for _name in DROPINS:
        if hasattr(_dropins, _name):
            globals()[_name] = getattr(_dropins, _name)
            __all__.append(_name)
    EXPECTED_FAILED_CHECKS.update(getattr(_dropins, "EXPECTED_FAILED_CHECKS", {}))
