"""Issue 26: common timm CNNs by module reference, as a user runs them:
`symparams import timm.models.resnet:resnet50d --input-shape 224x224x3` (timm's entry points build the model with
pretrained=False; the import builds it on the meta device; Inception-v3 and Xception at 299x299x3). The written
file must read back and count what PyTorch counts, total and trainable. (timm's transformers and ConvNeXt:
tests/test_timm_models.py.)

CNNS is the data: None for a model that imports exactly, else words of the refusal the import must give (the
construct it has no form for). A marked model that starts importing fails as much as an unmarked one that stops."""

from __future__ import annotations

import os

import pytest

from conftest import need_module
from import_rows import check_import_row

CNNS = {
    "timm.models.resnet:resnet18": None,
    "timm.models.resnet:resnet50": None,
    "timm.models.resnet:resnet50d": None,           # deep stem, avg-pool shortcut with ceil_mode
    "timm.models.resnet:resnet26d": None,
    "timm.models.resnet:seresnet50": None,
    "timm.models.res2net:res2net50_26w_4s": None,
    "timm.models.efficientnet:efficientnet_b0": None,   # BatchNormAct2d read whole
    "timm.models.efficientnet:efficientnetv2_rw_s": None,
    "timm.models.efficientnet:mixnet_s": None,
    "timm.models.efficientnet:mobilenetv2_100": None,
    "timm.models.mobilenetv3:mobilenetv3_large_100": None,  # timm's Linear head
    "timm.models.mobilenetv3:mobilenetv3_small_100": None,
    "timm.models.mobilenetv3:lcnet_050": None,
    "timm.models.regnet:regnety_016": None,
    "timm.models.regnet:regnetx_002": None,
    "timm.models.densenet:densenet121": None,
    "timm.models.dla:dla34": None,
    "timm.models.cspnet:cspdarknet53": None,
    "timm.models.inception_v3:inception_v3": None,
    "timm.models.xception:legacy_xception": None,
    "timm.models.byobnet:repvgg_a2": None,
    "timm.models.hrnet:hrnet_w18_small": None,
    "timm.models.rexnet:rexnet_100": None,          # x[:, 0:C] + shortcut: a channel slice, then the add
    "timm.models.ghostnet:ghostnet_100": None,      # x[:, :C] of a concatenation: a slice (or the tensor itself)
    # ECA's gate read whole: mul { } { globalavgpool; reshape C x 1; conv 1 k; sigmoid; reshape 1 x 1 x C }
    "timm.models.resnet:ecaresnet50d": None,
    # TensorFlow 'same' padding (Conv2dSame) computed in Python, read at the input size (zeropad ... after=)
    "timm.models.efficientnet:tf_efficientnet_b0": None,
    # timm's VGG head (ConvMlp) checks the map's size in Python: traced with the sizes known
    "timm.models.vgg:vgg16": None,
    # ResNeSt's split attention: a view of the radix groups summed over a new axis
    "timm.models.resnest:resnest14d": None,
    # SKNet's selective kernel: the paths stacked on a new axis
    "timm.models.sknet:skresnet18": None,
    # NF-ResNet's weight-standardised convolution (ScaledStdConv2d): conv ... weight_std=scaled (a gain per filter)
    "timm.models.nfnet:nf_resnet50": None,
}

SIZES = {"timm.models.inception_v3:inception_v3": "299x299x3", "timm.models.xception:legacy_xception": "299x299x3"}


def _expected(reference):
    import importlib

    from symparams.frameworks.torch_meta import build_on_meta
    module, _, factory = reference.partition(":")
    model = build_on_meta(getattr(importlib.import_module(module), factory))
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


@pytest.mark.parametrize("reference", sorted(CNNS), ids=lambda r: r.rpartition(":")[2])
def test_timm_cnn_imports_exactly_or_is_refused_by_name(reference, tmp_path, capsys):
    need_module("torch")
    need_module("timm")
    check_import_row(reference, SIZES.get(reference, "224x224x3"), CNNS[reference], lambda: _expected(reference),
                     tmp_path, capsys)


