"""prelu: the harness's generator, and the kind against PyTorch's nn.PReLU and Keras' PReLU built by hand
(num_parameters and shared_axes as their users write them)."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import keras_layer, kind, last, size_text, torch_count


@kind("prelu")
def prelu(b):
    return b.pick(["prelu", "prelu shared=spatial", "prelu shared=none"])


@pytest.mark.parametrize("shape", [(5, 5, 3), (7, 4), (9,), (3, 4, 5, 2)])
def test_prelu_counts_what_torch_counts(shape):
    torch = need_module("torch")
    c = shape[-1]
    for line, module in (("prelu", torch.nn.PReLU()), ("prelu shared=spatial", torch.nn.PReLU(c))):
        params, out, _ = last(f"input {size_text(shape)}\n{line}", "pytorch")
        assert params == torch_count(module) and out == shape


@pytest.mark.parametrize("shape", [(5, 5, 3), (7, 4), (9,), (3, 4, 5, 2)])
def test_prelu_counts_what_keras_counts(shape):
    keras = need_module("keras")
    rank = len(shape)
    for line, axes in (("prelu", list(range(1, rank + 1))), ("prelu shared=spatial", list(range(1, rank))),
                       ("prelu shared=none", None)):
        params, out, _ = last(f"input {size_text(shape)}\n{line}", "keras")
        assert (params, out) == keras_layer(keras.layers.PReLU(shared_axes=axes), shape), line


def test_prelu_is_symbolic_in_the_sizes():
    assert str(symparams.parse("input H x W x C\nprelu shared=spatial").params) == "C"
    assert str(symparams.parse("input H x W x C\nprelu shared=none").params) == "C*H*W"
    assert symparams.parse("input H x W x C\nprelu").params == 1


def test_prelu_imports_from_torch_and_keras():
    torch = need_module("torch")
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.PReLU(8), torch.nn.Conv2d(8, 4, 1),
                                torch.nn.PReLU())
    text = symparams.from_torch(model, (9, 9, 3))
    assert "prelu shared=spatial" in text and symparams.parse(text, convention="pytorch").params == \
        torch_count(model)
    keras = need_module("keras")
    x = keras.Input((9, 9, 3))
    y = keras.layers.PReLU()(keras.layers.Conv2D(4, 3)(x))
    model = keras.Model(x, y)
    text = symparams.from_keras(model)
    assert "prelu shared=none" in text and symparams.parse(text).params == model.count_params()


def test_keras_prelu_over_one_spatial_axis_is_refused_by_name():
    keras = need_module("keras")
    x = keras.Input((9, 9, 3))
    model = keras.Model(x, keras.layers.PReLU(shared_axes=[1])(x))
    with pytest.raises(symparams.SymparamsError, match="shared_axes"):
        symparams.from_keras(model)


def test_exported_prelu_computes_the_parametric_relu():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    for line in ("prelu", "prelu shared=spatial", "prelu shared=none"):
        model = run_source(export(symparams.parse(f"input 4 x 3\n{line}", convention="pytorch")))["build"]()
        x = torch.randn(2, 4, 3)
        assert torch.allclose(model(x), torch.where(x >= 0, x, 0.25 * x)), line
