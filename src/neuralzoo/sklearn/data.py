"""How families read their data: flat rows as images (``image_shape``), as sequences
(``n_steps``, ``task``), and the RBF network's ``regression`` flag."""

from __future__ import annotations

import math
from typing import Any

import torch


class ImageData:
    """Image models: rows are flat images of ``image_shape`` (C, H, W), one entry -1 inferred
    from the width; None infers a square grey or RGB image as the models do."""

    def _data_sizes(self, n_features: int, n_outputs: int) -> dict[str, Any]:
        if self.image_shape is None:
            return self.model_class.sizes_from_data(n_features, n_outputs)
        shape = [int(s) for s in self.image_shape]
        if len(shape) != 3 or shape.count(-1) > 1 or any(s < 1 and s != -1 for s in shape):
            raise ValueError(f"image_shape must be (C, H, W) with at most one -1: got {self.image_shape!r}")
        known = math.prod(s for s in shape if s != -1)
        if -1 in shape:
            if n_features % known:
                raise ValueError(f"image_shape {tuple(self.image_shape)} does not divide the {n_features} "
                                 f"features of a row: expected a multiple of {known}")
            shape[shape.index(-1)] = n_features // known
        if math.prod(shape) != n_features:
            raise ValueError(f"image_shape {tuple(shape)} holds {math.prod(shape)} values: expected "
                             f"{n_features}, the width of a row")
        # a transformer's model (no targets) takes no n_classes
        return {"input_shape": tuple(shape), **({"n_classes": n_outputs} if n_outputs else {})}

    @classmethod
    def _params_from_hparams(cls, hparams: dict[str, Any]) -> dict[str, Any]:
        return {"image_shape": tuple(hparams["input_shape"])}


class SequenceData:
    """Recurrent models: a row is ``n_steps`` steps of ``n_features / n_steps`` inputs (None: a
    square image read row by row, as the models do); ``task`` "classify" or "regress"."""

    def _kind(self) -> str:
        return "regressor" if self.task == "regress" else "classifier"

    def _data_sizes(self, n_features: int, n_outputs: int) -> dict[str, Any]:
        if self.task not in ("classify", "regress"):
            raise ValueError(f"task: expected 'classify' or 'regress', got {self.task!r}")
        T = self.n_steps
        if T is None:
            T = math.isqrt(n_features)
            if T * T != n_features:
                raise ValueError(f"cannot read {n_features} features as a sequence: expected n_steps "
                                 "(T steps of n_features / T inputs each), or a square image read row by row")
        T = int(T)
        if T < 1 or n_features % T:
            raise ValueError(f"n_steps must divide the {n_features} features of a row: got {T}")
        spec = {"input_size": n_features // T, "output_size": n_outputs, "task": self.task, "n_steps": T}
        return self.model_class.sizes_from_data(n_features // T, n_outputs, spec)

    @classmethod
    def _params_from_hparams(cls, hparams: dict[str, Any]) -> dict[str, Any]:
        if hparams.get("task") not in ("classify", "regress") or hparams.get("n_tokens") is not None:
            raise ValueError(f"a run of a {hparams.get('task')!r} model over tokens or text has no "
                             "scikit-learn estimator: expected task 'classify' or 'regress' on dense rows")
        return {"n_steps": hparams.get("n_steps"), "task": hparams["task"]}

    @classmethod
    def _n_features_of(cls, module: torch.nn.Module) -> int:
        if module.n_steps is None:
            raise ValueError("the run's model reads sequences of any length: expected a fixed n_steps")
        return int(module.n_features) * int(module.n_steps)


class RegressionFlag:
    """The RBF network: a regressor (multi-output) when ``regression=True``."""

    def _kind(self) -> str:
        return "regressor" if self.regression else "classifier"

    def _multi_output(self) -> bool:
        return True


__all__ = ["ImageData", "RegressionFlag", "SequenceData"]
