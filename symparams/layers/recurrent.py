"""Recurrent layers: rnn, lstm, gru on a T x D sequence (or `steps=N` times on one D vector)."""

from __future__ import annotations

from .. import conventions
from ..errors import DefinitionError
from ..errors import ShapeError
from .base import BOOL, COUNT, WORD, Arg, Gradient, LayerSpec, Opt, Saved, Weight, named, register
from .text import one

GATES = {"rnn": 1, "lstm": 4, "gru": 3}

TORCH_RECURRENT = '''
class Recurrent(nn.Module):
    """An nn.RNN/LSTM/GRU (batch_first) returning the sequence or the last state(s)."""
    def __init__(self, rnn, return_sequences=False):
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences

    def forward(self, x):
        out, state = self.rnn(x)
        if self.return_sequences:
            return out
        h = state[0] if isinstance(state, tuple) else state
        return torch.cat([h[-2], h[-1]], dim=-1) if self.rnn.bidirectional else h[-1]
'''


TORCH_STEPPED = '''
class SteppedCell(nn.Module):
    """An nn.RNNCell/LSTMCell/GRUCell stepped over the sequence x[:, t] (or `steps` times over one input
    vector), from a zero state, its h passed through `activation` after every step when one is given."""
    def __init__(self, cell, steps=None, return_sequences=False, activation=None):
        super().__init__()
        self.cell, self.steps, self.return_sequences = cell, steps, return_sequences
        self.activation = activation

    def forward(self, x):
        h = c = None
        outs = []
        for t in range(self.steps or x.size(1)):
            step = x if self.steps else x[:, t]
            if isinstance(self.cell, nn.LSTMCell):
                h, c = self.cell(step, None if h is None else (h, c))
            else:
                h = self.cell(step, h)
            if self.activation is not None:
                h = self.activation(h)
            outs.append(h)
        return torch.stack(outs, dim=1) if self.return_sequences else h
'''

# what a state activation may be: one value per value, no weights (as PyTorch's cells are stepped in forward)
STATE_ACTIVATIONS = ("tanh", "relu", "sigmoid")
_TORCH_STATE = {"tanh": "nn.Tanh()", "relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()"}
_STATE_WORDS = {"Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid"}


