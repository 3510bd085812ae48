"""The cdbn reproduction's quick path on the 8x8 digits with a tiny CDBN: its rows, the SVM's penalty
chosen on the validation split, the published targets."""

from __future__ import annotations

import re

from neuralzoo import reproduce
from neuralzoo.reproduce import cdbn

from .helpers import check_rows, error_in_note


def test_cdbn_quick_run_through_the_registry(use_digits, monkeypatch):
    use_digits(cdbn, rows=51_000)  # the split is positional: validation from row 50,000
    monkeypatch.setattr(cdbn, "QUICK", {"n_filters": [4, 4], "filter_size": [3, 2], "pool_size": 2,
                                        "sparsity_target": [0.03, 0.02]})
    result = reproduce.run("cdbn", quick=True)
    assert result["id"] == "cdbn" and result["quick"] is True and result["source"] == cdbn.SOURCE
    rows = check_rows(result["rows"], n=2)
    assert [r["target"] for r in rows] == [">= 0.9738", ">= 0.9841"]
    for r in rows:
        error_in_note(r)
        m = re.search(r"alpha=([\d.e-]+)( \(the grid's edge\))? chosen on 1000 validation images", r["note"])
        assert m and float(m[1]) in cdbn.ALPHAS, r["note"]
        assert bool(m[2]) == (float(m[1]) in (cdbn.ALPHAS[0], cdbn.ALPHAS[-1])), r["note"]
        assert 0.5 < r["ours"] <= 1.0 and "40 features" in r["note"]  # 4x3x3 + 4x1x1 pooled units
