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
    # CaiT: TalkingHeadAttn read whole as `talkingheads heads=H`, the layer-scale gammas as free tensors; the class
    # token joins at the first class-attention block (`clstoken`), each LayerScaleBlockClassAttn read whole as
    # `classattention heads=H` on [class token; patches]
    "timm.models.cait:cait_xxs24_224": None,
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
    "vit_small_patch16_18x2_224": None,         # parallel blocks: torch.stack([...]).sum(dim=0) as add
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
    "vit_small_patch16_rope_224": None,         # timm's AttentionRope read whole, as EvaAttention
    "vit_small_patch16_rope_mixed_224": "reads the tensor 'rope.freqs'",   # learned rotary frequencies
    "vit_small_patch16_dinov3": None,           # NHWC patches viewed as tokens; rope table from sizes and buffers
    "vit_tiny_r_s16_p8_224": None,
    "vit_small_resnet26d_224": None,
    "vit_pe_core_tiny_patch16_384": None,
    "vit_base_patch16_xp_224": "cannot read the operation 'transpose_1'",
    "aimv2_large_patch14_224": None,            # timm's RmsNorm (a scale over the last axis) as rmsnorm
    "vit_base_mci_224": None,
    "flexivit_small": None,
    "deit_tiny_patch16_224": None,
    "deit_tiny_distilled_patch16_224": None,
    "deit3_small_patch16_224": None,
    "beit_base_patch16_224": None,
    "beitv2_base_patch16_224": None,
    "beit3_base_patch16_224": None,             # a LayerNorm before proj: attention scale_norm=layernorm
    "eva02_tiny_patch14_224": None,
    "eva_giant_patch14_224": None,
    "eva02_base_patch16_clip_224": None,        # EvaAttention(scale_norm=True): scale_norm=layernorm
    "vit_base_patch16_rope_reg1_gap_256": None,  # timm's rope ViTs use EvaAttention
    "cait_xxs24_224": None,
    "xcit_nano_12_p16_224": "reads the tensor 'pos_embed.token_projection.weight'",
    "pvt_v2_b0": None,
    "twins_pcpvt_small": None,
    "twins_svt_small": None,
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
    "fastvit_sa12": None,           # its Attention flattens a B x C x H x W map inside: srattention (sr=1)
    "tiny_vit_5m_224": "the operation 'view' (view) acts on a tensor permuted to channels last",
    "nest_tiny": "the operation 'reshape' (reshape) acts on a tensor permuted to channels last",
    "pit_ti_224": "reads the tensor 'cls_token'",
    "pit_ti_distilled_224": "reads the tensor 'cls_token'",
    "tnt_s_patch16_224": "cannot read the PyTorch module 'pixel_embed_unfold' (Unfold)",
    "volo_d1_224": "cannot read the operation 'ceil'",
    "convit_tiny": "reads the tensor 'blocks.0.attn.qk.weight'",
    "sequencer2d_s": "acts on a tensor permuted to channels last",
    "mixer_s32_224": None,          # token mixing: transpose, dense over the tokens, transpose
    "mixer_b16_224": None,
    "resmlp_12_224": None,          # timm's Affine norms: affine
    "resmlp_24_224": None,
    "gmlp_ti16_224": None,          # spatial gating: the activated Linear output chunked on its features
    "gmlp_s16_224": None,
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
    "hieradet_small": "reads the tensor 'pos_embed_window'",
    "swin_tiny_patch4_window7_224": None,
    "swin_s3_tiny_224": None,
    "swinv2_tiny_window8_256": None,            # swinv2 helper: windowattention cpb= cosine=true, post-norm
    "swinv2_cr_tiny_224": None,
    "maxvit_tiny_tf_224": None,
    "maxvit_pico_rw_256": None,
    "maxvit_rmlp_pico_rw_256": None,    # timm's RelPosMlp: windowattention cpb=H cpb_form=rmlp
    "maxxvit_rmlp_nano_rw_256": None,   # timm's RelPosMlp: windowattention cpb=H cpb_form=rmlp
    "maxxvitv2_nano_rw_256": None,              # each partition branch ends in timm's LayerScale: layerscale
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
                 "vit_so150m_patch16_reg4_map_256", "eva02_base_patch16_clip_224",
                 "vit_small_patch16_dinov3", "fastvit_sa12")


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


