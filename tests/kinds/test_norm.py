"""Normalisation (batchnorm, layernorm, rmsnorm, groupnorm): the harness's generators, and each kind against
the real PyTorch and Keras."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module
from harness import ACTS, kind, keras_layer, last, size_text, torch_count, torch_out  # noqa: F401

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- generators (the harness)

@kind("batchnorm")
def batchnorm(b):
    if b.fw == "keras" and b.target == "keras":      # Keras drops gamma and beta separately
        return b.pick(["batchnorm", "batchnorm scale=false", "batchnorm center=false",
                       "batchnorm scale=false center=false"])
    return b.pick(["batchnorm", "batchnorm scale=false center=false"])


@kind("layernorm")
def layernorm(b):
    return b.pick(["layernorm", "layernorm bias=false"])


@kind("rmsnorm")
def rmsnorm(b):
    return "rmsnorm"


@kind("groupnorm", ranks=(3, 4))
def groupnorm(b):
    return f"groupnorm {b.pick([g for g in (1, 2, 3, 4) if b.channels % g == 0])}"


# ----------------------------------------------------------------------------- against the frameworks, one layer at a time

@SETTINGS
@given(st.integers(1, 64), st.integers(1, 5))
def test_batchnorm(channels, size):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {size}x{size}x{channels}\nbatchnorm"
    net = symparams.parse(text, convention="keras")
    layer = keras.layers.BatchNormalization()
    keras_layer(layer, (size, size, channels))
    assert int(net.params) == layer.count_params()
    assert int(net.non_trainable_params) == sum(int(w.numpy().size) for w in layer.non_trainable_weights)
    net = symparams.parse(text, convention="pytorch")
    m = torch.nn.BatchNorm2d(channels)
    assert int(net.params) == torch_count(m)
    assert int(net.buffers) == m.running_mean.numel() + m.running_var.numel()


def test_batchnorm_issue_numbers():
    keras_net = symparams.parse("input 8x8x64\nbatchnorm", convention="keras")
    torch_net = symparams.parse("input 8x8x64\nbatchnorm", convention="pytorch")
    assert (keras_net.params, keras_net.non_trainable_params) == (256, 128)
    assert (torch_net.params, torch_net.non_trainable_params, torch_net.buffers) == (128, 0, 128)


@pytest.mark.parametrize("option", ["scale=false", "center=false"])
@pytest.mark.parametrize("shape", ["6x6x5", "7x5"])
def test_batchnorm_with_one_of_scale_and_shift_in_pytorch(option, shape):
    """PyTorch's BatchNorm has a scale and a shift or neither: `batchnorm scale=false` (Inception-v3's) is
    written as its normalisation without them (affine=False) and the learned shift alone, which PyTorch
    counts as symparams' PyTorch convention does and whose import reads the same line back."""
    torch = need_module("torch")
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    text = f"input {shape}\nbatchnorm {option}"
    net = symparams.parse(text, convention="pytorch")
    source = run_source(torch_export.export(net))
    model = source["build"]()
    assert int(net.params) == torch_count(model) == 5
    assert int(net.buffers) == sum(b.numel() for name, b in model.named_buffers() if "running" in name) == 10
    x = torch.randn((2,) + tuple(source["INPUT_SHAPE"]))
    channels = 1 if x.dim() >= 4 else x.dim() - 1          # an image channels first, a sequence channels last
    axes = [a for a in range(x.dim()) if a != channels]
    mean, var = x.mean(dim=axes, keepdim=True), x.var(dim=axes, keepdim=True, unbiased=False)
    # training mode (the batch's statistics); a fresh scale is 1 and a fresh shift 0: the bare normalisation
    assert torch.allclose(model(x), (x - mean) / torch.sqrt(var + 1e-5), atol=1e-4)
    back = symparams.from_torch(model, tuple(int(d) for d in shape.split("x")))     # symparams' layout
    assert f"batchnorm {option}" in back and int(symparams.parse(back).params) == 5


@SETTINGS
@given(st.integers(1, 40), st.integers(1, 5))
def test_layernorm(width, length):
    torch, keras = need_module("torch"), need_module("keras")
    text = f"input {length}x{width}\nlayernorm"
    assert last(text, "pytorch")[0] == torch_count(torch.nn.LayerNorm(width))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.LayerNormalization(), (length, width))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(2, 5))
def test_groupnorm(groups, per_group, size):
    torch, keras = need_module("torch"), need_module("keras")
    channels = groups * per_group
    text = f"input {size}x{size}x{channels}\ngroupnorm {groups}"
    m = torch.nn.GroupNorm(groups, channels)
    assert last(text, "pytorch")[:2] == (torch_count(m), torch_out(m, (size, size, channels)))
    assert last(text, "keras")[:2] == keras_layer(keras.layers.GroupNormalization(groups), (size, size, channels))


def test_groupnorm_groups_must_divide_the_channels():
    with pytest.raises(symparams.ShapeError, match="does not divide"):
        symparams.parse("input 4x4x6\ngroupnorm 4")
    net = symparams.parse("input 4 x 4 x c\ngroupnorm 4")
    assert any("must divide the channels c" in str(note) for note in net.constraints)
