"""Issue 26: common timm CNNs by module reference, as a user runs them:
`symparams import timm.models.resnet:resnet50d --input-shape 224x224x3` (timm's entry points build the model with
pretrained=False; the import builds it on the meta device; Inception-v3 and Xception at 299x299x3). The written
file must read back and count what PyTorch counts, total and trainable. (timm's transformers and ConvNeXt:
tests/test_timm_models.py.)

CNNS is the data: None for a model that imports exactly, else words of the refusal the import must give (the
construct it has no form for). A marked model that starts importing fails as much as an unmarked one that stops."""

from __future__ import annotations

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
    # ECA's attention: a 1-D conv over the pooled channels, its gate broadcast with expand_as
    "timm.models.resnet:ecaresnet50d": "expand_as",
    # TensorFlow 'same' padding (Conv2dSame) computed in Python from sizes read off the tensor
    "timm.models.efficientnet:tf_efficientnet_b0": "cannot be used as inputs to control flow",
    # timm's VGG head (ConvMlp) checks the map's size in Python before its 7x7 convolution
    "timm.models.vgg:vgg16": "cannot be used as inputs to control flow",
    # ResNeSt's split attention: a view of the radix groups summed over a new axis
    "timm.models.resnest:resnest14d": "reshapes channels",
    # SKNet's selective kernel: the paths stacked on a new axis
    "timm.models.sknet:skresnet18": "stack",
    # NF-ResNet's weight-standardised convolution reads self.weight in its own forward
    "timm.models.nfnet:nf_resnet50": "reads the tensor",
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