# timm builders with the attention options as their own arguments: (class path, keywords, the options read)
_ATTENTION_NORMS = [
    ("timm.models.vision_transformer:VisionTransformer", {"qk_norm": True}, "qk_norm=layernorm"),
    ("timm.models.vision_transformer:VisionTransformer", {"qk_norm": True, "qkv_bias": False, "init_values": 1e-5,
                                                          "norm_layer": "RmsNorm"}, "bias=o qk_norm=rmsnorm"),
    ("timm.models.eva:Eva", {"qk_norm": True, "scale_attn_inner": True}, "bias=qvo qk_norm=layernorm "
                                                                          "scale_norm=layernorm"),
    ("timm.models.eva:Eva", {"scale_attn_inner": True, "qkv_fused": False, "norm_layer": "RmsNorm"},
     "bias=qvo scale_norm=rmsnorm"),
    # timm's AttentionRope with grouped keys and values (num_kv_heads) and q/k norms, its rotary table from buffers
    ("timm.models.eva:Eva", {"attn_type": "rope", "num_kv_heads": 2, "qkv_fused": False, "qk_norm": True,
                             "use_rot_pos_emb": True, "use_abs_pos_emb": False}, "kv_heads=2 qk_norm=layernorm"),
]


@pytest.mark.parametrize("builder, options, words", _ATTENTION_NORMS, ids=lambda v: str(v)[:40])
def test_attention_norms_read_as_qk_norm_and_scale_norm(builder, options, words):
    """timm's Attention, EvaAttention and AttentionRope options: q/k norms (one norm of head_dim shared by the heads) and its norm of the heads' output before proj
    (ViT's scale_norm, EVA's scale_attn_inner), LayerNorm or RmsNorm, read as the attention's qk_norm= and
    scale_norm=: the same total as PyTorch's, and the PyTorch export of the file counts it again and reads back
    with the same options."""
    torch = need_module("torch")
    timm = need_module("timm")
    import symparams
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    module, _, name = builder.partition(":")
    options = {k: getattr(timm.layers, v) if k == "norm_layer" else v for k, v in options.items()}
    with torch.device("meta"):
        model = getattr(importlib.import_module(module), name)(
            img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4, num_classes=10, **options)
    text = symparams.from_torch(model, (32, 32, 3))
    assert f"attention heads=4 {words} name=blocks_0_attn" in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    exported = run_source(export(net))["build"]()
    assert sum(p.numel() for p in exported.parameters()) == int(net.params)
    assert f"{words} name=" in symparams.from_torch(exported, (32, 32, 3))


def test_exported_attention_norms_compute_timms_attention():
    """The exported attention with qk_norm=layernorm scale_norm=layernorm computes what timm's Attention(qk_norm=True,
    scale_norm=True) computes, given its weights: the norms act where timm's do (each head's queries and keys,
    the heads' output before proj)."""
    torch = need_module("torch")
    need_module("timm")
    import symparams
    from timm.layers import Attention
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    torch.manual_seed(0)
    theirs = Attention(16, num_heads=2, qkv_bias=True, qk_norm=True, scale_norm=True,
                       norm_layer=torch.nn.LayerNorm).eval()
    for norm in (theirs.q_norm, theirs.k_norm, theirs.norm):         # not the identity they start as
        torch.nn.init.normal_(norm.weight)
        torch.nn.init.normal_(norm.bias)
    net = symparams.parse("input 5x16\nattention heads=2 qk_norm=layernorm scale_norm=layernorm",
                          convention="pytorch")
    ours = run_source(export(net))["build"]().eval()
    attention = next(m for m in ours.modules() if type(m).__name__ == "ProjectedAttention")
    with torch.no_grad():
        for part, weight, bias in zip((attention.q_proj, attention.k_proj, attention.v_proj),
                                      theirs.qkv.weight.chunk(3), theirs.qkv.bias.chunk(3)):
            part.weight.copy_(weight)
            part.bias.copy_(bias)
        attention.o_proj.load_state_dict(theirs.proj.state_dict())
        attention.q_norm.load_state_dict(theirs.q_norm.state_dict())
        attention.k_norm.load_state_dict(theirs.k_norm.state_dict())
        attention.scale_norm.load_state_dict(theirs.norm.state_dict())
        x = torch.randn(3, 5, 16)
        torch.testing.assert_close(attention(x), theirs(x))


