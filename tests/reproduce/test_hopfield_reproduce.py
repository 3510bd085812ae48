"""The Hopfield reproductions, quick variants: their rows, met as their targets say, and the
rules' published figures reached."""

from __future__ import annotations

import math

from neuralzoo.reproduce import hopfield_capacity, hopfield_rules

from .helpers import check_rows


def test_hopfield_rules_quick_meets_storkey_and_pseudo_inverse_figures():
    rows = check_rows(hopfield_rules.run(quick=True), n=9)  # met: within 0.05 of the published figure
    for row in rows:
        assert 0 <= row["ours"] <= 1  # a fraction of the stored patterns
        if row["name"].startswith(("storkey", "pseudo-inverse")):
            assert row["met"], row
    # the rules rank as published where they differ most: alpha = 0.40
    at_040 = {r["name"].split(":")[0]: r["ours"] for r in rows if "alpha=0.4 " in r["name"]}
    assert at_040["hebbian"] < 0.05 < at_040["storkey"] < at_040["pseudo-inverse"] == 1.0


def test_hopfield_capacity_quick_rows_and_curves():
    rows = check_rows(hopfield_capacity.run(quick=True), n=6)  # met as the target texts say
    errors = [r["ours"] for r in rows[:3]]
    assert errors == sorted(errors) and all(0 < e < 0.1 for e in errors)
    curve = rows[3]["curve"]
    k = len(curve["alpha"])
    for key in ("fixed_fraction", "bit_error", "bit_error_theory", "overlap"):
        assert len(curve[key]) == k
    assert curve["overlap"][0] == 1.0 and curve["overlap"][-1] < 0.9
    assert curve["marks"]["alpha_c"] == 0.138
    assert math.isclose(curve["marks"]["N/(2 ln N)"], 1 / (2 * math.log(curve["n"])))
    assert rows[4]["ours"] == 1.0  # every pattern stable at N / (4 ln N)
