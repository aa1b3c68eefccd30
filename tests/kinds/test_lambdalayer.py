"""lambdalayer (LambdaNetworks' lambda layer, timm's LambdaLayer: the local lambda convolution and the relative
position table forms): the harness's generator, and the kind against timm's own module in counts, values, FLOPs
and saved tensors, and its refusals."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import (assert_costs_are_what_torch_measures, assert_export_is_the_reference, exported_module, kind,
                     torch_count)


# weight 0: per kind only (tests/kinds/test_every_kind.py), so the random architectures' seeded draws stay
@kind("lambdalayer", ranks=(3,), weight=0)
def lambdalayer(b):
    c = b.shape[-1]
    text = f"lambdalayer heads={b.pick([h for h in (1, 2, 4) if c % h == 0])} dim_qk={b.integer(1, 4)}"
    text += f" r={b.pick((0, 1, 3))}"
    if b.coin() and min(b.shape[:2]) >= 2:
        text += " stride=2"
    if b.coin():
        text += " qkv_bias=true"
    return text


def _exported(text):
    return exported_module(text, "LambdaLayer")


def _line(heads, dim_qk, r, stride, qkv_bias):
    return f"lambdalayer heads={heads}" + (f" dim_qk={dim_qk}" if dim_qk != 16 else "") + \
        (f" r={r or 0}" if r != 9 else "") + (" stride=2" if stride == 2 else "") + (" qkv_bias=true" if qkv_bias else "")


@pytest.mark.parametrize("size, c, heads, dim_qk, r, stride, qkv_bias", [
    ((8, 8), 16, 4, 4, 3, 1, False), ((6, 4), 8, 2, 16, None, 2, False), ((5, 7), 12, 3, 2, 5, 2, True),
    ((3, 4), 8, 1, 3, None, 1, True)])
def test_the_export_holds_and_computes_what_timms_lambda_layer_does(size, c, heads, dim_qk, r, stride, qkv_bias):
    """Loaded with timm's state dict (the same names), the exported module gives timm's output on the same map
    (training mode, batch statistics, and inference, running ones); its parameter count is timm's and symparams';
    timm's module and the export read back as the same line."""
    torch = need_module("torch")
    need_module("timm")
    from timm.layers.lambda_layer import LambdaLayer
    reference = LambdaLayer(c, feat_size=size, num_heads=heads, dim_head=dim_qk, r=r, stride=stride,
                            qkv_bias=qkv_bias)
    line = _line(heads, dim_qk, r, stride, qkv_bias)
    assert_export_is_the_reference(line, reference, size, c, "LambdaLayer", modes=(True, False))


@pytest.mark.parametrize("text", ["input 6x6x8\nlambdalayer heads=2 dim_qk=4 r=3",
                                  "input 4x6x8\nlambdalayer heads=4 dim_qk=2 r=0 stride=2",
                                  "input 5x3x6\nlambdalayer heads=3 dim_qk=3 r=5 qkv_bias=true stride=2"])
def test_flops_and_saved_tensors_are_what_torch_measures(text):
    """Forward and training FLOPs against torch.utils.flop_counter, and the bytes autograd saves against
    saved_tensors_hooks, at batch 1 and 2."""
    net, model, _ = _exported(text)
    shape = tuple(int(v) for v in text.splitlines()[0].split()[1].split("x"))
    assert_costs_are_what_torch_measures(net, model, shape)


@pytest.mark.parametrize("text", ["input 4x4x4\nlambdalayer heads=2 dim_qk=2 r=3 stride=2",
                                  "input 3x2x4\nlambdalayer heads=1 dim_qk=3 r=0"])
def test_frozen_weights_keep_what_autograd_keeps(text):
    """trainable=false and frozen= subsets, the layer first and after a trained dense layer, at batch 1 and 2:
    act_train_bytes against the exported model's saved tensors."""
    from test_memory_frozen import assert_frozen_variants_save_what_autograd_saves
    assert_frozen_variants_save_what_autograd_saves(text)


def test_refusals_name_the_construct():
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8x8\nlambdalayer")
    with pytest.raises(symparams.SymparamsError, match="odd r"):
        symparams.parse("input 8x8x8\nlambdalayer heads=2 r=4")
    need_module("keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="lambda layer"):
        keras_export.export(symparams.parse("input 8x8x8\nlambdalayer heads=2"))