# A broad sweep for wrong numbers: one or a few small variants of each timm CNN family, at the input size its
# pretrained config gives (timm.get_pretrained_cfg_value(name, "input_size")). Each row imports exactly or is
# refused naming the construct; a wrong total or trainable count, or a traceback, fails. The words of each refusal:
#   pads 'same' from its input's size: CondConv2d with TensorFlow's padding (tf_efficientnet_cc_*)
#   'transpose': MobileNetV4 hybrid: multi-query attention on the map
#   'interpolate': GhostNet-V2/V3 DFC attention: a pooled gate upsampled with F.interpolate
#   'permute': channels moved by permute outside a channels-last block (attention)
#   reads the tensor: bat_resnext26ts's BatNonLocalAttn (bilinear attention transform), a tensor read in forward
#   permuted to channels last: a split or pad between a permute to channels last and back
#   control flow: a Python branch on a traced value the sized trace cannot take either
SWEEP = {
    "timm.models.resnet:resnet18": None,
    "timm.models.resnet:resnet34": None,
    "timm.models.resnet:resnet10t": None,
    "timm.models.resnet:resnet14t": None,
    "timm.models.resnet:resnet26t": None,
    "timm.models.resnet:resnet18d": None,
    "timm.models.resnet:resnetaa34d": None,
    "timm.models.resnet:resnetblur18": None,
    "timm.models.resnet:resnetrs50": None,
    "timm.models.resnet:seresnext26d_32x4d": None,
    "timm.models.resnet:ecaresnet26t": None,
    "timm.models.resnet:ecaresnetlight": None,
    "timm.models.resnet:resnet50_gn": None,
    "timm.models.resnet:wide_resnet50_2": None,
    "timm.models.byobnet:resnext26ts": None,
    "timm.models.senet:legacy_seresnet18": None,
    "timm.models.senet:legacy_seresnext26_32x4d": None,
    "timm.models.resnetv2:resnetv2_18": None,
    "timm.models.resnetv2:resnetv2_50x1_bit": None,
    "timm.models.resnetv2:resnetv2_50d_gn": None,
    "timm.models.resnetv2:resnetv2_50d_evos": None,
    "timm.models.resnetv2:resnetv2_50d_frn": None,
    "timm.models.byobnet:regnetz_b16_evos": None,
    "timm.models.vovnet:ese_vovnet39b_evos": None,
    "timm.models.regnet:regnetx_002": None,
    "timm.models.regnet:regnety_002": None,
    "timm.models.regnet:regnetz_005": None,
    "timm.models.regnet:regnetv_040": None,
    "timm.models.efficientnet:efficientnet_b0": None,
    "timm.models.efficientnet:efficientnet_lite0": None,
    "timm.models.efficientnet:efficientnet_es": None,
    "timm.models.efficientnet:efficientnet_cc_b0_4e": None,
    "timm.models.efficientnet:tf_efficientnet_cc_b0_4e": "pads 'same' from its input's size",
    "timm.models.efficientnet:efficientnet_blur_b0": None,
    "timm.models.efficientnet:efficientnet_b0_gn": None,
    "timm.models.efficientnet:efficientnetv2_rw_t": None,
    "timm.models.efficientnet:gc_efficientnetv2_rw_t": None,
    "timm.models.efficientnet:tf_efficientnet_b0": None,
    "timm.models.efficientnet:tf_efficientnet_lite0": None,
    "timm.models.efficientnet:tf_efficientnetv2_b0": None,
    "timm.models.efficientnet:tf_mixnet_s": None,
    "timm.models.efficientnet:mixnet_s": None,
    "timm.models.efficientnet:mnasnet_100": None,
    "timm.models.efficientnet:semnasnet_050": None,
    "timm.models.efficientnet:spnasnet_100": None,
    "timm.models.efficientnet:fbnetc_100": None,
    "timm.models.efficientnet:tinynet_e": None,
    "timm.models.efficientnet:mobilenetv1_100": None,
    "timm.models.efficientnet:mobilenet_edgetpu_100": None,
    "timm.models.efficientnet:mobilenetv2_050": None,
    "timm.models.mobilenetv3:mobilenetv3_small_050": None,
    "timm.models.mobilenetv3:mobilenetv3_rw": None,
    "timm.models.mobilenetv3:tf_mobilenetv3_small_075": None,
    "timm.models.mobilenetv3:lcnet_035": None,
    "timm.models.mobilenetv3:fbnetv3_b": None,
    "timm.models.mobilenetv3:mobilenetv4_conv_small": None,
    "timm.models.mobilenetv3:mobilenetv4_hybrid_medium": "'transpose'",
    "timm.models.ghostnet:ghostnet_050": None,
    "timm.models.ghostnet:ghostnetv2_100": "'interpolate'",
    "timm.models.ghostnet:ghostnetv3_050": "'interpolate'",
    "timm.models.hardcorenas:hardcorenas_a": None,
    "timm.models.rexnet:rexnet_100": None,
    "timm.models.rexnet:rexnetr_100": None,
    "timm.models.repghost:repghostnet_050": None,
    "timm.models.repvit:repvit_m1": None,
    "timm.models.densenet:densenet121": None,
    "timm.models.densenet:densenetblur121d": None,
    "timm.models.dla:dla34": None,
    "timm.models.dla:dla46_c": None,
    "timm.models.dla:dla60x_c": None,
    "timm.models.dla:dla60_res2net": None,
    "timm.models.dpn:dpn48b": None,
    "timm.models.dpn:dpn68": None,
    "timm.models.cspnet:cspresnet50": None,
    "timm.models.cspnet:cspresnext50": None,
    "timm.models.cspnet:cspdarknet53": None,
    "timm.models.cspnet:darknet17": None,
    "timm.models.cspnet:darknetaa53": None,
    "timm.models.cspnet:sedarknet21": None,
    "timm.models.cspnet:cs3darknet_s": None,
    "timm.models.cspnet:cs3darknet_focus_s": None,
    "timm.models.cspnext:cspnext_tiny": None,
    "timm.models.hrnet:hrnet_w18_small": None,
    "timm.models.hrnet:hrnet_w18_small_v2": None,
    "timm.models.inception_v3:inception_v3": None,
    "timm.models.inception_v4:inception_v4": None,
    "timm.models.inception_resnet_v2:inception_resnet_v2": None,
    "timm.models.xception:legacy_xception": None,
    "timm.models.xception_aligned:xception41": None,
    "timm.models.xception_aligned:xception41p": None,
    "timm.models.nasnet:nasnetalarge": None,      # ZeroPad2d((-1, 1, -1, 1)): cropping, then zeropad
    "timm.models.pnasnet:pnasnet5large": None,
    "timm.models.selecsls:selecsls42": None,
    "timm.models.selecsls:selecsls42b": None,
    "timm.models.tresnet:tresnet_m": None,
    "timm.models.vovnet:vovnet39a": None,
    "timm.models.vovnet:ese_vovnet19b_dw": None,
    "timm.models.vovnet:eca_vovnet39b": None,
    "timm.models.res2net:res2net50_14w_8s": None,
    "timm.models.res2net:res2net50d": None,
    "timm.models.res2net:res2next50": None,
    "timm.models.sknet:skresnet18": None,
    "timm.models.sknet:skresnext50_32x4d": None,
    "timm.models.resnest:resnest14d": None,
    "timm.models.nfnet:nf_resnet26": None,
    "timm.models.nfnet:nf_regnet_b0": None,
    "timm.models.nfnet:dm_nfnet_f0": None,
    "timm.models.nfnet:nfnet_f0": None,
    "timm.models.nfnet:eca_nfnet_l0": None,
    "timm.models.nfnet:nf_seresnet26": None,
    "timm.models.nfnet:nf_ecaresnet26": None,
    "timm.models.byobnet:gernet_s": None,
    "timm.models.byobnet:repvgg_a0": None,
    "timm.models.byobnet:repvgg_b0": None,
    "timm.models.byobnet:mobileone_s0": None,
    "timm.models.byobnet:resnet32ts": None,
    "timm.models.byobnet:resnet33ts": None,
    "timm.models.byobnet:seresnet33ts": None,
    "timm.models.byobnet:eca_resnet33ts": None,
    "timm.models.byobnet:gcresnet33ts": None,
    "timm.models.byobnet:gcresnext26ts": None,
    "timm.models.byobnet:bat_resnext26ts": 'reads the tensor',
    "timm.models.byobnet:regnetz_b16": None,
    "timm.models.byobnet:resnet51q": None,
    # timm's byoanet self-attention CNNs: BoTNet's BottleneckAttn (bottleneckattn) and
    # HaloNet's HaloAttn (haloattn), LambdaNetworks' LambdaLayer (lambdalayer) read whole
    "timm.models.byoanet:botnet26t_256": None,
    "timm.models.byoanet:sebotnet33ts_256": None,
    "timm.models.byoanet:botnet50ts_256": None,
    "timm.models.byoanet:halonet26t": None,
    "timm.models.byoanet:sehalonet33ts": None,
    "timm.models.byoanet:halonet50ts": None,
    "timm.models.byoanet:halo2botnet50ts_256": None,
    "timm.models.byoanet:lamhalobotnet50ts_256": None,
    "timm.models.byoanet:eca_botnext26ts_256": None,
    "timm.models.byoanet:eca_halonext26ts": None,
    "timm.models.byoanet:halonet_h1": None,
    "timm.models.byoanet:haloregnetz_b": None,
    "timm.models.byoanet:lambda_resnet26t": None,
    "timm.models.byoanet:lambda_resnet50ts": None,
    "timm.models.byoanet:lambda_resnet26rpt_256": None,
    "timm.models.convmixer:convmixer_768_32": None,
    "timm.models.fasternet:fasternet_t0": None,
    "timm.models.fastvit:fastvit_t8": None,
    "timm.models.hgnet:hgnet_tiny": None,
    "timm.models.hgnet:hgnetv2_b0": None,
    "timm.models.inception_next:inception_next_atto": None,
    "timm.models.lcnetv2:lcnetv2_small": None,
    "timm.models.mambaout:mambaout_femto": 'permuted to channels last',
    "timm.models.starnet:starnet_s1": None,
    "timm.models.efficientvit_mit:efficientvit_b0": 'control flow',
    "timm.models.efficientvit_msra:efficientvit_m0": 'permuted to channels last',
    "timm.models.rdnet:rdnet_tiny": None,
    "timm.models.cpubone:cpubone_nano": "'permute'",
    "timm.models.lowformer:lowformer_b0": "'permute'",
    "timm.models.vgg:vgg11": None,
    "timm.models.vgg:vgg11_bn": None,
    "timm.models.metaformer:poolformer_s12": None,
}

