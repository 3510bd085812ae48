"""What the reproduction tests share: a row checked against its own target text, and the
embedded digits standing in for MNIST (tests never read the MNIST files nor the network)."""

from __future__ import annotations

import decimal
import re

import pytest
import torch
import torch.nn.functional as F

from neuralzoo import datasets

ROW_KEYS = {"name", "ours", "published", "target", "met"}
_NUM = r"(-?\d+(?:\.\d+)?)"


def _margin(op: str, ours: float, threshold: float) -> float:
    """How far ``ours`` is on the meeting side of ``threshold`` (negative: on the other side)."""
    return ours - threshold if op in (">=", ">") else threshold - ours


def _rounding(text: str) -> float:
    """Half a unit in the last decimal of a number as written: how far rounding may have moved it."""
    return 0.5 * 10.0 ** int(decimal.Decimal(text).as_tuple().exponent)


def met_by_target(row: dict) -> bool | None:
    """Whether ``row["ours"]`` meets ``row["target"]``, read from the target's text; ``None`` when
    ``ours`` is so close to the threshold that the rounding of the figures cannot decide. An
    unknown target text fails the test.

    The texts the reproductions write: ``">= 0.987"``, ``"<= 1.5"``, ``">= -146 (about -143)"``,
    ``"> CD-1 (-150.23)"``, ``"> 2 x deep AE (7.10)"``, ``"within 1.5 of -125.53"``, ``"within
    0.05"`` (of the published figure), ``"within x1.5 of published"``, ``"in [0.1, 0.2]"``.
    """
    target, ours, published = row["target"], float(row["ours"]), row["published"]
    if ours != ours:  # nan: no figure, nothing met
        return False
    tol = _rounding(repr(ours))
    if m := re.fullmatch(rf"within x{_NUM} of published", target):
        r, ratio = float(m[1]), ours / float(published)
        margin, tol = min(ratio - 1 / r, r - ratio), tol / abs(float(published))
    elif m := re.fullmatch(rf"within {_NUM}(?: of {_NUM})?", target):
        centre = float(m[2]) if m[2] is not None else float(published)
        margin = float(m[1]) - abs(ours - centre)
    elif m := re.fullmatch(rf"in \[{_NUM}, {_NUM}\]", target):
        margin = min(ours - float(m[1]), float(m[2]) - ours)
    elif m := re.fullmatch(rf"(>=|<=|>|<) {_NUM}(?: \(.*\))?", target):
        margin = _margin(m[1], ours, float(m[2]))
    elif m := re.fullmatch(rf"(>=|<=|>|<) (?:{_NUM} x )?.*\({_NUM}\)", target):  # a rounded figure in ()
        k = float(m[2] or 1.0)
        margin, tol = _margin(m[1], ours, k * float(m[3])), tol + k * _rounding(m[3])
    else:
        raise AssertionError(f"target text not understood: {target!r}")
    return None if abs(margin) <= tol else margin > 0


def check_rows(rows: list[dict], n: int | None = None) -> list[dict]:
    """Every row is named and has a figure; a row with a target has the documented keys and a
    bool ``met`` that agrees with its target text. Returns the rows with a target."""
    assert isinstance(rows, list) and rows and (n is None or len(rows) == n), rows
    judged = []
    for row in rows:
        assert isinstance(row["name"], str) and row["name"] and "ours" in row, row
        if "target" in row:
            assert ROW_KEYS <= set(row), row
            assert isinstance(row["met"], bool), row
            expected = met_by_target(row)
            assert expected is None or row["met"] is expected, (row["target"], row["ours"], row["met"])
            judged.append(row)
    return judged


def error_in_note(row: dict) -> float:
    """The ``test error X%`` of a row's note, which must be ``100 (1 - ours)`` for an accuracy."""
    m = re.search(r"test error (\d+\.\d+)%", row["note"])
    assert m, row["note"]
    assert float(m[1]) == pytest.approx(100 * (1 - row["ours"]), abs=0.011)
    return float(m[1])


def digits_as(split: str = "train", *, side: int = 8, n: int | None = None, rows: int | None = None,
              binarize: str | None = None, seed: int = 0, flatten: bool = True
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits split as an image data set: ``side x side`` pixels (nearest-neighbour upscaled
    from 8x8), the first ``n`` images, or cycled to ``rows`` images; binarised after upscaling as
    :func:`neuralzoo.datasets.load` does."""
    X, y = datasets.load("digits", split, flatten=False)  # (N, 1, 8, 8) grey levels in [0, 1]
    if side != 8:
        X = F.interpolate(X, size=(side, side), mode="nearest")  # (N, 1, side, side)
    if n is not None:
        X, y = X[:n], y[:n]
    if rows is not None:
        i = torch.arange(rows) % len(X)
        X, y = X[i], y[i]
    if binarize == "threshold":
        X = (X > 0.5).float()
    elif binarize == "sample":
        X = torch.bernoulli(X, generator=torch.Generator().manual_seed(seed))
    return (X.reshape(len(X), -1) if flatten else X), y
