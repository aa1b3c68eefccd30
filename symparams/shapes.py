"""Output-size arithmetic, one spatial axis at a time, as pure functions of SymPy values (or
of Python ints, in a derive on ints: numeric.py).

`padding` is 'valid', 'same', or an expression p meaning p zeros on each side (PyTorch style).
"""

from __future__ import annotations

from .algebra import ceil_div, floor_div, small_int
from .numeric import integer, sympy


def _max(a, b):
    """max of two sizes: Python's on ints, SymPy's Max otherwise."""
    if type(a) is int and type(b) is int:
        return integer(max(a, b))
    return sympy.Max(a, b)


def dilated_kernel(kernel, dilation=1):
    """The span of a dilated kernel: d*(k - 1) + 1."""
    return dilation * (kernel - 1) + 1


def conv_length(size, kernel, stride=1, padding="valid", dilation=1):
    """Length of a convolution or pooling output: floor((H + 2p - d(k-1) - 1)/s) + 1, or ceil(H/s) for 'same'."""
    if padding == "same":
        return ceil_div(size, stride)
    pad = 0 if padding == "valid" else padding
    numbers = (small_int(size), small_int(kernel), small_int(stride), small_int(pad), small_int(dilation))
    if None not in numbers[1:] and numbers[2] > 0:
        n, k, s, p, d = numbers
        offset = 2 * p - d * (k - 1) - 1
        if n is not None:       # all numbers: the same formula in Python ints
            return integer((n + offset) // s + 1)
        # a symbolic size: one SymPy addition of the whole offset (additions of numbers to a
        # SymPy sum collect into its one numeric term, so this is the same expression)
        return floor_div(size + offset if offset else size, stride) + 1
    return floor_div(size + 2 * pad - dilated_kernel(kernel, dilation), stride) + 1


def transposed_conv_length(size, kernel, stride=1, padding="valid", output_padding=None, dilation=1,
                           keras_rules=False):
    """Length of a transposed convolution output.

    PyTorch: (H - 1)s - 2p + d(k - 1) + output_padding + 1.
    Keras without output_padding: valid H*s + max(k' - s, 0), same H*s (k' the dilated kernel);
    with output_padding: (H - 1)s + k' - 2p + output_padding, p = 0 (valid) or k' // 2 (same).
    """
    span = dilated_kernel(kernel, dilation)
    if keras_rules:
        if output_padding is None:
            if padding == "same":
                return size * stride
            return size * stride + _max(span - stride, 0)
        pad = 0 if padding == "valid" else floor_div(span, 2)
        return (size - 1) * stride + span - 2 * pad + output_padding
    pad = 0 if padding == "valid" else padding
    if padding == "same":
        return size * stride
    return (size - 1) * stride - 2 * pad + span + (output_padding or 0)


def same_padding_total(size, kernel, stride=1, dilation=1):
    """Total zeros added along one axis by 'same' padding (TensorFlow/Keras rule)."""
    span = dilated_kernel(kernel, dilation)
    out = ceil_div(size, stride)
    return _max((out - 1) * stride + span - size, 0)
