"""The convolutional networks: the lecture's example network and its weight counts, LeNet-5
against the paper's layer sizes and parameter counts, fused vs reference ops, the order of
non-linearity and pooling, input forms, bad input, the sizes the data fixes and the auto
upscale/pad, the hyperparameters declared once (get_params, --help, old run folders), and
training on the digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import neuralzoo
from neuralzoo import runs
from neuralzoo.config import hyperparameters
from neuralzoo.models import NotFittedError
from neuralzoo.models.cnn.base import image_shape
from neuralzoo.models.cnn.lecture import LectureCNN
from neuralzoo.models.cnn.lenet import C3_TABLE, LeNet5
from neuralzoo.models.cnn.modern import CNN
from neuralzoo.train import checkpoint as ckpt

QUIET = {"progress": False}


def test_lecture_cnn_maps_follow_the_lecture():
    net = LectureCNN()  # 200x200, 4 filters 5x5, pool, 7 maps 3x3, pool
    maps = net.feature_maps(torch.rand(1, 1, 200, 200))
    assert [(n, tuple(t.shape)) for n, t in maps] == [
        ("input", (1, 200, 200)), ("C1", (4, 196, 196)), ("S1", (4, 98, 98)),
        ("C2", (7, 96, 96)), ("S2", (7, 48, 48))]
    assert net.convs[1].weight.shape == (7, 4, 3, 3)  # 28 kernels K_ij = 7 filters of 3x3x4
    assert net.first_layer_filters.shape == (4, 1, 5, 5)
    assert net(torch.rand(2, 200 * 200)).shape == (2, 10)


def test_lecture_cnn_weight_counts_are_the_lecture_numbers():
    counts = LectureCNN().weight_counts()
    lecture = counts["lecture"]
    assert lecture["input to 1000 hidden units, full"] == 40_000_000  # 4千万
    assert lecture["input to 4000 hidden units, full"] == 160_000_000  # 1亿6千万
    assert lecture["C1 one filter, full"] == 200 * 200 * 196 * 196 == 1_536_640_000
    assert lecture["C1 one filter, local"] == 25 * 196 * 196 == 960_400
    assert lecture["C1 one filter, shared"] == 25
    assert lecture["C2 full, as the slide writes it"] == (4 * 98 * 98) * (4 * 96 * 96)
    assert lecture["C2 shared"] == 9 * 4 * 7 == 252
    assert counts["C1"] == {"full": 200 * 200 * 4 * 196 * 196, "local": 25 * 4 * 196 * 196, "shared": 100}
    assert counts["C2"] == {"full": (4 * 98 * 98) * (7 * 96 * 96), "local": 36 * 7 * 96 * 96,
                            "shared": 252}
    # the shared weights are exactly the kernels the network learns
    net = LectureCNN()
    assert [c.weight.numel() for c in net.convs] == [100, 252]
    assert "252" in net.weight_table()


def test_lenet5_layers_and_parameters_are_the_papers():
    net = LeNet5()  # 28x28 padded by 2
    shapes = dict(net.map_shapes())
    assert shapes == {"input": (1, 32, 32), "C1": (6, 28, 28), "S2": (6, 14, 14), "C3": (16, 10, 10),
                      "S4": (16, 5, 5), "C5": (120, 1, 1)}
    # LeCun et al. 1998, Section II-B: 156, 12, 1516, 32, 48120, 10164 trainable parameters
    p = net.layer_parameters()
    assert [p[k] for k in ("C1", "S2", "C3", "S4", "C5", "F6")] == [156, 12, 1516, 32, 48120, 10164]
    assert LeNet5(c3_table=False).layer_parameters()["C3"] == 16 * 6 * 25 + 16
    # Table I: six maps see 3 S2 maps, nine see 4, one sees all 6
    assert sorted(len(t) for t in C3_TABLE) == [3] * 6 + [4] * 9 + [6]
    assert net.c3_mask.sum().item() == 60


def test_lenet5_c3_links_absent_from_table_get_no_gradient():
    torch.manual_seed(0)
    net = LeNet5()
    net(torch.rand(4, 1, 28, 28)).sum().backward()
    g = net.C3.weight.grad  # (16, 6, 5, 5)
    absent = net.c3_mask.expand_as(g) == 0
    assert g[absent].abs().max() == 0 and g[~absent].abs().max() > 0


def _pair(cls, **kw):
    """Two copies of one network: PyTorch's kernels and the from-scratch ops."""
    torch.manual_seed(0)
    fused = cls(ops="fused", **kw)
    ref = cls(ops="reference", **kw)
    ref.load_state_dict(fused.state_dict())
    return fused, ref


