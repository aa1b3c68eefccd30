"""The structure a summary shows: the distinct blocks and repeated groups of a network, how often
each occurs, and each block's parameter count as a formula in its own arguments.

A block's formula is found by deriving the block once more with its arguments and the channels
of its input as symbols, and is checked against every occurrence it can be put to (so it is
shown only when it gives the counts the network has).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import sympy

from .. import ir
from ..algebra import nice, symbol
from .view import at, default_values


@dataclass
class Occurrence:
    row: object                 # the block (or repeat) row
    times: object               # how often it occurs: product of the enclosing passes' counts
    indices: tuple = ()         # (index symbol, first, count) of enclosing closed-form passes
    nested: bool = False        # inside another block's use

    @property
    def total(self):
        """Its parameters over all its passes (a closed-form pass summed over its index)."""
        p = self.row.params
        for index, first, count in self.indices:
            p = sympy.Sum(p, (index, first, first + count - 1)).doit()
        return sympy.expand(self.times * p)


@dataclass
class Group:
    kind: str                   # 'block' or 'repeat'
    name: str                   # the block's name, or the repeat row's name
    occurrences: list = field(default_factory=list)
    params: tuple = ()          # the block's argument names
    formula: object = None      # the block's count in its arguments (and input channels C), or None
    channels: object = None     # the symbol standing for the input's channels in formula

    @property
    def multiplicity(self):
        return sympy.expand(sum((o.times * _index_count(o) for o in self.occurrences), sympy.Integer(0)))

    @property
    def total(self):
        return sympy.expand(sum((o.total for o in self.occurrences), sympy.Integer(0)))


def _index_count(o: Occurrence):
    n = sympy.Integer(1)
    for _, _, count in o.indices:
        n *= count
    return n


def _has_block(row) -> bool:
    return row.kind == "block" or any(_has_block(c) for c in row.children)


def groups(net) -> list[Group]:
    """The distinct blocks (by name) used outside other blocks, each with all its uses (those inside
    other blocks too), and the repeats that call no block, in order of appearance."""
    found: dict = {}

    def visit(row, times, indices, in_block):
        if row.kind == "block":
            g = found.setdefault(("block", row.config["block"]), Group("block", row.config["block"]))
            g.occurrences.append(Occurrence(row, times, indices, in_block))
            in_block = True     # blocks it calls are used too (every use counts in 'All' and the times)
        elif row.kind == "repeat" and not _has_block(row):
            if not in_block:    # a block's own repeat is part of the block's slide
                g = found.setdefault(("repeat", row.name), Group("repeat", row.name))
                g.occurrences.append(Occurrence(row, times, indices))
            return
        if row.kind == "iteration":
            if row.index is not None:
                indices = indices + ((row.index, row.start, row.count),)
            else:
                times = times * row.count
        for child in row.children:
            visit(child, times, indices, in_block)

    for top in net.layers:
        visit(top, sympy.Integer(1), (), False)
    # a block used only inside other blocks is shown on theirs (its uses still count in its own 'All')
    out = [g for g in found.values() if not all(o.nested for o in g.occurrences)]
    for g in out:
        if g.kind == "block":
            _block_formula(net, g)
    return out


def _block_formula(net, g: Group) -> None:
    """g.formula: the block derived alone, its arguments and input channels symbols."""
    program = net.program
    defs = tuple(s for s in program.statements if isinstance(s, (ir.Let, ir.BlockDef)))
    bdef = next((s for s in defs if isinstance(s, ir.BlockDef) and s.name == g.name), None)
    if bdef is None:
        return
    g.params = tuple(bdef.params)
    first = g.occurrences[0].row
    values = default_values(net)
    dims = [at(d, values) for d in first.input_shape]
    if not dims or any(d is None or getattr(d, "free_symbols", None) for d in dims):
        return
    taken = set(bdef.params) | {s.name for s in defs if isinstance(s, ir.Let)}
    channels = next(c for c in ("C", "C_in", "C_input", "C_block") if c not in taken)
    pos = bdef.pos
    parts = tuple(ir.Num(int(d), pos) for d in dims[:-1]) + (ir.Name(channels, pos),)
    source = defs + (ir.LayerStmt("input", (ir.Size(parts, pos),), (), pos),
                     ir.Call(g.name, tuple(ir.Name(p, pos) for p in bdef.params), (), (), pos))
    try:
        from ..engine.network import Network
        alone = Network(dataclasses.replace(program, statements=source), net.convention)
        formula = alone.params
    except Exception:   # noqa: BLE001 - presentation only: the block is shown without a formula
        return
    names = {s.name: s for s in formula.free_symbols}
    c = names.get(channels, symbol(channels))
    # the formula must give each occurrence's count that can be worked out at the defaults
    for o in g.occurrences:
        args = o.row.config.get("args", {})
        subs = {names[k]: v for k, v in args.items() if k in names}
        if c in formula.free_symbols:
            subs[c] = o.row.input_shape[-1]
        if sympy.expand(formula.subs(subs, simultaneous=True) - o.row.params) != 0:
            return
    g.formula, g.channels = nice(formula), c
