"""Convolutions PyTorch builds but Keras 3 refuses: the engine refuses them under the keras
convention exactly when real Keras does, and accepts them under pytorch where torch builds them."""

import pytest

import symparams
from conftest import need_module

CASES = [
    # (DSL, keras layer factory, torch module factory, input shape channels-last)
    ("input 9x9x3\nconv 4 3x3 stride=2 dilation=2",
     lambda k: k.layers.Conv2D(4, 3, strides=2, dilation_rate=2),
     lambda t: t.nn.Conv2d(3, 4, 3, stride=2, dilation=2), (9, 9, 3)),
    ("input 9x9x4\ndeconv 4 3x3 groups=2",
     lambda k: k.layers.Conv2DTranspose(4, 3, groups=2),
     lambda t: t.nn.ConvTranspose2d(4, 4, 3, groups=2), (9, 9, 4)),
    ("input 5x5x5x3\ndwconv 3",
     lambda k: k.layers.DepthwiseConv3D(3),
     lambda t: t.nn.Conv3d(3, 3, 3, groups=3), (5, 5, 5, 3)),
]


@pytest.mark.parametrize("text, keras_layer, torch_module, shape", CASES)
def test_keras_refuses_and_so_does_the_keras_convention(text, keras_layer, torch_module, shape):
    keras, torch = need_module("keras"), need_module("torch")
    with pytest.raises(Exception):
        keras_layer(keras)(keras.Input(shape))
    with pytest.raises(symparams.DefinitionError, match="Keras"):
        symparams.parse(text, convention="keras")
    net = symparams.parse(text, convention="pytorch")
    module = torch_module(torch)
    channels_first = (1, shape[-1]) + tuple(shape[:-1])
    out = module(torch.zeros(channels_first))
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert tuple(net.output_shape) == tuple(out.shape[2:]) + (out.shape[1],)
