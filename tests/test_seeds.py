"""The four worked examples from the web (shared/seeds): their published numbers are the oracles.
Where a seed is wrong or ambiguous, the example file's header says which reading is used; the
numbers here are the seed's own published ones (or its question's, worked by hand below)."""

from __future__ import annotations

import sympy

import symparams
from conftest import EXAMPLES


def values(rows, attr="params"):
    return [int(getattr(r, attr)) for r in rows]


def shapes(rows):
    return [tuple(int(d) for d in r.output_shape) for r in rows]


def test_seed002_mnist_table():
    net = symparams.load(EXAMPLES / "seed002_mnist.arch")
    rows = [r for r in net.layers if r.kind != "input"]
    # the page's hand table and its model.summary(): 832, 0, 9'248, 0, (flatten 0), 205'056, 2'570
    assert values(rows) == [832, 0, 9_248, 0, 0, 205_056, 2_570]
    assert int(net.params) == 217_706 == int(net.trainable_params)
    assert int(net.non_trainable_params) == 0
    assert shapes(rows) == [(24, 24, 32), (12, 12, 32), (10, 10, 32), (5, 5, 32), (800,), (256,), (10,)]
    assert [r.kind for r in rows] == ["conv2d", "maxpool2d", "conv2d", "maxpool2d", "flatten", "dense", "dense"]


def test_seed002_your_turn():
    net = symparams.load(EXAMPLES / "seed002_yourturn.arch")
    rows = [r for r in net.layers if r.kind != "input"]
    # the page's model.summary(): 1792, 0, 8320, 0, 0, 66564 and the cut-off last dense (516+1)*5
    assert values(rows) == [1_792, 0, 8_320, 0, 0, 66_564, (516 + 1) * 5]
    assert shapes(rows)[:6] == [(6, 6, 64), (3, 3, 64), (3, 3, 128), (1, 1, 128), (128,), (516,)]
    assert int(net.params) == 79_261


def test_seed003_question_reading():
    net = symparams.load(EXAMPLES / "seed003_weights.arch")
    # hand arithmetic of the question's network (valid padding, pool 2, flatten):
    conv1 = 60 * 7 * 7 * 1 + 60                       # the answer's 3000
    conv2 = 100 * 5 * 5 * 60 + 100
    side = (100 - 6 - 4) // 2                          # 94 -> 90 -> 45
    dense1 = (side * side * 100 + 1) * 250
    dense2 = (250 + 1) * 200
    dense3 = 200 + 1
    assert conv1 == 3_000
    assert int(net.params) == conv1 + conv2 + dense1 + dense2 + dense3 == 50_828_751
    assert net.output_shape == (1,)


def test_seed003_code_reading_differs():
    """The posted code (padding same, no flatten, no output unit) is another network: dense acts on
    the last axis, with a warning that suggests flatten."""
    code = ("input 100x100x1\nconv 60 7x7 padding=same relu\nconv 100 5x5 padding=same relu\nmaxpool 2\n"
            "dense 250\ndense 200")
    net = symparams.parse(code)
    assert tuple(net.output_shape) == (50, 50, 200)
    # conv 3000 + conv 150100 + dense (100+1)*250 + dense (250+1)*200
    assert int(net.params) == 3_000 + 150_100 + 25_250 + 50_200
    assert any("flatten" in w for w in net.warnings)


def test_seed000_same_convs_symbolic_image():
    net = symparams.load(EXAMPLES / "seed000_same_convs.arch")
    img = sympy.Symbol("img", integer=True, positive=True)
    convs = [r for r in net.layers if r.kind == "conv2d"]
    # the page: 32*3*3*3 + 32 = 896 and 64*3*3*32 + 64 = 18,496; then (9*64+1)*128, (1*128+1)*256
    assert values(convs) == [896, 18_496, 73_856, 33_024]
    assert [r.name for r in convs] == ["Conv1", "Conv2", "Conv3", "Conv4"]
    assert tuple(net.output_shape) == (img, img, 256)
    assert net.symbols == {img: 32}
    assert net.constraints == []


def test_seed001_first_layers():
    net = symparams.load(EXAMPLES / "seed001_first_layers.arch")
    convs = [r for r in net.layers if r.kind == "conv2d"]
    # the page's numbers: 320, 9248, 18496, i.e. (3*3*C + 1)*F, not its garbled "((k)*stride+1)*filters"
    assert values(convs) == [(9 * 1 + 1) * 32, (9 * 32 + 1) * 32, (9 * 32 + 1) * 64] == [320, 9_248, 18_496]
    assert tuple(net.output_shape) == (48, 48, 64)      # 96 halved by the 2x2 pool, as the page says


def test_symbolic_conv_formula():
    net = symparams.parse("input H x W x c\nconv f k x k")
    H, W, c, f, k = (sympy.Symbol(s, integer=True, positive=True) for s in "HWcfk")
    row = net.layers[-1]
    assert sympy.expand(row.params - f * (c * k ** 2 + 1)) == 0
    assert tuple(row.output_shape) == (H - k + 1, W - k + 1, f)
    from symparams.printers.common import formula
    assert formula(row.params) == "f*(c*k**2 + 1)"


def test_lecture_example_is_symbolic_and_evaluates():
    net = symparams.load(EXAMPLES / "lecture_symbolic.arch")
    names = {s.name for s in net.symbols}
    assert names == {"n", "f", "k"}
    # by hand at n=32, f=16, k=3: 30 -> 15 -> 13 -> 6; 16*28 + 32*(9*16+1) + (6*6*32+1)*10
    assert int(net.evaluate().params) == 16 * 28 + 32 * 145 + (6 * 6 * 32 + 1) * 10
    # and at other values: n=64, f=8, k=5: 60 -> 30 -> 26 -> 13
    assert int(net.subs(n=64, f=8, k=5).params) == 8 * (75 + 1) + 16 * (25 * 8 + 1) + (13 * 13 * 16 + 1) * 10
