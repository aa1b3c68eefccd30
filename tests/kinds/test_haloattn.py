"""haloattn (HaloNet's blocked local attention with a halo and relative position tables, timm's HaloAttn): the
harness's generator, and the kind against timm's own module in counts, values, FLOPs and saved tensors, and its
refusals."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import (assert_costs_are_what_torch_measures, assert_export_is_the_reference, exported_module, kind,
                     torch_count)


# weight 0: per kind only (tests/kinds/test_every_kind.py), so the random architectures' seeded draws stay
@kind("haloattn", ranks=(3,), weight=0)
def haloattn(b):
    c = b.shape[-1]
    sides = b.shape[:2]
    blocks = [k for k in (1, 2, 3, 4) if all(isinstance(s, int) and s % k == 0 for s in sides)] or [1]
    block = b.pick(blocks)
    text = f"haloattn heads={b.pick([h for h in (1, 2, 4) if c % h == 0])} block={block} halo={b.integer(0, 2)}"
    if b.coin():
        text += " stride=2" + ("" if block % 2 == 0 and b.coin() else " avg_down=true")
    if b.coin():
        text += f" dim_qk={b.integer(1, 5)}"
    if b.coin():
        text += " qkv_bias=true"
    return text


def _exported(text):
    return exported_module(text, "HaloAttn")


@pytest.mark.parametrize("size, c, heads, block, halo, stride, avg_down, dim_qk, qkv_bias", [
    ((8, 8), 16, 4, 4, 1, 1, False, None, False), ((8, 12), 8, 2, 4, 2, 2, False, None, False),
    ((6, 9), 12, 3, 3, 1, 2, True, 5, True), ((4, 4), 8, 1, 2, 0, 1, False, 8, False)])
def test_the_export_holds_and_computes_what_timms_halo_attn_does(size, c, heads, block, halo, stride, avg_down,
                                                                dim_qk, qkv_bias):
    """Loaded with timm's state dict (the same names), the exported module gives timm's output on the same map;
    its parameter count is timm's and symparams'; timm's module and the export read back as the same line."""
    torch = need_module("torch")
    need_module("timm")
    from timm.layers.halo_attn import HaloAttn
    reference = HaloAttn(c, num_heads=heads, block_size=block, halo_size=halo, stride=stride, avg_down=avg_down,
                         dim_head=dim_qk, qkv_bias=qkv_bias).eval()
    line = f"haloattn heads={heads} block={block} halo={halo}" + \
        (f" dim_qk={dim_qk}" if dim_qk and dim_qk * heads != c else "") + (" stride=2" if stride == 2 else "") + \
        (" avg_down=true" if avg_down else "") + (" qkv_bias=true" if qkv_bias else "")
    assert_export_is_the_reference(line, reference, size, c, "HaloAttn", modes=(False,))


@pytest.mark.parametrize("text", ["input 8x8x8\nhaloattn heads=2 block=4 halo=1",
                                  "input 8x4x8\nhaloattn heads=4 block=4 halo=2 stride=2",
                                  "input 6x3x6\nhaloattn heads=3 block=3 halo=1 dim_qk=4 qkv_bias=true stride=2 avg_down=true"])
def test_flops_and_saved_tensors_are_what_torch_measures(text):
    """Forward and training FLOPs against torch.utils.flop_counter, and the bytes autograd saves against
    saved_tensors_hooks, at batch 1 and 2."""
    net, model, _ = _exported(text)
    shape = tuple(int(v) for v in text.splitlines()[0].split()[1].split("x"))
    assert_costs_are_what_torch_measures(net, model, shape)


@pytest.mark.parametrize("text", ["input 4x4x4\nhaloattn heads=2 block=2 halo=1 stride=2",
                                  "input 4x2x4\nhaloattn heads=1 block=2 halo=1 stride=2 avg_down=true"])
def test_frozen_weights_keep_what_autograd_keeps(text):
    """trainable=false and frozen= subsets, the layer first and after a trained dense layer, at batch 1 and 2:
    act_train_bytes against the exported model's saved tensors."""
    from test_memory_frozen import assert_frozen_variants_save_what_autograd_saves
    assert_frozen_variants_save_what_autograd_saves(text)


def test_refusals_name_the_construct():
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8x8\nhaloattn")
    with pytest.raises(symparams.SymparamsError, match="do not tile"):
        symparams.parse("input 8x6x8\nhaloattn heads=2 block=4")
    with pytest.raises(symparams.SymparamsError, match="avg_down=true"):
        symparams.parse("input 9x9x8\nhaloattn heads=2 block=3 stride=2")
    need_module("keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="HaloNet"):
        keras_export.export(symparams.parse("input 8x8x8\nhaloattn heads=2 block=4 halo=1"))
    need_module("timm")
    from timm.layers.halo_attn import HaloAttn
    with pytest.raises(symparams.SymparamsError, match="scale_pos_embed"):
        symparams.from_torch(HaloAttn(8, num_heads=2, block_size=2, halo_size=1, scale_pos_embed=True), (4, 4, 8))
