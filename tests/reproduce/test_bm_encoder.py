"""bm-encoder: one seed of the 4-2-4 encoder learns all codes and completes the output group;
the module has the reproduction interface."""

from __future__ import annotations

import torch

from neuralzoo.reproduce import bm_encoder


def test_424_encoder_learns_four_distinct_codes_and_completes():
    r = bm_encoder.train_encoder(4, 2, seed=0, epochs=400)
    assert r["all_codes"] and r["distinct_codes"] == 4
    assert sorted(map(tuple, r["codes"])) == [(0, 0), (0, 1), (1, 0), (1, 1)]  # the corners
    assert r["completion_accuracy"] == 1.0
    assert r["p_output_right"] > 0.9
    bm = r["model"]
    W = bm.W
    assert torch.equal(W[:4, 4:8], torch.zeros(4, 4))  # input and output meet only through H


def test_module_interface():
    assert bm_encoder.ID == "bm-encoder"
    assert bm_encoder.TITLE and bm_encoder.SOURCE and callable(bm_encoder.run)
