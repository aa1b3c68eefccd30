"""The engine: a parsed program folded into rows and totals.

    rows.py        Layer (one row, composites included), the composite kinds, `total`
    scopes.py      Scope (block parameters, loop indices) and Globals (lets, aliases, blocks)
    binding.py     a layer statement's arguments and options -> its Config (the Arg/Opt kinds)
    fold.py        statements -> rows; FOLDS maps each IR statement type to its fold
    repeats.py     repeat passes and their closed forms
    conditions.py  validity conditions from what the derive recorded (no printing)
    network.py     the immutable Network facade, parse and load
"""

from .network import Network, load, parse
from .rows import COMPOSITE_KINDS, Layer

__all__ = ["Network", "Layer", "COMPOSITE_KINDS", "parse", "load"]
