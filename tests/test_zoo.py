"""The model zoo (examples/zoo/*.arch) against published parameter counts and real Keras models,
and every example file under examples/ parsing and evaluating."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pytest
import sympy

import symparams
from symparams.errors import SymparamsError

from conftest import EXAMPLES, need_module

ZOO = EXAMPLES / "zoo"

# file -> (convention, published total, published trainable or None); the source is in each comment
PUBLISHED = {
    "lenet5.arch": ("keras", 61_706, None),                   # LeCun et al. 1998, 6/16 maps, 120, 84, 10
    "alexnet.arch": ("pytorch", 61_100_840, None),            # torchvision AlexNet_Weights docs
    "vgg16.arch": ("keras", 138_357_544, 138_357_544),        # Keras Applications / torchvision vgg16
    "resnet18.arch": ("pytorch", 11_689_512, 11_689_512),     # torchvision ResNet18_Weights docs
    "resnet50.arch": ("keras", 25_636_712, 25_583_592),       # keras.applications.ResNet50
    "mobilenet_v2.arch": ("keras", 3_538_984, 3_504_872),     # keras.applications.MobileNetV2
    "densenet121.arch": ("keras", 8_062_504, 7_978_856),      # keras.applications.DenseNet121
    "vit_b16.arch": ("pytorch", 86_567_656, 86_567_656),      # torchvision ViT_B_16_Weights docs
    "gpt2_small.arch": ("pytorch", 124_439_808, 124_439_808),  # GPT-2 small, tied embeddings
    "shufflenet_v2.arch": ("pytorch", 2_278_604, 2_278_604),  # torchvision ShuffleNet_V2_X1_0_Weights docs
    "swin_t.arch": ("pytorch", 28_288_354, 28_288_354),        # torchvision Swin_T_Weights docs
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_published_totals(name):
    convention, total, trainable = PUBLISHED[name]
    net = symparams.load(ZOO / name, convention=convention).evaluate()
    assert net.params == total
    if trainable is not None:
        assert net.trainable_params == trainable


@pytest.mark.parametrize("name", ["lenet5.arch", "alexnet.arch", "vgg16.arch", "vit_b16.arch", "gpt2_small.arch"])
def test_zoo_without_batchnorm_counts_the_same_in_both_conventions(name):
    """These models have no batch norm, so the published total holds in either convention."""
    _, total, _ = PUBLISHED[name]
    for convention in ("keras", "pytorch"):
        assert symparams.load(ZOO / name, convention=convention).evaluate().params == total


def test_zoo_files_exist_for_every_row():
    expected = set(PUBLISHED) | {"cifar_resnet.arch"}
    assert expected <= {p.name for p in ZOO.glob("*.arch")}


def test_zoo_headers_cite_their_source():
    for path in ZOO.glob("*.arch"):
        header = path.read_text().splitlines()[0]
        assert header.startswith("#"), path


def test_zoo_hand_arithmetic_lenet5():
    """LeNet-5 by hand: C1 6*(25+1)=156, C3 16*(6*25+1)=2,416, C5 120*(400+1)=48,120,
    F6 84*(120+1)=10,164, output 10*(84+1)=850."""
    net = symparams.load(ZOO / "lenet5.arch").evaluate()
    counts = [row.params for row in net.leaves() if row.params != 0]
    assert counts == [156, 2416, 48120, 10164, 850]


# ----------------------------------------------------------------------------- CIFAR ResNets

# He et al. 2016, Table 6: n -> published parameter count (two significant digits, millions)
CIFAR_TABLE6 = {3: 0.27, 5: 0.46, 7: 0.66, 9: 0.85, 18: 1.7}


def _two_significant_millions(count: int) -> float:
    return float(f"{count / 1e6:.2g}")


@pytest.mark.parametrize("convention", ["keras", "pytorch"])
def test_cifar_resnet_matches_table6(convention):
    """The paper counts learned weights: the trainable parameters (Keras also counts the batch-norm
    moving statistics, which would round ResNet-32 to 0.47M)."""
    net = symparams.load(ZOO / "cifar_resnet.arch", convention=convention)
    for n, published in CIFAR_TABLE6.items():
        trainable = net.subs(n=n).evaluate().trainable_params
        assert _two_significant_millions(int(trainable)) == published, (n, trainable)


def test_cifar_resnet_total_is_linear_in_n():
    """By hand (PyTorch counting: batch norm 2C trainable; convs without bias; 10 classes):
    stem conv 3*9*16 = 432 + bn 32                                    =    464
    stage 1, each of n blocks: 2*(16*16*9 + 32)                         =  4,672
    stage 2, first block: 16*32*9 + 32*32*9 + 2*64                      = 13,952
             each of n - 1 others: 2*(32*32*9 + 64)                     = 18,560
    stage 3, first block: 32*64*9 + 64*64*9 + 2*128                     = 55,552
             each of n - 1 others: 2*(64*64*9 + 128)                    = 73,984
    classifier 64*10 + 10                                               =    650
    total = 464 + 650 + 13,952 + 55,552 - 18,560 - 73,984 + (4,672 + 18,560 + 73,984) n
          = 97,216 n - 21,926.
    Keras also counts the moving mean and variance: 2C more per batch norm, 32 for the stem and
    2n*(16 + 32 + 64)*2 = 448 n in the stages: 97,664 n - 21,894."""
    n = sympy.Symbol("n", integer=True, positive=True)
    for convention, slope, intercept in (("pytorch", 97_216, -21_926), ("keras", 97_664, -21_894)):
        net = symparams.load(ZOO / "cifar_resnet.arch", convention=convention, values={"classes": 10, "s": 32})
        total = sympy.expand(net.params)
        assert total.free_symbols == {n}
        poly = sympy.Poly(total, n)
        assert poly.degree() == 1
        assert poly.all_coeffs() == [slope, intercept]
    # the ResNet-20 figure that the popular PyTorch reimplementations print
    assert 97_216 * 3 - 21_926 == 269_722


def test_cifar_resnet_summary_prints_formula_in_n():
    out = subprocess.run([sys.executable, "-m", "symparams.cli", "summary", str(ZOO / "cifar_resnet.arch")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    total_line = next(line for line in out.stdout.splitlines() if line.startswith("Total params"))
    assert "97,664n" in total_line          # the keras slope derived by hand above
    assert re.search(r"= 271,098\b", total_line)


def test_cifar_resnet_other_input_size():
    """Option-A shortcuts have no parameters and the head is global pooling: the count does not
    depend on the input size, but the shapes do."""
    net = symparams.load(ZOO / "cifar_resnet.arch")
    small, big = net.evaluate(), net.evaluate(s=64)
    assert small.params == big.params
    assert big.leaves()[-2].input_shape == (16, 16, 64)


# ----------------------------------------------------------------------------- symbols of the zoo

def test_zoo_input_size_symbol_changes_shapes():
    vgg = symparams.load(ZOO / "vgg16.arch")
    # the first dense layer sees (n/32)^2 * 512 values: at n = 256, 8*8*512 = 32,768
    dense = [row for row in vgg.evaluate(n=256).leaves() if row.kind == "dense"][0]
    assert dense.params == 32_768 * 4096 + 4096
    resnet = symparams.load(ZOO / "resnet50.arch")
    assert resnet.evaluate(n=160).output_shape == (1000,)
    # the conv5 output at n = 160 is 5x5x2048
    assert [r for r in resnet.evaluate(n=160).leaves() if r.kind == "globalavgpool2d"][0].input_shape == (5, 5, 2048)


def test_vgg_depth_closed_form_in_d():
    net = symparams.load(EXAMPLES / "vgg_depth.arch", values={"n": 64, "w": 32})
    d = sympy.Symbol("d", integer=True, positive=True)
    assert net.params.free_symbols == {d}
    assert not net.params.has(sympy.Sum)
    # by hand: stage widths 32, 64, 128, 256 on 3 input channels, then 10 classes
    # 32*(27+1) + 64*(9*32+1) + 128*(9*64+1) + 256*(9*128+1) + 10*(256+1)
    by_hand = 32 * 28 + 64 * 289 + 128 * 577 + 256 * 1153 + 2570
    assert net.params.subs(d, 4) == by_hand
    for depth in (1, 2, 3, 5, 6):
        assert net.params.subs(d, depth) == net.subs(d=depth).params


# ----------------------------------------------------------------------------- every example

EXAMPLE_FILES = sorted(p for p in EXAMPLES.rglob("*.arch"))
# files written in one framework's style: the other convention rejects them with a clear error
# (resnet18's explicit max-pool padding is fine in Keras too: zeros, then the pool)
ONE_CONVENTION = {"mobilenet_v2.arch": ("keras", "PyTorch"),    # padding='same' with stride 2
                  "mobilenet_v3_small.arch": ("keras", "PyTorch"), "efficientnet_b0.arch": ("keras", "PyTorch"),
                  "inception_v3.arch": ("keras", "PyTorch pooling")}   # avgpool 3x3 stride=1 padding=same


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_parses_and_evaluates(path):
    results = {}
    for convention in ("keras", "pytorch"):
        try:
            loaded = symparams.load(path, convention=convention)
            # a file meant for solving may leave a symbol without a default: evaluate it at 32
            missing = {s.name: 32 for s, default in loaded.symbols.items() if default is None}
            net = loaded.evaluate(**missing)
        except SymparamsError as exc:       # a user-facing error, never a crash
            results[convention] = exc
            continue
        assert net.params.is_Integer and net.params >= 0
        assert all(d.is_Integer for d in net.output_shape)
        results[convention] = net
    assert any(not isinstance(r, SymparamsError) for r in results.values()), results
    if path.parent == ZOO:
        if path.name in ONE_CONVENTION:
            works, rejected_by = ONE_CONVENTION[path.name]
            other = "pytorch" if works == "keras" else "keras"
            assert isinstance(results[other], SymparamsError)
            assert rejected_by in str(results[other])
            assert not isinstance(results[works], SymparamsError)
        else:
            assert not any(isinstance(r, SymparamsError) for r in results.values()), results


def test_zeropad_after_matches_keras_correct_pad():
    """MobileNetV2's ZeroPadding2D(((0, 1), (0, 1))) then a valid stride-2 3x3 depthwise conv:
    112 -> 113 -> floor((113 - 3)/2) + 1 = 56."""
    net = symparams.parse("input 112x112x96\nzeropad 0 after=1\ndwconv 3x3 stride=2 bias=false\nzeropad (1, 2)")
    pad, dw, pad2 = net.layers[1:]
    assert pad.output_shape == (113, 113, 96)
    assert dw.output_shape == (56, 56, 96)
    assert pad2.output_shape == (58, 60, 96)


# ----------------------------------------------------------------------------- Keras oracle

KERAS_MODELS = {"VGG16": "vgg16.arch", "ResNet50": "resnet50.arch", "MobileNetV2": "mobilenet_v2.arch",
                "DenseNet121": "densenet121.arch"}

_KERAS_KIND = {"Conv2D": "conv2d", "DepthwiseConv2D": "dwconv2d", "BatchNormalization": "batchnorm",
               "Dense": "dense", "ZeroPadding2D": "zeropad2d", "MaxPooling2D": "maxpool2d",
               "AveragePooling2D": "avgpool2d", "GlobalAveragePooling2D": "globalavgpool2d",
               "Flatten": "flatten", "Add": "merge", "Concatenate": "merge"}


def _keras_rows(model):
    rows = Counter()
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind == "Activation":
            kind = layer.get_config()["activation"]
        elif kind == "ReLU":
            kind = "relu6" if layer.get_config().get("max_value") == 6 else "relu"
        else:
            kind = _KERAS_KIND[kind]
        rows[(kind, tuple(layer.output.shape[1:]), layer.count_params())] += 1
    return rows


def _zoo_rows(net):
    rows = Counter()
    for _, row in net.walk():
        if row.kind in ("residual", "add", "concat"):
            kind, params = "merge", 0      # the merge itself; its paths are walked on their own
        elif row.is_leaf and row.kind != "input":
            kind, params = row.kind, int(row.params)
        else:
            continue
        rows[(kind, tuple(int(d) for d in row.output_shape), params)] += 1
    return rows


@pytest.mark.parametrize("model_name", sorted(KERAS_MODELS))
def test_zoo_matches_keras_applications(model_name):
    keras = need_module("keras")
    model = getattr(keras.applications, model_name)(weights=None)
    net = symparams.load(ZOO / KERAS_MODELS[model_name]).evaluate().unrolled()
    trainable = sum(int(sympy.prod(w.shape)) for w in model.trainable_weights)
    assert net.params == model.count_params()
    assert net.trainable_params == trainable
    # layer for layer: every Keras layer (kind, output shape, parameter count) appears in the zoo file
    # as often as in the model; merges (Add/Concatenate) are the residual/add/concat rows
    assert _zoo_rows(net) == _keras_rows(model)
