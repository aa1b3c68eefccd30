"""Recurrent layers (rnn, lstm, gru): the harness's generators, and each kind against the real
PyTorch and Keras."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module
from harness import ACTS, kind, keras_layer, last, size_text, torch_count, torch_out  # noqa: F401

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- generators (the harness)

def recurrent_line(b, cell):
    text = f"{cell} {b.integer(1, 5)} return_sequences=true"
    if b.coin():
        text += " bidirectional=true"
    if not b.coin():
        text += " bias=false"
    if cell == "rnn" and b.coin():
        text += " " + b.pick(["tanh", "relu"])
    return text


def last_state(b, cell):
    return f"{cell} {b.integer(1, 3)}" + (" bidirectional=true" if b.coin() else "")


@kind("rnn", ranks=(2,), tail=lambda b: last_state(b, "rnn"))
def rnn(b):
    return recurrent_line(b, "rnn")


@kind("lstm", ranks=(2,), tail=lambda b: last_state(b, "lstm"))
def lstm(b):
    return recurrent_line(b, "lstm")


@kind("gru", ranks=(2,), tail=lambda b: last_state(b, "gru"))
def gru(b):
    return recurrent_line(b, "gru")


# ----------------------------------------------------------------------------- against the frameworks, one layer at a time

recurrent_case = (st.sampled_from(["rnn", "lstm", "gru"]), st.integers(1, 20), st.integers(1, 20), st.integers(1, 6),
                  st.booleans(), st.booleans())


def recurrent_text(cell, units, dim, length, bidirectional, sequences):
    return (f"input {length}x{dim}\n{cell} {units} bidirectional={'true' if bidirectional else 'false'} "
            f"return_sequences={'true' if sequences else 'false'}")


@SETTINGS
@given(*recurrent_case)
def test_recurrent_matches_torch(cell, units, dim, length, bidirectional, sequences):
    torch = need_module("torch")
    params, out, _ = last(recurrent_text(cell, units, dim, length, bidirectional, sequences), "pytorch")
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    m = cls(dim, units, batch_first=True, bidirectional=bidirectional)
    with torch.no_grad():
        y, _ = m(torch.zeros(1, length, dim))
    expected = tuple(y.shape[1:]) if sequences else (y.shape[-1],)
    assert (params, out) == (torch_count(m), expected)


@SETTINGS
@given(*recurrent_case)
def test_recurrent_matches_keras(cell, units, dim, length, bidirectional, sequences):
    keras = need_module("keras")
    params, out, _ = last(recurrent_text(cell, units, dim, length, bidirectional, sequences), "keras")
    cls = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    layer = cls(units, return_sequences=sequences)
    if bidirectional:
        layer = keras.layers.Bidirectional(layer)
    assert (params, out) == keras_layer(layer, (length, dim))


def test_recurrent_issue_numbers():
    # lstm 64 on 10x32: 4*64*(64+32+1) keras, 4*64*(64+32+2) pytorch; gru 3*64*(64+32+2) both
    assert last("input 10x32\nlstm 64", "keras")[0] == 4 * 64 * (64 + 32 + 1) == 24_832
    assert last("input 10x32\nlstm 64", "pytorch")[0] == 4 * 64 * (64 + 32 + 2) == 25_088
    assert last("input 10x32\ngru 64", "keras")[0] == last("input 10x32\ngru 64", "pytorch")[0] == 18_816


def test_recurrent_formulas_symbolic():
    from sympy import expand, symbols
    U, D = symbols("U D", integer=True, positive=True)
    for cell, keras_f, torch_f in (("rnn", U * (U + D + 1), U * (U + D + 2)),
                                   ("lstm", 4 * U * (U + D + 1), 4 * U * (U + D + 2)),
                                   ("gru", 3 * U * (U + D + 2), 3 * U * (U + D + 2))):
        for convention, f in (("keras", keras_f), ("pytorch", torch_f)):
            net = symparams.parse(f"input T x D\n{cell} U", convention=convention)
            assert expand(net.params - f) == 0
            bi = symparams.parse(f"input T x D\n{cell} U bidirectional", convention=convention)
            assert expand(bi.params - 2 * f) == 0
            assert bi.output_shape == (2 * U,)
