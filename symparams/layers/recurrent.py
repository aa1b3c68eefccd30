"""Recurrent layers: rnn, lstm, gru on a T x D sequence."""

from __future__ import annotations

from .. import conventions
from .base import BOOL, COUNT, KERAS, Arg, LayerSpec, Opt, Weight, register

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class _Recurrent(LayerSpec):
    family = "recurrent"
    arguments = (Arg("units", COUNT),)
    options = {"return_sequences": Opt(BOOL, False), "bidirectional": Opt(BOOL, False), "bias": Opt(BOOL, True)}
    takes_activation = True
    min_rank = 2
    max_rank = 2
    cell = "rnn"

    def kind_name(self, keyword, shape):
        return self.cell

    def output_shape(self, cfg, shape, ctx):
        width = cfg.units * (2 if cfg.bidirectional else 1)
        return (shape[0], width) if cfg.return_sequences else (width,)

    def weights(self, cfg, shape, ctx):
        units, d, g = cfg.units, shape[-1], GATES[self.cell]
        biases = conventions.recurrent_bias_vectors(self.cell, ctx.convention) if cfg.bias else 0
        directions = ("forward", "backward") if cfg.bidirectional else ("",)
        out = ()
        for direction in directions:
            prefix = f"{direction}_" if direction else ""
            if ctx.convention == KERAS:
                out += (Weight(prefix + "kernel", (d, g * units)),
                        Weight(prefix + "recurrent_kernel", (units, g * units)))
                if biases:
                    out += (Weight(prefix + "bias", ((biases, g * units) if biases > 1 else (g * units,))),)
            else:
                suffix = "_l0_reverse" if direction == "backward" else "_l0"
                out += (Weight("weight_ih" + suffix, (g * units, d)), Weight("weight_hh" + suffix, (g * units, units)))
                if biases:
                    out += (Weight("bias_ih" + suffix, (g * units,)), Weight("bias_hh" + suffix, (g * units,)))
        return out

    def macs(self, cfg, shape, out, ctx):
        """Every step: the G gates of U units from the D inputs and the U previous outputs."""
        directions = 2 if cfg.bidirectional else 1
        return shape[0] * directions * GATES[self.cell] * cfg.units * (shape[-1] + cfg.units)

    def bias_adds(self, cfg, shape, out, ctx):
        if not cfg.bias:
            return 0
        directions = 2 if cfg.bidirectional else 1
        vectors = conventions.recurrent_bias_vectors(self.cell, ctx.convention)
        return shape[0] * directions * GATES[self.cell] * cfg.units * vectors

    def other_ops(self, cfg, shape, out, ctx):
        """The gate nonlinearities, one per gate value and step."""
        return shape[0] * (2 if cfg.bidirectional else 1) * GATES[self.cell] * cfg.units

    def receptive(self, cfg, shape, out, ctx):
        return "global"


@register
class SimpleRNN(_Recurrent):
    keywords = ("rnn",)
    cell = "rnn"
    summary = "simple recurrent layer with U units"
    formula = "keras: U*(U + D + 1); pytorch: U*(U + D + 2); x2 when bidirectional"


@register
class LSTM(_Recurrent):
    keywords = ("lstm",)
    cell = "lstm"
    summary = "long short-term memory with U units"
    formula = "keras: 4*U*(U + D + 1); pytorch: 4*U*(U + D + 2); x2 when bidirectional"


@register
class GRU(_Recurrent):
    keywords = ("gru",)
    cell = "gru"
    summary = "gated recurrent unit with U units (Keras reset_after=True)"
    formula = "3*U*(U + D + 2) in both; x2 when bidirectional"
