"""Output-size arithmetic (symparams/shapes.py) against the frameworks' own computations and
against the issue's formulas, one axis at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.algebra import as_int, symbol
from symparams.shapes import conv_length, dilated_kernel, transposed_conv_length
from conftest import need_module


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_conv_length_formula(size, k, s, p, d):
    got = conv_length(size, k, s, p, d)
    expected = (size + 2 * p - d * (k - 1) - 1) // s + 1
    assert as_int(got) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2), st.integers(1, 2))
def test_conv_length_matches_torch(size, k, s, p, d):
    torch = need_module("torch")
    if size + 2 * p - d * (k - 1) - 1 < 0:
        return
    y = torch.nn.functional.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d)
    assert as_int(conv_length(size, k, s, p, d)) == y.shape[-1]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**9), st.integers(1, 9))
def test_same_is_ceil(size, s):
    assert as_int(conv_length(size, 3, s, "same")) == -(-size // s)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2), st.integers(0, 3),
       st.integers(1, 2))
def test_transposed_matches_torch(size, k, s, p, op, d):
    torch = need_module("torch")
    op = op % max(s, d)
    expected = (size - 1) * s - 2 * p + d * (k - 1) + op + 1
    if expected < 1:
        return
    y = torch.nn.functional.conv_transpose1d(torch.zeros(1, 1, size), torch.zeros(1, 1, k), stride=s, padding=p,
                                             output_padding=op, dilation=d)
    assert y.shape[-1] == expected
    assert as_int(transposed_conv_length(size, k, s, p, op, d)) == expected


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.sampled_from(["valid", "same"]),
       st.sampled_from([None, 0, 1, 2]))
def test_transposed_keras_rule_matches_keras(size, k, s, padding, op):
    keras = need_module("keras")
    if op is not None and op >= s:
        op = None
    layer = keras.layers.Conv1DTranspose(1, k, strides=s, padding=padding, output_padding=op)
    y = layer(keras.Input((size, 1)))
    assert as_int(transposed_conv_length(size, k, s, padding, op, keras_rules=True)) == y.shape[1]


def test_symbolic_lengths():
    n, k = symbol("n"), symbol("k")
    assert conv_length(n, k) == n - k + 1
    assert transposed_conv_length(n, k, 2) == 2 * n - 2 + k
    assert transposed_conv_length(n, 3, 2, "same", keras_rules=True) == 2 * n
    assert dilated_kernel(k, 2) == 2 * k - 1