@pytest.mark.parametrize("cls,kw", [
    (LeNet5, {}),
    (LeNet5, {"subsampling": "max", "activation": "relu", "c3_table": False}),
    (CNN, {"input_shape": (1, 12, 12), "channels": [3, 5], "convs_per_block": 2, "dropout": 0.0,
           "dropout_conv": 0.0}),
    (LectureCNN, {"input_shape": (2, 20, 20), "pool": "avg", "activation": "tanh"}),
])
def test_reference_ops_give_the_fused_values_and_gradients(cls, kw):
    fused, ref = _pair(cls, **kw)
    x = torch.rand(3, *fused.input_shape)
    of, orf = fused(x), ref(x)
    torch.testing.assert_close(orf, of, rtol=1e-4, atol=1e-5)
    of.square().sum().backward()
    orf.square().sum().backward()
    grads = dict(ref.named_parameters())
    for name, p in fused.named_parameters():
        torch.testing.assert_close(grads[name].grad, p.grad, rtol=1e-3, atol=1e-5, msg=name)


def test_reference_ops_train_a_small_network(digits_train):
    X, y = digits_train[0][:300], digits_train[1][:300]
    net = CNN((1, 8, 8), 10, channels=[4, 8], hidden=32, dropout=0.0, dropout_conv=0.0, ops="reference")
    net.fit(X, y, epochs=15, batch_size=30, lr=1e-2, seed=0, **QUIET)
    assert net.history_[-1]["loss"] < 0.5 * net.history_[0]["loss"]
    assert net.score(X, y) >= 0.9


def test_activation_after_pool():
    # max pooling commutes with a monotone f: the same network either way; averaging does not
    for pool, f, same in [("max", "relu", True), ("max", "tanh", True), ("avg", "tanh", False)]:
        torch.manual_seed(0)
        a = LectureCNN((1, 16, 16), pool=pool, activation=f)
        b = LectureCNN((1, 16, 16), pool=pool, activation=f, activation_after_pool=True)
        b.load_state_dict(a.state_dict())
        x = torch.randn(4, 1, 16, 16)
        assert torch.allclose(a(x), b(x), atol=1e-6) == same
    torch.manual_seed(0)
    c, d = LeNet5(subsampling="max"), LeNet5(subsampling="max", activation_after_pool=True)
    d.load_state_dict(c.state_dict())
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(c(x), d(x))


def test_input_forms_agree_and_numpy_is_accepted():
    torch.manual_seed(0)
    net = LeNet5()
    net._fitted = True
    x = torch.rand(5, 1, 28, 28)
    p = net.predict_proba(x)
    for form in (x[:, 0], x.reshape(5, -1), x.numpy()):
        torch.testing.assert_close(net.predict_proba(form), p)
    assert np.allclose(p.sum(1).numpy(), 1.0, atol=1e-5)


def test_bad_input_is_refused_with_one_clear_error():
    with pytest.raises(ValueError, match=r"input 1x12x12 is too small for LeNet5: C3 \(5x5 kernel\) "
                                         r"would produce a 0x0 map; expected at least 32x32"):
        LeNet5((1, 12, 12), upscale=1, pad=0)
    with pytest.raises(ValueError, match=r"input 1x4x4 is too small for LeNet5: C5 .* expected at least "
                                         r"8x8 \(after upscale 4 and pad 0\)"):
        LeNet5((1, 4, 4), upscale=4, pad=0)
    with pytest.raises(ValueError, match=r"input 1x8x8 is too small for LectureCNN: C2 \(3x3 kernel\) "
                                         r"would produce a 0x0 map; expected at least 12x12"):
        LectureCNN((1, 8, 8), upscale=1)
    with pytest.raises(ValueError, match=r"too small for CNN: pool3 \(2x2 pooling\)"):
        CNN((1, 4, 4), channels=[4, 4, 4])
    net = LeNet5()
    net._fitted = True
    with pytest.raises(ValueError, match=r"X has 3 channels: expected 1 \(input_shape 1x28x28\)"):
        net.predict(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"X images are 32x32: expected 28x28"):
        net.predict(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"X rows have 785 values: expected 784 = 1x28x28"):
        net.predict(torch.zeros(2, 785))
    with pytest.raises(ValueError, match=r"X must be images \(N, 1, 28, 28\).*got shape \(784,\)"):
        net.predict(torch.zeros(784))
    with pytest.raises(ValueError, match=r"X must be images .*got shape \(1, 2, 1, 28, 28\)"):
        net.predict(torch.zeros(1, 2, 1, 28, 28))
    with pytest.raises(ValueError, match="must be finite"):
        net.predict(torch.full((1, 784), float("nan")))
    rgb = CNN((3, 8, 8), channels=[4])
    with pytest.raises(ValueError, match=r"reads as \(N, H, W\) grey images: expected 3 channels"):
        rgb.fit(torch.zeros(2, 8, 8), torch.tensor([0, 1]), **QUIET)
    with pytest.raises(ValueError, match="needs labels"):
        rgb.fit(torch.zeros(2, 3, 8, 8), None)
    with pytest.raises(ValueError, match="cannot infer an image shape from 50 features"):
        image_shape(50)
    with pytest.raises(ValueError, match=r"pad must be >= 0 \(or -1: auto\), got -2"):
        LeNet5(pad=-2)
    with pytest.raises(ValueError, match=r"upscale must be >= 1 \(0: auto\) and pad >= 0, got upscale=-1"):
        CNN(upscale=-1)
    with pytest.raises(NotFittedError, match="not fitted"):
        LeNet5().predict(torch.zeros(1, 784))


