"""The cost model: MACs/FLOPs/activations/bytes as formulas, checked against hand arithmetic,
published numbers and re-derivation with the numbers substituted first."""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams import cost
from symparams.algebra import symbol
from symparams.cli import main
from symparams.errors import ShapeError, UsageError

from conftest import EXAMPLES

VGG16 = EXAMPLES / "zoo" / "vgg16.arch"
MNIST = EXAMPLES / "seed002_mnist.arch"


def test_conv_macs_formula_is_exact():
    """MACs of a valid, stride-1 conv: H_out * W_out * f * k^2 * c, H_out = H - k + 1."""
    H, W, k, c, f = (symbol(s) for s in "H W k c f".split())
    net = symparams.parse("input H x W x c\nconv f k x k")
    expected = (H - k + 1) * (W - k + 1) * f * k ** 2 * c
    assert sympy.expand(net.metric("macs") - expected) == 0
    assert sympy.expand(net.metric("flops") - 2 * expected) == 0


def test_conv_macs_with_stride_same_padding_and_groups():
    H, k, c, f, g = (symbol(s) for s in "H k c f g".split())
    net = symparams.parse("input H x H x c\nconv f k x k stride=2 padding=same groups=g bias=false")
    out = sympy.ceiling(H / 2)
    assert sympy.simplify(net.metric("macs") - out ** 2 * f * k ** 2 * c / g) == 0


def test_mnist_by_hand():
    """seed002 (Keras MNIST): worked by hand, layer by layer."""
    net = symparams.load(MNIST)
    conv1 = 24 * 24 * 32 * 5 * 5 * 1
    conv2 = 10 * 10 * 32 * 3 * 3 * 32
    dense1, dense2 = 800 * 256, 256 * 10
    assert net.metric("macs") == conv1 + conv2 + dense1 + dense2 == 1_589_760
    # outputs of every layer but the input
    act = 24 * 24 * 32 + 12 * 12 * 32 + 10 * 10 * 32 + 5 * 5 * 32 + 800 + 256 + 10
    assert net.metric("act") == act
    assert net.metric("act_bytes") == 4 * act
    assert net.metric("param_bytes") == 4 * 217_706          # the page's parameter total
    # pooling compares 2x2 windows; relu and softmax one op per value
    pools = 12 * 12 * 32 * 4 + 5 * 5 * 32 * 4
    activations = 24 * 24 * 32 + 10 * 10 * 32 + 256 + 10
    assert net.metric("ops") == pools + activations
    # receptive field: 5x5 conv, 2x2/2 pool, 3x3 conv, 2x2/2 pool
    assert net.metric("rf") == 1 + 4 + 1 + 2 * 2 + 1 * 2 == 12
    assert net.metric("rf_stride") == 4


def test_batch_dtype_and_bias_adds():
    net = symparams.load(MNIST)
    B = symbol("B")
    opts = cost.Options(batch="B", dtype="bfloat16", bias_adds=True)
    got = cost.totals(net, ("macs", "flops", "act_bytes", "param_bytes"), opts)
    bias = 24 * 24 * 32 + 10 * 10 * 32 + 256 + 10            # one add per output of a layer with bias
    assert got["macs"] == 1_589_760 * B
    assert got["flops"] == (2 * 1_589_760 + bias) * B
    assert got["act_bytes"] == 2 * 28_106 * B
    assert got["param_bytes"] == 2 * 217_706                   # weights do not grow with the batch
    assert cost.totals(net, ("act_bytes",), cost.Options(batch=3, dtype="int8"))["act_bytes"] == 3 * 28_106
    with pytest.raises(UsageError):
        cost.Options(dtype="float8")
    with pytest.raises(UsageError):
        cost.Options(batch="0")


def test_vgg16_published_macs():
    """PyTorch's flop counter on VGG16 at 224x224: 30,940,528,640 FLOPs = 15,470,264,320 MACs
    (conv and linear only; FlopCounterMode counts no bias adds and no pooling)."""
    net = symparams.load(VGG16).evaluate()
    assert net.metric("macs") == 15_470_264_320
    assert net.metric("flops") == 30_940_528_640


@settings(max_examples=25, deadline=None)
@given(n=st.integers(32, 400), classes=st.integers(1, 2000))
def test_symbolic_totals_agree_with_rederivation(n, classes):
    """The formula at (n, classes) equals the network derived with the numbers first."""
    net = symparams.load(VGG16)
    numeric = net.subs(n=n, classes=classes)
    for name in ("macs", "flops", "act", "ops", "param_bytes"):
        formula = net.metric(name).subs({symbol("n"): n, symbol("classes"): classes})
        assert formula == numeric.metric(name), name
    assert net.metric("rf") == numeric.metric("rf") == 212


