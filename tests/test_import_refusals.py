"""Issue 17: the importers refuse (naming the layer and the option) what they cannot represent
exactly, or represent it exactly; they never write text symparams cannot read back.

Each case builds the real module, imports it, and either expects a DefinitionError naming the
layer and the option, or compares the imported network's count and shape with the framework's."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError


def _torch_refused(module, shape, *words):
    with pytest.raises(SymparamsError) as info:
        symparams.from_torch(module, shape)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


def _torch_exact(module, shape):
    torch = need_module("torch")
    text = symparams.from_torch(module, shape)
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    module.eval()
    layout = (shape[-1],) + tuple(shape[:-1]) if len(shape) >= 3 else tuple(shape)
    with torch.no_grad():
        y = module(torch.zeros((2,) + layout))
    dims = tuple(y.shape[1:])
    assert tuple(int(d) for d in net.output_shape) == (dims[1:] + dims[:1] if len(dims) >= 3 else dims)
    return text


def test_torch_norms_without_affine_are_exact_or_refused():
    torch = need_module("torch")
    nn = torch.nn
    # batchnorm scale=false center=false: 0 parameters, 2*C buffers, as BatchNorm1d(affine=False)
    text = _torch_exact(nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.BatchNorm1d(6, affine=False)), (2, 2, 3))
    assert "batchnorm scale=false center=false" in text
    _torch_refused(nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12, track_running_stats=False)), (2, 2, 3),
                   "track_running_stats", "'layer_1'")
    # LayerNorm(elementwise_affine=False) is exact: layernorm affine=false, no weights (OLMo's norms)
    assert "layernorm affine=false" in _torch_exact(nn.Sequential(nn.Flatten(), nn.Linear(12, 6),
                                                                  nn.LayerNorm(6, elementwise_affine=False)), (2, 2, 3))
    _torch_refused(nn.Sequential(nn.Conv2d(3, 4, 1), nn.LayerNorm([4, 8])), (4, 8, 3), "LayerNorm([4, 8])", "'layer_1'")
    _torch_refused(nn.Sequential(nn.Conv2d(3, 4, 1), nn.GroupNorm(2, 4, affine=False)), (4, 4, 3), "affine", "'layer_1'")
    # LayerNorm(bias=False) is exact (layernorm bias=false)
    assert "layernorm bias=false" in _torch_exact(nn.Sequential(nn.Flatten(), nn.LayerNorm(12, bias=False)),
                                                  (2, 2, 3))


def test_torch_pool_and_flatten_options_are_refused():
    torch = need_module("torch")
    nn = torch.nn
    # ceil_mode=true is exact on max and (ResNet-D's shortcut) average pooling
    assert " ceil_mode" in _torch_exact(nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2, ceil_mode=True)),
                                            (5, 5, 3))
    assert " ceil_mode" in _torch_exact(nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(2, ceil_mode=True)),
                                            (5, 5, 3))
    _torch_refused(nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2, dilation=2)), (9, 9, 3), "dilation", "'layer_1'")
    _torch_refused(nn.Sequential(nn.Conv2d(3, 4, 1), nn.Flatten(2)), (4, 4, 3), "start_dim=2", "'layer_1'")
    # torch.flatten(x, 2) in a forward
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return torch.flatten(self.conv(x), 2)
    _torch_refused(Net(), (4, 4, 3), "flatten", "axis 2")


def test_torch_forward_operations_without_a_dsl_form_are_refused():
    torch = need_module("torch")
    nn = torch.nn

    class PlusOne(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x) + 1
    _torch_refused(PlusOne(), (4,), "add", "not a merge")

    class TwoOutputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 2)

        def forward(self, x):
            return self.a(x), self.b(x)
    _torch_refused(TwoOutputs(), (4,), "2 values", "one output")

    class CatTime(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 4, 1), nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], dim=2)
    _torch_refused(CatTime(), (4, 4, 3), "axis 2", "channels")

    class CatChannels(CatTime):
        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], dim=1)
    assert "concat" in _torch_exact(CatChannels(), (4, 4, 3))

    class Unicode(nn.Module):
        def __init__(self):
            super().__init__()
            setattr(self, "schicht_ä", nn.Linear(4, 4))

        def forward(self, x):
            return getattr(self, "schicht_ä")(x)
    text = _torch_exact(Unicode(), (4,))
    assert text.isascii()


@pytest.mark.parametrize("shape", ["abc", "3x-1", (0, 3), (2.5, 3), "", (), "²x3", None, (True, 3)])
def test_from_torch_rejects_bad_shapes_clearly(shape):
    torch = need_module("torch")
    with pytest.raises(SymparamsError) as info:
        symparams.from_torch(torch.nn.Linear(3, 3), shape)
    assert "input shape" in str(info.value)


def _keras_refused(model, *words):
    with pytest.raises(SymparamsError) as info:
        symparams.from_keras(model)
    message = str(info.value)
    for word in words:
        assert word in message, message


def _keras_exact(model):
    text = symparams.from_keras(model)
    net = symparams.parse(text, convention="keras").evaluate()
    assert int(net.params) == model.count_params()
    assert tuple(int(d) for d in net.output_shape) == tuple(model.outputs[0].shape[1:])
    return text


def test_keras_options_are_refused_or_exact():
    keras = need_module("keras")
    from keras import layers
    inp = keras.Input((10, 4))
    _keras_refused(keras.Model(inp, layers.GRU(3, reset_after=False, name="g")(inp)), "'g'", "reset_after=False")
    _keras_exact(keras.Model(inp, layers.GRU(3, name="g")(inp)))
    _keras_refused(keras.Model(inp, layers.Conv1D(3, 3, padding="causal", name="c")(inp)), "'c'", "causal")
    a = layers.Dense(5, name="a")(inp)
    b = layers.Dense(5, name="b")(inp)
    _keras_refused(keras.Model(inp, layers.Concatenate(axis=1, name="cat")([a, b])), "'cat'", "axis=1")
    assert "concat" in _keras_exact(keras.Model(inp, layers.Concatenate(name="cat")([a, b])))
    frozen = layers.Dense(5, name="frozen")
    frozen.trainable = False
    assert "trainable=false" in _keras_exact(keras.Sequential([keras.Input((4,)), frozen]))   # now a form
    _keras_refused(keras.Sequential([keras.Input((4,)), layers.Dense(3, activation=lambda x: x, name="lam")]),
                   "'lam'", "activation")
    two = keras.Model(inp, [layers.Dense(2)(inp), layers.Dense(3)(inp)])
    _keras_refused(two, "2 outputs")
    text = _keras_exact(keras.Sequential([keras.Input((4,)), layers.Dense(3, name="dichte_ü")]))
    assert text.isascii()


def test_generalize_writes_every_let_with_its_default():
    keras = need_module("keras")
    from keras import layers
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2)])
    text = symparams.from_keras(model, generalize={"input": "n", "filters": "f"})
    assert "let n = 8" in text and "let f = 4" in text and "input n x n x 1" in text
    net = symparams.parse(text, convention="keras")
    assert int(net.evaluate().params) == model.count_params()
    assert {s.name for s in net.symbols} == {"n", "f"}
