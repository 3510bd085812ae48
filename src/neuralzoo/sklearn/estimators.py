"""One scikit-learn estimator per model of ``neuralzoo.models.REGISTRY``, generated.

Every estimator is named after its model with the suffix ``Estimator`` (``MLPEstimator``,
``RBMEstimator``, ``LSTMEstimator``, ...: the names without suffix are the torch models, and
scikit-learn's own names — ``MLPClassifier``, ``BernoulliRBM``, ``Perceptron`` — are the drop-in
replacements). Its class is made by :func:`make_estimator` from

- the model's one declaration of its hyperparameters (its constructor's signature, read by
  :func:`neuralzoo.config.hyperparameters`), less what the data fixes;
- the family's data parameters: ``image_shape`` (image models), ``n_steps`` and ``task``
  (recurrent models), ``binarize`` (models whose inputs must be binary or lie in [0, 1]);
- the training settings: the fields of :class:`~neuralzoo.config.TrainConfig` with the family's
  ``train_defaults`` (``random_state`` for ``seed``, ``verbose`` for ``progress``);

and the behaviour of its family (:data:`FAMILIES`: classifier, regressor, transformer, density
model; see :mod:`neuralzoo.sklearn.base`). ``RBFNetworkEstimator(regression=True)`` and
``ElmanRNNEstimator/LSTMEstimator(task="regress")`` are regressors.

>>> from neuralzoo.sklearn import MLPEstimator
>>> import numpy as np
>>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]] * 10); y = np.array(["a", "b", "b", "a"] * 10)
>>> est = MLPEstimator(hidden=(8,), activation="tanh", epochs=200, batch_size=8, lr=0.05).fit(X, y)
>>> est.predict(X[:4]).tolist(), est.n_features_in_, est.classes_.tolist()
(['a', 'b', 'b', 'a'], 2, ['a', 'b'])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config import Param
from ..models import REGISTRY, Classifier
from ._params import make_init, model_hparams, params_doc, train_params
from .base import Decoding, Density, Generating, Recalling, Supervised, Transforming, ZooEstimator
from .data import ImageData, RegressionFlag, SequenceData


@dataclass(frozen=True)
class Family:
    """How a family meets scikit-learn: its behaviours (mixed in before :class:`ZooEstimator`),
    the inputs its model accepts ("unit": [0, 1], "binary": 0/1 or -1/+1, None: any reals), and
    the TrainConfig fields its ``fit`` uses (None: all; ``skip``: all but these), and whether it
    learns online (``partial_fit``: one gradient-trained module, no greedy stages)."""

    behaviours: tuple[type, ...]
    inputs: str | None = None
    train: tuple[str, ...] | None = None
    skip: tuple[str, ...] = ()
    kind: str = ""  # the docstring's word for it
    online: bool = False

    def but(self, **changes: object) -> Family:
        return dataclasses.replace(self, **changes)


CLASSIFIER = Family((Supervised,), kind="classifier", online=True)
MEMORY = Family((Recalling, ZooEstimator), inputs="binary", train=("device",),
                kind="transformer (recall)")  # storage is closed-form: no gradient settings
AUTOENCODER = Family((Decoding, Transforming, ZooEstimator), inputs="unit", kind="transformer")
IMAGES = Family((ImageData, Supervised), kind="classifier", online=True)
SEQUENCES = Family((SequenceData, Supervised), kind="classifier or regressor", online=True)
DENSITY = Family((Transforming, Generating, Density), inputs="unit", kind="density model and transformer",
                 online=True)

FAMILIES: dict[str, Family] = {
    "perceptron": CLASSIFIER,
    "mlp": CLASSIFIER,
    # epochs is the fine-tuning's, already the hyperparameter finetune_epochs
    "rbf": Family((RegressionFlag, Supervised), skip=("epochs",), kind="classifier or regressor"),
    "hopfield": MEMORY,
    "continuous-hopfield": MEMORY,
    "modern-hopfield": MEMORY,
    "boltzmann": Family((Generating, Density), inputs="binary", kind="density model", online=True),
    "rbm": DENSITY,
    "gaussian-rbm": DENSITY.but(inputs=None),
    "class-rbm": CLASSIFIER.but(inputs="unit"),  # Bernoulli visible units: values in [0, 1]
    "categorical-rbm": DENSITY,  # codes 0..K-1; binarize="threshold" gives K = 2
    "ising-rbm": DENSITY.but(inputs="binary"),
    "gaussian-hidden-rbm": DENSITY,
    "dropout-rbm": DENSITY,
    "dbn": Family((Transforming, Generating, Supervised), inputs="unit", kind="classifier and transformer"),
    "dbm": Family((Transforming, Generating, Supervised), inputs="unit", kind="classifier and transformer"),
    "conv-rbm": Family((ImageData, Transforming, Generating, ZooEstimator), inputs="unit", kind="transformer",
                       online=True),
    "conv-dbn": Family((ImageData, Transforming, ZooEstimator), inputs="unit", kind="transformer"),
    "lecture-cnn": IMAGES,
    "lenet5": IMAGES,
    "cnn": IMAGES,
    "rnn": SEQUENCES,
    "lstm": SEQUENCES,
    "autoencoder": AUTOENCODER.but(online=True),
    "denoising-autoencoder": AUTOENCODER.but(online=True),
    "sparse-autoencoder": AUTOENCODER.but(online=True),
    "stacked-autoencoder": Family((Transforming, Supervised), kind="classifier and transformer"),
    "deep-autoencoder": AUTOENCODER,
    "vae": Family((Decoding, Transforming, Generating, ZooEstimator), inputs="unit", kind="transformer",
                  online=True),
    "semantic-hashing": AUTOENCODER,
}
"""The family of every registered model (a model missing here gets :func:`infer_family`'s)."""


def infer_family(model_class: type) -> Family:
    """A family for a model :data:`FAMILIES` does not list: a classifier, else a transformer."""
    if issubclass(model_class, Classifier):
        return CLASSIFIER.but(online=False)
    return Family((Transforming, ZooEstimator), kind="transformer")


def data_params(model_class: type, family: Family) -> dict[str, Param]:
    """The parameters that say how to read the data: ``image_shape``, ``n_steps`` and ``task``,
    ``binarize`` (the model's own declarations where it has them)."""
    own = {k: p for k, p in _model_params(model_class).items()}
    out: dict[str, Param] = {}
    if ImageData in family.behaviours:
        out["image_shape"] = Param("image_shape", tuple[int, int, int] | None, None,
                                   "(C, H, W) of a flat row, one entry -1 inferred from the width; "
                                   "None: a square grey or RGB image")
    if SequenceData in family.behaviours:
        out["n_steps"] = dataclasses.replace(
            own["n_steps"], doc="T: a row is T steps of n_features_in_ / T inputs (None: a square "
                                "image read row by row, sqrt(D) steps of sqrt(D) pixels)")
        out["task"] = dataclasses.replace(own["task"], doc='"classify" (a classifier) or "regress" '
                                                           "(a regressor of one number per row)")
    if family.inputs is not None:
        default = getattr(model_class, "data_defaults", {}).get("binarize")
        need = "0/1 or -1/+1 values" if family.inputs == "binary" else "values in [0, 1]"
        out["binarize"] = Param("binarize", str | None, default,
                                f'"threshold": x > 0.5 -> 1 else 0 at every call, as a run\'s data.binarize; '
                                f"None: the rows as given (the model takes {need})")
    return out


def _model_params(model_class: type) -> dict[str, Param]:
    from ..config import model_params

    return model_params(model_class)


def make_estimator(name: str, model_class: type, family: Family | None = None) -> type[ZooEstimator]:
    """The estimator class of registered model ``name``: its ``__init__`` takes the parameters
    derived from the model's declaration (see the module docstring), with an explicit signature."""
    family = family or FAMILIES.get(name) or infer_family(model_class)
    hparams = model_hparams(model_class)
    data = data_params(model_class, family)
    train, field_of, defaults = train_params(model_class, family.train, family.skip)
    params: dict[str, Param] = {}
    for group in (hparams, data, train):
        for key, p in group.items():
            if key in params:  # one name, one meaning: refuse a model that would shadow a setting
                raise TypeError(f"{model_class.__name__}: parameter {key!r} is both a hyperparameter "
                                "and a training setting of its estimator")
            params[key] = p
    class_name = f"{model_class.__name__}Estimator"
    summary = (model_class.__doc__ or "").strip().splitlines()[0] if model_class.__doc__ else ""
    doc = (f"{model_class.__name__} ({name}) as a scikit-learn {family.kind or 'estimator'}: "
           f"{summary}\n\nThe model is ``neuralzoo.{model_class.__name__}``, built at ``fit`` with "
           "the sizes the data fix and trained by its own ``fit``; it is kept as ``module_``, its "
           f"per-epoch metrics as ``history_``.\n\n{params_doc(params)}\n")
    namespace = {
        "__init__": make_init(params, class_name),
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": class_name,
        "model_class": model_class,
        "registry_name": name,
        "_hparams": tuple(hparams),
        "_train": field_of,
        "_train_defaults": defaults,
        "_inputs": family.inputs,
        "_online": family.online,
    }
    return type(class_name, family.behaviours, namespace)


ESTIMATORS: dict[str, type[ZooEstimator]] = {}
"""The estimator class of every registered model, by registry name."""

for _name, _cls in REGISTRY.items():
    ESTIMATORS[_name] = globals()[f"{_cls.__name__}Estimator"] = make_estimator(_name, _cls)
del _name, _cls

__all__ = ["ESTIMATORS", "FAMILIES", "Family", "infer_family", "make_estimator",
           *(cls.__name__ for cls in ESTIMATORS.values())]
