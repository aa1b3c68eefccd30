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
    # SigLIP's attention-pooling head (timm's AttentionPoolLatent: a learned query attending over the tokens) read
    # whole as `attentionpool heads=H` and its norm + MLP as a residual after it
    "timm.models.vision_transformer:vit_base_patch16_siglip_224": None,
    # BEiT: `attention bias=qvo relbias=N` (free q/v biases, a relative table per block), layer-scale gammas,
    # the avg head x[:, 1:].mean(1) as `globalavgpool prefix=1`
    "timm.models.beit:beit_base_patch16_224": None,
    # EVA-02: EvaAttention read whole as `attention bias=qvo` (free q/v biases; its rotary table, made from buffers
    # for the attention alone, adds no weight), SwiGLU's GluMlp as dense 2F, then the halves' product (slices)
    "timm.models.eva:eva02_tiny_patch14_224": None,
    # timm's TensorFlow-style MaxViT: Conv2dSame read at the input size, GELUTanh as gelu, each PartitionAttentionCl
    # read whole as torchvision's: residual { layernorm; windowattention heads=H window=P [grid=true] } + its MLP
    "timm.models.maxxvit:maxvit_tiny_tf_224": None,
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


# Issue 26's sweep for wrong numbers: one small variant of each timm transformer and hybrid family, built by timm's
# own entry point (`timm.models:NAME`) at its default input size. Each is exact (None) or refused with these words
# (a located message naming the construct); a WRONG count or a traceback fails the row. A handful run by default;
# SYMPARAMS_TIMM_VIT=all runs every row (about a minute).
SWEEP = {
    "vit_tiny_patch16_224": None,
    "vit_small_patch32_224": None,
    "vit_small_patch16_18x2_224": "cannot read the operation 'stack' (call_function stack)",
    "vit_base_patch16_gap_224": None,
    "vit_medium_patch16_gap_256": None,         # qkv_bias=False, proj biased: attention bias=o
    "vit_so150m2_patch16_reg1_gap_256": None,
    "vit_medium_patch16_reg4_gap_256": None,
    "vit_little_patch16_reg4_gap_256": None,
    "vit_small_patch14_dinov2": None,
    "vit_small_patch14_reg4_dinov2": None,
    "vitamin_xlarge_256": None,                 # no class token: x.view(B, -1, C) of the sequence, the tensor itself
    "vit_base_patch16_clip_quickgelu_224": None,
    "vit_xsmall_patch16_clip_224": None,
    "vit_base_patch16_siglip_224": None,
    "vit_base_patch16_siglip_gap_224": None,
    "vit_so400m_patch16_siglip_gap_256": None,  # F.gelu(x, approximate='tanh') as gelu
    "vit_so150m_patch16_reg4_map_256": None,           # attentionpool heads=H prefix=4: x[:, 4:] skips the registers
    "vit_relpos_small_patch16_224": "cannot read the operation 'permute' (call_method permute)",
    "vit_srelpos_small_patch16_224": "reads the tensor 'shared_rel_pos.rel_coords_log'",
    "vit_relpos_medium_patch16_cls_224": "cannot read the operation 'permute' (call_method permute)",
    "vit_small_patch16_rope_224": "cannot read the operation 'permute' (call_method permute)",
    "vit_small_patch16_dinov3": "acts on a tensor permuted to channels last",
    "vit_tiny_r_s16_p8_224": None,
    "vit_small_resnet26d_224": None,
    "vit_pe_core_tiny_patch16_384": "cannot read the operation 'permute' (call_method permute)",
    "vit_base_patch16_xp_224": "cannot read the operation 'transpose_1'",
    "aimv2_large_patch14_224": None,            # timm's RmsNorm (a scale over the last axis) as rmsnorm
    "vit_base_mci_224": None,
    "flexivit_small": None,
    "deit_tiny_patch16_224": None,
    "deit_tiny_distilled_patch16_224": None,
    "deit3_small_patch16_224": None,
    "beit_base_patch16_224": None,
    "beitv2_base_patch16_224": None,
    "beit3_base_patch16_224": "(timm Attention) has a norm before its output projection",
    "eva02_tiny_patch14_224": None,
    "eva_giant_patch14_224": None,
    "eva02_base_patch16_clip_224": "has a norm before its output projection (scale_norm)",
    "vit_base_patch16_rope_reg1_gap_256": None,  # timm's rope ViTs use EvaAttention
    "cait_xxs24_224": "cannot read the operation 'permute' (call_method permute)",
    "xcit_nano_12_p16_224": "reads the tensor 'pos_embed.token_projection.weight'",
    "pvt_v2_b0": "acts on a tensor permuted to channels last",
    "twins_pcpvt_small": "the operation 'permute' (permute) reshapes channels",
    "twins_svt_small": "the operation 'pad' (pad) has arguments symparams does not represent",
    "coat_lite_tiny": "indexes a tensor",
    "coat_tiny": "indexes a tensor",
    "crossvit_tiny_240": "cannot read the operation 'interpolate'",
    "levit_128s": "(timm Attention) has a qkv of LinearNorm",
    "levit_conv_128s": "(timm Attention) has a qkv of ConvNorm",
    "mobilevit_xxs": "reads the tensor '_tensor_constant0'",
    "mobilevitv2_050": "reads the tensor '_tensor_constant0'",
    "efficientformer_l1": "(timm Attention) has a width other than its input's",
    "efficientformerv2_s0": "cannot read the operation 'permute' (call_method permute)",
    "fastvit_t8": None,
    "tiny_vit_5m_224": "the operation 'view' (view) acts on a tensor permuted to channels last",
    "nest_tiny": "the operation 'reshape' (reshape) acts on a tensor permuted to channels last",
    "pit_ti_224": "reads the tensor 'cls_token'",
    "pit_ti_distilled_224": "reads the tensor 'cls_token'",
    "tnt_s_patch16_224": "cannot read the PyTorch module 'pixel_embed_unfold' (Unfold)",
    "volo_d1_224": "acts on a tensor permuted to channels last",
    "convit_tiny": "reads the tensor 'blocks.0.attn.qk.weight'",
    "sequencer2d_s": "acts on a tensor permuted to channels last",
    "mixer_s32_224": "cannot read the operation 'transpose_1'",
    "resmlp_12_224": "reads the tensor 'blocks.0.norm1.beta'",
    "gmlp_ti16_224": "the operation 'chunk' splits axis -1",
    "poolformer_s12": None,
    "poolformerv2_s12": "cannot read the operation 'pow_1'",
    "convformer_s18": "cannot read the operation 'pow_1' (call_function pow)",
    "caformer_s18": "cannot read the operation 'pow_1' (call_function pow)",
    "convnext_atto": None,
    "convnext_atto_ols": None,
    "convnext_atto_rms": "cannot read the operation 'pow_1' (call_method pow)",
    "convnextv2_atto": None,
    "focalnet_tiny_srf": None,
    "davit_tiny": "the operation 'pad' (pad) has arguments symparams does not represent",
    "hiera_tiny_224": "the operation 'view_1' (view) reshapes channels",
    "hieradet_small": "acts on a tensor permuted to channels last",
    "swin_tiny_patch4_window7_224": None,
    "swin_s3_tiny_224": None,
    "swinv2_tiny_window8_256": None,            # swinv2 helper: windowattention cpb= cosine=true, post-norm
    "swinv2_cr_tiny_224": None,
    "maxvit_tiny_tf_224": None,
    "maxvit_pico_rw_256": None,
    "maxvit_rmlp_pico_rw_256": "a position bias other than a (2P-1)^2 x heads table (RelPosMlp)",
    "maxxvit_rmlp_nano_rw_256": "a position bias other than a (2P-1)^2 x heads table (RelPosMlp)",
    "coatnet_nano_rw_224": "the operation 'chunk' splits axis 2",
    "coatnet_0_224": "the operation 'chunk' splits axis 2",
    "coatnext_nano_rw_224": "the operation 'chunk' splits axis 2",
    "efficientvit_b0": "cannot trace the PyTorch module",
    "efficientvit_m0": "the operation 'pad' (pad) acts on a tensor permuted to channels last",
    "vitamin_small_224": None,
    "mambaout_femto": "acts on a tensor permuted to channels last",
    "inception_next_atto": None,
    "edgenext_xx_small": "reads the tensor 'stages.1.blocks.1.pos_embd.token_projection.weight'",
    "gcvit_xxtiny": "acts on a tensor permuted to channels last",
    "mvitv2_tiny": "cannot trace the PyTorch module",
    "repvit_m0_9": None,
    "samvit_base_patch16_224": "acts on a tensor permuted to channels last",
    "rdnet_tiny": None,
}
SWEEP_DEFAULT = ("vit_little_patch16_reg4_gap_256", "vitamin_xlarge_256", "levit_128s", "deit3_small_patch16_224",
                 "vit_so150m_patch16_reg4_map_256")


def _sweep_rows():
    import os
    return sorted(SWEEP) if os.environ.get("SYMPARAMS_TIMM_VIT") == "all" else list(SWEEP_DEFAULT)


@pytest.mark.parametrize("name", _sweep_rows())
def test_timm_sweep_imports_exactly_or_is_refused_by_name(name, tmp_path, capsys):
    torch = need_module("torch")
    timm = need_module("timm")
    config = timm.models.get_pretrained_cfg(name)
    c, h, w = config.input_size if config is not None else (3, 224, 224)
    reference = f"timm.models:{name}"
    check_import_row(reference, f"{h}x{w}x{c}", SWEEP[name], lambda: _expected(torch, reference), tmp_path, capsys)



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
    # without its q and v biases only the output projection is biased: bias=o, exported and read back alike
    with torch.device("meta"):
        model = Model(qkv_bias=False)
    text = symparams.from_torch(model, (5, 16))
    assert "attention heads=2 bias=o name=attn" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    exported = run_source(export(net))["build"]()
    assert sum(p.numel() for p in exported.parameters()) == int(net.params)
    assert "bias=o " in symparams.from_torch(exported, (5, 16))
