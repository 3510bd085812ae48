"""The Hopfield reproductions, quick variants: row shape, and the rules' published figures."""

from __future__ import annotations

import math

from neuralzoo.reproduce import hopfield_capacity, hopfield_rules

ROW_KEYS = {"name", "ours", "published", "target", "met"}


def check_rows(rows: list[dict]) -> None:
    assert rows
    for row in rows:
        assert ROW_KEYS <= set(row), row
        assert isinstance(row["name"], str) and isinstance(row["met"], bool)


def test_hopfield_rules_quick_meets_storkey_and_pseudo_inverse_figures():
    assert hopfield_rules.ID == "hopfield-rules" and hopfield_rules.TITLE and hopfield_rules.SOURCE
    rows = hopfield_rules.run(quick=True)
    check_rows(rows)
    assert len(rows) == 9
    for row in rows:
        if row["name"].startswith(("storkey", "pseudo-inverse")):
            assert row["met"], row
    # the rules rank as published where they differ most: alpha = 0.40
    at_040 = {r["name"].split(":")[0]: r["ours"] for r in rows if "alpha=0.4 " in r["name"]}
    assert at_040["hebbian"] < 0.05 < at_040["storkey"] < at_040["pseudo-inverse"] == 1.0


def test_hopfield_capacity_quick_rows_and_curves():
    assert hopfield_capacity.ID == "hopfield-capacity"
    rows = hopfield_capacity.run(quick=True)
    check_rows(rows)
    assert len(rows) == 6
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
