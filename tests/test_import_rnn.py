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
            self.head = nn.Linear(32 if bidirectional and read in ("out", "ends") else 16, 3)

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
            if read == "ends":              # a bidirectional classifier: both directions' final states
                return self.head(torch.cat([h[-2], h[-1]], dim=1))
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


@pytest.mark.parametrize("cell, layers", [("LSTM", 1), ("GRU", 2)])
def test_both_ends_of_a_bidirectional_state_are_its_last_state(cell, layers):
    text = _check(_model(cell, bidirectional=True, read="ends", num_layers=layers))
    lines = [ln for ln in text.splitlines() if ln.startswith(cell.lower())]
    assert ["return_sequences=true" in ln for ln in lines] == [True] * (layers - 1) + [False], text
    assert all("bidirectional=true" in ln for ln in lines), text


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


def _tutorial(cell="LSTM", batch_first=True, layers=2, start="zeros", read="last", device_move=True):
    """The classic PyTorch tutorial classifier: an initial state made from the batch size in forward, the
    recurrent layer called on (x, state), a linear head on the last step out[:, -1, :]."""
    torch = need_module("torch")
    nn = torch.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers, self.hidden = layers, 16
            self.rnn = getattr(nn, cell)(8, 16, num_layers=layers, batch_first=batch_first)
            self.encoder = nn.GRU(8, 16, batch_first=True)
            self.fc = nn.Linear(16, 4)

        def forward(self, x):
            batch = x.size(0) if batch_first else x.size(1)
            make = torch.zeros if start == "zeros" else torch.randn
            h0 = make(self.layers, batch, self.hidden)
            if device_move:
                h0 = h0.to(x.device)
            if start == "computed":
                _, h0 = self.encoder(x)
            state = (h0, make(self.layers, batch, self.hidden)) if cell == "LSTM" else h0
            out, _ = self.rnn(x, state)
            if read == "noise":
                out = out + torch.randn(x.size(0), x.size(1), self.hidden)
            last = out[:, -1, :] if batch_first else out[-1]
            return self.fc(last)

    return Classifier()


@pytest.mark.parametrize("cell, batch_first, layers, start", [
    ("LSTM", True, 2, "zeros"), ("GRU", False, 1, "randn"), ("RNN", True, 3, "randn")])
def test_a_state_made_in_forward_and_the_last_step_import_exactly(cell, batch_first, layers, start):
    torch = need_module("torch")
    model = _tutorial(cell, batch_first, layers, start)
    model.encoder = torch.nn.Identity()         # unused here: the import counts unused parameters too
    text = symparams.from_torch(model, (5, 8))
    lines = [ln for ln in text.splitlines() if ln.startswith(cell.lower())]
    assert ["return_sequences=true" in ln for ln in lines] == [True] * (layers - 1) + [False], text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        out = model.eval()(torch.zeros((2, 5, 8) if batch_first else (5, 2, 8)))
    assert tuple(int(d) for d in net.output_shape) == tuple(out.shape[1:]) == (4,)


@pytest.mark.parametrize("kwargs, words", [
    ({"start": "computed"}, "passes the state of 'encoder' ('getitem_1') to 'rnn'"),
    ({"read": "noise"}, "reads a tensor it makes ('randn"),
])
def test_a_made_tensor_read_otherwise_is_refused_by_name(kwargs, words):
    with pytest.raises(symparams.SymparamsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        symparams.from_torch(_tutorial(**kwargs), (5, 8))
