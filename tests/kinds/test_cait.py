"""talkingheads and classattention (CaiT's two attentions, timm's TalkingHeadAttn and LayerScaleBlockClassAttn):
the harness's generators, and each kind against timm's own module in counts, values and FLOPs; the export reads
back; saved activations and Keras are refused by name."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import assert_costs_are_what_torch_measures, exported_module, kind, torch_count


# weight 0: per kind only (tests/kinds/test_every_kind.py), so the random architectures' seeded draws stay
@kind("talkingheads", ranks=(2,), weight=0)
def talkingheads(b):
    d = b.shape[-1]
    return f"talkingheads heads={b.pick([h for h in (1, 2, 4) if d % h == 0])}" + \
        (" qkv_bias=false" if b.coin() else "")


@kind("classattention", ranks=(2,), weight=0)
def classattention(b):
    d = b.shape[-1]
    text = f"classattention heads={b.pick([h for h in (1, 2, 4) if d % h == 0])}"
    if b.coin():
        text += f" hidden={b.integer(1, 9)}"
    return text + (" qkv_bias=false" if b.coin() else "")


def _timm_reference(which, d, heads, hidden, qkv_bias):
    need_module("timm")
    from functools import partial
    from timm.models import cait
    torch = need_module("torch")
    if which == "talkingheads":
        return cait.TalkingHeadAttn(d, num_heads=heads, qkv_bias=qkv_bias), "TalkingHeadAttn"
    block = cait.LayerScaleBlockClassAttn(d, heads, mlp_ratio=hidden / d, qkv_bias=qkv_bias,
                                          norm_layer=partial(torch.nn.LayerNorm, eps=1e-6))
    return block, "LayerScaleBlockClassAttn"


CASES = [("talkingheads", 5, 8, 2, None, True), ("talkingheads", 4, 12, 3, None, False),
         ("classattention", 5, 8, 2, 32, True), ("classattention", 3, 12, 4, 20, False)]


def _line(which, d, heads, hidden, qkv_bias):
    return f"{which} heads={heads}" + (f" hidden={hidden}" if hidden and hidden != 4 * d else "") + \
        ("" if qkv_bias else " qkv_bias=false")


@pytest.mark.parametrize("which, t, d, heads, hidden, qkv_bias", CASES)
def test_the_export_computes_what_timms_module_does(which, t, d, heads, hidden, qkv_bias):
    """Loaded with timm's state dict (the same names), the export gives timm's output (the class-attention block
    called as CaiT calls it: the patches and the class token apart, the sequence put back after); its count is
    timm's and symparams'; timm's module and the export read back as the same line."""
    torch = need_module("torch")
    reference, cls = _timm_reference(which, d, heads, hidden, qkv_bias)
    line = _line(which, d, heads, hidden, qkv_bias)
    net, model, module = exported_module(f"input {t}x{d}\n{line}", cls)
    assert int(net.params) == torch_count(reference) == sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_()
        module.load_state_dict(reference.state_dict())
        x = torch.randn(2, t, d)
        if which == "talkingheads":
            expected = reference.eval()(x)
        else:
            expected = torch.cat([reference.eval()(x[:, 1:], x[:, :1]), x[:, 1:]], dim=1)
        assert torch.allclose(module.eval()(x), expected, atol=1e-4)
    for source in (model, reference):
        back = symparams.from_torch(source, (t, d))
        assert line + " name=" in back and int(symparams.parse(back, convention="pytorch").params) == int(net.params)


@pytest.mark.parametrize("text", ["input 6x8\ntalkingheads heads=2", "input 5x12\ntalkingheads heads=3 qkv_bias=false",
                                  "input 7x8\ndense 8\nclassattention heads=2",
                                  "input 4x12\nclassattention heads=4 hidden=20 qkv_bias=false"])
def test_flops_and_saved_tensors_are_what_torch_measures(text):
    """Forward and training FLOPs against torch.utils.flop_counter, and the bytes autograd saves against
    saved_tensors_hooks, at batch 1 and 2."""
    cls = "TalkingHeadAttn" if "talkingheads" in text else "LayerScaleBlockClassAttn"
    net, model, _ = exported_module(text, cls)
    shape = tuple(int(v) for v in text.splitlines()[0].split()[1].split("x"))
    assert_costs_are_what_torch_measures(net, model, shape)


@pytest.mark.parametrize("text", ["input 5x8\ntalkingheads heads=2", "input 4x4\ntalkingheads heads=1 qkv_bias=false",
                                  "input 5x8\nclassattention heads=2 hidden=12",
                                  "input 3x4\nclassattention heads=1 qkv_bias=false"])
def test_frozen_weights_keep_what_autograd_keeps(text):
    """trainable=false and frozen= subsets, the layer first and after a trained dense layer, at batch 1 and 2:
    act_train_bytes against the exported model's saved tensors."""
    from test_memory_frozen import assert_frozen_variants_save_what_autograd_saves
    assert_frozen_variants_save_what_autograd_saves(text)


def test_refusals_name_the_construct():
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8\ntalkingheads")
    with pytest.raises(symparams.SymparamsError, match="heads"):
        symparams.parse("input 8x8\nclassattention heads=3")
    # the option a timm user guesses on attention names the kind that is the layer
    with pytest.raises(symparams.SymparamsError, match="talkingheads heads=H"):
        symparams.parse("input 8x8\nattention heads=2 talking_heads=true")
    with pytest.raises(symparams.SymparamsError, match="classattention heads=H"):
        symparams.parse("input 8x8\nattention heads=2 class_attention=true")
    with pytest.raises(symparams.SymparamsError, match="Keras has no such layer"):
        from symparams.frameworks.keras_export import export
        export(symparams.parse("input 8x8\nclassattention heads=2"))
