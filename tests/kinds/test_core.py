"""Core layers (dense, flatten, dropout, reshape, zeropad, upsample, identity, activations): the
harness's generators, and each kind against the real PyTorch and Keras."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module
from harness import ACTS, kind, keras_layer, last, size_text, torch_count, torch_out  # noqa: F401

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- generators (the harness)

@kind("dense", weight=2, tail=None)
def dense(b):
    return f"dense {b.integer(1, 6)}{b.act()}" + ("" if b.coin() else " bias=false")


@kind("flatten", ranks=(2, 3, 4), weight=0, tail=lambda b: "flatten")
def flatten(b):
    return "flatten"


@kind("dropout")
def dropout(b):
    return f"dropout {b.pick(['0.1', '0.25', '0.5'])}"


@kind("reshape", ranks=(1,))
def reshape(b):
    """A vector laid out as a sequence, an image or a volume (one axis may be -1)."""
    size = b.shape[0]
    pairs = [(d, size // d) for d in range(2, size) if size % d == 0]
    if not pairs:
        return None
    a, rest = b.pick(pairs)
    options = [f"reshape {a}x{rest}", f"reshape -1x{rest}"]
    options += [f"reshape {a}x{c}x{rest // c}" for c in range(2, rest) if rest % c == 0]
    return b.pick(options)


@kind("zeropad", ranks=(2, 3, 4))
def zeropad(b):
    return f"zeropad {b.window(b.n, 0, 2)[0]}"


@kind("reflectpad", ranks=(2, 3, 4))
def reflectpad(b):
    return f"reflectpad {b.window(b.n, 0, 2)[0]}"


@kind("replicatepad", ranks=(2, 3, 4))
def replicatepad(b):
    return f"replicatepad {b.window(b.n, 0, 2)[0]}"


def test_copy_paddings_against_pytorch_and_reflection_below_the_size():
    torch = need_module("torch")
    for size, pad in ((5, 2), (3, 1), (6, 3)):
        shape = (size, size, 3)
        for word, module in (("reflectpad", torch.nn.ReflectionPad2d), ("replicatepad", torch.nn.ReplicationPad2d)):
            _, out, _ = last(f"input {size_text(shape)}\n{word} {pad}", "pytorch")
            assert out == torch_out(module(pad), shape)
    with pytest.raises(symparams.SymparamsError, match="reflection padding must be below the axis' size 3"):
        symparams.parse("input 3 x 3 x 2\nreflectpad 3").evaluate()
    with pytest.raises(RuntimeError):       # PyTorch refuses it too
        torch.nn.ReflectionPad2d(3)(torch.zeros(1, 2, 3, 3))


@kind("upsample", ranks=(2, 3, 4))
def upsample(b):
    return f"upsample {b.window(b.n, 1, 2)[0]}"


@kind("identity")
def identity(b):
    return "identity"


@kind("activation", weight=2)
def activation(b):
    return b.pick(ACTS)


# ----------------------------------------------------------------------------- against the frameworks, one layer at a time

@SETTINGS
@given(st.integers(1, 50), st.integers(1, 50), st.booleans())
def test_dense_both_conventions(n_in, units, bias):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {n_in}\ndense {units} bias={'true' if bias else 'false'}"
    assert last(text, "pytorch")[0] == torch_count(torch.nn.Linear(n_in, units, bias=bias))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.Dense(units, use_bias=bias), (n_in,))


def test_dense_on_a_sequence_acts_per_token_without_a_warning():
    keras = need_module("keras")
    params, out, net = last("input 7x12\ndense 5", "keras")
    assert (params, out) == keras_layer(keras.layers.Dense(5), (7, 12))
    assert net.warnings == []          # per-token dense is ordinary (transformers)


def test_dense_on_an_image_acts_on_the_last_axis_and_warns():
    keras = need_module("keras")
    params, out, net = last("input 3x4x6\ndense 5", "keras")
    assert (params, out) == keras_layer(keras.layers.Dense(5), (3, 4, 6))
    assert any("flatten" in w for w in net.warnings)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 6))
def test_parameter_free_layers(pad, up, size):
    torch = need_module("torch")
    shape = (size, size, 3)
    _, out, _ = last(f"input {size_text(shape)}\nzeropad {pad}", "pytorch")
    assert out == torch_out(torch.nn.ZeroPad2d(pad), shape)
    _, out, _ = last(f"input {size_text(shape)}\nupsample {up}", "pytorch")
    assert out == torch_out(torch.nn.Upsample(scale_factor=up), shape)
    for text in ("flatten", "dropout 0.5", "relu", "softmax", "reshape -1", "globalavgpool", "maxpool 2"):
        net = symparams.parse(f"input {size_text(shape)}\n{text}")
        assert net.params == 0 and net.layers[-1].weights == ()
