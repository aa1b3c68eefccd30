"""Transposed-convolution output_padding limits: the engine refuses exactly what each framework refuses."""

import itertools

import pytest

import symparams
from conftest import need_module

CASES = list(itertools.product([0, 1, 2, 3], [1, 2, 3], [1, 2, 3]))   # output_padding, stride, dilation


def _torch_accepts(op, s, d):
    torch = need_module("torch")
    try:
        torch.nn.ConvTranspose2d(3, 2, 3, stride=s, dilation=d, output_padding=op)(torch.zeros(1, 3, 5, 5))
    except Exception:
        return False
    return True


def _keras_accepts(op, s, d):
    keras = need_module("keras")
    try:
        keras.layers.Conv2DTranspose(2, 3, strides=s, dilation_rate=d, output_padding=op)(keras.Input((5, 5, 3)))
    except Exception:
        return False
    return True


def _engine_accepts(op, s, d, convention):
    text = f"input 5x5x3\ndeconv 2 3x3 stride={s} dilation={d} output_padding={op}"
    try:
        symparams.parse(text, convention=convention)
    except symparams.SymparamsError:
        return False
    return True


@pytest.mark.parametrize("op, s, d", CASES)
def test_output_padding_limits_match_the_frameworks(op, s, d):
    assert _engine_accepts(op, s, d, "pytorch") == _torch_accepts(op, s, d)
    assert _engine_accepts(op, s, d, "keras") == _keras_accepts(op, s, d)
