"""Recurrent layers' saved activations, against what autograd really keeps, and the cases symparams refuses.

On CPU, nn.RNN and nn.GRU run as composite operations (each step's products, gates and states are autograd's
tensors), and so do the cells symparams steps in forward (steps=N, state_activation=): act_train_bytes states them
exactly (symparams/layers/recurrent.py), with every weight trained, frozen, or some frozen, first and after a
trained layer, stacked (a recurrent layer reads another's time-major sequence without a copy), in a batch of one and
of two. The oracle: the model `symparams export --to pytorch` writes, one training-mode forward pass under
torch.autograd.graph.saved_tensors_hooks (tests/test_memory.py measured_saved_bytes).

nn.LSTM keeps a workspace its kernel chooses (oneDNN on CPU; cuDNN on a GPU), and on a GPU nn.RNN/GRU run cuDNN and
LSTMCell/GRUCell fused cells: the saved-activation columns refuse those, naming the layer (never a number that is not
PyTorch's). SYMPARAMS_MEMORY_RECURRENT=all checks each weight frozen alone and all but each.
"""

from __future__ import annotations

import os

import pytest

import symparams
from symparams import cost
from symparams.cli import main
from symparams.errors import DefinitionError

from conftest import need_module
from test_frozen_training_flops import _frozen_option, _last_line, _weights
from test_memory import measured_saved_bytes

ALL = os.environ.get("SYMPARAMS_MEMORY_RECURRENT", "") == "all"

LAYERS = [
    "input 5x8\ngru 4 return_sequences",
    "input 4x6\nrnn 3 bidirectional",
    "input 5x8\ngru 4 bidirectional bias=false",
    "input 1x6\ngru 3",
    "input 5x6\nrnn 3 relu return_sequences",
    "input 8\nlstm 4 steps=3",
    "input 6\ngru 4 steps=3 return_sequences",
    "input 6\nrnn 3 steps=4 bias=false",
    "input 5x6\nlstm 4 state_activation=relu return_sequences",
    "input 5x6\ngru 3 state_activation=tanh",
    "input 5x6\nrnn 3 state_activation=sigmoid return_sequences",
]

# what reads a recurrent layer's sequence, or what it reads
STACKS = [
    "input 5x8\nrnn 4 return_sequences\ngru 3",                         # a view of the time-major sequence
    "input 5x8\nrnn 4 relu return_sequences\ngru 3",
    "input 5x8\ngru 4 bidirectional return_sequences\nrnn 3 bidirectional return_sequences\ndense 2",
    "input 5x8\ngru 4 return_sequences\nlayernorm\nrnn 3",                 # element-wise: still time-major
    "input 5x8\ngru 4 return_sequences\ndropout 0.5\nrnn 3",
    "input 5x8\nrnn 4 return_sequences\ndense 4\ngru 3",                  # a new batch-first tensor: copied
    "input 5x8\nconv 4 3\ngru 3",
    "input 6\nlstm 4 steps=3 return_sequences\ndense 2",
    "input 5x5\nglobalavgpool keepdims\nbatchnorm\nrnn 5 return_sequences=true bias=false tanh",
    # one feature is still copied; a merge's result is a new batch-first tensor (found by tests/test_memory.py's
    # random networks)
    "input 9x1\ndense 1\nmul { gru 4 return_sequences=true bias=false; dense 1 } {  }",
    # a merge of the time-major sequence with itself keeps its layout: the next recurrent layer reads a view
    "input 4x1\nrnn 3 return_sequences=true relu\nsave t0\nmul with t0\nrnn 2 bidirectional=true\ndense 5",
    "input 10x1\ngru 1 return_sequences=true bias=false\ndropout 0.1\nsave t0\nsub with t0\ngru 3 bidirectional=true",
    "input 6\nembedding 19 3\ngru 2 return_sequences=true bidirectional=true bias=false\naffine\nlayerscale\n"
    "gru 1 bidirectional=true",
]


def _variants(text: str) -> list:
    """The last layer trained, all frozen, and frozen subsets (by default its input kernel alone, its recurrent
    kernel alone and all but its input kernel; SYMPARAMS_MEMORY_RECURRENT=all: each alone and all but each)."""
    net = symparams.parse(text, convention="pytorch")
    names = _weights([r for _, r in net.walk() if r.is_leaf][-1])
    if ALL:
        subsets = [[n] for n in names] + [[m for m in names if m != n] for n in names]
    else:
        subsets = [names[:1], names[1:2], names[1:]]
    return [text, _last_line(text, "trainable=false")] + [_last_line(text, _frozen_option(s))
                                                          for s in subsets if s and s != names]