# run in CI (each a mechanism CNNS does not cover); SYMPARAMS_TIMM_CNN=all runs every row (about 2-3 minutes)
SWEEP_DEFAULT = ("timm.models.resnet:resnet50_gn", "timm.models.mobilenetv3:tf_mobilenetv3_small_075",
                 "timm.models.nfnet:nf_regnet_b0",
                 "timm.models.byobnet:eca_resnet33ts", "timm.models.byobnet:mobileone_s0",
                 "timm.models.nasnet:nasnetalarge", "timm.models.byobnet:gcresnext26ts",
                 "timm.models.byoanet:botnet26t_256", "timm.models.byoanet:halonet26t",
                 "timm.models.byoanet:lambda_resnet26rpt_256")


def _sweep_rows():
    return sorted(SWEEP) if os.environ.get("SYMPARAMS_TIMM_CNN") == "all" else list(SWEEP_DEFAULT)


@pytest.mark.parametrize("reference", _sweep_rows(), ids=lambda r: r.rpartition(":")[2])
def test_timm_cnn_sweep_is_exact_or_refused_by_name(reference, tmp_path, capsys):
    need_module("torch")
    need_module("timm")
    import timm
    name = reference.rpartition(":")[2]
    channels, height, width = timm.get_pretrained_cfg_value(name, "input_size") or (3, 224, 224)
    check_import_row(reference, f"{height}x{width}x{channels}", SWEEP[reference], lambda: _expected(reference),
                     tmp_path, capsys)


