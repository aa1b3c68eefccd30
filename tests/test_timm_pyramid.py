"""Pyramid vision transformers from timm by module reference (`symparams import timm.models:pvt_v2_b0
--input-shape 224x224x3`): PVT-v2 (spatial-reduction attention `srattention sr=R`, its linear variant
`linear=true`, the MLP's depthwise conv on the token map, overlapping patch embeddings) and Twins (PCPVT and SVT:
global sub-sampled attention as `srattention`, locally grouped attention as `windowattention relbias=false`, the
position-encoding generator's depthwise conv residual). The file written must read back and count what PyTorch
counts, total and trainable; its forward FLOPs are what torch.utils.flop_counter counts on timm's own model.

ROWS is the data: (input size, None for an exact import or words of the refusal). A handful run by default;
SYMPARAMS_TIMM_PYRAMID=all runs every variant."""

from __future__ import annotations

import importlib
import os

import pytest

import symparams
from conftest import need_module
from import_rows import check_import_row

ROWS = {
    "pvt_v2_b0": ("224x224x3", None),
    "pvt_v2_b1": ("224x224x3", None),
    "pvt_v2_b2": ("224x224x3", None),
    "pvt_v2_b3": ("224x224x3", None),
    "pvt_v2_b4": ("224x224x3", None),
    "pvt_v2_b5": ("224x224x3", None),
    "pvt_v2_b2_li": ("224x224x3", None),
    "twins_pcpvt_small": ("224x224x3", None),
    "twins_pcpvt_base": ("224x224x3", None),
    "twins_pcpvt_large": ("224x224x3", None),
    "twins_svt_small": ("224x224x3", None),
    "twins_svt_base": ("224x224x3", None),
    "twins_svt_large": ("224x224x3", None),
}
# other sizes: maps the reductions do not divide (floored by the strided conv), a non-square input; Twins-SVT's
# windows pad a map 7 does not divide and project only its unpadded positions, which windowattention does not
SIZES = {
    "pvt_v2_b0 230x200": ("timm.models:pvt_v2_b0", "230x200x3", None),
    "pvt_v2_b2_li 256x256": ("timm.models:pvt_v2_b2_li", "256x256x3", None),
    "twins_pcpvt_small 230x200": ("timm.models:twins_pcpvt_small", "230x200x3", None),
    "twins_svt_small 256x256": ("timm.models:twins_svt_small", "256x256x3",
                                "projects only the unpadded positions"),
}
DEFAULT = ("pvt_v2_b0", "pvt_v2_b2_li", "twins_pcpvt_small", "twins_svt_small")


def _counts(torch, reference):
    module, _, factory = reference.partition(":")
    with torch.device("meta"):
        model = getattr(importlib.import_module(module), factory)()
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


def _rows():
    return sorted(ROWS) if os.environ.get("SYMPARAMS_TIMM_PYRAMID") == "all" else list(DEFAULT)


@pytest.mark.parametrize("name", _rows())
def test_timm_pyramid_model_imports_exactly_or_is_refused_by_name(name, tmp_path, capsys):
    torch = need_module("torch")
    need_module("timm")
    shape, reason = ROWS[name]
    reference = f"timm.models:{name}"
    check_import_row(reference, shape, reason, lambda: _counts(torch, reference), tmp_path, capsys)


@pytest.mark.parametrize("case", sorted(SIZES))
def test_other_input_sizes(case, tmp_path, capsys):
    torch = need_module("torch")
    need_module("timm")
    reference, shape, reason = SIZES[case]
    check_import_row(reference, shape, reason, lambda: _counts(torch, reference), tmp_path, capsys)


@pytest.mark.parametrize("name, size", [("pvt_v2_b0", (224, 224)), ("twins_svt_small", (224, 224)),
                                        ("pvt_v2_b2_li", (160, 192))])
