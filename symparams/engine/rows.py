"""Rows of the analysis and the one place their counts are summed.

A Layer is one row: a layer, or a composite (block, residual path, concat, add, repeat and its
passes) whose children are rows too. Every total, of a row or of a whole network, is made by
`total` from the weights' sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from ..numeric import integer, sympy, whole
from ..layers.base import Weight, cached_value


# The kinds of composite rows, named once: a row of one of these kinds is never a leaf, even
# when empty (a repeat 0, a residual around nothing).
BLOCK, RESIDUAL, CONCAT, ADD, REPEAT, ITERATION, PATH = "block", "residual", "concat", "add", "repeat", "iteration", "path"
MUL, MOE = "mul", "moe"
COMPOSITE_KINDS = (BLOCK, RESIDUAL, CONCAT, ADD, MUL, MOE, REPEAT, ITERATION, PATH)


def _is_param(w: Weight) -> bool:
    return not w.buffer


def _is_trainable(w: Weight) -> bool:
    return w.trainable and not w.buffer


def _is_frozen(w: Weight) -> bool:
    return not w.trainable and not w.buffer


def _is_buffer(w: Weight) -> bool:
    return w.buffer


# metric -> which weights it counts
COUNTED = {"params": _is_param, "trainable_params": _is_trainable, "non_trainable_params": _is_frozen,
           "buffers": _is_buffer}


def total(terms) -> sympy.Expr:
    """The sum of counts: numbers added as Python ints (most of them are), SymPy's Add otherwise."""
    out = 0
    for t in terms:
        n = whole(t)
        if n is None:
            return sympy.Add(*terms)
        out += n
    return integer(out)


@dataclass(frozen=True, eq=False)
class Layer:
    """One row of the analysis: a layer, or a composite (block, residual, concat, add, repeat)
    whose children are rows too."""
    name: str
    kind: str
    line: int
    column: int
    input_shape: tuple
    output_shape: tuple
    weights: tuple = ()
    children: tuple = ()
    config: Mapping | None = None
    activation: str | None = None
    count: object = 1                 # occurrences of this row in its parent (repeat segments)
    index: sympy.Symbol | None = None # a repeat segment in closed form: index runs start .. start+count-1
    start: object = 0
    role: str | None = None           # 'body' / 'shortcut' of a residual, 'branch' of concat/add

    def __init__(self, name, kind, line, column, input_shape, output_shape, weights=(), children=(), config=None,
                 activation=None, count=None, index=None, start=None, role=None):
        # the fields above, set in one dict update: the dataclass's own __init__ calls the frozen
        # object.__setattr__ once per field, half the cost of a row (there are thousands)
        # count 1 and start 0 unless given: SymPy Integers, or Python ints in a derive on ints
        if count is None:
            count = integer(1)
        if start is None:
            start = integer(0)
        self.__dict__.update(name=name, kind=kind, line=line, column=column, input_shape=input_shape,
                             output_shape=output_shape, weights=weights, children=children, config=config,
                             activation=activation, count=count, index=index, start=start, role=role)

    @property
    def is_leaf(self) -> bool:
        return not self.children and self.kind not in COMPOSITE_KINDS

    def _count(self, metric: str) -> sympy.Expr:
        if not self.weights and not self.children:
            return integer(0)
        pick = COUNTED[metric]
        once = total([w.size for w in self.weights if pick(w)] + [getattr(c, metric) for c in self.children])
        if self.index is not None:
            end = self.start + self.count - 1
            if once.has(self.index):
                return sympy.summation(once, (self.index, self.start, end))
            return once * self.count
        count = whole(self.count)
        if count is not None:
            if count == 1:
                return once
            n = whole(once)
            if n is not None:
                return integer(n * count)
        return once * self.count if self.count != 1 else once

    @cached_value
    def params(self) -> sympy.Expr:
        return self._count("params")

    @cached_value
    def trainable_params(self) -> sympy.Expr:
        return self._count("trainable_params")

    @cached_value
    def non_trainable_params(self) -> sympy.Expr:
        return self._count("non_trainable_params")

    @cached_value
    def buffers(self) -> sympy.Expr:
        return self._count("buffers")

    def walk(self, depth: int = 0) -> Iterator[tuple[int, "Layer"]]:
        # depth first, parents before children, with a stack: nested generators passed every row
        # up through one frame per level
        stack = [(depth, self)]
        while stack:
            level, row = stack.pop()
            yield level, row
            if row.children:
                stack.extend((level + 1, child) for child in reversed(row.children))


def shape_text(shape) -> str:
    return " x ".join(str(d) for d in shape)
