"""A bare nn.LSTM / nn.GRU / nn.RNN in a user's forward (`x, _ = self.lstm(x)`, issue 26 item 3): its output
sequence imports as the rnn/lstm/gru line with return_sequences=true, counted as PyTorch counts; the state it also
returns, sequence-first modules and stacked layers are refused by name."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module


def _model(cell, bidirectional=False, bias=True, read_state=False, **kwargs):
    torch = need_module("torch")
    nn = torch.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(nn, cell)(8, 16, batch_first=kwargs.pop("batch_first", True),
                                         bidirectional=bidirectional, bias=bias, **kwargs)
            self.head = nn.Linear(32 if bidirectional else 16, 3)

        def forward(self, x):
            out, state = self.rnn(x)
            return self.head(state[-1] if read_state and cell != "LSTM" else out)

    return Tagger()


@pytest.mark.parametrize("cell, bidirectional, bias", [("LSTM", False, True), ("LSTM", True, True),
                                                       ("GRU", False, False), ("RNN", True, True)])
def test_a_bare_recurrent_module_imports_as_its_output_sequence(cell, bidirectional, bias):
    model = _model(cell, bidirectional, bias)
    text = symparams.from_torch(model, (5, 8))
    line = [ln for ln in text.splitlines() if ln.startswith(cell.lower())][0]
    assert "return_sequences=true" in line and ("bidirectional=true" in line) == bidirectional, text
    net = symparams.parse(text, convention="pytorch")
    assert net.params == sum(p.numel() for p in model.parameters())
    assert tuple(int(d) for d in net.output_shape) == (5, 3)


@pytest.mark.parametrize("model_kwargs, words", [
    ({"cell": "GRU", "read_state": True}, "reads the state that 'rnn' returns"),
    ({"cell": "LSTM", "batch_first": False}, "LSTM(batch_first=False)"),
    ({"cell": "LSTM", "num_layers": 2}, "LSTM(num_layers=2)"),
    ({"cell": "LSTM", "proj_size": 4}, "proj_size=4"),
])
def test_what_has_no_line_yet_is_refused_by_name(model_kwargs, words):
    with pytest.raises(symparams.SymparamsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        symparams.from_torch(_model(**model_kwargs), (5, 8))
