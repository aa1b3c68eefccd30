"""Pooling and subsampling (maxpool, avgpool, global pools, subsample, channelpad): the harness's
generators, and each kind against the real PyTorch and Keras."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module
from harness import ACTS, kind, keras_layer, last, size_text, torch_count, torch_out  # noqa: F401

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- generators (the harness)

def pool_line(b, word):
    if b.n == 1:
        return f"{word} {b.integer(1, 2)}"
    pool_text, pool = b.window(b.n, 1, 3)
    text = f"{word} {pool_text}"
    if b.coin():
        text += " stride=" + b.window(b.n, 1, 2)[0]
    if b.fw == "keras":       # explicit: zeros then a pool, any size (keras.applications style)
        text += b.pick(["", " padding=same", " padding=valid",
                        " padding=" + "x".join(str(b.integer(0, p)) for p in pool)])
    elif b.coin():
        text += " padding=" + "x".join(str(b.integer(0, p // 2)) for p in pool)
    return text


@kind("maxpool", ranks=(2, 3, 4))
def maxpool(b):
    line = pool_line(b, "maxpool")
    if b.fw == "pytorch" and b.target == "pytorch" and "same" not in str(line) and b.coin():
        return (line + " ceil_mode", line) if isinstance(line, str) else line   # PyTorch's ceil_mode sizes
    return line


@kind("avgpool", ranks=(2, 3, 4))
def avgpool(b):
    return pool_line(b, "avgpool")


@kind("globalavgpool", ranks=(2, 3, 4), weight=1, tail=lambda b: "globalavgpool")
def globalavgpool(b):
    line = b.pick(["globalavgpool", "globalavgpool keepdims"])
    # timm's mean of the tokens after the class token, on a sequence of odd length under PyTorch: chosen from the
    # shape, not drawn, so the seeded random architectures of the other tests stay what they were (same output)
    if line == "globalavgpool" and len(b.shape) == 2 and b.shape[0] % 2 == 1 and "keras" not in (b.fw, b.target):
        return "globalavgpool prefix=1"
    return line


@kind("globalmaxpool", ranks=(2, 3, 4), weight=1, tail=lambda b: "globalmaxpool")
def globalmaxpool(b):
    return b.pick(["globalmaxpool", "globalmaxpool keepdims"])


@kind("subsample", ranks=(3, 4))
def subsample(b):
    return f"subsample {b.window(b.n, 1, 2)[0]}"


@kind("channelpad", ranks=(3, 4))
def channelpad(b):
    return f"channelpad {b.channels + b.integer(0, 3)}"


# ----------------------------------------------------------------------------- against the frameworks, one layer at a time

@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(4, 10), st.sampled_from(["max", "avg"]))
def test_pool_matches_torch(pool, stride, padding, size, kind):
    torch = need_module("torch")
    padding = min(padding, pool // 2)
    shape = (size, size, 2)
    params, out, _ = last(f"input {size_text(shape)}\n{kind}pool {pool} stride={stride} padding={padding}",
                          "pytorch")
    cls = torch.nn.MaxPool2d if kind == "max" else torch.nn.AvgPool2d
    m = cls(pool, stride=stride, padding=padding)
    assert (params, out) == (0, torch_out(m, shape))


@SETTINGS
@given(st.integers(1, 3), st.one_of(st.none(), st.integers(1, 3)), st.integers(4, 10),
       st.sampled_from(["valid", "same"]))
def test_pool_matches_keras(pool, stride, size, padding):
    keras = need_module("keras")
    shape = (size, size, 2)
    stride_text = f" stride={stride}" if stride else ""
    params, out, _ = last(f"input {size_text(shape)}\nmaxpool {pool}{stride_text} padding={padding}", "keras")
    assert (params, out) == keras_layer(keras.layers.MaxPooling2D(pool, strides=stride, padding=padding), shape)


def test_global_pools_and_subsample_against_torch():
    torch = need_module("torch")
    shape = (6, 5, 3)
    for text, module in (("globalavgpool", torch.nn.AdaptiveAvgPool2d(1)), ("globalmaxpool", torch.nn.AdaptiveMaxPool2d(1))):
        params, out, _ = last(f"input {size_text(shape)}\n{text}", "pytorch")
        assert (params, out) == (0, torch_out(module, shape)[-1:])
    _, out, _ = last(f"input {size_text(shape)}\nsubsample 2x3", "pytorch")
    assert out == tuple(torch.zeros(1, 3, 6, 5)[:, :, ::2, ::3].movedim(1, -1).shape[1:])


@pytest.mark.parametrize("text, ok", [
    ("input 4x4x8\nchannelpad 16", True),
    ("input 4x4x8\nchannelpad 8", True),
    ("input 4x4x8\nchannelpad 4", False),       # fewer channels than the input: not a padding
])
def test_channelpad_needs_at_least_the_input_channels(text, ok):
    """Checks written as numeric comparisons fire (SymPy's false is not Python's False)."""
    if ok:
        symparams.parse(text)
    else:
        with pytest.raises(symparams.ShapeError):
            symparams.parse(text)


def test_pytorch_avgpool3d_needs_the_input_at_least_the_pool():
    """Regression (differential seed 2009): torch.nn.AvgPool3d((3, 1, 3), padding=(1, 0, 1)) rejects a
    1 x 7 x 3 input although the padded size fits; MaxPool3d and 2-D pools accept theirs."""
    torch = need_module("torch")
    pool = torch.nn.AvgPool3d((3, 1, 3), stride=(2, 2, 1), padding=(1, 0, 1))
    with pytest.raises(RuntimeError):
        pool(torch.zeros(1, 3, 1, 7, 3))
    text = "input 1x7x3x3\navgpool 3x1x3 stride=2x2x1 padding=1x0x1"
    with pytest.raises(symparams.ShapeError, match="AvgPool3d"):
        symparams.parse(text, convention="pytorch")
    ok = symparams.parse(text.replace("avgpool", "maxpool"), convention="pytorch")
    assert tuple(int(d) for d in ok.output_shape) == (1, 4, 3, 3)


def test_keepdims_keeps_each_spatial_axis_as_keras_does():
    keras = need_module("keras")
    for shape in ((6, 5, 3), (7, 4), (3, 4, 5, 2)):
        n = len(shape) - 1
        params, out, _ = last(f"input {size_text(shape)}\nglobalavgpool keepdims", "keras")
        layer = getattr(keras.layers, f"GlobalAveragePooling{n}D")(keepdims=True)
        assert (params, out) == (0, tuple(layer.compute_output_shape((None,) + shape)[1:]))


@pytest.mark.parametrize("size", [7, 8, 9, 10, 11, 112, 113])
@pytest.mark.parametrize("pool, stride, pad", [(3, 2, 0), (2, 2, 0), (3, 2, 1), (3, 3, 0)])
def test_maxpool_ceil_mode_sizes_are_pytorchs(size, pool, stride, pad):
    torch = need_module("torch")
    padding = f" padding={pad}" if pad else ""
    params, out, _ = last(f"input {size}x{size}x2\nmaxpool {pool} stride={stride}{padding} ceil_mode", "pytorch")
    module = torch.nn.MaxPool2d(pool, stride, pad, ceil_mode=True)
    assert (params, out) == (0, torch_out(module, (size, size, 2)))


def test_maxpool_ceil_mode_is_pytorch_only_and_symbolic_where_it_can_be():
    with pytest.raises(symparams.SymparamsError, match="Keras pooling has no ceil_mode"):
        symparams.parse("input 9x9x2\nmaxpool 3 stride=2 ceil_mode", convention="keras")
    net = symparams.parse("input n x n x 2\nmaxpool 3 stride=2 ceil_mode", convention="pytorch")
    assert int(net.output_shape[0].subs({s: 9 for s in net.output_shape[0].free_symbols})) == 4


def test_globalavgpool_prefix_averages_the_tokens_after_the_first_n():
    """timm's avg head, x[:, N:].mean(1): the counts agree with PyTorch's, the export computes exactly that mean
    and imports back, a prefix that leaves no token or that Keras would have to write is refused by name."""
    torch = need_module("torch")
    from harness import agree, round_trip
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    text = "input 6x4\ndense 5\nglobalavgpool prefix=2\ndense 3"
    agree(text, "pytorch")
    assert "globalavgpool prefix=2" in round_trip(text, "pytorch")
    net = symparams.parse(text, convention="pytorch")
    model = run_source(torch_export.export(net))["build"]()
    x = torch.randn(2, 6, 4)
    torch.testing.assert_close(model.globalavgpool1d_1(x), x[:, 2:].mean(dim=1))
    from symparams.layers import REGISTRY
    row = [r for _, r in net.evaluate().walk() if r.is_leaf][2]
    ops = REGISTRY["globalavgpool"].other_ops(row.config, row.input_shape, row.output_shape, None)
    assert int(ops) == 4 * 5                            # one add per averaged value: the skipped tokens are not read
    with pytest.raises(symparams.SymparamsError, match="leaves no token"):
        symparams.parse("input 2x4\nglobalavgpool prefix=2", convention="pytorch").evaluate()
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="Keras"):
        keras_export.export(symparams.parse("input 6x4\nglobalavgpool prefix=1", convention="keras"))
    with pytest.raises(symparams.SymparamsError, match="sequence"):
        symparams.parse("input 6x6x4\nglobalavgpool prefix=1", convention="pytorch").evaluate()
