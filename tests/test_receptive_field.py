"""Receptive field, effective stride and effective padding: the published VGG16 table, hand
arithmetic for branches and symbolic repeats, and a brute-force oracle (gradients in torch)."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cost
from symparams.algebra import symbol

from conftest import EXAMPLES, need_module

# google-research/receptive_field, receptive_field/RECEPTIVE_FIELD_TABLE.md, rows "vgg_16" at
# resolution 224 (the same at None and 321): end-point -> (RF, effective stride, effective padding).
# https://github.com/google-research/receptive_field/blob/master/receptive_field/RECEPTIVE_FIELD_TABLE.md
VGG16_TABLE = {
    "conv1_1": (3, 1, 1), "pool1": (6, 2, 2),
    "conv2_1": (10, 2, 4), "pool2": (16, 4, 6),
    "conv3_1": (24, 4, 10), "conv3_2": (32, 4, 14), "pool3": (44, 8, 18),
    "conv4_1": (60, 8, 26), "conv4_2": (76, 8, 34), "pool4": (100, 16, 42),
    "conv5_1": (132, 16, 58), "conv5_2": (164, 16, 74), "pool5": (212, 32, 90),
}
VGG16_NAMES = ["conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2",
               "conv3_1", "conv3_2", "conv3_3", "pool3", "conv4_1", "conv4_2", "conv4_3", "pool4",
               "conv5_1", "conv5_2", "conv5_3", "pool5"]
RF = ("rf", "rf_stride", "rf_padding")


def test_vgg16_end_points_match_the_published_table():
    net = symparams.load(EXAMPLES / "zoo" / "vgg16.arch").evaluate().unrolled()
    costs = cost.row_costs(net, RF)
    spatial = [row for row in net.leaves() if row.kind in ("conv2d", "maxpool2d")]
    assert len(spatial) == len(VGG16_NAMES)
    for name, row in zip(VGG16_NAMES, spatial):
        if name in VGG16_TABLE:
            assert tuple(costs[row][c] for c in RF) == VGG16_TABLE[name], name
    assert (net.metric("rf"), net.metric("rf_stride"), net.metric("rf_padding")) == VGG16_TABLE["pool5"]
    row, axes = cost.receptive_field(net)
    assert row.kind == "maxpool2d" and axes == [VGG16_TABLE["pool5"]] * 2


def test_vgg16_receptive_field_is_free_of_the_input_size():
    net = symparams.load(EXAMPLES / "zoo" / "vgg16.arch")
    assert net.metric("rf") == 212 and net.metric("rf_padding") == 90


def test_branches_take_the_largest_path():
    res = symparams.parse("input 32 x 32 x 3\n"
                          "residual { conv 8 3x3 padding=same; conv 8 3x3 padding=same } shortcut { conv 8 1x1 }")
    assert (res.metric("rf"), res.metric("rf_stride"), res.metric("rf_padding")) == (5, 1, 2)
    cat = symparams.parse("input 32 x 32 x 3\nconcat { } { conv 4 5x5 padding=same } { conv 4 3x3 padding=same }")
    assert cat.metric("rf") == 5 and cat.metric("rf_padding") == 2
    identity = symparams.parse("input 32 x 32 x 3\nresidual { conv 3 7x7 padding=same }")
    assert identity.metric("rf") == 7


def test_symbolic_repeats():
    d = symbol("d")
    same = symparams.parse("input 64 x 64 x 3\nrepeat d { conv 8 3x3 padding=same }")
    assert sympy.simplify(same.metric("rf") - (1 + 2 * d)) == 0
    assert sympy.simplify(same.metric("rf_padding") - d) == 0
    # each pass: rf += 2 * stride so far, stride doubles: rf = 1 + 2(2^d - 1)
    strided = symparams.parse("input n x n x 3\nrepeat d { conv 8 3x3 stride=2 padding=same }")
    assert sympy.simplify(strided.metric("rf") - (2 ** (d + 1) - 1)) == 0
    assert sympy.simplify(strided.metric("rf_stride") - 2 ** d) == 0
    for depth in (1, 2, 4):
        numeric = strided.subs(n=256, d=depth).unrolled()
        assert numeric.metric("rf") == 2 ** (depth + 1) - 1
    # kernel 2i+1 on pass i: rf grows by 2i
    grown = symparams.parse("input 64 x 64 x 3\nrepeat d as i { conv 8 (2*i+1) padding=same }")
    for depth in (1, 3, 5):
        assert sympy.sympify(grown.metric("rf")).subs(d, depth).doit() == 1 + depth * (depth - 1)


def test_layers_that_move_positions():
    up = symparams.parse("input 16 x 16 x 3\nconv 4 3x3\nupsample 2\nconv 4 3x3")
    assert up.metric("rf") == 3 + 2 * sympy.Rational(1, 2) and up.metric("rf_stride") == sympy.Rational(1, 2)
    pad = symparams.parse("input 16 x 16 x 3\nzeropad 2\nconv 4 3x3")
    assert (pad.metric("rf"), pad.metric("rf_padding")) == (3, 2)
    sub = symparams.parse("input 16 x 16 x 3\nsubsample 2\nconv 4 3x3")
    assert (sub.metric("rf"), sub.metric("rf_stride")) == (5, 2)
    with pytest.raises(symparams.errors.ShapeError, match="transposed convolution"):
        symparams.parse("input 16 x 16 x 3\ndeconv 4 3x3 stride=2\nconv 4 3x3").metric("rf")


layer = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2)),
    st.tuples(st.just("avgpool"), st.integers(1, 4), st.integers(1, 3), st.just(1), st.integers(0, 2)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layer, min_size=1, max_size=4))
def test_receptive_field_equals_the_gradient_support(layers):
    """Oracle: which inputs an output value depends on, read off the gradient of a torch
    Conv1d/AvgPool1d chain with positive weights (a 1-D sequence, PyTorch padding)."""
    torch = need_module("torch")
    lines, modules = ["input 1200 x 1"], []
    for kind, k, s, d, p in layers:
        p = min(p, k // 2)                              # PyTorch pooling: padding at most half the window
        if kind == "conv":
            lines.append(f"conv1d 1 {k} stride={s} dilation={d} padding={p}")
            conv = torch.nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
            torch.nn.init.constant_(conv.weight, 1.0)
            modules.append(conv)
        else:
            lines.append(f"avgpool1d {k} stride={s} padding={p}")
            modules.append(torch.nn.AvgPool1d(k, stride=s, padding=p))
    net = symparams.parse("\n".join(lines), convention="pytorch")
    rf, stride, padding = (int(net.metric(c)) for c in RF)
    x = torch.ones(1, 1, 1200, requires_grad=True)
    y = torch.nn.Sequential(*modules)(x)
    j = y.shape[-1] // 2                                # an output far from both ends
    y[0, 0, j].backward()
    support = torch.nonzero(x.grad[0, 0]).flatten()
    first, last = int(support.min()), int(support.max())
    assert 0 < first and last < 1199                    # the window lies inside the input
    assert last - first + 1 == rf
    assert first == j * stride - padding                # effective stride and padding place the window
