"""Every zoo architecture built in PyTorch and in Keras, no skips: each layer's parameter count
and output shape must equal symparams'. Counts follow the framework's rules (check counts the
way --against counts); shapes and paddings follow the convention the network is derived with,
so every file is checked against both frameworks under every convention it is written for.
ResNet-18 (PyTorch) and ResNet-50 (Keras) must match their published totals."""

from __future__ import annotations

import pytest

import symparams
from conftest import EXAMPLES, need_module

ZOO = EXAMPLES / "zoo"
# checked in tests/test_zoo_modern.py against their own oracles (transformers from config objects,
# keras.applications, a hand-written PyTorch U-Net), at sizes a test can build
CHECKED_ELSEWHERE = {"llama_tinyllama.arch", "mixtral_moe.arch", "bert_base.arch", "t5_small.arch", "unet.arch",
                     "efficientnet_b0.arch", "inception_v3.arch", "convnext_tiny.arch", "mobilenet_v3_small.arch",
                     "whisper_tiny.arch", "mamba_130m.arch", "deepseek_v2_lite.arch",
                     "swin_t.arch"}     # tests/test_zoo_reach.py: against transformers on the meta device
FILES = sorted(p for p in ZOO.glob("*.arch") if p.name not in CHECKED_ELSEWHERE)
# MobileNetV2 is written with Keras' strided padding='same' (as keras.applications builds it),
# which the PyTorch convention refuses; exported to PyTorch it becomes explicit padding + 'valid'.
KERAS_ONLY = {"mobilenet_v2.arch"}
# totals published by the frameworks themselves, checked on the framework's own model
PUBLISHED = {
    ("resnet18.arch", "pytorch"): 11_689_512,   # torchvision ResNet18_Weights.IMAGENET1K_V1
    ("resnet50.arch", "keras"): 25_636_712,     # keras.applications.ResNet50 (53,120 non-trainable)
    ("mobilenet_v2.arch", "keras"): 3_538_984,  # keras.applications.MobileNetV2 (34,112 non-trainable)
    ("mobilenet_v2.arch", "pytorch"): 3_504_872,  # torchvision MobileNet_V2_Weights.IMAGENET1K_V1
}
# the other convention doubles the slow transformer builds for no new layer kind
SLOW = {"gpt2_small.arch"}

CASES = []
for _path in FILES:
    for _framework in ("pytorch", "keras"):
        for _convention in ("keras",) if _path.name in KERAS_ONLY else ("pytorch", "keras"):
            if _convention == _framework or _path.name not in SLOW:
                CASES.append(pytest.param(_path, _framework, _convention,
                                          id=f"{_path.stem}-{_framework}-{_convention}"))


def test_required_zoo_files_exist():
    names = {p.name for p in FILES}
    assert {"resnet18.arch", "resnet50.arch", "mobilenet_v2.arch"} <= names


def test_every_file_meets_both_frameworks():
    pairs = {(p.values[0].name, p.values[1]) for p in CASES}
    assert pairs == {(path.name, fw) for path in FILES for fw in ("pytorch", "keras")}


@pytest.mark.parametrize("path, framework, convention", CASES)
def test_zoo_file_agrees_with_framework(path, framework, convention):
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks.check import check, render
    net = symparams.load(path, convention=convention)
    report = check(net, framework)
    assert report.ok, render(report)
    assert len(report.rows) == len(net.evaluate().unrolled().leaves())
    if (path.name, framework) in PUBLISHED:
        assert report.their_total == PUBLISHED[(path.name, framework)]


def test_mobilenet_v2_needs_the_keras_convention():
    """The PyTorch convention refuses what nn.Conv2d refuses: padding='same' with stride 2."""
    with pytest.raises(symparams.DefinitionError, match="only with stride 1"):
        symparams.load(ZOO / "mobilenet_v2.arch", convention="pytorch")