def _placed(text: str) -> list:
    first, *rest = text.split("\n")
    width = first.split()[-1].split("x")[-1]
    return [text, "\n".join([first, f"dense {width}"] + rest)]


CASES = [v for text in LAYERS for placed in _placed(text) for v in _variants(placed)] + STACKS


def _ours(net, batch: int, device: str = "cpu") -> int:
    options = cost.Options(batch=batch, device=device, loss="none")
    return int(cost.totals(net, ("act_train_bytes",), options)["act_train_bytes"])


@pytest.mark.parametrize("text", CASES, ids=[f"case-{i}" for i in range(len(CASES))])
def test_recurrent_layers_keep_what_autograd_keeps(text):
    need_module("torch")
    net = symparams.parse(text, convention="pytorch")
    for batch in (2, 1) if "batchnorm" not in text else (2,):      # batchnorm needs two examples to train
        assert _ours(net, batch) == measured_saved_bytes(net, batch=batch), (batch, text)


def test_the_oracle_sees_the_steps():
    """The comparison above could fail: a longer sequence keeps more per step, a frozen layer first keeps nothing."""
    need_module("torch")
    short, long_, frozen = (symparams.parse(t, convention="pytorch") for t in (
        "input 3x6\ngru 4", "input 6x6\ngru 4", "input 6x6\ngru 4 trainable=false"))
    assert measured_saved_bytes(long_) > measured_saved_bytes(short) > measured_saved_bytes(frozen) == 0


@pytest.mark.parametrize("text, device, refused", [
    ("input 5x8\nlstm 4", "cpu", True),                       # oneDNN's workspace
    ("input 5x8\nlstm 4 return_sequences", "cuda", True),
    ("input 5x8\ngru 4", "cuda", True),                       # cuDNN
    ("input 5x8\nrnn 4 bidirectional", "cuda", True),
    ("input 8\nlstm 4 steps=3", "cuda", True),                # fused cells on a GPU
    ("input 5x8\ngru 4 state_activation=relu", "cuda", True),
    ("input 8\nrnn 4 steps=3", "cuda", False),                # RNNCell: the same composite on every device
    ("input 8\nlstm 4 steps=3", "cpu", False),
    ("input 5x8\ngru 4", "cpu", False),
])
def test_unmodelled_kernels_are_refused_by_name(text, device, refused):
    net = symparams.parse("input 5x8\ndense 8\n" + text.split("\n", 1)[1] if text.startswith("input 5x8")
                          else text, convention="pytorch")
    options = cost.Options(batch=2, device=device)
    if not refused:
        assert cost.totals(net, ("act_train_bytes",), options)["act_train_bytes"] > 0
        return
    kind = text.split("\n")[-1].split()[0]
    for column in ("act_train_bytes", "train_bytes"):
        with pytest.raises(DefinitionError, match=f"saved activations of '{kind}_1' \\({kind}\\) on {device}"):
            cost.totals(net, (column,), options)
    # the other columns, and the full recomputation policy (only each statement's input kept), are still given
    assert cost.totals(net, ("params", "train_flops"), options)["params"] > 0
    assert cost.totals(net, ("act_train_bytes",), cost.Options(batch=2, device=device, recompute="full"))[
        "act_train_bytes"] > 0


def test_the_memory_command_names_the_layer_and_its_line(tmp_path, capsys):
    path = tmp_path / "rnn.arch"
    path.write_text("input 5x8\ndense 8\nlstm 4\ndense 2\n")
    assert main(["memory", str(path)]) == 1
    err = capsys.readouterr().err
    assert "rnn.arch:3:1" in err and "'lstm_1' (lstm)" in err and "lstm 4" in err
    assert main(["memory", str(path), "--device", "cpu"]) == 1     # nn.LSTM on no device
    capsys.readouterr()
    path.write_text("input 5x8\ndense 8\ngru 4\ndense 2\n")
    assert main(["memory", str(path), "--device", "cpu"]) == 0
    assert "Activations" in capsys.readouterr().out