def test_sweep_defaults_are_rows():
    assert set(SWEEP_DEFAULT) <= set(SWEEP)


def test_timm_root_names_the_entry_points_of_timm_models(tmp_path, capsys):
    """`symparams import timm:NAME` builds timm.models' NAME (timm's package root does not hold the entry points)."""
    need_module("torch")
    need_module("timm")
    check_import_row("timm:mobilenetv3_small_050", "224x224x3", None,
                     lambda: _expected("timm.models:mobilenetv3_small_050"), tmp_path, capsys)


def test_functional_pad_reads_as_the_padding_layer_of_its_mode():
    """F.pad(x, (l, r, t, b)) in forward (HGNet-V2's stem): zeropad / reflectpad / replicatepad with after= when
    asymmetric; a circular pad or a constant other than 0 is refused by name."""
    torch = need_module("torch")
    import symparams
    functional = torch.nn.functional

    class Padded(torch.nn.Module):
        def __init__(self, **how):
            super().__init__()
            self.conv, self.how = torch.nn.Conv2d(3, 4, 2), how

        def forward(self, x):
            return self.conv(functional.pad(x, (0, 1, 2, 1), **self.how))

    for how, word in (({}, "zeropad 2x0 after=1"), ({"mode": "reflect"}, "reflectpad 2x0 after=1"),
                      ({"mode": "replicate"}, "replicatepad 2x0 after=1")):
        text = symparams.from_torch(Padded(**how), (8, 8, 3))
        assert word in text, text
        assert symparams.parse(text).output_shape == (10, 8, 4)
    for how in ({"mode": "circular"}, {"value": 1.0}):
        with pytest.raises(symparams.SymparamsError, match="pad"):
            symparams.from_torch(Padded(**how), (8, 8, 3))