def test_rel_pos_mlp_reads_as_cpb_form_rmlp_and_the_export_computes_its_bias():
    """timm's RelPosMlp (MaxViT-rmlp's position bias: 2 -> H -> heads, both biased, on the (2W-1)^2 log-spaced
    offsets) is windowattention `cpb=H cpb_form=rmlp`: its weights counted alike, and the exported layer's MLP,
    given timm's weights, computes timm's heads x W² x W² bias."""
    torch = need_module("torch")
    need_module("timm")
    import symparams
    from timm.layers.pos_embed_rel import RelPosMlp
    from symparams.frameworks.check import run_source
    from symparams.frameworks.importer import _timm_rel_pos_mlp
    from symparams.frameworks.torch_export import export
    torch.manual_seed(0)
    theirs = RelPosMlp((3, 3), num_heads=2, hidden_dim=5).eval()
    assert _timm_rel_pos_mlp(theirs, 3, 2, torch.nn) == " cpb=5 cpb_form=rmlp"
    net = symparams.parse("input 6x6x8\nwindowattention heads=2 window=3 cpb=5 cpb_form=rmlp", convention="pytorch")
    ours = next(m for m in run_source(export(net))["build"]().modules() if type(m).__name__ == "WindowAttention")
    ours.eval()
    with torch.no_grad():
        ours.cpb_mlp[0].load_state_dict(theirs.mlp.fc1.state_dict())
        ours.cpb_mlp[3].load_state_dict(theirs.mlp.fc2.state_dict())
        table = ours.cpb_mlp(ours.relative_coords_table).view(-1, 2)
        bias = table[ours.relative_position_index.flatten()].view(9, 9, -1).permute(2, 0, 1)
        torch.testing.assert_close(bias, theirs.get_bias()[0])
    assert int(net.params) == 4 * 8 * 8 + 4 * 8 + sum(p.numel() for p in theirs.parameters())


def test_a_stack_summed_over_its_new_axis_is_an_add_of_the_branches():
    """torch.stack([a(x), b(x), c(x)]).sum(dim=0) (timm's ParallelThingsBlock) is `add { a } { b } { c }`: the
    same weights and output; a stack summed over another axis (its operands mixed with the stacking) is refused
    by name."""
    torch = need_module("torch")
    import symparams

    class Parallel(torch.nn.Module):
        def __init__(self, axis=0):
            super().__init__()
            self.axis = axis
            self.a, self.b, self.c = (torch.nn.Linear(8, 8) for _ in range(3))

        def forward(self, x):
            return x + torch.stack([self.a(x), self.b(x), self.c(x)]).sum(dim=self.axis)

    text = symparams.from_torch(Parallel(), (5, 8))
    assert "residual {\n    add {\n        dense 8 name=a\n    } {\n        dense 8 name=b\n    } {" in text, text
    assert int(symparams.parse(text, convention="pytorch").evaluate().params) == 3 * (8 * 8 + 8)
    with pytest.raises(symparams.SymparamsError, match="stack"):
        symparams.from_torch(Parallel(axis=1), (5, 8))


@pytest.mark.parametrize("options", [dict(depth=2, depth_token_only=2, num_heads=2),
                                     dict(depth=1, depth_token_only=1, num_heads=4, qkv_bias=False, mlp_ratio=2.0)])
def test_a_small_cait_counts_and_computes_what_timm_does(options):
    """A small CaiT built by timm (talking-heads blocks, then the class-attention stage): the import counts its
    parameters and its forward FLOPs as torch's flop counter measures them on timm's own model."""
    torch = need_module("torch")
    need_module("timm")
    import symparams
    from symparams import cost
    from timm.models.cait import Cait
    from torch.utils.flop_counter import FlopCounterMode
    model = Cait(img_size=32, patch_size=8, embed_dim=32, num_classes=10, **options).eval()
    text = symparams.from_torch(model, (32, 32, 3))
    assert "talkingheads heads=" in text and text.count("classattention heads=") == options["depth_token_only"]
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    for m in model.modules():
        if hasattr(m, "fused_attn"):
            # ClassAttn's fused path runs CPU flash attention, whose products the flop counter does not see; the
            # eager path computes the same function with the products written out
            m.fused_attn = False
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(2, 3, 32, 32))
    ours = cost.totals(net, ("flops",), cost.Options(batch=2))
    assert int(ours["flops"]) == counter.get_total_flops()