def test_the_data_fixes_the_input_and_auto_values_fill_the_field():
    # what `neuralzoo train MODEL --data digits` builds: sizes from the data, defaults for the rest
    assert LeNet5.sizes_from_data(64, 10) == {"input_shape": (1, 8, 8), "n_classes": 10}
    assert CNN.sizes_from_data(3 * 16 * 16, 4) == {"input_shape": (3, 16, 16), "n_classes": 4}
    net = runs.build_for_data("lenet5", {}, 64, 10)  # digits 8x8 -> x3 -> 24x24 -> pad 4 -> 32x32
    assert (net.input_shape, net.upscale, net.pad) == ((1, 8, 8), 3, 4)
    assert dict(net.map_shapes())["input"] == (1, 32, 32)
    mnist = runs.build_for_data("lenet5", {}, 784, 10)
    assert (mnist.upscale, mnist.pad) == (1, 2)  # the paper: 28x28 in a 32x32 field
    assert (LeNet5((1, 8, 8), upscale=2).upscale, LeNet5((1, 8, 8), upscale=2).pad) == (2, 8)
    assert LeNet5((1, 8, 8), upscale=4).pad == 0  # 32x32 already
    lect = runs.build_for_data("lecture-cnn", {}, 64, 10)
    assert lect.upscale == 2 and dict(lect.map_shapes())["S2"] == (7, 2, 2)
    assert LectureCNN((1, 8, 8), pad=2).upscale == 1  # 12x12 with the border: big enough
    assert runs.build_for_data("lecture-cnn", {"maps": [4], "kernels": [5]}, 64, 10).upscale == 1
    assert CNN((1, 2, 2), channels=[4, 4], upscale=0).upscale == 2  # two poolings need 4x4
    cnn = runs.build_for_data("cnn", {"channels": [8], "batch_norm": True}, 3 * 16 * 16, 4)
    assert cnn.input_shape == (3, 16, 16) and cnn.n_classes == 4
    # hparams are plain JSON and rebuild the same network
    for model in (net, lect, cnn):
        rebuilt = type(model)(**json.loads(json.dumps(model.hparams)))
        rebuilt.load_state_dict(model.state_dict())
        model.eval(), rebuilt.eval()
        x = torch.rand(2, model.n_features)
        torch.testing.assert_close(rebuilt(x), model(x))
        assert "maps=" in repr(model)


CLASSES = [LectureCNN, LeNet5, CNN]


@pytest.mark.parametrize("cls", CLASSES)
def test_get_params_round_trips_and_every_hyperparameter_is_documented(cls):
    net = cls(**cls.sizes_from_data(64, 10))
    params = net.get_params()
    assert params["input_shape"] == [1, 8, 8] and params["n_classes"] == 10
    assert params["upscale"] >= 1 and params["pad"] >= 0  # the resolved values, not "auto"
    assert type(net)(**params).get_params() == params == net.hparams
    hyper = hyperparameters(cls)
    assert not {"input_shape", "n_classes"} & set(hyper)
    for key, p in hyper.items():
        assert p.doc != "", f"{cls.__name__}.{key} has no line in the Args: block"
        assert not p.required, f"{cls.__name__}.{key} has no default"
    with pytest.raises(TypeError):
        cls((1, 8, 8), 10, "relu")  # hyperparameters are keyword-only


