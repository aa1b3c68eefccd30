"""A bare nn.LSTM / nn.GRU / nn.RNN in a user's forward (`x, _ = self.lstm(x)`, issue 26): its output sequence
imports as the rnn/lstm/gru line with return_sequences=true, one line per stacked layer (num_layers=N), sequence
first or batch first; the last row h[-1] of its state read in forward is the line without return_sequences; the
state returned from forward beside the output is the layer's own result. The oracle is the module itself: its
parameter count and the shape it gives on a real input. What has no line is refused by name."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module


def _model(cell, bidirectional=False, bias=True, read="out", **kwargs):
    torch = need_module("torch")
    nn = torch.nn
    batch_first = kwargs.pop("batch_first", True)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(nn, cell)(8, 16, batch_first=batch_first, bidirectional=bidirectional, bias=bias,
                                         **kwargs)
            self.head = nn.Linear(32 if bidirectional and read == "out" else 16, 3)

        def forward(self, x):
            out, state = self.rnn(x)
            h, c = state if cell == "LSTM" else (state, None)
            if read == "h":                 # a classifier on the last layer's final hidden state
                return self.head(h[-1])
            if read == "c":
                return self.head(c[-1])
            if read == "both":
                return self.head(out) + self.head(h[-1])[:, None]
            if read == "h0":
                return self.head(h[0])
            if read == "returned":          # torchinfo's LSTMNet: (output, state)
                return self.head(out), state
            return self.head(out)

    return Tagger()


def _check(model, shape=(5, 8)):
    torch = need_module("torch")
    text = symparams.from_torch(model, shape)
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert (int(net.params), int(net.trainable_params)) == (
        sum(p.numel() for p in model.parameters()), sum(p.numel() for p in model.parameters() if p.requires_grad))
    with torch.no_grad():
        out = model.eval()(torch.zeros((2,) + shape))
    out = out[0] if isinstance(out, tuple) else out
    assert tuple(int(d) for d in net.output_shape) == tuple(out.shape[1:]), text
    return text


@pytest.mark.parametrize("cell, bidirectional, bias, layers, batch_first", [
    ("LSTM", False, True, 1, True), ("LSTM", True, True, 3, False), ("GRU", False, False, 2, True),
    ("RNN", True, True, 1, False)])
def test_a_bare_recurrent_module_imports_as_its_output_sequence(cell, bidirectional, bias, layers, batch_first):
    model = _model(cell, bidirectional, bias, num_layers=layers, batch_first=batch_first,
                   dropout=0.25 if layers > 1 else 0.0)
    text = _check(model)
    lines = [ln for ln in text.splitlines() if ln.startswith(cell.lower())]
    assert len(lines) == layers and all("return_sequences=true" in ln for ln in lines), text
    assert all(("bidirectional=true" in ln) == bidirectional for ln in lines), text
    assert text.count("dropout 0.25") == layers - 1, text


@pytest.mark.parametrize("cell, layers", [("GRU", 1), ("LSTM", 2), ("RNN", 1)])
def test_the_last_hidden_state_is_the_line_without_return_sequences(cell, layers):
    text = _check(_model(cell, read="h", num_layers=layers))
    lines = [ln for ln in text.splitlines() if ln.startswith(cell.lower())]
    assert ["return_sequences=true" in ln for ln in lines] == [True] * (layers - 1) + [False], text


def test_h0_of_one_layer_is_its_last_state_and_a_returned_state_is_the_layers_own():
    _check(_model("GRU", read="h0"))
    text = _check(_model("LSTM", read="returned", num_layers=2, batch_first=False))
    assert text.count("return_sequences=true") == 2, text


@pytest.mark.parametrize("model_kwargs, words", [
    ({"cell": "LSTM", "read": "c"}, "reads the cell state of 'rnn'"),
    ({"cell": "GRU", "read": "h", "bidirectional": True}, "one direction"),
    ({"cell": "GRU", "read": "h0", "num_layers": 2}, "h[-1]"),
    ({"cell": "LSTM", "read": "both"}, "both the sequence and the last state of 'rnn'"),
    ({"cell": "LSTM", "proj_size": 4}, "proj_size=4"),
])
def test_what_has_no_line_yet_is_refused_by_name(model_kwargs, words):
    with pytest.raises(symparams.SymparamsError, match=words.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        symparams.from_torch(_model(**model_kwargs), (5, 8))
