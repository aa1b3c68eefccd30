"""PyTorch import of recurrent cells (nn.LSTMCell, nn.GRUCell, nn.RNNCell) stepped in forward over a sequence's
time axis: the manual unroll of nn.LSTM/GRU/RNN reads as the lstm/gru/rnn line. Oracles: PyTorch's parameter count
(total and trainable), FlopCounterMode on the module itself (forward, and forward + backward in training mode,
on the meta device where the cell's decomposed gates are what the counter sees), and the module's output shape."""

from __future__ import annotations

import pytest

import symparams
from symparams import cost
from symparams.errors import SymparamsError

from conftest import need_module

T, D, U = 6, 5, 7


def _unrolled(kind: str, keep: str, loop: str = "constant", state: str = "zeros", activation: bool = False):
    """A module stepping one cell over x[:, t] (keep: 'stack' every h on axis 1, or the 'last' one)."""
    torch = need_module("torch")
    nn = torch.nn

    class Unrolled(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = getattr(nn, kind)(D, U)

        def forward(self, x):
            h = torch.zeros(x.size(0), U, device=x.device) if state == "zeros" else None
            c = torch.zeros(x.size(0), U, device=x.device)
            outs = []
            for t in range(T if loop == "constant" else x.size(1)):
                if kind == "LSTMCell":
                    h, c = self.cell(x[:, t], None if h is None else (h, c))
                else:
                    h = self.cell(x[:, t], h)
                h = torch.relu(h) if activation else h
                outs.append(h)
            if keep == "cat":
                return torch.cat([o.unsqueeze(1) for o in outs], dim=1)
            return torch.stack(outs, dim=1) if keep == "stack" else h

    return Unrolled


def _train_flops(model, x) -> int:
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    return counter.get_total_flops()


def _macs(model, x) -> int:
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("kind,word,keep", [("LSTMCell", "lstm", "stack"), ("LSTMCell", "lstm", "last"),
                                            ("GRUCell", "gru", "stack"), ("GRUCell", "gru", "last"),
                                            ("RNNCell", "rnn", "stack"), ("RNNCell", "rnn", "last"),
                                            ("GRUCell", "gru", "cat")])
def test_cell_over_time_axis(kind, word, keep):
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    module = _unrolled(kind, keep)()
    text = from_torch(module, f"{T}x{D}")
    line = f"{word} {U}" + (" return_sequences=true" if keep in ("stack", "cat") else "")
    assert f"{line} name=cell" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert int(net.trainable_params) == sum(p.numel() for p in module.parameters() if p.requires_grad)
    x = torch.randn(2, T, D)
    assert tuple(int(d) for d in net.output_shape) == tuple(module(x).shape[1:])
    assert int(net.metric("macs")) == _macs(module, x[:1])      # per example
    with torch.device("meta"):
        meta = _unrolled(kind, keep)().train()
    got = int(cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"])
    assert got == _train_flops(meta, torch.zeros(2, T, D, device="meta"))


def test_cell_without_initial_state_and_sized_loop():
    """cell(x[:, 0]) from no state (zeros), the loop over x.size(1) traced with the sizes known (meta device)."""
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    with torch.device("meta"):
        module = _unrolled("LSTMCell", "stack", loop="sized", state="none")()
    text = from_torch(module, f"{T}x{D}")
    assert f"lstm {U} return_sequences=true name=cell" in text
    assert int(symparams.parse(text, convention="pytorch").params) == sum(p.numel() for p in module.parameters())


def test_cell_refusals():
    """Steps over part of the sequence, a state computed from the input, a cell state read: refused by name."""
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    nn = torch.nn

    class Part(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.GRUCell(D, U)

        def forward(self, x):
            h = None
            for t in range(T - 1):
                h = self.cell(x[:, t], h)
            return h

    class Computed(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell, self.init = nn.GRUCell(D, U), nn.Linear(D, U)

        def forward(self, x):
            h = self.init(x[:, 0])
            for t in range(T):
                h = self.cell(x[:, t], h)
            return h

    class ReadsC(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.LSTMCell(D, U)

        def forward(self, x):
            state = None
            for t in range(T):
                state = self.cell(x[:, t], state)
            return state[0] + state[1]

    for model, words in ((Part, "stepped over 5 of the 6 steps"), (Computed, "starts from a state forward computes"),
                         (ReadsC, "last cell state")):
        with pytest.raises(SymparamsError, match=words):
            from_torch(model(), f"{T}x{D}")


def _stepped(kind: str, steps: int, activation: bool):
    """A module stepping one cell `steps` times over its input vector from a random state (torchinfo's SimpleRNN
    with any cell), tanh on h after every step when asked."""
    torch = need_module("torch")
    nn = torch.nn

    class Stepped(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = getattr(nn, kind)(D, U)
            self.act = nn.Tanh()

        def forward(self, x):
            h = torch.randn(x.size(0), U, device=x.device)
            c = torch.randn(x.size(0), U, device=x.device)
            for _ in range(steps):
                if kind == "LSTMCell":
                    h, c = self.cell(x, (h, c))
                else:
                    h = self.cell(x, h)
                h = self.act(h) if activation else h
            return h

    return Stepped


@pytest.mark.parametrize("kind,word,activation", [("LSTMCell", "lstm", True), ("GRUCell", "gru", False),
                                                  ("RNNCell", "rnn", True)])
def test_cell_stepped_over_one_vector(kind, word, activation):
    """steps=N (and state_activation=tanh): the count, shape and FlopCounterMode's forward and training FLOPs."""
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    module = _stepped(kind, 4, activation)()
    text = from_torch(module, f"{D}")
    assert f"{word} {U} steps=4" + (" state_activation=tanh" if activation else "") + " name=cell" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert tuple(int(d) for d in net.output_shape) == tuple(module(torch.randn(2, D)).shape[1:])
    assert int(net.metric("macs")) == _macs(module, torch.randn(1, D))
    with torch.device("meta"):
        meta = _stepped(kind, 4, activation)().train()
    got = int(cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"])
    assert got == _train_flops(meta, torch.zeros(2, D, device="meta"))


def test_activation_after_some_steps_only_is_refused():
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    nn = torch.nn

    class Some(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.GRUCell(D, U)

        def forward(self, x):
            h = None
            for t in range(3):
                h = self.cell(x, h)
                h = torch.tanh(h) if t < 2 else h
            return h

    with pytest.raises(SymparamsError, match="after some steps only"):
        from_torch(Some(), f"{D}")


def test_a_cell_partly_frozen_names_the_layer_weight():
    """requires_grad=False on the cell's weight_ih: frozen=weight_ih_l0 (the layer's name for it), trainable total
    equal to PyTorch's."""
    need_module("torch")
    from symparams.frameworks.importer import from_torch
    module = _unrolled("GRUCell", "last")()
    module.cell.weight_ih.requires_grad_(False)
    text = from_torch(module, f"{T}x{D}")
    assert "frozen=weight_ih_l0" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.trainable_params) == sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_cell_over_time_axis_with_an_activation_after_each_step():
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    module = _unrolled("RNNCell", "stack", activation=True)()
    text = from_torch(module, f"{T}x{D}")
    assert f"rnn {U} return_sequences=true state_activation=relu name=cell" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert int(net.metric("macs")) == _macs(module, torch.randn(1, T, D))
    with torch.device("meta"):
        meta = _unrolled("RNNCell", "stack", activation=True)().train()
    got = int(cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"])
    assert got == _train_flops(meta, torch.zeros(2, T, D, device="meta"))


def test_a_trained_initial_state_is_refused():
    """torch.zeros(..., requires_grad=True): autograd computes its gradient, which a layer's state has not."""
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    nn = torch.nn

    class Trained(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.GRUCell(D, U)

        def forward(self, x):
            h = torch.zeros(x.size(0), U, requires_grad=True)
            for t in range(T):
                h = self.cell(x[:, t], h)
            return h

    with pytest.raises(SymparamsError, match="starts from a state"):
        from_torch(Trained(), f"{T}x{D}")


def test_stacked_cells():
    """Two cells, the second stepped over the first's h: lstm return_sequences=true, then the second's line."""
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    nn = torch.nn

    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.lower, self.upper = nn.LSTMCell(D, U), nn.GRUCell(U, 3)

        def forward(self, x):
            h = c = torch.zeros(x.size(0), U, device=x.device)
            g = None
            outs = []
            for t in range(T):
                h, c = self.lower(x[:, t], (h, c))
                g = self.upper(h, g)
                outs.append(g)
            return torch.stack(outs, 1)

    module = Stacked()
    text = from_torch(module, f"{T}x{D}")
    assert f"lstm {U} return_sequences=true name=lower" in text and "gru 3 return_sequences=true name=upper" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert int(net.metric("macs")) == _macs(module, torch.randn(1, T, D))
    with torch.device("meta"):
        meta = Stacked().train()
    got = int(cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"])
    assert got == _train_flops(meta, torch.zeros(2, T, D, device="meta"))


def test_a_linear_on_every_step():
    """y_t = fc(h_t) at every step, the y_t stacked: the recurrent line with return_sequences=true, then the dense
    line (one Linear counted once, its products on every step)."""
    torch = need_module("torch")
    from symparams.frameworks.importer import from_torch
    nn = torch.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell, self.fc = nn.LSTMCell(D, U), nn.Linear(U, 4)

        def forward(self, x):
            state, ys = None, []
            for t in range(T):
                state = self.cell(x[:, t], state)
                ys.append(self.fc(state[0]))
            return torch.stack(ys, dim=1)

    module = Tagger()
    text = from_torch(module, f"{T}x{D}")
    assert f"lstm {U} return_sequences=true name=cell" in text and "dense 4 name=fc" in text, text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert tuple(int(d) for d in net.output_shape) == tuple(module(torch.randn(2, T, D)).shape[1:])
    assert int(net.metric("macs")) == _macs(module, torch.randn(1, T, D))
    with torch.device("meta"):
        meta = Tagger().train()
    got = int(cost.totals(net, ("train_flops",), cost.Options(batch=2))["train_flops"])
    assert got == _train_flops(meta, torch.zeros(2, T, D, device="meta"))