def test_cnn_hidden_is_the_width_and_its_layer_keeps_its_name():
    net = CNN((1, 8, 8), 10, channels=[4], hidden=16)
    assert net.hidden == 16 and net.fc.out_features == 16
    assert {"hidden.weight", "hidden.bias"} <= set(net.state_dict())  # as neuralzoo 0.1 saved it
    assert LectureCNN((1, 16, 16), pool="avg").pool == "avg"


@pytest.mark.parametrize("name", ["lecture-cnn", "lenet5", "cnn"])
def test_train_help_lists_the_hyperparameters(name, run_cli):
    code, out, _ = run_cli("train", name, "--help")
    assert code == 0
    for key in hyperparameters(neuralzoo.models.get(name)):
        assert key in out


# the config.json "hparams" of neuralzoo 0.1 runs (no "format" key), as `neuralzoo tour` wrote them
OLD_HPARAMS = {
    CNN: {"input_shape": [1, 8, 8], "n_classes": 10, "channels": [32, 64], "convs_per_block": 1,
          "kernel_size": 3, "hidden": 128, "dropout": 0.5, "dropout_conv": 0.25, "batch_norm": False,
          "pool": "max", "activation": "relu", "activation_after_pool": False, "ops": "fused",
          "upscale": 1, "pad": 0},
    LeNet5: {"input_shape": [1, 8, 8], "n_classes": 10, "activation": "scaled_tanh",
             "subsampling": "trainable", "c3_table": True, "activation_after_pool": False,
             "dropout": 0.0, "ops": "fused", "upscale": 3, "pad": 4},
    LectureCNN: {"input_shape": [1, 8, 8], "n_classes": 10, "maps": [4, 7], "kernels": [5, 3],
                 "pool": "max", "activation": "relu", "activation_after_pool": False, "ops": "fused",
                 "upscale": 2, "pad": 0},
}


@pytest.mark.parametrize("cls", CLASSES)
def test_a_run_folder_of_neuralzoo_0_1_loads(cls, tmp_path, digits_train):
    old = OLD_HPARAMS[cls]
    assert cls.upgrade_hparams(old) == old  # no argument was renamed
    torch.manual_seed(0)
    net = cls(**old)
    net._fitted = True
    ckpt.save_weights(net, tmp_path / ckpt.WEIGHTS)
    (tmp_path / "config.json").write_text(json.dumps({"model": cls.registry_name, "hparams": old}))
    again = neuralzoo.load(tmp_path)
    assert type(again) is cls and again.get_params() == old
    X = digits_train[0][:50]
    torch.testing.assert_close(again.predict_proba(X), net.predict_proba(X), rtol=0, atol=0)


def test_digits_cnn_and_lenet5(digits_train, digits_test):
    cnn = CNN((1, 8, 8), 10).fit(*digits_train, epochs=12, batch_size=32, lr=2e-3,
                                                   lr_schedule="cosine", seed=0, **QUIET)
    assert cnn.score(*digits_test) >= 0.96
    lenet = LeNet5((1, 8, 8), 10).fit(*digits_train, epochs=10, batch_size=32,
                                                            lr=2e-3, lr_schedule="cosine", seed=0, **QUIET)
    assert lenet.score(*digits_test) >= 0.94
    maps = lenet.feature_maps(digits_test[0][0])
    assert [n for n, _ in maps] == ["input", "C1", "S2", "C3", "S4", "C5"]
    assert maps[1][1].shape == (6, 28, 28) and lenet.first_layer_filters.shape == (6, 1, 5, 5)


def test_same_seed_same_model(digits_train):
    X, y = digits_train[0][:200], digits_train[1][:200]
    a = CNN((1, 8, 8), channels=[4]).fit(X, y, epochs=2, seed=3, **QUIET)
    b = CNN((1, 8, 8), channels=[4]).fit(X, y, epochs=2, seed=3, **QUIET)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("ops", ["fused", "reference"])
def test_cuda_fit_and_predict(digits_train, ops):
    X, y = digits_train
    net = LeNet5((1, 8, 8), 10, ops=ops).fit(X, y, epochs=2, device="cuda", **QUIET)
    assert net.C1.weight.device.type == "cuda" and net.c3_mask.device.type == "cuda"
    assert net.predict(X).device.type == "cuda"
    assert net.feature_maps(X[0])[1][1].device.type == "cpu"
