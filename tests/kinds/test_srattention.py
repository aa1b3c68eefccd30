"""srattention (PVT's spatial-reduction attention, Twins' GSA, PVT-v2's linear variant): the harness's generator,
and the kind against timm's own modules (pvt_v2's Attention, twins' GlobalSubSampleAttn) in counts, values,
FLOPs and saved tensors, and its refusals."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import assert_costs_are_what_torch_measures, exported_module, kind, torch_count


# weight 0: per kind only (tests/kinds/test_every_kind.py), so the random architectures' seeded draws stay
@kind("srattention", ranks=(3,), weight=0)
def srattention(b):
    c = b.shape[-1]
    text = f"srattention heads={b.pick([h for h in (1, 2, 3) if c % h == 0])}"
    form = b.pick(("sr", "sr", "linear", "plain"))
    if form == "sr":
        text += f" sr={b.pick([r for r in (2, 3) if r <= min(b.shape[:2])] or [1])}"
    elif form == "linear":
        text += " linear=true" + (f" pool={b.integer(2, 4)}" if b.coin() else "")
    if b.coin():
        text += " qkv_bias=false"
    return text


def _pvt(c, heads, sr=1, linear=False, qkv_bias=True):
    need_module("timm")
    from timm.models.pvt_v2 import Attention
    return Attention(c, num_heads=heads, sr_ratio=sr, linear_attn=linear, qkv_bias=qkv_bias)


def _exported(text):
    return exported_module(text, "SRAttention")


@pytest.mark.parametrize("size, c, heads, sr, linear, qkv_bias", [
    ((8, 8), 8, 2, 2, False, True), ((7, 9), 6, 3, 3, False, False), ((5, 5), 4, 1, 1, False, True),
    ((14, 14), 8, 2, 1, True, True), ((9, 11), 4, 2, 1, True, False)])
def test_the_export_holds_and_computes_what_timms_pvt_v2_attention_does(size, c, heads, sr, linear, qkv_bias):
    """Loaded with timm's state dict (the same names), the exported module gives timm's output on the same map;
    its parameter count is timm's and symparams'; it reads back as the same line."""
    torch = need_module("torch")
    reference = _pvt(c, heads, sr, linear, qkv_bias).eval()
    line = f"srattention heads={heads}" + (f" sr={sr}" if sr != 1 else "") + (" linear=true" if linear else "") + \
        ("" if qkv_bias else " qkv_bias=false")
    net, model, module = _exported(f"input {size[0]}x{size[1]}x{c}\n{line}")
    assert int(net.params) == torch_count(reference) == sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_()
        module.load_state_dict(reference.state_dict())
        x = torch.randn(2, c, *size)
        tokens = x.flatten(2).transpose(1, 2)
        expected = reference(tokens, size).transpose(1, 2).reshape(2, c, *size)
        assert torch.allclose(module.eval()(x), expected, atol=1e-5)
    back = symparams.from_torch(model, (size[0], size[1], c))
    assert line in back and int(symparams.parse(back, convention="pytorch").params) == int(net.params)


@pytest.mark.parametrize("text", ["input 8x8x8\nsrattention heads=2 sr=2", "input 9x7x4\nsrattention heads=1 sr=3",
                                  "input 9x9x4\nsrattention heads=2 linear=true pool=4",
                                  "input 5x6x6\nsrattention heads=3 qkv_bias=false"])
def test_flops_and_saved_tensors_are_what_torch_measures(text):
    """Forward and training FLOPs against torch.utils.flop_counter, and the bytes autograd saves against
    saved_tensors_hooks, the layer first (no input gradient; after a trained layer: test_frozen_weights_... below and
    tests/test_training_cost.py's harness cases), at batch 1 and 2."""
    net, model, _ = _exported(text)
    shape = tuple(int(v) for v in text.splitlines()[0].split()[1].split("x"))
    assert_costs_are_what_torch_measures(net, model, shape)


def test_refusals_name_the_construct():
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8x8\nsrattention")
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8x8\nsrattention heads=3")
    with pytest.raises(symparams.SymparamsError, match="linear=true"):
        symparams.parse("input 8x8x8\nsrattention heads=2 sr=2 linear=true")
    with pytest.raises(symparams.SymparamsError, match="does not fit"):
        symparams.parse("input 3x8x8\nsrattention heads=2 sr=4")
    need_module("keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="spatial-reduction"):
        keras_export.export(symparams.parse("input 8x8x8\nsrattention heads=2 sr=2"))


@pytest.mark.parametrize("text", ["input 6x6x4\nsrattention heads=2 sr=2", "input 5x5x4\nsrattention heads=1",
                                  "input 6x6x4\nsrattention heads=2 linear=true pool=2 qkv_bias=false"])
def test_frozen_weights_keep_what_autograd_keeps(text):
    """trainable=false and frozen= subsets (tests/test_memory_frozen.py's variants: all trained, all frozen, the
    first weight alone, the last alone, all but the first), the layer first and after a trained dense layer, at
    batch 1 and 2: act_train_bytes against the exported model's saved tensors."""
    from test_memory_frozen import assert_frozen_variants_save_what_autograd_saves
    assert_frozen_variants_save_what_autograd_saves(text)
