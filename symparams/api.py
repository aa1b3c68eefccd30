"""The public Network: the engine's analysis (symparams/engine/network.py) with the conveniences
a person at a prompt or in a notebook expects, `net.metric("flops")`, `net.solve(...)`,
`net.sweep(...)`, `print(net)`, `net.summary()` and the notebook reprs.

They live here, at the top, because each reaches up into cost, solve, sweep or the printers: the
engine below knows none of them (the layering contract in pyproject.toml says so). `parse` and
`load` here, re-exported by the package root, make networks of this class; the engine's own
`parse`/`load` make the bare analysis, which is all the layers below ever need.
"""

from __future__ import annotations

from typing import Mapping

import sympy

from .cpu import bounded
from .engine import network as engine


class Network(engine.Network):
    __doc__ = engine.Network.__doc__

    # -- metrics and design-space tools ------------------------------------------------------
    def metric(self, name: str = "params") -> sympy.Expr:
        """A network total by name: params, trainable, non_trainable, buffers, active (and the
        cost metrics of symparams/cost.py: macs, flops, act, act_bytes, param_bytes, rf ...)."""
        from . import cost
        return cost.metric(self, name)

    @bounded("solve")                   # limits.API_CPU_SECONDS, as parse and load
    def solve(self, *args, **kwargs):
        from .solve import solve
        return solve(self, *args, **kwargs)

    @bounded("sweep")
    def sweep(self, *args, **kwargs):
        from .sweep import sweep
        return sweep(self, *args, **kwargs)

    def lambdify(self, metric: str = "params", *args, **kwargs):
        from .sweep import lambdify
        return lambdify(self, metric, *args, **kwargs)

    # -- what a person reads ------------------------------------------------------------------
    def __str__(self) -> str:
        """The layer table (print(net)), as `symparams summary` writes it."""
        from .printers.text import render
        return render(self)

    def summary(self, *, explain: bool = False, expand: bool = False, ascii: bool = False,
                width: int | None = None) -> None:
        """Print the layer table, as Keras's model.summary() does."""
        from .printers.text import render
        print(render(self, explain=explain, expand=expand, ascii=ascii, width=width), end="")

    # notebooks
    def _repr_html_(self) -> str:
        from .printers.html import render
        return render(self)

    def _repr_markdown_(self) -> str:
        from .printers.markdown import render
        return render(self)

    def _repr_latex_(self) -> str:
        from .printers.latex import notebook
        return notebook(self)


def parse(text: str, *, convention: str | None = None, values: Mapping[str, object] | None = None,
          file: str | None = None) -> Network:
    """Parse architecture text and derive its network."""
    return engine.parse(text, convention=convention, values=values, file=file, cls=Network)


def load(path, *, convention: str | None = None, values: Mapping[str, object] | None = None) -> Network:
    """Read an architecture file and derive its network."""
    return engine.load(path, convention=convention, values=values, cls=Network)


def from_torch(module, input_shape, generalize=None) -> str:
    """DSL text for a PyTorch module (needs the 'pytorch' extra). The arguments are spelt out, not
    forwarded as **kwargs, so help() and a misspelt keyword show the real contract."""
    from .frameworks.importer import from_torch as read
    return read(module, input_shape, generalize=generalize)


def from_keras(model, generalize=None) -> str:
    """DSL text for a Keras model (needs the 'keras' extra)."""
    from .frameworks.importer import from_keras as read
    return read(model, generalize=generalize)
