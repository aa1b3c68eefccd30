"""Per-channel scaling (layerscale, normalization, rescaling): the harness's generators, and each kind
against the real Keras and PyTorch."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import keras_layer, kind, last, size_text


@kind("layerscale")
def layerscale(b):
    return "layerscale"


@kind("normalization", ranks=(2, 3, 4))
def normalization(b):
    return "normalization"            # 'normalization fixed' (no weights): test_normalization_counts_...


@kind("rescaling")
def rescaling(b):
    return b.pick(["rescaling", "rescaling 0.5", "rescaling 1/255", "rescaling 2 offset=-1"])


@pytest.mark.parametrize("shape", [(5, 5, 3), (7, 4), (2, 3, 4, 6)])
def test_normalization_counts_what_keras_counts(shape):
    keras = need_module("keras")
    text = f"input {size_text(shape)}\nnormalization"
    net = symparams.parse(text, convention="keras")
    count, out = keras_layer(keras.layers.Normalization(), shape)
    c = shape[-1]
    assert (int(net.params), int(net.non_trainable_params)) == (count, 2 * c + 1)
    fixed = symparams.parse(text + " fixed", convention="keras")
    assert fixed.params == 0 == keras_layer(keras.layers.Normalization(mean=0.0, variance=1.0), shape)[0]
    torch_net = symparams.parse(text, convention="pytorch")
    assert (torch_net.params, torch_net.buffers) == (0, 2 * c + 1)


def test_layerscale_and_rescaling():
    keras = need_module("keras")
    params, out, _ = last("input 6 x 6 x 8\nlayerscale", "keras")
    assert (params, out) == (8, (6, 6, 8))
    params, out, net = last("input 6 x 6 x 8\nrescaling 1/127.5 offset=-1", "pytorch")
    assert (params, out) == (0, (6, 6, 8))
    assert keras_layer(keras.layers.Rescaling(1 / 127.5, offset=-1), (6, 6, 8)) == (0, (6, 6, 8))
    assert net.metric("ops") == 2 * 6 * 6 * 8


def test_rescaling_takes_a_number():
    with pytest.raises(symparams.SymparamsError) as info:
        symparams.parse("input 4\nrescaling 1 2")
    assert info.value.line == 2
