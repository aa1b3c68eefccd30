"""cropping (Keras' Cropping1D/2D/3D; PyTorch's padding by negative amounts): the harness's generator, the kind
against both frameworks' own crops, and NASNet's ZeroPad2d((-1, 1, -1, 1)) read as a crop and a pad."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import kind


@kind("cropping", ranks=(2, 3, 4))
def cropping(b):
    sizes = [int(d) for d in b.shape[:-1]] if hasattr(b, "shape") else []
    if sizes and min(sizes) < 3:
        return None
    return b.pick(["cropping 1", "cropping 1 after=0", "cropping 0 after=1"])


def test_cropping_shapes_and_a_crop_too_large():
    net = symparams.parse("input 9 x 8 x 3\ncropping 1 after=2", convention="keras")
    assert tuple(net.output_shape) == (6, 5, 3) and net.params == 0
    with pytest.raises(symparams.SymparamsError) as info:
        symparams.parse("input 4 x 4 x 3\ncropping 2").evaluate()
    assert info.value.line == 2


def test_exports_compute_the_frameworks_crops():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    text = "input 7 x 6 x 2\ncropping 1 after=0\nzeropad 0 after=1\n"
    model = run_source(export(symparams.parse(text, convention="pytorch")))["build"]()
    x = torch.randn(2, 2, 7, 6)
    expected = torch.nn.ZeroPad2d((-1, 1, -1, 1))(x)
    assert torch.equal(model(x), expected)
    keras = need_module("keras")
    from symparams.frameworks import keras_export
    kmodel = run_source(keras_export.export(symparams.parse(text, convention="keras")))["build"]()
    out = keras.ops.convert_to_numpy(kmodel(x.movedim(1, -1).numpy()))
    assert (abs(out - expected.movedim(1, -1).numpy()) < 1e-6).all()


def test_negative_zeropad_imports_as_a_crop_and_reads_back(tmp_path):
    torch = need_module("torch")
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ZeroPad2d((-1, 1, -1, 1)),
                                torch.nn.ZeroPad2d((-2, -1, 0, -1)), torch.nn.Flatten(), torch.nn.Linear(4 * 9 * 7, 5))
    text = symparams.from_torch(model, (12, 12, 3))
    assert "cropping 1 after=0" in text and "zeropad 0 after=1" in text and "cropping 0x2 after=1" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
