"""blurpool (anti-aliased downsampling, timm's BlurPool2d): the harness's generator, counts and shapes against the
exported module built in PyTorch, export -> build -> import, the same values as timm's BlurPool2d, timm's module
imported, what autograd keeps and what the FLOP counter counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, kind, round_trip


@kind("blurpool", ranks=(3,))
def blurpool(b):
    # candidates in order: the engine takes the first that fits the map (a 1-pixel map fits none: reflection)
    first = b.pick(["blurpool", "blurpool 5", "blurpool stride=1", "blurpool 5 stride=3", "blurpool pad_mode=constant",
                    "blurpool 5 pad_mode=replicate"])
    return (first, "blurpool", "blurpool stride=1", "blurpool pad_mode=constant")


CASES = ["input 12x12x4\nconv 8 3\nblurpool\nrelu\nblurpool 5\nflatten\ndense 3",
         "input 9x7x3\nblurpool stride=1\nconv 2 3 padding=1\nblurpool 5 stride=3",
         "input 9x7x3\nblurpool pad_mode=constant\nconv 2 3 padding=1\nblurpool 5 pad_mode=replicate\n"
         "blurpool 5 pad_mode=constant",
         "input 2x2x3\nconv 4 1\nblurpool 5 pad_mode=constant"]


@pytest.mark.parametrize("text", CASES)
def test_blurpool_agrees_with_pytorch_and_comes_back(text):
    agree(text, "pytorch")
    back = round_trip(text, "pytorch")
    assert [line.split()[0] for line in back.splitlines() if line.startswith("blurpool")] == \
        [line.split()[0] for line in text.splitlines() if line.startswith("blurpool")], back


def test_blurpool_has_no_weights_and_timms_sizes():
    net = symparams.parse("input 56x56x64\nblurpool\nblurpool 5 stride=1", convention="pytorch")
    assert int(net.params) == 0
    assert tuple(net.layers[1].output_shape) == (28, 28, 64) and tuple(net.layers[2].output_shape) == (28, 28, 64)


def test_exported_blurpool_computes_what_timms_computes():
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import BlurPool2d
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    for size, stride, mode in ((3, 2, "reflect"), (5, 2, "reflect"), (3, 1, "reflect"), (3, 2, "constant"),
                               (5, 1, "replicate")):
        text = f"input 11x10x6\nblurpool {size} stride={stride} pad_mode={mode}"
        model = run_source(torch_export.export(symparams.parse(text, convention="pytorch")))["build"]()
        x = torch.randn(2, 6, 11, 10)
        reference = BlurPool2d(6, filt_size=size, stride=stride, pad_mode=mode)
        assert torch.allclose(model(x), reference(x), atol=1e-6), (size, stride)


def test_timms_blurpool_imports_and_other_padding_is_refused():
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import BlurPool2d
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), BlurPool2d(4, filt_size=5), torch.nn.ReLU())
    assert "blurpool 5" in symparams.from_torch(model, (16, 16, 3))
    zeros = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), BlurPool2d(4, pad_mode="constant"))
    assert "blurpool pad_mode=constant" in symparams.from_torch(zeros, (16, 16, 3))
    circular = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), BlurPool2d(4, pad_mode="circular"))
    with pytest.raises(symparams.SymparamsError, match="pads with mode 'circular'"):
        symparams.from_torch(circular, (16, 16, 3))


def test_keras_export_is_refused_by_name():
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="blur"):
        keras_export.export(symparams.parse("input 8x8x3\nblurpool", convention="pytorch"))


@pytest.mark.parametrize("text", CASES)
def test_blurpool_saves_and_costs_what_pytorch_does(text):
    """The padded map (for the input's gradient) and the depthwise convolution's FLOPs (2 per product)."""
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)
