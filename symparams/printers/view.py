"""The presentation model: what the printers show about a network, worked out once.

`view(net)` gathers, per row, the label, the output shape (symbolic and at the defaults), the
parameter formula and count, the worked arithmetic and the output-size arithmetic, and the totals.
Text, Markdown, JSON, LaTeX, the notebook reprs and the diagram only lay these out, each in its
mode of the one math printer (printers/math.py). Labels are made of pieces (words, math,
multiplicities, ranges) so that each output writes the same label its own way.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property

import sympy

from ..algebra import collected, nice
from ..forms import value_at
from ..shapes import conv_length
from ..engine.rows import ADD, CONCAT, MUL, RESIDUAL
from ..engine.tensors import active, has_experts
from ..notation import plain
from . import math as M
# label pieces and the totals' names live in printers/labels.py (no SymPy: summary --numbers)
from .labels import (GROUP_KINDS, TOTALS, Math, Range, Times, Words, kind_note, lay_label, pass_label,  # noqa: F401
                     row_label, text_label)

# row kinds whose children are parallel paths (drawn side by side, merged by +, × or concatenation)
BRANCH_KINDS = (RESIDUAL, CONCAT, ADD, MUL)


# ----------------------------------------------------------------------------- values

def at(expr, values: dict):
    """expr with the given symbol values substituted (Sums evaluated); None if still symbolic."""
    if not isinstance(expr, sympy.Basic):
        return expr
    if values:
        value = value_at(expr, values)     # the same number, on Python integers (no SymPy objects made)
        if value is not None:
            return value
    if values and expr.free_symbols:
        if any(type(v) is int for v in values.values()):
            values = {k: sympy.Integer(v) if type(v) is int else v for k, v in values.items()}
        expr = expr.xreplace(values)     # symbols to numbers: much faster than subs, evaluates the same
    if expr.has(sympy.Sum):
        expr = expr.doit()
    if expr.free_symbols:
        return None
    return expr


def default_values(net) -> dict:
    """{Symbol: value} for every symbol with a default (SymPy integers, ready for xreplace)."""
    return {s: sympy.sympify(v) for s, v in net.symbols.items() if v is not None}


def plain_label(pieces, mode: str = "text") -> str:
    """Label pieces as text in the text or ascii notation: words as they are, pass 2–5 ×4."""
    return text_label(pieces, lambda e: M.show(e, mode), mode == "ascii")


def tex_label(pieces, escape, mode: str = "latex") -> str:
    """Label pieces as LaTeX text (escape: the text-mode escaper of the output): math in $...$."""
    return lay_label(pieces, escape, lambda e: "$%s$" % M.show(e, mode),
                     lambda e: r"$\times %s$" % M.show(e, mode),
                     lambda a, b: "$%s$--$%s$" % (M.show(a, mode), M.show(b, mode)))


# ----------------------------------------------------------------------------- worked arithmetic

@dataclass(frozen=True)
class Arithmetic:
    """A parameter count as a person writes it: terms · common, each term a product of factors
    ((5·5·1 + 1)·32: terms [[5, 5, 1], [1]], common 32)."""
    terms: tuple
    common: object = None

    def show(self, mode: str = "text") -> str:
        dot = M.dot(mode)
        texts = [M.product(t, mode) if t else "1" for t in self.terms]
        if self.common is None:
            return " + ".join(texts)
        common = sympy.sympify(self.common)
        factor = M.show(common, mode) if common.is_Atom else M.group(M.show(common, mode), mode)
        if len(texts) == 1:
            return M.product(list(self.terms[0]) + [common], mode)
        if all(t == "1" for t in texts):
            return f"{len(texts)}{dot}{factor}"
        return M.group(" + ".join(texts), mode) + dot + factor


def arithmetic(row, values: dict | None = None, weights=None) -> Arithmetic | None:
    """The row's trainable and non-trainable weights (not buffers) as an Arithmetic; values: the
    sizes at those symbol values; weights: other weights (the LaTeX derivation's general letters)."""
    shapes = []
    for w in (row.weights if weights is None else weights):
        if w.buffer:
            continue
        dims = [at(d, values) for d in w.shape] if values else list(w.shape)
        if any(d is None for d in dims):
            dims = list(w.shape)
        shapes.append([sympy.sympify(d) for d in dims])
    if not shapes:
        return None
    if len(shapes) == 1:
        return Arithmetic((tuple(shapes[0]),))
    common = None
    for candidate in reversed(shapes[0]):
        if all(any(sympy.expand(candidate - d) == 0 for d in s) for s in shapes[1:]):
            common = candidate
            break
    if common is None:
        return Arithmetic(tuple(tuple(s) for s in shapes))
    terms = []
    for s in shapes:
        rest = list(s)
        for k in range(len(rest) - 1, -1, -1):
            if sympy.expand(rest[k] - common) == 0:
                del rest[k]
                break
        terms.append(tuple(rest))
    return Arithmetic(tuple(terms), common)


# ----------------------------------------------------------------------------- output sizes

@dataclass(frozen=True)
class AxisSize:
    """How one spatial axis of a windowed layer follows from its input, at numbers:
    'same' padding: ⌈H/s⌉; else ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1, written as a person would."""
    size: int
    window: int
    stride: int
    dilation: int
    padding: object     # 'same' or a whole number
    out: int

    def show(self, mode: str = "text") -> str:
        n = lambda v: M.show(v, mode)      # noqa: E731
        minus = " - " if mode in ("ascii", "latex", "mathjax") else " − "
        dot = M.dot(mode)
        rounding = {"text": ("⌈", "⌉", "⌊", "⌋"), "ascii": ("ceil(", ")", "floor(", ")")}.get(
            mode, (r"\left\lceil ", r" \right\rceil", r"\left\lfloor ", r" \right\rfloor"))
        if self.padding == "same":
            return f"{rounding[0]}{n(self.size)}/{n(self.stride)}{rounding[1]}"
        span = n(self.window) if self.dilation == 1 else \
            f"{n(self.dilation)}{dot}{M.group(n(self.window) + minus + '1', mode)} + 1"
        padded = n(self.size) + (f" + 2{dot}{n(self.padding)}" if self.padding else "")
        if self.stride == 1:
            inner = span if self.dilation == 1 else M.group(span, mode)
            return f"{padded}{minus}{inner} + 1"
        inner = span if self.dilation == 1 else M.group(span, mode)
        return f"{rounding[2]}{M.group(padded + minus + inner, mode)}/{n(self.stride)}{rounding[3]} + 1"


def axis_sizes(row, values: dict) -> list[AxisSize] | None:
    """The size arithmetic of a windowed layer (conv, pool) per spatial axis at the values;
    None when it does not apply or a rule it does not know gives another size (transposed conv)."""
    cfg = row.config or {}
    window = cfg.get("kernel") or cfg.get("pool")
    spatial = row.input_shape[:-1]
    if not row.is_leaf or window is None or "stride" not in cfg or not spatial or row.kind.startswith("deconv"):
        return None
    out = []
    for axis, size in enumerate(spatial):
        H, o = at(size, values), at(row.output_shape[axis], values)
        k, s = at(window[axis], values), at(cfg["stride"][axis], values)
        d = at(cfg["dilation"][axis], values) if cfg.get("dilation") else 1
        pad = cfg.get("padding", "valid")
        p = pad if pad == "same" else 0 if pad == "valid" else at(pad[axis], values)
        if None in (H, o, k, s, d, p):
            return None
        H, o, k, s, d = (int(v) for v in (H, o, k, s, d))
        if conv_length(H, k, s, p, d) != o:
            return None     # a rule this formula does not know: no arithmetic rather than a wrong one
        out.append(AxisSize(H, k, s, d, p if p == "same" else int(p), o))
    return out


# ----------------------------------------------------------------------------- rows and totals

class RowView:
    """One row's facts, each worked out when first asked and then kept."""

    def __init__(self, view: "View", depth: int, row):
        self.view, self.depth, self.row = view, depth, row
        self.label = row_label(row)

    @property
    def has_count(self) -> bool:
        return self.row.kind != "path"

    @cached_property
    def shape_values(self) -> tuple | None:
        """The output shape at the defaults; None when a size stays symbolic."""
        dims = tuple(self.view.value(d) for d in self.row.output_shape)
        return None if any(d is None for d in dims) else dims

    @cached_property
    def params(self):
        return self.row.params if self.has_count else None

    @cached_property
    def value(self) -> int | None:
        return self.view.value(self.row.params) if self.has_count else None

    @cached_property
    def formula(self):
        """The parameter formula (common factors pulled out), None for a number or a path."""
        p = self.params
        return nice(p) if p is not None and isinstance(p, sympy.Basic) and p.free_symbols else None

    @cached_property
    def arithmetic(self) -> Arithmetic | None:
        """The count as its factors, for a leaf with weights: (5·5·1 + 1)·32."""
        if not (self.row.is_leaf and self.row.weights):
            return None
        return arithmetic(self.row)

    @cached_property
    def arithmetic_at_values(self) -> Arithmetic | None:
        if not (self.row.is_leaf and self.row.weights):
            return None
        return arithmetic(self.row, self.view.values)

    @cached_property
    def sizes(self) -> list[AxisSize] | None:
        return axis_sizes(self.row, self.view.values)

    def formula_text(self, mode: str) -> str:
        """The parameter cell: the formula when symbolic, else the worked arithmetic of a leaf."""
        if not self.has_count:
            return ""
        if self.formula is not None:
            return M.show(self.formula, mode)
        if self.arithmetic is not None:
            text = self.arithmetic.show(mode)
            return "" if text == M.show(self.params, mode) else text
        return ""


@dataclass(frozen=True)
class Total:
    key: str            # params, trainable, non_trainable, buffers (the JSON and metric names)
    label: str          # 'Total params'
    short: str          # 'total' (LaTeX P_total)
    expr: object
    value: object       # at the defaults, None when still symbolic

    @property
    def formula(self):
        """The closed form, collected by symbol; None when the total is a number."""
        return collected(self.expr) if isinstance(self.expr, sympy.Basic) and self.expr.free_symbols else None

    def show(self, mode: str = "text", *, number: bool = True) -> str:
        """'formula = value', the formula alone, or the value alone."""
        formula = M.show(self.formula, mode) if self.formula is not None else ""
        value = M.show(self.value, mode) if self.value is not None and number else ""
        return " = ".join(t for t in (formula, value) if t) or ("–" if mode == "text" else "-")


def _sides(expr):
    """expr >= 0 as 'bigger >= smaller', numbers on the right: ⌈(n − k)/2⌉ − 1 >= 0 reads ⌈(n − k)/2⌉ >= 1."""
    constant, rest = M.canonical(expr).as_coeff_Add()
    terms = sympy.Add.make_args(rest) if rest != 0 else ()
    bigger = [t for t in terms if not t.could_extract_minus_sign()]
    smaller = [-t for t in terms if t.could_extract_minus_sign()]
    left = sympy.Add(*bigger, evaluate=False) if len(bigger) > 1 else (bigger[0] if bigger else sympy.Integer(0))
    return left, sympy.Add(*smaller, -constant)


class View:
    """Everything a printer shows about one network (build it with view(net))."""

    def __init__(self, net):
        self.net = net
        self.values = default_values(net)
        self._at: dict = {}
        self.rows = [RowView(self, depth, row) for depth, row in net.walk()]

    def value(self, expr):
        """expr at the defaults (cached per expression), None when it stays symbolic."""
        try:
            return self._at[expr]
        except KeyError:
            v = at(expr, self.values)
            self._at[expr] = v
            return v
        except TypeError:       # unhashable: not a SymPy expression
            return at(expr, self.values)

    @cached_property
    def symbolic(self) -> bool:
        return bool(self.net.free_symbols)

    @cached_property
    def totals(self) -> list[Total]:
        net, out = self.net, []
        exprs = {"params": net.params, "trainable": net.trainable_params,
                 "non_trainable": net.non_trainable_params, "buffers": net.buffers}
        if has_experts(net):        # a mixture of experts: what one token uses
            exprs["active"] = active(net)
        for key, label, short in TOTALS:
            expr = exprs.get(key)
            if expr is None or key == "buffers" and expr == 0:
                continue
            out.append(Total(key, label, short, expr, self.value(expr)))
        return out

    def conditions(self, mode: str = "text") -> list[str]:
        """The validity conditions in the math printer's notation ('n ≥ 12', '⌈(n − k)/2⌉ ≥ k
        (conv2d_2: …)'); the layer's own explanation after it as the engine wrote it."""
        ge, le = (">=", "<=") if mode == "ascii" else ("≥", "≤")
        out = []
        for c in self.net.validity:
            if c.kind == "bounds":
                s = M.show(c.symbol, mode)
                parts = ([M.show(c.lower, mode), le] if c.lower is not None else []) + [s] + \
                        ([le, M.show(c.upper, mode)] if c.upper is not None else [])
                if c.upper is None:
                    parts = [s, ge, M.show(c.lower, mode)]
                out.append(" ".join(parts))
            elif c.kind == "relation":
                left, right = _sides(c.left - c.right)
                out.append(f"{M.show(left, mode)} {ge} {M.show(right, mode)} ({c.message})")
            else:
                out.append(c.message)
        return [plain(t) for t in out] if mode == "ascii" else out

    @cached_property
    def title(self) -> str:
        import os
        return os.path.basename(self.net.program.file or "") or "Network"


_VIEWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def view(net) -> View:
    """The view of net, built once and kept while net lives."""
    try:
        return _VIEWS[net]
    except KeyError:
        v = _VIEWS[net] = View(net)
        return v
    except TypeError:       # not weak-referenceable: build it each time
        return View(net)
