"""Every zoo architecture built in PyTorch and in Keras (where the framework has its layers):
each layer's parameter count and output shape must equal symparams' under that framework's
convention. ResNet-18 (PyTorch) and ResNet-50 (Keras) are required."""

from __future__ import annotations

import pytest

import symparams
from conftest import EXAMPLES, need_module

ZOO = EXAMPLES / "zoo"
FILES = sorted(ZOO.glob("*.arch"))
REQUIRED = {("resnet18.arch", "pytorch"), ("resnet50.arch", "keras")}
# totals published by the frameworks themselves, checked on the framework's own model
PUBLISHED = {
    ("resnet18.arch", "pytorch"): 11_689_512,   # torchvision ResNet18_Weights.IMAGENET1K_V1
    ("resnet50.arch", "keras"): 25_636_712,     # keras.applications.ResNet50 (53,120 non-trainable)
}


def test_required_zoo_files_exist():
    names = {p.name for p in FILES}
    assert {"resnet18.arch", "resnet50.arch"} <= names


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_zoo_file_agrees_with_framework(path, framework):
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks.check import check, render
    try:
        net = symparams.load(path, convention=framework)
    except symparams.DefinitionError as exc:
        # the engine refuses layers the framework lacks (e.g. PyTorch has no strided padding='same')
        assert (path.name, framework) not in REQUIRED, str(exc)
        pytest.skip(f"{path.name} is not expressible in {framework}: {exc.message}")
    report = check(net, framework)
    assert report.ok, render(report)
    assert len(report.rows) == len(net.evaluate().unrolled().leaves())
    if (path.name, framework) in PUBLISHED:
        assert report.their_total == PUBLISHED[(path.name, framework)]
