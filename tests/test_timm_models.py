"""Issue 26: common timm models by module reference, as a user runs them:
`symparams import timm.models.vision_transformer:vit_base_patch16_224 --input-shape 224x224x3` (timm's entry
points build the model with pretrained=False; the import builds it on the meta device). The written file must
read back and count what PyTorch counts, total and trainable.

MODELS is the data: None for a model that imports exactly, else words of the refusal the import must give. A
marked model that starts importing fails as much as an unmarked one that stops."""

from __future__ import annotations

import importlib

import pytest

from conftest import need_module
from import_rows import check_import_row

MODELS = {
    "timm.models.vision_transformer:vit_base_patch16_224": None,
    "timm.models.vision_transformer:vit_small_patch16_224": None,
    "timm.models.deit:deit_small_patch16_224": None,
    "timm.models.deit:deit_tiny_patch16_224": None,
    "timm.models.vision_transformer:vit_base_patch16_clip_224": None,       # a LayerNorm before the blocks
    "timm.models.convnext:convnext_tiny": None,
    "timm.models.convnext:convnext_small": None,
    "timm.models.convnext:convnext_nano": None,
    "timm.models.swin_transformer:swin_tiny_patch4_window7_224": None,
    # a class and a distillation token (`clstoken tokens=2`), two heads on x[:, 0] and x[:, 1] (`clspool token=1`)
    # averaged ((x + x_dist) / 2: `rescaling 0.5`)
    "timm.models.deit:deit_tiny_distilled_patch16_224": None,
    # SigLIP's attention-pooling head (a learned query attending over the tokens) begins with x[:, 0:]
    "timm.models.vision_transformer:vit_base_patch16_siglip_224": "indexes a tensor",
    # BEiT: `attention bias=qvo relbias=N` (free q/v biases, a relative table per block), layer-scale gammas,
    # the avg head x[:, 1:].mean(1) as `globalavgpool prefix=1`
    "timm.models.beit:beit_base_patch16_224": None,
    # EVA-02: the same free q/v biases, rotary embeddings, SwiGLU
    "timm.models.eva:eva02_tiny_patch14_224": "q_bias",
    # timm's TensorFlow-style MaxViT: Conv2dSame computes its padding from sizes read off the tensor in Python
    "timm.models.maxxvit:maxvit_tiny_tf_224": "cannot be used as inputs to control flow",
    # Swin-V2: post-norm residuals, `windowattention ... bias=qv cpb=512 cosine=true` (q and v biases, the
    # position-bias MLP, the logit scale); window16 shrinks to the 8 x 8 map of its last stage; 12to16 holds
    # pretrained window sizes (the MLP's coordinates scaled, the same counts)
    "timm.models.swin_transformer_v2:swinv2_tiny_window8_256": None,
    "timm.models.swin_transformer_v2:swinv2_tiny_window16_256": None,
    "timm.models.swin_transformer_v2:swinv2_base_window12to16_192to256": None,
    # Swin-V2-CR: its MLP with biases on both layers over all W^4 position pairs (`cpb=384 cpb_form=pairs`),
    # its PatchMerging's norm before the reduction; ns: an extra norm ending each stage
    "timm.models.swin_transformer_v2_cr:swinv2_cr_tiny_224": None,
    "timm.models.swin_transformer_v2_cr:swinv2_cr_tiny_ns_224": None,
}

# the input a model is built for, where it is not 224 x 224 (timm's Swin-V2 fixes its map sizes when built)
INPUT_SHAPES = {reference: "256x256x3" for reference in MODELS if reference.endswith("256")}


def _expected(torch, reference):
    module, _, factory = reference.partition(":")
    with torch.device("meta"):
        model = getattr(importlib.import_module(module), factory)()
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


@pytest.mark.parametrize("reference", sorted(MODELS), ids=lambda r: r.rpartition(":")[2])
def test_timm_model_imports_exactly_or_is_refused_by_name(reference, tmp_path, capsys):
    torch = need_module("torch")
    need_module("timm")
    check_import_row(reference, INPUT_SHAPES.get(reference, "224x224x3"), MODELS[reference],
                     lambda: _expected(torch, reference), tmp_path, capsys)



def test_a_frozen_block_read_as_several_layers_is_refused_by_name():
    """A unit read whole as several lines (timm's Swin block) has no one-line trainable=false: refused, never a
    wrong trainable count."""
    torch = need_module("torch")
    need_module("timm")
    import symparams
    from timm.models.swin_transformer import SwinTransformerBlock

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 16, 1)
            self.block = SwinTransformerBlock(16, (8, 8), num_heads=2, window_size=4)

        def forward(self, x):
            return self.block(self.conv(x).permute(0, 2, 3, 1))

    with torch.device("meta"):
        model = Model()
    model.block.requires_grad_(False)
    with pytest.raises(symparams.SymparamsError, match="frozen and reads as several layers"):
        symparams.from_torch(model, (8, 8, 3))


def test_beits_attention_reads_as_attention_with_q_and_v_biases_and_a_relative_table():
    """BEiT's Attention: an unbiased qkv Linear, free q_bias and v_bias parameters (k's is a zero buffer) and a
    biased output projection, plus a (2W-1)^2 + 3 x heads relative position table: `bias=qvo relbias=N`, the
    same weights as PyTorch counts."""
    torch = need_module("torch")
    need_module("timm")
    import symparams
    from timm.models.beit import Attention

    class Model(torch.nn.Module):
        def __init__(self, **options):
            super().__init__()
            self.fc = torch.nn.Linear(16, 16)
            self.attn = Attention(16, num_heads=2, **options)

        def forward(self, x):
            return self.attn(self.fc(x))

    with torch.device("meta"):
        model = Model(qkv_bias=True, window_size=(2, 2))
    text = symparams.from_torch(model, (5, 16))
    assert "attention heads=2 bias=qvo relbias=12 name=attn" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    # without its q and v biases only the output projection is biased: no attention bias option says that
    with torch.device("meta"):
        model = Model(qkv_bias=False)
    with pytest.raises(symparams.SymparamsError, match="a bias on one projection only"):
        symparams.from_torch(model, (5, 16))
