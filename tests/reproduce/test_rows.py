"""The row check of these tests reads every target text the reproductions write, both ways
(figures with the decimals the rows give them)."""

from __future__ import annotations

import pytest

from .helpers import check_rows, met_by_target


@pytest.mark.parametrize("target,published,meets,fails", [
    (">= 0.987", 0.9875, 0.9912, 0.5028),
    ("<= 1.5", 1.3, 1.2, 75.56),
    ("< 0.01", "well below the baseline", 0.004, 0.2),
    (">= -146 (about -143)", -143.0, -27.05, -152.3),
    ("> CD-1 (-150.23)", "better than CD-1", -149.0, -151.0),
    ("> 2 x deep AE (7.10)", 13.87, 14.3, 13.87),
    ("within 2 of -84.62", -84.62, -85.9, -27.1),
    ("within 0.05", 0.79, 0.8125, 0.7031),
    ("within x1.5 of published", 0.0036, 0.00412, 0.00181),
    ("in [0.1, 0.2]", 0.138, 0.14, float("nan")),
])
def test_met_by_target(target, published, meets, fails):
    row = {"name": "figure", "published": published, "target": target}
    assert met_by_target({**row, "ours": meets}) is True
    assert met_by_target({**row, "ours": fails}) is False


def test_check_rows_refuses_a_met_that_contradicts_its_target():
    row = {"name": "accuracy", "ours": 0.5, "published": 0.98, "target": ">= 0.98", "met": False}
    assert check_rows([row]) == [row]
    with pytest.raises(AssertionError):
        check_rows([{**row, "met": True}])
    with pytest.raises(AssertionError):
        check_rows([{**row, "met": 0}])  # met is a bool
    with pytest.raises(AssertionError, match="not understood"):
        met_by_target({**row, "target": "about right"})
    assert met_by_target({**row, "ours": 0.98}) is None  # 0.98 rounded to 2 decimals: 0.975 .. 0.985
    assert met_by_target({**row, "ours": 0.9801}) is True
