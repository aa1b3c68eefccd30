"""Issue 26: torchvision's CNN classification models (ResNet, ResNeXt, Wide-ResNet, RegNet X/Y, EfficientNet B0-B7
and V2, MobileNet V2/V3, MNASNet, ShuffleNetV2, DenseNet, GoogLeNet, Inception-v3, SqueezeNet, VGG, AlexNet), each
run through `symparams import torchvision.models:NAME --input-shape 224x224x3` as a user runs it (Inception-v3 at
299x299x3, its own size); the file it writes must read back and count what PyTorch counts, total and trainable (sum
of p.numel() over the model built on the meta device: batch-norm statistics are buffers, not parameters;
GoogLeNet's and Inception-v3's auxiliary classifiers are parameters their evaluated forward does not read, and
count).

CNNS is the data: None for a model that imports exactly, else words of the refusal the import must give (the
construct it has no form for). A marked model that starts importing fails the test as much as an unmarked one that
stops. The transformer-like families are tests/test_torchvision_transformers.py's TRANSFORMERS; together the two
tables hold every name of `list_models(module=torchvision.models)` (checked below).

Time: each model builds on the meta device (RegNet-Y-128GF's 645 M parameters too) and imports in 0.5-3 s: all 66
in about 30 s of CPU (90 s on a loaded 2-core machine), so none is set apart as slow."""

from __future__ import annotations

import pytest

from conftest import need_module
from import_rows import check_import_row

CNNS = {
    "alexnet": None,            # AdaptiveAvgPool2d((6, 6)) of a 6 x 6 map: avgpool 1
    "densenet121": None, "densenet161": None, "densenet169": None, "densenet201": None,
    "efficientnet_b0": None, "efficientnet_b1": None, "efficientnet_b2": None, "efficientnet_b3": None,
    "efficientnet_b4": None, "efficientnet_b5": None, "efficientnet_b6": None, "efficientnet_b7": None,
    "efficientnet_v2_s": None, "efficientnet_v2_m": None, "efficientnet_v2_l": None,
    "googlenet": None,          # aux1/aux2 unused when evaluated, counted
    "inception_v3": None,       # AuxLogits unused when evaluated, counted
    "mnasnet0_5": None, "mnasnet0_75": None, "mnasnet1_0": None, "mnasnet1_3": None,
    "mobilenet_v2": None, "mobilenet_v3_large": None, "mobilenet_v3_small": None,
    "regnet_x_400mf": None, "regnet_x_800mf": None, "regnet_x_1_6gf": None, "regnet_x_3_2gf": None,
    "regnet_x_8gf": None, "regnet_x_16gf": None, "regnet_x_32gf": None,
    "regnet_y_400mf": None, "regnet_y_800mf": None, "regnet_y_1_6gf": None, "regnet_y_3_2gf": None,
    "regnet_y_8gf": None, "regnet_y_16gf": None, "regnet_y_32gf": None, "regnet_y_128gf": None,
    "resnet18": None, "resnet34": None, "resnet50": None, "resnet101": None, "resnet152": None,
    "resnext50_32x4d": None, "resnext101_32x8d": None, "resnext101_64x4d": None,
    "wide_resnet50_2": None, "wide_resnet101_2": None,
    "shufflenet_v2_x0_5": None, "shufflenet_v2_x1_0": None, "shufflenet_v2_x1_5": None, "shufflenet_v2_x2_0": None,
    "squeezenet1_0": None, "squeezenet1_1": None,
    "vgg11": None, "vgg11_bn": None, "vgg13": None, "vgg13_bn": None,
    "vgg16": None, "vgg16_bn": None, "vgg19": None, "vgg19_bn": None,
}

SIZES = {"inception_v3": "299x299x3"}       # torchvision's own input size; the others 224x224x3

FAMILIES = ("alexnet", "densenet", "efficientnet_", "googlenet", "inception_", "mnasnet", "mobilenet_", "regnet_",
            "resnet", "resnext", "wide_resnet", "shufflenet_", "squeezenet", "vgg")


def _expected(torchvision, name):
    """PyTorch's count of the model as the import builds it (meta device; RegNet, whose constructor computes its
    widths with tensors, with each weight moved there as it is registered)."""
    from symparams.frameworks.torch_meta import build_on_meta
    model = build_on_meta(lambda: torchvision.models.get_model(name))
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


@pytest.mark.parametrize("name", sorted(CNNS))
def test_torchvision_cnn_imports_exactly_or_is_refused_by_name(name, tmp_path, capsys):
    need_module("torch")
    torchvision = need_module("torchvision")
    check_import_row(f"torchvision.models:{name}", SIZES.get(name, "224x224x3"), CNNS[name],
                     lambda: _expected(torchvision, name), tmp_path, capsys)


def test_the_tables_list_every_classification_model_torchvision_has():
    """CNNS and TRANSFORMERS together are list_models (a new torchvision model, or a renamed one, shows here)."""
    torchvision = need_module("torchvision")
    from test_torchvision_transformers import TRANSFORMERS
    listed = set(torchvision.models.list_models(module=torchvision.models))
    assert {n for n in listed if n.startswith(FAMILIES)} == set(CNNS)
    assert not set(CNNS) & set(TRANSFORMERS)
    assert listed == set(CNNS) | set(TRANSFORMERS)
