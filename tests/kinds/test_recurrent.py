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


# ----------------------------------------------------------------------------- steps=N and state_activation=

STEPPED = ["input 3\nlstm 2 steps=4 state_activation=tanh", "input 5\ngru 4 steps=3 return_sequences=true",
           "input 6x3\nrnn 5 state_activation=relu return_sequences=true", "input 4\nrnn 3 steps=2 relu bias=false",
           "input 4\ndense 3\nlstm 2 steps=3 state_activation=sigmoid"]


@pytest.mark.parametrize("text", STEPPED)
def test_stepped_cells_against_torch(text):
    """Exported as the cell stepped in forward (SteppedCell): each count and shape equal to PyTorch's, the
    forward MACs and the training FLOPs equal to FlopCounterMode's, and the import gives the same lines back."""
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import check, run_source
    from symparams.frameworks.importer import from_torch
    from symparams.frameworks.plan import make_plan
    net = symparams.parse(text, convention="pytorch")
    assert check(net, "pytorch").ok
    ns = run_source(torch_export.write(make_plan(net)))
    with torch.device("meta"):
        model = ns["build"]()
    x = torch.zeros((1,) + tuple(ns["INPUT_SHAPE"]), device="meta")
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        model.eval()(x)
    assert int(net.metric("macs")) * 2 == forward.get_total_flops()
    x2 = torch.zeros((2,) + tuple(ns["INPUT_SHAPE"]), device="meta")
    with FlopCounterMode(display=False) as step:
        model.train()(x2).sum().backward()
    assert int(cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"]) == step.get_total_flops()
    back = from_torch(ns["build"](), text.split("\n")[0].split(" ", 1)[1].replace(" ", ""))
    last_line = text.split("\n")[-1]
    assert all(word in back for word in last_line.split()[2:]), back


def test_state_activation_counts_one_op_per_state_value():
    """The activation on h after every step: 1 op per value, as many values as PyTorch's module applies it to
    (the elements aten.tanh returns beyond the cell's own, counted with a dispatch mode)."""
    torch = need_module("torch")
    from torch.utils._python_dispatch import TorchDispatchMode
    from symparams import cost  # noqa: F401

    class Tanhs(TorchDispatchMode):
        values = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func is torch.ops.aten.tanh.default:
                Tanhs.values += out.numel()
            return out

    def tanh_values(activation):
        cell = torch.nn.GRUCell(3, 4)
        h, x = None, torch.zeros(1, 3)
        Tanhs.values = 0
        with torch.no_grad(), Tanhs():
            for _ in range(5):
                h = cell(x, h)
                h = torch.tanh(h) if activation else h
        return Tanhs.values

    ops = {a: symparams.parse(f"input 3\ngru 4 steps=5{' state_activation=tanh' if a else ''}",
                              convention="pytorch").metric("ops") for a in (True, False)}
    assert int(ops[True] - ops[False]) == tanh_values(True) - tanh_values(False)


def test_steps_in_keras_is_repeatvector_then_the_layer():
    """Exported to Keras as RepeatVector(N) then the layer (counts and shapes equal), imported back as steps=N."""
    need_module("keras")
    from symparams.frameworks import keras_export
    from symparams.frameworks.check import check, run_source
    from symparams.frameworks.importer import from_keras
    from symparams.frameworks.plan import make_plan
    for text in ("input 3\nlstm 2 steps=4", "input 5\ngru 4 steps=3 return_sequences=true", "input 4\nrnn 3 steps=2"):
        net = symparams.parse(text, convention="keras")
        assert check(net, "keras").ok
        back = from_keras(run_source(keras_export.write(make_plan(net)))["build"]())
        assert symparams.parse(back, convention="keras").params == net.params
        assert text.split("\n")[1].split(" ", 2)[2].split()[0] in back, back


def test_stepped_refusals():
    from symparams.errors import SymparamsError
    for text, words in (("input 3x2\nlstm 2 steps=4", "reads one vector"), ("input 3\nlstm 2", "needs a sequence"),
                        ("input 3\nlstm 2 steps=2 bidirectional=true", "bidirectional"),
                        ("input 3\nlstm 2 state_activation=gelu", "state_activation")):
        with pytest.raises(SymparamsError, match=words):
            symparams.parse(text, convention="pytorch").params


@pytest.mark.parametrize("line, exported", [("lstm 4 relu", False), ("gru 4 sigmoid", False), ("rnn 4 sigmoid", False),
                                            ("rnn 4 relu", True), ("gru 4 tanh", True), ("lstm 4", True),
                                            ("lstm 2 steps=3 relu", False), ("rnn 2 steps=3 relu", True)])
def test_an_activation_pytorch_cannot_run_inside_the_cell_is_not_exported_to_pytorch(line, exported):
    """PyTorch's cells run tanh (nn.RNN also relu): another word would export a different function."""
    from symparams.frameworks.torch_export import export
    net = symparams.parse(f"input {'3' if 'steps=' in line else '5x3'}\n{line}", convention="pytorch")
    if exported:
        assert "nn." in export(net)
    else:
        with pytest.raises(symparams.SymparamsError, match="runs tanh inside"):
            export(net)
