"""Validity conditions: the requirements recorded during a derive, reduced to what a reader
needs (bounds per symbol, then the other relations), as SymPy relations. No printing here:
each Condition says how to write itself given a formatter for expressions."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..numeric import integer, sympy
from ..algebra import maximal_value, minimal_value, search_limit, value_at_one
from ..layers.base import TESTS


@dataclass(frozen=True)
class Condition:
    """One condition under which the symbolic results hold.

    relation: a SymPy relational in the symbols, or None for a condition said in words
    (divisibility, equal shapes; `test` decides those at numbers). kind: 'bounds' (lower <= symbol <= upper, either may be
    None), 'relation' (left >= right, with the message of the layer that asked) or 'words'."""
    relation: object
    kind: str
    message: str = ""
    symbol: object = None
    lower: object = None
    upper: object = None
    left: object = None
    right: object = None
    test: object = None     # for words: the MustBeWhole/MustBeZero deciding it at numbers, if any

    def text(self, fmt) -> str:
        """The condition written out; fmt(expr) -> str prints an expression."""
        if self.kind == "bounds":
            if self.lower is not None and self.upper is not None:
                return f"{self.lower} <= {self.symbol} <= {self.upper}"
            if self.lower is not None:
                return f"{self.symbol} >= {self.lower}"
            return f"{self.symbol} <= {self.upper}"
        if self.kind == "relation":
            return f"{fmt(self.left)} >= {fmt(self.right)} ({self.message})"
        return self.message


def _sides(expr):
    """expr >= 1 as a person writes it: '-k + n + 1 >= 1' reads 'n >= k'."""
    bigger, smaller = [], []
    for term in sympy.Add.make_args(expr - 1):
        (smaller if term.could_extract_minus_sign() else bigger).append(term)
    return (sympy.Add(*bigger) if bigger else integer(0)), (-sympy.Add(*smaller) if smaller else integer(0))


def _at_least_one(value) -> bool:
    """value >= 1 where value is a number (a value still symbolic is not held against the bound)."""
    if not value.is_number:
        return True
    return value.is_finite is True and value.is_extended_real is True and bool(value >= 1)


@functools.lru_cache(maxsize=4096)
def _one_symbol_bound(expr, s):
    """("lower", bound) or ("upper", top) when expr >= 1 reduces to a bound on its one symbol s, else
    None. Memoised: a derive records the same requirement once per layer (DenseNet-121: 218 recorded
    conditions, 3 distinct), and each search evaluates the expression at many points."""
    if s.is_nonnegative and not s.is_positive:
        return ("lower", None)
    bound = minimal_value(expr, s)
    # a lower bound only when the size keeps holding above it (not for 31 - n or floor(27/n)),
    # tried no further than a power of s stays small (search_limit)
    top = search_limit(expr, s)
    if bound is not None and all(_at_least_one(value_at_one(expr, s, min(t, top))) for t in
                                 (bound + 1, 2 * bound + 7, 10**6, 10**12)):
        return ("lower", bound)
    top = maximal_value(expr, s)
    if top is not None:
        return ("upper", top)
    return None


def validity(raw) -> list[Condition]:
    """The conditions of (expression that must be >= 1 or None, message) pairs from a derive."""
    lower: dict = {}
    upper: dict = {}
    others: list[Condition] = []
    for expr, message in raw:
        # a message (Deferred during the derive) is formatted only for a condition that keeps it: one
        # that reduces to a bound on its symbol is printed as the bound (U-Net: 62 messages, none kept)
        if expr is None or isinstance(expr, TESTS):
            others.append(Condition(None, "words", str(message), test=expr))
            continue
        expr = sympy.sympify(expr)
        if expr.is_number or expr.is_positive is True:
            continue
        syms = expr.free_symbols
        if len(syms) == 1:
            s = next(iter(syms))
            found = _one_symbol_bound(expr, s)
            if found is not None:
                side, value = found
                if side == "lower" and value is not None and value > 1:
                    lower[s] = max(lower.get(s, 0), value)
                elif side == "upper":
                    upper[s] = min(upper.get(s, value), value)
                continue
        left, right = _sides(expr)
        others.append(Condition(sympy.Ge(expr, 1, evaluate=False), "relation", str(message), left=left,
                                right=right))
    out = []
    for s in sorted(set(lower) | set(upper), key=lambda s: s.name):
        lo, hi = lower.get(s), upper.get(s)
        if lo is not None and hi is not None:
            relation = sympy.And(sympy.Ge(s, lo), sympy.Le(s, hi))
        elif lo is not None:
            relation = sympy.Ge(s, lo)
        else:
            relation = sympy.Le(s, hi)
        out.append(Condition(relation, "bounds", symbol=s, lower=lo, upper=hi))
    seen = set()
    for condition in others:
        key = (condition.kind, condition.message, condition.left, condition.right)
        if key not in seen:
            seen.add(key)
            out.append(condition)
    return out
