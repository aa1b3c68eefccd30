"""Convolutions (conv, dwconv, sepconv, deconv): the harness's generators, and each kind against the
real PyTorch and Keras, one layer at a time; the framework limits conventions.py states."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module
from harness import ACTS, kind, keras_layer, last, size_text, torch_count, torch_out  # noqa: F401

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------------- generators (the harness)

def padding_text(b, stride_one):
    kinds = ["valid", "explicit"]
    if stride_one or b.fw == "keras":
        kinds.append("same")
    choice = b.pick(kinds)
    if choice == "explicit":
        return " padding=" + b.window(b.n, 0, 2)[0]
    return "" if choice == "valid" and b.coin() else f" padding={choice}"


def conv_options(b):
    """stride, dilation, padding and bias options of a random convolution valid under b.fw."""
    stride_text, stride = b.window(b.n, 1, 2)
    dilated = b.coin() and max(stride) == 1
    text = ""
    if max(stride) > 1 or b.coin():
        text += f" stride={stride_text}"
    if dilated:
        text += " dilation=" + b.window(b.n, 1, 2)[0]
    text += padding_text(b, max(stride) == 1)
    if not b.coin():
        text += " bias=false"
    return text


@kind("conv", ranks=(2, 3, 4), weight=3)
def conv(b):
    groups = b.pick([g for g in (1, 2, 3) if b.channels % g == 0])
    filters = groups * b.integer(1, 3)
    opts = conv_options(b) + (f" groups={groups}" if groups > 1 else "")
    return f"conv {filters} {b.window(b.n, 1, 3)[0]}{opts}{b.act()}"


@kind("dwconv", ranks=(3, 4))
def dwconv(b):
    if b.fw == "keras" and b.n == 3:
        return None
    return f"dwconv {b.window(b.n, 1, 3)[0]}{conv_options(b)} multiplier={b.integer(1, 2)}{b.act()}"


@kind("sepconv", ranks=(3,))
def sepconv(b):
    return f"sepconv {b.integer(1, 4)} {b.window(b.n, 1, 3)[0]}{conv_options(b)} multiplier={b.integer(1, 2)}{b.act()}"


@kind("deconv", ranks=(3, 4))
def deconv(b):
    n = b.n
    stride_text, stride = b.window(n, 1, 2)
    dilation = [1] * n if max(stride) > 1 else b.window(n, 1, 2)[1]
    text = f"deconv {b.integer(1, 4)} {b.window(n, 1, 3)[0]} stride={stride_text}"
    if max(dilation) > 1:
        text += " dilation=" + "x".join(map(str, dilation))
    pad = b.pick(["valid", "same", "explicit"] if b.fw == "keras" else ["valid", "explicit"])
    if pad == "explicit" and b.fw == "keras":
        pad = "valid"
    if pad == "same" and b.target != b.fw and min(stride) == 1:
        pad = "valid"       # Keras' stride-1 'same' of an even kernel has no PyTorch sizes
    if pad == "explicit":
        text += " padding=" + b.window(n, 0, 1)[0]
    elif pad == "same":
        text += " padding=same"
    if max(stride) > 1 and b.coin():
        text += " output_padding=" + "x".join(str(b.integer(0, s - 1)) for s in stride)
    if not b.coin():
        text += " bias=false"
    return text + b.act()


# ----------------------------------------------------------------------------- against the frameworks, one layer at a time

conv_case = st.fixed_dictionaries({
    "rank": st.integers(1, 3),
    "channels_per_group": st.integers(1, 3),
    "filters_per_group": st.integers(1, 3),
    "groups": st.integers(1, 3),
    "kernel": st.integers(1, 3),
    "stride": st.integers(1, 3),
    "dilation": st.integers(1, 2),
    "padding": st.integers(0, 2),
    "bias": st.booleans(),
    "size": st.integers(7, 11),
})


@SETTINGS
@given(conv_case)
def test_conv_matches_torch(c):
    torch = need_module("torch")
    rank, g = c["rank"], c["groups"]
    cin, cout = c["channels_per_group"] * g, c["filters_per_group"] * g
    shape = (c["size"],) * rank + (cin,)
    text = (f"input {size_text(shape)}\nconv {cout} {c['kernel']} stride={c['stride']} padding={c['padding']} "
            f"dilation={c['dilation']} groups={g} bias={'true' if c['bias'] else 'false'}")
    params, out, _ = last(text, "pytorch")
    cls = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[rank]
    m = cls(cin, cout, c["kernel"], stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=g,
            bias=c["bias"])
    assert params == torch_count(m)
    assert out == torch_out(m, shape)


@SETTINGS
@given(conv_case, st.sampled_from(["valid", "same"]))
def test_conv_matches_keras(c, padding):
    keras = need_module("keras")
    rank, g = min(c["rank"], 2), c["groups"]
    cin, cout = c["channels_per_group"] * g, c["filters_per_group"] * g
    shape = (c["size"],) * rank + (cin,)
    stride = c["stride"] if c["dilation"] == 1 else 1     # Keras forbids stride > 1 with dilation > 1
    text = (f"input {size_text(shape)}\nconv {cout} {c['kernel']} stride={stride} padding={padding} "
            f"dilation={c['dilation']} groups={g} bias={'true' if c['bias'] else 'false'}")
    params, out, _ = last(text, "keras")
    cls = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D}[rank]
    layer = cls(cout, c["kernel"], strides=stride, padding=padding, dilation_rate=c["dilation"], groups=g,
                use_bias=c["bias"])
    assert (params, out) == keras_layer(layer, shape)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(5, 9),
       st.booleans())
def test_depthwise_matches_torch_and_keras(channels, mult, kernel, stride, size, bias):
    torch, keras = need_module("torch"), need_module("keras")
    shape = (size, size, channels)
    text = (f"input {size_text(shape)}\ndwconv {kernel} stride={stride} multiplier={mult} "
            f"bias={'true' if bias else 'false'}")
    params, out, _ = last(text, "pytorch")
    m = torch.nn.Conv2d(channels, channels * mult, kernel, stride=stride, groups=channels, bias=bias)
    assert (params, out) == (torch_count(m), torch_out(m, shape))
    params, out, _ = last(text, "keras")
    layer = keras.layers.DepthwiseConv2D(kernel, strides=stride, depth_multiplier=mult, use_bias=bias)
    assert (params, out) == keras_layer(layer, shape)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.integers(5, 9),
       st.booleans(), st.sampled_from(["valid", "same"]))
def test_separable_matches_keras(channels, filters, mult, kernel, size, bias, padding):
    keras = need_module("keras")
    shape = (size, size, channels)
    text = (f"input {size_text(shape)}\nsepconv {filters} {kernel} multiplier={mult} padding={padding} "
            f"bias={'true' if bias else 'false'}")
    params, out, _ = last(text, "keras")
    layer = keras.layers.SeparableConv2D(filters, kernel, depth_multiplier=mult, padding=padding, use_bias=bias)
    assert (params, out) == keras_layer(layer, shape)
    # the formula: prod(k)*C*M + C*M*F + F
    assert params == kernel * kernel * channels * mult + channels * mult * filters + (filters if bias else 0)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
       st.integers(0, 2), st.integers(3, 7), st.booleans())
def test_deconv_matches_torch(cin, cout, kernel, stride, padding, output_padding, size, bias):
    torch = need_module("torch")
    output_padding = min(output_padding, stride - 1)
    shape = (size, size, cin)
    text = (f"input {size_text(shape)}\ndeconv {cout} {kernel} stride={stride} padding={padding} "
            f"output_padding={output_padding} bias={'true' if bias else 'false'}")
    expected_len = (size - 1) * stride - 2 * padding + kernel + output_padding
    if expected_len < 1:
        return
    params, out, _ = last(text, "pytorch")
    m = torch.nn.ConvTranspose2d(cin, cout, kernel, stride=stride, padding=padding, output_padding=output_padding,
                                 bias=bias)
    assert (params, out) == (torch_count(m), torch_out(m, shape))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(3, 7),
       st.sampled_from(["valid", "same"]), st.sampled_from([None, 0, 1]))
def test_deconv_matches_keras(cin, cout, kernel, stride, size, padding, output_padding):
    keras = need_module("keras")
    if output_padding is not None and output_padding >= stride:
        output_padding = None
    shape = (size, size, cin)
    extra = f" output_padding={output_padding}" if output_padding is not None else ""
    text = f"input {size_text(shape)}\ndeconv {cout} {kernel} stride={stride} padding={padding}{extra}"
    params, out, _ = last(text, "keras")
    layer = keras.layers.Conv2DTranspose(cout, kernel, strides=stride, padding=padding, output_padding=output_padding)
    assert (params, out) == keras_layer(layer, shape)


# ----------------------------------------------------------------------------- framework limits

KERAS_REFUSES = [
    # (DSL, keras layer factory, torch module factory, input shape channels-last)
    ("input 9x9x3\nconv 4 3x3 stride=2 dilation=2",
     lambda k: k.layers.Conv2D(4, 3, strides=2, dilation_rate=2),
     lambda t: t.nn.Conv2d(3, 4, 3, stride=2, dilation=2), (9, 9, 3)),
    ("input 9x9x4\ndeconv 4 3x3 groups=2",
     lambda k: k.layers.Conv2DTranspose(4, 3, groups=2),
     lambda t: t.nn.ConvTranspose2d(4, 4, 3, groups=2), (9, 9, 4)),
    ("input 5x5x5x3\ndwconv 3",
     lambda k: k.layers.DepthwiseConv3D(3),
     lambda t: t.nn.Conv3d(3, 3, 3, groups=3), (5, 5, 5, 3)),
]


@pytest.mark.parametrize("text, keras_layer, torch_module, shape", KERAS_REFUSES)
def test_keras_refuses_and_so_does_the_keras_convention(text, keras_layer, torch_module, shape):
    """Convolutions PyTorch builds but Keras 3 refuses: the engine refuses them under the keras
    convention exactly when real Keras does, and accepts them under pytorch where torch builds them."""
    keras, torch = need_module("keras"), need_module("torch")
    with pytest.raises(Exception):
        keras_layer(keras)(keras.Input(shape))
    with pytest.raises(symparams.DefinitionError, match="Keras"):
        symparams.parse(text, convention="keras")
    net = symparams.parse(text, convention="pytorch")
    module = torch_module(torch)
    channels_first = (1, shape[-1]) + tuple(shape[:-1])
    out = module(torch.zeros(channels_first))
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert tuple(net.output_shape) == tuple(out.shape[2:]) + (out.shape[1],)


OUTPUT_PADDING = list(itertools.product([0, 1, 2, 3], [1, 2, 3], [1, 2, 3]))   # output_padding, stride, dilation


def _torch_accepts(op, s, d):
    torch = need_module("torch")
    try:
        torch.nn.ConvTranspose2d(3, 2, 3, stride=s, dilation=d, output_padding=op)(torch.zeros(1, 3, 5, 5))
    except Exception:
        return False
    return True


def _keras_accepts(op, s, d):
    keras = need_module("keras")
    try:
        keras.layers.Conv2DTranspose(2, 3, strides=s, dilation_rate=d, output_padding=op)(keras.Input((5, 5, 3)))
    except Exception:
        return False
    return True


def _engine_accepts(op, s, d, convention):
    text = f"input 5x5x3\ndeconv 2 3x3 stride={s} dilation={d} output_padding={op}"
    try:
        symparams.parse(text, convention=convention)
    except symparams.SymparamsError:
        return False
    return True


@pytest.mark.parametrize("op, s, d", OUTPUT_PADDING)
def test_output_padding_limits_match_the_frameworks(op, s, d):
    """Transposed-convolution output_padding limits: the engine refuses exactly what each framework refuses."""
    assert _engine_accepts(op, s, d, "pytorch") == _torch_accepts(op, s, d)
    assert _engine_accepts(op, s, d, "keras") == _keras_accepts(op, s, d)


def test_keras_convention_refuses_explicit_transposed_padding():
    """Regression: under Keras rules an explicit deconv padding was silently ignored (17 x 17 for
    8 x 8, kernel 3, stride 2, padding 1). Keras has no such padding; PyTorch gives (8-1)*2 - 2 + 3 = 15."""
    text = "input 8x8x3\ndeconv 4 3 stride=2 padding=1"
    with pytest.raises(symparams.DefinitionError, match="Keras transposed convolutions"):
        symparams.parse(text, convention="keras")
    assert tuple(int(d) for d in symparams.parse(text, convention="pytorch").output_shape) == (15, 15, 4)