def test_repeat_segments_and_closed_forms_sum_like_the_unrolled_network():
    text = """
let d = 3
input 32 x 32 x 4
repeat d as i { conv 4*(i+1) 3x3 padding=same }
repeat 2 { conv 6 3x3 stride=2 padding=same }
residual { conv 6 3x3 padding=same; batchnorm; relu } shortcut { conv 6 1x1 }
add { conv 2 1x1 } { conv 2 3x3 padding=same }
"""
    net = symparams.parse(text)
    d = symbol("d")
    for value in (1, 2, 5):
        numeric = net.subs(d=value).unrolled()
        by_hand = sum(cost.row_costs(numeric, ("macs",))[row]["macs"] for row in numeric.leaves())
        assert net.metric("macs").subs(d, value) == numeric.metric("macs") == by_hand
        assert net.metric("ops").subs(d, value) == numeric.metric("ops")
        assert net.metric("act").subs(d, value) == numeric.metric("act")


def test_indexed_repeat_by_hand():
    """Pass i maps 4*i channels (4 for i = 0) to 4*(i+1) on 32x32 with 3x3 kernels."""
    net = symparams.parse("input 32 x 32 x 4\nrepeat d as i { conv 4*(i+1) 3x3 padding=same }")
    d = symbol("d")
    for depth in (1, 2, 3, 6):
        by_hand = sum(32 * 32 * 9 * 4 * (i + 1) * (4 * i if i else 4) for i in range(depth))
        assert net.metric("macs").subs(d, depth).doit() == by_hand


def test_row_costs_and_totals_for_composites():
    net = symparams.parse("input 8 x 8 x 2\nblock b(c) { conv c 3x3 padding=same; relu }\nb(4)\nb(4)")
    rows = cost.row_costs(net, ("params", "macs", "act"))
    blocks = [r for r in net.layers if r.kind == "block"]
    conv = 8 * 8 * 4 * 9 * 2
    assert rows[blocks[0]]["macs"] == conv and rows[blocks[1]]["macs"] == 8 * 8 * 4 * 9 * 4
    assert rows[blocks[0]]["act"] == 2 * 8 * 8 * 4                   # conv and relu outputs
    assert rows[blocks[0]]["params"] == blocks[0].params
    assert cost.totals(net, ("macs",))["macs"] == conv + 8 * 8 * 4 * 9 * 4


def test_unknown_metric_and_missing_receptive_field():
    net = symparams.load(MNIST)
    with pytest.raises(UsageError) as info:
        net.metric("mac")
    assert "macs" in str(info.value)
    seq = symparams.parse("input 10 x 16\nattention heads=4\nconv1d 8 3")
    with pytest.raises(ShapeError, match="mixes every position"):
        seq.metric("rf")
    with pytest.raises(ShapeError, match="no spatial axes"):
        symparams.parse("input 10\ndense 4").metric("rf")
    with pytest.raises(UsageError):
        cost.check_columns("params,flop")


def test_cli_columns_text_and_json(capsys):
    assert main(["summary", str(VGG16), "--columns", "params,macs,rf"]) == 0
    out = capsys.readouterr().out
    assert "15,470,264,320" in out
    assert "Receptive field: 212 (effective stride 32, effective padding 90)" in out
    assert "138,357,544" in out                                    # params stay
    assert main(["summary", str(MNIST), "--columns", "macs,act_bytes,rf", "--format", "json",
                 "--batch", "2", "--dtype", "float16"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["macs_value"] == 2 * 1_589_760
    assert data["total"]["act_bytes_value"] == 2 * 2 * 28_106
    assert data["total"]["rf_value"] == 12
    conv1 = data["layers"][1]
    assert conv1["macs_value"] == 2 * 24 * 24 * 32 * 25 and conv1["rf_value"] == 5
    assert main(["summary", str(MNIST), "--columns", "rf"]) == 0
    assert "Receptive field: 12 (effective stride 4, effective padding 0)" in capsys.readouterr().out
    assert main(["summary", str(MNIST), "--columns", "rf_stride", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["rf_stride_value"] == 4
    assert main(["summary", str(MNIST), "--columns", "params,flop"]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_default_summary_has_no_cost_columns(capsys):
    assert main(["summary", str(MNIST)]) == 0
    out = capsys.readouterr().out
    assert "MACs" not in out and "Receptive field" not in out
