"""bottleneckattn (BoTNet's self-attention with decomposed 2-D relative position logits, timm's BottleneckAttn):
the harness's generator, and the kind against timm's own module in counts, values, FLOPs and saved tensors, and
its refusals."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import (assert_costs_are_what_torch_measures, assert_export_is_the_reference, exported_module, kind,
                     torch_count)


# weight 0: per kind only (tests/kinds/test_every_kind.py), so the random architectures' seeded draws stay
@kind("bottleneckattn", ranks=(3,), weight=0)
def bottleneckattn(b):
    c = b.shape[-1]
    text = f"bottleneckattn heads={b.pick([h for h in (1, 2, 4) if c % h == 0])}"
    if b.coin() and min(b.shape[:2]) >= 2:
        text += " stride=2"
    if b.coin():
        text += f" dim_qk={b.integer(1, 5)}"
    if b.coin():
        text += " qkv_bias=true"
    return text


def _exported(text):
    return exported_module(text, "BottleneckAttn")


@pytest.mark.parametrize("size, c, heads, stride, dim_qk, qkv_bias", [
    ((8, 8), 16, 4, 1, None, False), ((6, 4), 8, 2, 2, None, False), ((5, 7), 12, 3, 1, 5, True),
    ((4, 4), 8, 1, 2, 8, False)])
def test_the_export_holds_and_computes_what_timms_bottleneck_attn_does(size, c, heads, stride, dim_qk, qkv_bias):
    """Loaded with timm's state dict (the same names), the exported module gives timm's output on the same map;
    its parameter count is timm's and symparams'; timm's module and the export read back as the same line."""
    torch = need_module("torch")
    need_module("timm")
    from timm.layers.bottleneck_attn import BottleneckAttn
    reference = BottleneckAttn(c, feat_size=size, num_heads=heads, stride=stride, dim_head=dim_qk,
                               qkv_bias=qkv_bias).eval()
    line = f"bottleneckattn heads={heads}" + (f" dim_qk={dim_qk}" if dim_qk and dim_qk * heads != c else "") + \
        (" stride=2" if stride == 2 else "") + (" qkv_bias=true" if qkv_bias else "")
    assert_export_is_the_reference(line, reference, size, c, "BottleneckAttn", modes=(False,))


@pytest.mark.parametrize("text", ["input 8x8x8\nbottleneckattn heads=2", "input 6x4x8\nbottleneckattn heads=4 stride=2",
                                  "input 5x3x6\nbottleneckattn heads=3 dim_qk=4 qkv_bias=true",
                                  "input 4x5x8\nbottleneckattn heads=1 stride=2 qkv_bias=true"])
def test_flops_and_saved_tensors_are_what_torch_measures(text):
    """Forward and training FLOPs against torch.utils.flop_counter, and the bytes autograd saves against
    saved_tensors_hooks, at batch 1 and 2."""
    net, model, _ = _exported(text)
    shape = tuple(int(v) for v in text.splitlines()[0].split()[1].split("x"))
    assert_costs_are_what_torch_measures(net, model, shape)


@pytest.mark.parametrize("text", ["input 6x6x4\nbottleneckattn heads=2 stride=2", "input 5x4x4\nbottleneckattn heads=1"])
def test_frozen_weights_keep_what_autograd_keeps(text):
    """trainable=false and frozen= subsets, the layer first and after a trained dense layer, at batch 1 and 2:
    act_train_bytes against the exported model's saved tensors."""
    from test_memory_frozen import assert_frozen_variants_save_what_autograd_saves
    assert_frozen_variants_save_what_autograd_saves(text)


def test_refusals_name_the_construct():
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8x8\nbottleneckattn")
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8x8\nbottleneckattn heads=3")
    with pytest.raises(symparams.SymparamsError, match="stride=3"):
        symparams.parse("input 8x8x8\nbottleneckattn heads=2 stride=3")
    need_module("keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="BoTNet"):
        keras_export.export(symparams.parse("input 8x8x8\nbottleneckattn heads=2"))
    need_module("timm")
    from timm.layers.bottleneck_attn import BottleneckAttn
    with pytest.raises(symparams.SymparamsError, match="scale_pos_embed"):
        symparams.from_torch(BottleneckAttn(8, feat_size=(4, 4), num_heads=2, scale_pos_embed=True), (4, 4, 8))