class _Recurrent(LayerSpec):
    arguments = (Arg("units", COUNT),)
    options = {"return_sequences": Opt(BOOL, False), "bidirectional": Opt(BOOL, False), "bias": Opt(BOOL, True),
               "steps": Opt(COUNT, None, doc="the input, one vector, read at each of N steps (Keras: RepeatVector(N) "
                                             "first; PyTorch: a cell stepped N times)"),
               "state_activation": Opt(WORD, None, choices=STATE_ACTIVATIONS,
                                       doc="applied to h after every step, before it is handed on and returned")}
    takes_activation = True
    activation_inside = True    # the cell's nonlinearity (rnn: tanh or relu), counted with its steps
    min_rank = 1            # T x D, or a D vector with steps=N (configure)
    max_rank = 2
    cell = "rnn"
    torch_class = keras_class = ""      # nn.RNN / keras.layers.SimpleRNN, ...
    diagram = "recurrent"
    letters = {"input": "D", "units": "U"}
    torch_helpers = {"Recurrent": TORCH_RECURRENT, "SteppedCell": TORCH_STEPPED}

    def kind_name(self, keyword, shape):
        return self.cell

    def configure(self, cfg, shape, ctx):
        if cfg.steps is None and len(shape) != 2:
            raise ShapeError(f"{cfg.keyword} needs a sequence T x D (or steps=N with one vector D); it gets "
                             f"{len(shape)} axes", hint="did a 'flatten' or a dense layer come too early?")
        if cfg.steps is not None and len(shape) != 1:
            raise ShapeError(f"{cfg.keyword} with steps={cfg.steps} reads one vector D at every step; it gets "
                             f"{len(shape)} axes")
        if cfg.bidirectional and (cfg.steps is not None or cfg.state_activation):
            raise DefinitionError(f"{cfg.keyword}: bidirectional=true with steps= or state_activation= has no "
                                  "PyTorch layer; symparams steps one direction")

    def output_shape(self, cfg, shape, ctx):
        width = cfg.units * (2 if cfg.bidirectional else 1)
        return (self.length(cfg, shape), width) if cfg.return_sequences else (width,)

    @staticmethod
    def length(cfg, shape):
        """T, the steps: the sequence's, or steps=N over one vector."""
        return cfg.steps if cfg.steps is not None else shape[0]

    def weights(self, cfg, shape, ctx):
        biases = conventions.recurrent_bias_vectors(self.cell, ctx.convention) if cfg.bias else 0
        out = ()
        for direction in (("forward", "backward") if cfg.bidirectional else ("",)):
            out += tuple(Weight(name, shape_) for name, shape_ in recurrent_weights(
                direction, shape[-1], cfg.units, GATES[self.cell], biases, ctx.convention))
        return out

    def macs(self, cfg, shape, out, ctx):
        """T·G·U·(D + U) (G = 1, 4, 3 gates; ×2 bidirectional): every step's gates from the inputs and the last outputs."""
        directions = 2 if cfg.bidirectional else 1
        return self.length(cfg, shape) * directions * GATES[self.cell] * cfg.units * (shape[-1] + cfg.units)

    def bias_adds(self, cfg, shape, out, ctx):
        if not cfg.bias:
            return 0
        directions = 2 if cfg.bidirectional else 1
        vectors = conventions.recurrent_bias_vectors(self.cell, ctx.convention)
        return self.length(cfg, shape) * directions * GATES[self.cell] * cfg.units * vectors

    def other_ops(self, cfg, shape, out, ctx):
        """1 per gate value and step: the gate nonlinearities; and 1 per state value and step for a state
        activation."""
        gates = GATES[self.cell] + (1 if cfg.state_activation else 0)
        return self.length(cfg, shape) * (2 if cfg.bidirectional else 1) * gates * cfg.units

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def emit_torch(self, row, out):
        cfg = row.config
        # PyTorch's recurrent modules and cells run tanh inside (nn.RNN also relu): another activation word would
        # export as a different function with the same weights
        if row.activation not in (None, "tanh") and not (self.cell == "rnn" and row.activation == "relu"):
            raise out.unsupported(f"{self.cell} with the activation {row.activation} (PyTorch's nn.{self.torch_class} "
                                  "runs tanh inside" + (", or relu" if self.cell == "rnn" else "") + ")")
        if cfg.steps is not None or cfg.state_activation:
            return self._emit_stepped(row, out)
        out.helper(self.torch_helpers, "Recurrent")
        extra = ""
        if self.cell == "rnn" and row.activation == "relu":
            extra += ', nonlinearity="relu"'
        if not cfg.bias:
            extra += ", bias=False"
        if cfg.bidirectional:
            extra += ", bidirectional=True"
        return (f"Recurrent(nn.{self.torch_class}({one(row.input_shape[-1])}, {one(cfg.units)}, batch_first=True{extra})"
                + (", return_sequences=True" if cfg.return_sequences else "") + ")")

    def _emit_stepped(self, row, out):
        """The cell stepped in forward (SteppedCell): steps= over one vector, or a state activation."""
        cfg = row.config
        out.helper(self.torch_helpers, "SteppedCell")
        extra = ', nonlinearity="relu"' if self.cell == "rnn" and row.activation == "relu" else ""
        extra += "" if cfg.bias else ", bias=False"
        text = f"SteppedCell(nn.{self.torch_class}Cell({one(row.input_shape[-1])}, {one(cfg.units)}{extra})"
        text += f", steps={one(cfg.steps)}" if cfg.steps is not None else ""
        text += ", return_sequences=True" if cfg.return_sequences else ""
        if cfg.state_activation:
            text += f", activation={_TORCH_STATE[cfg.state_activation]}"
        return text + ")"

    def emit_keras(self, row, var, out):
        cfg = row.config
        if cfg.state_activation:
            raise out.unsupported(f"{self.cell} state_activation={cfg.state_activation} (an activation on the "
                                  "state between steps): Keras' recurrent layers have none")
        if cfg.steps is not None:       # Keras' own spelling: the vector repeated, then the layer over it
            var = out.emit(f'layers.RepeatVector({one(cfg.steps)}, name="{out.plan.name(row)}_repeat")', var)
        seqs = ", return_sequences=True" if cfg.return_sequences else ""
        inner = f"layers.{self.keras_class}({one(cfg.units)}{seqs}{out.options(cfg)[3]}{out.activation(row)}"
        text = f"layers.Bidirectional({inner}), {out.tag(row)})" if cfg.bidirectional else f"{inner}, {out.tag(row)})"
        return out.emit(text, var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "SteppedCell" and type(module.cell).__name__ == self.torch_class + "Cell":
            cell = module.cell
            text = f"{self.cell} {r.num('units', cell.hidden_size)}"
            text += f" steps={module.steps}" if module.steps else ""
            text += " return_sequences=true" if module.return_sequences else ""
            text += "" if cell.bias else " bias=false"
            text += " relu" if self.cell == "rnn" and cell.nonlinearity == "relu" else ""
            if module.activation is not None:
                word = _STATE_WORDS.get(type(module.activation).__name__)
                if word is None:
                    raise DefinitionError(f"the module '{r.name}' (SteppedCell) applies "
                                          f"{type(module.activation).__name__} to its state; symparams' "
                                          f"state_activation is one of {', '.join(STATE_ACTIVATIONS)}")
                text += f" state_activation={word}"
            return text
        if r.cls(module) != "Recurrent" or type(module.rnn).__name__ != self.torch_class:
            return None
        rnn = module.rnn
        text = f"{self.cell} {r.num('units', rnn.hidden_size)}"
        if module.return_sequences:
            text += " return_sequences=true"
        if rnn.bidirectional:
            text += " bidirectional=true"
        if not rnn.bias:
            text += " bias=false"
        if self.cell == "rnn" and rnn.nonlinearity == "relu":
            text += " relu"
        return text

    def import_keras(self, layer, r):
        cls = r.cls(layer)
        inner = layer.forward_layer if cls == "Bidirectional" else layer
        if type(inner).__name__ != self.keras_class:
            return None
        if self.cell == "gru" and not getattr(inner, "reset_after", True):
            raise DefinitionError(f"the Keras layer '{r.name}' is GRU(reset_after=False): one bias vector per gate "
                                  "where symparams' gru (Keras' default) has two")
        if cls == "Bidirectional" and layer.merge_mode != "concat":
            raise DefinitionError(f"the Keras layer '{r.name}' is Bidirectional(merge_mode={layer.merge_mode!r}); "
                                  "symparams' bidirectional=true concatenates the two directions")
        text = f"{self.cell} {r.num('units', inner.units)}"
        if inner.return_sequences:
            text += " return_sequences=true"
        if cls == "Bidirectional":
            text += " bidirectional=true"
        if not inner.use_bias:
            text += " bias=false"
        return text


    def _stepped(self, cfg) -> bool:
        """Whether the export steps a cell in forward (SteppedCell: steps=N, or a state activation) rather than
        running the fused nn.RNN/LSTM/GRU."""
        return cfg.steps is not None or bool(cfg.state_activation)

    def saved_unmodelled(self, cfg, shape, out, ctx, device):
        """The fused kernels whose saved tensors no formula states: nn.LSTM on CPU runs oneDNN, which keeps a
        workspace whose size oneDNN chooses (measured, torch 2.14: 28,672 bytes for every small size tried, whatever
        the batch, length and width); on a GPU nn.RNN/LSTM/GRU run cuDNN (a reserve space of its choosing) and
        LSTMCell/GRUCell fused cell kernels (not measured here). RNNCell (tanh or ReLU of two products) is the same
        composite on every device."""
        stepped = self._stepped(cfg)
        if self.cell == "lstm" and not stepped:
            return ("nn.LSTM keeps an implementation-defined workspace for its backward pass (oneDNN on CPU, cuDNN on "
                    "a GPU) that symparams does not model")
        if device != "cpu" and not stepped:
            return f"nn.{self.torch_class} on a GPU runs cuDNN, whose reserve space symparams does not model"
        if device != "cpu" and self.cell != "rnn":
            return (f"nn.{self.torch_class}Cell on a GPU runs a fused cell kernel whose saved workspace symparams "
                    "does not model")
        return None

    def output_layout(self, cfg, shape, out, ctx):
        """nn.RNN/LSTM/GRU compute the sequence time-major and return it batch-first as a transposed view
        ('timemajor': a later recurrent layer reads it without a copy); the last state and a stepped cell's stacked
        outputs are new batch-first tensors."""
        return "timemajor" if cfg.return_sequences and not self._stepped(cfg) else "contiguous"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported recurrent layer on PyTorch's CPU path (measured with
        saved_tensors_hooks), per example and direction, each tensor kept for the gradients that read it (Saved.of;
        None: whenever the layer is recorded). On CPU nn.RNN and nn.GRU, and the cells stepped in forward (steps=,
        state_activation=), run as composite operations, so every step's tensors are autograd's (nn.LSTM runs
        oneDNN, and GPUs cuDNN or fused cells: saved_unmodelled refuses those):
          the input, for the input kernel's gradient: nn.RNN/GRU project the whole sequence at once, time-major, so
                 matmul's reshape copies it (T·D) in a batch of several (one example, one step, or a sequence
                 another recurrent layer returned, time-major underneath: a view of the input, kept); a
                 stepped cell reads the input (or x[:, t], a view of it) itself
          the zero initial state, for the recurrent kernel's (U per direction; LSTMCell's h and c are one zero
                 tensor, also kept for the forget gate's gradient; nn.RNN/GRU's two directions share one)
          per step: rnn the new state (tanh's or ReLU's result); gru the 3U gates (the sigmoids and the reset
                 product read them in place), two copies autograd makes before an in-place product (U each) and
                 the candidate (tanh's result); lstm the 4U gates, tanh(c) and, from the second step on, the
                 previous c (the forget gate's factor)
          the previous states, for the recurrent kernel's gradient (the last state is read by nothing): gru and
                 lstm a new tensor each step; with state_activation the activation's result, kept for its own
                 gradient too (U per step)."""
        t, d, u = self.length(cfg, shape), shape[-1], cfg.units
        weights = [w.name for w in self.weights(cfg, shape, ctx)]
        directions = 2 if cfg.bidirectional else 1
        stepped, act = self._stepped(cfg), bool(cfg.state_activation)
        saved = ()
        recurrent = ()
        for i in range(directions):     # recurrent_weights writes each direction's input kernel, recurrent kernel, biases
            own = weights[i * len(weights) // directions:(i + 1) * len(weights) // directions]
            w_ih, w_hh = (own[0],), (own[1],)
            recurrent += w_hh
            if stepped:
                saved += (Saved("input", of=w_ih),)
            else:       # time-major already (another recurrent layer's sequence): a view of it, no copy
                time_major = ("timemajor",)
                saved += (Saved("input", of=w_ih, when_input=time_major),)
                # one step or one example: the time-major view of any batch-first layout folds into rows, no copy
                if t == 1:
                    saved += (Saved("input", of=w_ih, unless_input=time_major),)
                else:
                    saved += (Saved("own", t * d, batched=True, of=w_ih, unless_input=time_major),
                              Saved("input", single=True, of=w_ih, unless_input=time_major))
            steps = ("input",) + tuple(own)       # the direction is recorded when one of these needs a gradient
            if self.cell == "rnn":
                saved += (Saved("own", (2 if act else 1) * t * u, of=steps),)
            elif self.cell == "gru":
                saved += (Saved("own", 6 * t * u, of=steps),)
            else:
                saved += (Saved("own", 5 * t * u + (t - 1) * u, of=steps),)
            if act:
                saved += () if self.cell == "rnn" else (Saved("own", t * u, of=steps),)
            elif self.cell != "rnn":
                saved += (Saved("own", (t - 1) * u, of=w_hh),)
        # the zero initial state (both directions' in one tensor); LSTMCell's is its c too
        saved += (Saved("own", directions * u, of=("input",) + tuple(weights) if self.cell == "lstm" else recurrent),)
        return saved

    def gradients(self, cfg, shape, out, ctx):
        """Per direction and step: the input kernel's gradient (T·G·U·D) and the input's, the recurrent kernel's
        (T·G·U·U) and the previous output's, (T − 1)·G·U·U, not before the first step (the initial state is zeros,
        not trained), computed from the input and every weight of the direction (measured with FlopCounterMode on
        nn.LSTM/GRU/RNN: it stays while a bias trains, which needs it)."""
        t, d, u, g = self.length(cfg, shape), shape[-1], cfg.units, GATES[self.cell]
        weights = [w.name for w in self.weights(cfg, shape, ctx)]
        directions = 2 if cfg.bidirectional else 1
        grads = ()
        for i in range(directions):     # recurrent_weights writes each direction's input kernel, recurrent kernel, biases
            own = weights[i * len(weights) // directions:(i + 1) * len(weights) // directions]
            grads += (Gradient(t * g * u * d, (own[0],)), Gradient(t * g * u * d, ("input",)),
                      Gradient(t * g * u * u, (own[1],)), Gradient((t - 1) * g * u * u, ("input",) + tuple(own)))
        return grads


@register
class SimpleRNN(_Recurrent):
    keywords = ("rnn",)
    pytorch_classes = named("rnn", "RNN")
    keras_classes = named("rnn", "SimpleRNN")
    cell = "rnn"
    torch_class, keras_class = "RNN", "SimpleRNN"
    summary = "simple recurrent layer with U units"
    formula = "keras: U*(U + D + 1); pytorch: U*(U + D + 2); x2 when bidirectional"


@register
class LSTM(_Recurrent):
    keywords = ("lstm",)
    pytorch_classes = named("lstm", "LSTM")
    keras_classes = named("lstm", "LSTM")
    cell = "lstm"
    torch_class, keras_class = "LSTM", "LSTM"
    summary = "long short-term memory with U units"
    formula = "keras: 4*U*(U + D + 1); pytorch: 4*U*(U + D + 2); x2 when bidirectional"


@register
class GRU(_Recurrent):
    keywords = ("gru",)
    pytorch_classes = named("gru", "GRU")
    keras_classes = named("gru", "GRU")
    cell = "gru"
    torch_class, keras_class = "GRU", "GRU"
    summary = "gated recurrent unit with U units (Keras reset_after=True)"
    formula = "3*U*(U + D + 2) in both; x2 when bidirectional"


# ----------------------------------------------------------------------------- weight layouts
# (where Keras and PyTorch lay this kind's weights out differently: the kind's own knowledge)

def recurrent_weights(direction: str, inputs, units, gates: int, biases: int, convention: str) -> list:
    """(name, shape) of one direction ('', 'forward' or 'backward') of a recurrent layer with `biases`
    bias vectors per gate. Keras: kernel, recurrent_kernel, bias (two rows for GRU's reset_after);
    PyTorch: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (_reverse for the backward pass)."""
    width = gates * units
    if convention == conventions.KERAS:
        prefix = f"{direction}_" if direction else ""
        out = [(prefix + "kernel", (inputs, width)), (prefix + "recurrent_kernel", (units, width))]
        if biases:
            out.append((prefix + "bias", (biases, width) if biases > 1 else (width,)))
        return out
    suffix = "_l0_reverse" if direction == "backward" else "_l0"
    out = [("weight_ih" + suffix, (width, inputs)), ("weight_hh" + suffix, (width, units))]
    if biases:
        out += [("bias_ih" + suffix, (width,)), ("bias_hh" + suffix, (width,))]
    return out