def test_forward_flops_are_what_torch_counts_on_timms_model(name, size):
    """The imported file's forward FLOPs (batch 1) against FlopCounterMode on timm's model on the meta device:
    the reductions' convs, the attentions' products (the N x M scores), the MLPs' depthwise convs."""
    torch = need_module("torch")
    timm = need_module("timm")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    with torch.device("meta"):
        model = timm.create_model(name).eval()
    net = symparams.parse(symparams.from_torch(model, size + (3,)), convention="pytorch")
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, *size, device="meta"))
    assert int(cost.totals(net, ("flops",), cost.Options(batch=1))["flops"]) == counter.get_total_flops()


def test_other_configurations_count_and_cost_what_pytorch_does():
    """PVT-v2 and Twins built with other configurations (depths of 1: Twins' last stage ends with its position
    encoding generator straight into the mean; no q/k/v biases; the linear variant; other widths, heads, reductions
    and windows), at inputs of other sizes: total counts and forward FLOPs as PyTorch counts them."""
    torch = need_module("torch")
    need_module("timm")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    from timm.models.pvt_v2 import PyramidVisionTransformerV2
    from timm.models.twins import Twins
    cases = [(PyramidVisionTransformerV2, dict(depths=(1, 2, 1, 1), embed_dims=(16, 24, 48, 64), num_heads=(1, 2, 3, 4),
                                               sr_ratios=(4, 2, 2, 1), mlp_ratios=(2, 4, 2, 2), qkv_bias=False,
                                               num_classes=10), (80, 72)),
             (PyramidVisionTransformerV2, dict(depths=(1, 1, 1, 1), embed_dims=(16, 16, 32, 32), num_heads=(1, 1, 2, 2),
                                               linear=True, num_classes=0), (64, 112)),
             (Twins, dict(embed_dims=[16, 24, 12, 12], num_heads=[1, 2, 1, 1], mlp_ratios=[2, 2, 2, 2],
                          depths=[1, 1, 1, 1], sr_ratios=[4, 1, 2, 1], wss=[4, 2, 2, 2], num_classes=10,
                          img_size=(64, 128)), (64, 128)),
             (Twins, dict(embed_dims=[16, 32, 48, 64], num_heads=[1, 2, 3, 4], mlp_ratios=[4, 4, 2, 2],
                          depths=[2, 2, 2, 2], sr_ratios=[4, 2, 2, 1], num_classes=0, img_size=(96, 96)), (96, 96))]
    for cls, config, size in cases:
        with torch.device("meta"):
            model = cls(**config).eval()
        net = symparams.parse(symparams.from_torch(model, size + (3,)), convention="pytorch")
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(1, 3, *size, device="meta"))
        assert int(net.params) == sum(p.numel() for p in model.parameters()), config
        assert int(cost.totals(net, ("flops",), cost.Options(batch=1))["flops"]) == counter.get_total_flops(), config


def test_frozen_parts_import_as_frozen():
    """requires_grad=False on the patch embedding, on one attention whole and on one reduction's kernel: the
    trainable count is PyTorch's, written as trainable=false and frozen=."""
    torch = need_module("torch")
    timm = need_module("timm")
    with torch.device("meta"):
        model = timm.create_model("pvt_v2_b0").eval()
    model.patch_embed.requires_grad_(False)
    model.stages[0].blocks[0].attn.sr.weight.requires_grad_(False)
    model.stages[1].blocks[0].attn.requires_grad_(False)
    text = symparams.from_torch(model, (224, 224, 3))
    assert 'srattention heads=1 sr=8 frozen="sr.weight"' in text and "srattention heads=2 sr=4 trainable=false" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.trainable_params) == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert int(net.params) == sum(p.numel() for p in model.parameters())


def test_an_attention_on_tokens_of_no_known_map_is_refused_by_name():
    """timm's PVT-v2 attention called on a sequence the import did not follow from a map (the model's own input,
    with its sizes given as numbers) is refused naming the module, not read as some map."""
    torch = need_module("torch")
    need_module("timm")
    from timm.models.pvt_v2 import Attention

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = Attention(8, num_heads=2, sr_ratio=2)

        def forward(self, x):
            return self.attn(x, (4, 4))

    with pytest.raises(symparams.SymparamsError, match="'attn' .*not the token sequence of a map"):
        symparams.from_torch(Model(), (16, 8))
