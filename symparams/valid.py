"""The symbol values that make a valid network, from the conditions its derive recorded
(Network.requirements): each compiled to an exact integer test, and, for one unknown with the other
symbols fixed, the set they define laid out for searching.

The valid values of a width that the heads must divide are not an interval. With one unknown x:
- size conditions (an expression >= 1) give an interval lo <= x <= hi, as they always have;
- a quotient that must be whole, P(x)/D with P an integer polynomial and D a number, holds on
  residue classes modulo D (P(x + D) = P(x) mod D): together, the classes modulo the least common
  multiple of the divisors, found once by testing one period;
- a quotient whose divisor grows with x (x must divide 2048) and sizes that must be equal hold
  at finitely many values: divisors, integer roots, or a bound past which none holds;
- anything else (and a condition said only in words) is tested value by value.
The valid values are then enumerated in order, stepping from class to class. No printing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from typing import Iterator

import sympy

from .algebra import first_true, symbol
from .errors import DefinitionError, ShapeError
from .layers.base import MustBeWhole, MustBeZero
from .compiled import Compiled, compile_expr

SEARCH_TOP = 2 ** 64        # the size conditions' interval is looked for up to here (as before)
MAX_MODULUS = 1_000_000     # residue classes are found by testing one period of at most this many values
MAX_DIVISOR_DIGITS = 30     # divisors of a number are listed by factoring it, up to this many digits
MAX_FINITE = 1_000_000      # a finite valid set is scanned value by value up to this bound
MAX_TESTED = 20_000         # candidates tested one by one when looking for the next valid value (an
                            # unbounded set whose test has no period: 2^x / 3 would run forever)


@dataclass(frozen=True)
class Check:
    """One recorded condition, compiled. kind: 'size' (expr >= 1), 'whole' (expr is a whole
    number), 'zero' (expr = 0) or 'words' (no test: deriving the network decides it)."""
    kind: str
    message: str
    expr: sympy.Expr | None
    numer: Compiled | None = None       # the condition's value as numer / denom, exact integer code
    denom: Compiled | None = None

    @property
    def symbols(self) -> frozenset:
        return frozenset() if self.expr is None else frozenset(self.expr.free_symbols)

    def holds(self, *values: int) -> bool:
        """At one point (values in the order of the compiled symbols); exact."""
        n = self.numer.exact(*values)
        if self.kind == "size":
            return n >= 1
        d = self.denom.exact(*values)
        if self.kind == "whole":
            return d != 0 and n % d == 0
        return n == 0

    def mask(self, arrays):
        """At every point of broadcastable arrays (numpy), in the order of the compiled symbols."""
        n = self.numer.evaluate_arrays(arrays)
        if self.kind == "size":
            return n >= 1
        d = self.denom.evaluate_arrays(arrays)
        if self.kind == "whole":
            return (d != 0) & (n % _nonzero(d) == 0)
        return n == 0


def _nonzero(d):
    import numpy as np
    return np.where(d == 0, 1, d)


def _parts(value) -> tuple[sympy.Expr, sympy.Expr]:
    """value as numerator / denominator, both integer-valued in the symbols (signs kept)."""
    numer, denom = sympy.together(sympy.sympify(value)).as_numer_denom()
    return numer, denom


def checks(net, symbols) -> list[Check]:
    """The network's recorded conditions as exact tests over `symbols` (the symbols still free;
    a condition in other symbols as well is left out: those are fixed before anything is searched)."""
    symbols = tuple(symbols)
    allowed = set(symbols)
    out = []
    seen = set()
    for test, message in net.requirements:
        if test is None:
            key = ("words", str(message))
            if key not in seen:
                seen.add(key)
                out.append(Check("words", str(message), None))
            continue
        if isinstance(test, MustBeWhole):
            kind, value = "whole", sympy.sympify(test.value)
        elif isinstance(test, MustBeZero):
            kind, value = "zero", sympy.sympify(test.value)
        else:
            kind, value = "size", sympy.sympify(test)
        if value.has(sympy.Sum, sympy.Product):
            value = value.doit()
        if not value.free_symbols or not value.free_symbols <= allowed:
            continue
        key = (kind, value)
        if key in seen:
            continue
        seen.add(key)
        if kind == "size":
            numer, denom = compile_expr(value, symbols), None
        else:
            n, d = _parts(value)
            numer, denom = compile_expr(n, symbols), compile_expr(d, symbols)
        out.append(Check(kind, str(message), value, numer, denom))
    return out


def nonnegative_form(test) -> sympy.Expr | None:
    """An integer-valued expression that is >= 0 exactly where a MustBeWhole or MustBeZero test
    holds, for consumers that check conditions as 'expression >= 0' (the playground's compiled
    checks): minus the square of the remainder n - d·⌊n/d⌋ of value = n/d, or of value's numerator."""
    if isinstance(test, MustBeWhole):
        n, d = _parts(test.value)
        return -(n - d * sympy.floor(n / d)) ** 2
    if isinstance(test, MustBeZero):
        return -(_parts(test.value)[0]) ** 2
    return None


def is_valid(net, name: str, value: int) -> bool:
    """Whether the network derives at name = value (every check of the engine, on numbers)."""
    try:
        net.subs({name: value})
        return True
    except (ShapeError, DefinitionError):
        return False


class ValidValues:
    """The valid values of one symbol (the others fixed): lo <= x <= hi (hi None: no bound),
    x mod modulus in residues, x in members when the set is finite and listed, and every
    check of `tested` true at x. Enumerate with ascending() / descending()."""

    def __init__(self, net, name: str):
        self.net, self.name = net, name
        self.exhausted = False
        self.x = x = symbol(name)
        found = checks(net, [x])
        self.conditions = found
        self.tested: list[Check] = []        # tested value by value
        self.words = [c for c in found if c.kind == "words"]
        size = [c for c in found if c.kind == "size"]
        self.lo, self.hi = self._interval(size)
        periodic: list[tuple[Check, int]] = []
        self.members: list[int] | None = None
        self.bounded_by: list[Check] = []    # the conditions that make the set finite
        for c in found:
            if c.kind == "whole":
                self._whole(c, periodic)
            elif c.kind == "zero":
                self._zero(c)
        self.modulus, self.residues = self._classes(periodic)
        self._residue_set = frozenset(self.residues)
        if self.members is not None:
            self.members = [v for v in self.members if self._in_classes(v) and self._tested(v)]
            if not self.members:
                raise self._empty(self.bounded_by + [c for c, _ in periodic] + self.tested)
        elif self.hi is not None and self.hi - self.lo < MAX_FINITE and (self.tested or self.words):
            members = [v for v in self._raw_range(self.lo, self.hi) if self._tested(v)]
            if not members:
                raise self._empty(self.bounded_by + [c for c, _ in periodic] + self.tested)
            self.members = members
        if self.members is not None:
            self.lo, self.hi = self.members[0], self.members[-1]
            self._member_set = frozenset(self.members)
        else:
            first = next(self.ascending(self.lo), None)
            if first is None:
                raise self._empty([c for c, _ in periodic] + self.tested + size,
                                  f"among {MAX_TESTED:,} values from {self.lo}" if self.exhausted else "")
            self.lo = first

    # -- building the set -------------------------------------------------------------------
    def _interval(self, size: list[Check]) -> tuple[int, int | None]:
        """(lowest, highest or None) where every size condition holds, taking them to hold on one
        interval (as they do for sizes that shrink or grow with the symbol)."""
        def ok(v):
            return all(c.holds(v) for c in size)

        lo = first_true(ok, 1, SEARCH_TOP)
        if lo is None:
            failing = [c for c in size if first_true(lambda v, c=c: c.holds(v), 1, SEARCH_TOP) is None] or size
            raise self._empty(failing, f"up to {SEARCH_TOP:,}")
        past = first_true(lambda v: not ok(v), lo, SEARCH_TOP)
        return lo, (None if past is None else past - 1)

    def _whole(self, c: Check, periodic: list) -> None:
        x = self.x
        numer, denom = _parts(c.expr)
        if denom.is_number:
            if numer.is_polynomial(x) and sympy.Poly(numer, x).domain.is_ZZ:
                periodic.append((c, abs(int(denom))))       # P(x + D) = P(x) (mod D)
                return
            self.tested.append(c)
            return
        if not (numer.is_polynomial(x) and denom.is_polynomial(x)):
            self.tested.append(c)
            return
        # the divisor grows with x: finitely many values (divisors of a number, or below a bound)
        self.bounded_by.append(c)
        pn, pd = sympy.Poly(numer, x), sympy.Poly(denom, x)
        if pn.is_ground and pd.degree() == 1 and len(str(abs(int(pn.LC())))) <= MAX_DIVISOR_DIGITS:
            a, b = (int(v) for v in pd.all_coeffs())
            values = set()
            for t in sympy.divisors(abs(int(pn.LC()))):
                for s in (t, -t):
                    if (s - b) % a == 0 and (s - b) // a >= 1:
                        values.add((s - b) // a)
            self._restrict(sorted(values))
            return
        top = _bound_of_whole(pn, pd)
        self.hi = top if self.hi is None else min(self.hi, top)
        self.tested.append(c)

    def _zero(self, c: Check) -> None:
        x = self.x
        numer, _ = _parts(c.expr)
        if numer == 0:
            return
        if numer.is_polynomial(x):
            roots = sympy.Poly(numer, x).ground_roots()        # the integer (and other rational) roots
            self.bounded_by.append(c)
            self._restrict(sorted(int(r) for r in roots if r.is_Integer and r >= 1))
            return
        self.tested.append(c)

    def _restrict(self, values: list[int]) -> None:
        values = [v for v in values if v >= self.lo and (self.hi is None or v <= self.hi)]
        if self.members is None:
            self.members = values
        else:
            keep = set(values)
            self.members = [v for v in self.members if v in keep]

    def _classes(self, periodic: list) -> tuple[int, list[int]]:
        """The modulus (lcm of the periods) and the residues where every periodic check holds."""
        modulus = 1
        for _, d in periodic:
            modulus = modulus * d // gcd(modulus, d)
        if modulus > MAX_MODULUS:
            self.tested.extend(c for c, _ in periodic)         # too long a period: test value by value
            return 1, [0]
        if modulus == 1:
            return 1, [0]
        import numpy as np
        # one period, shifted past 0 so every value is a positive symbol value
        span = np.arange(modulus, 2 * modulus, dtype=np.int64)
        ok = np.ones(modulus, dtype=bool)
        for c, _ in periodic:
            ok &= np.asarray(c.mask([span]), dtype=bool)
        residues = [int(r) - modulus for r in span[ok]]
        if not residues:
            raise self._empty([c for c, _ in periodic])
        return modulus, residues

    def _empty(self, failing: list[Check], where: str = "") -> DefinitionError:
        """The error when no value is valid, naming the conditions that exclude every value."""
        said = "; ".join(dict.fromkeys(f"'{c.message}'" for c in failing)) or "its conditions"
        together = " together" if len(set(c.message for c in failing)) > 1 else ""
        return DefinitionError(f"no {self.name} makes a valid network{(' ' + where) if where else ''}: "
                               f"{said} hold{'' if together else 's'}{together} for no {self.name}"
                               + (f" (other symbols: {_fixed(self.net)})" if _fixed(self.net) else ""))

    # -- membership and enumeration ------------------------------------------------------------
    def _in_classes(self, v: int) -> bool:
        return self.modulus == 1 or (v % self.modulus) in self._residue_set

    def _tested(self, v: int) -> bool:
        return all(c.holds(v) for c in self.tested) and (not self.words or is_valid(self.net, self.name, v))

    def __contains__(self, v: int) -> bool:
        if v < self.lo or (self.hi is not None and v > self.hi):
            return False
        if self.members is not None:
            return v in self._member_set
        return self._in_classes(v) and self._tested(v)

    def _raw_range(self, a: int, b: int) -> Iterator[int]:
        """Values in a .. b in the residue classes (not yet tested), ascending."""
        m, rs = self.modulus, self.residues
        base = a - a % m
        while base <= b:
            for r in rs:
                v = base + r
                if a <= v <= b:
                    yield v
                elif v > b:
                    return
            base += m

    def ascending(self, start: int, limit: int | None = None) -> Iterator[int]:
        """Valid values >= start in increasing order; with `limit`, stop after testing that many
        candidates (self.exhausted then says so); values tested one by one stop at MAX_TESTED."""
        self.exhausted = False
        if limit is None and (self.tested or self.words):
            limit = MAX_TESTED
        start = max(start, self.lo)
        if self.members is not None:
            yield from (v for v in self.members if v >= start)
            return
        m, rs = self.modulus, self.residues
        base = start - start % m
        tried = 0
        while True:
            for r in rs:
                v = base + r
                if v < start:
                    continue
                if self.hi is not None and v > self.hi:
                    return
                if limit is not None and tried >= limit:
                    self.exhausted = True
                    return
                tried += 1
                if not self.tested and not self.words or self._tested(v):
                    yield v
            base += m

    def descending(self, start: int, limit: int | None = None) -> Iterator[int]:
        """Valid values <= start in decreasing order (limit as in ascending)."""
        self.exhausted = False
        if limit is None and (self.tested or self.words):
            limit = MAX_TESTED
        if self.hi is not None:
            start = min(start, self.hi)
        if self.members is not None:
            yield from (v for v in reversed(self.members) if v <= start)
            return
        m, rs = self.modulus, self.residues[::-1]
        base = start - start % m
        tried = 0
        while base + m > self.lo:
            for r in rs:
                v = base + r
                if v > start:
                    continue
                if v < self.lo:
                    return
                if limit is not None and tried >= limit:
                    self.exhausted = True
                    return
                tried += 1
                if not self.tested and not self.words or self._tested(v):
                    yield v
            base -= m

    def first_at_least(self, start: int, limit: int | None = None) -> int | None:
        return next(self.ascending(start, limit), None)

    def last_at_most(self, start: int, limit: int | None = None) -> int | None:
        return next(self.descending(start, limit), None)

    def count(self, a: int, b: int) -> int | None:
        """How many valid values lie in a .. b (None when that needs testing value by value)."""
        a, b = max(a, self.lo), b if self.hi is None else min(b, self.hi)
        if b < a:
            return 0
        if self.members is not None:
            return sum(1 for v in self.members if a <= v <= b)
        if self.tested or self.words:
            return None
        m = self.modulus
        return sum((b - r) // m - (a - 1 - r) // m for r in self.residues)

    # -- what a reader is told -------------------------------------------------------------------
    @property
    def restricted(self) -> bool:
        """Whether the valid values are not simply every value of the interval."""
        return self.modulus > 1 or self.members is not None or bool(self.tested) or bool(self.words)

    def describe(self) -> dict:
        """The set as data: interval, modulus and residues, listed members, and the conditions that
        shape it (their words), for a printer to lay out."""
        shaping = [c.message for c in self.conditions if c.kind != "size"]
        return {"lowest": self.lo, "highest": self.hi, "modulus": self.modulus, "residues": list(self.residues),
                "members": None if self.members is None else list(self.members),
                "tested": bool(self.tested or self.words), "conditions": list(dict.fromkeys(shaping))}


def _bound_of_whole(pn, pd) -> int:
    """A bound past which numer/denom (polynomials, the denominator growing faster or not dividing)
    is never whole: numer/denom = q + r/denom with q's values in (1/D)Z; past the real roots of
    denom² − D²·r² and of r, 0 < |r/denom| < 1/D, so the sum is not whole."""
    q, r = pn.div(pd)
    if r.is_zero:
        return SEARCH_TOP
    q_den = 1
    for coeff in q.all_coeffs():
        q_den = q_den * sympy.Rational(coeff).q // gcd(q_den, sympy.Rational(coeff).q)
    gap = (pd ** 2 - r ** 2 * q_den ** 2)
    tops = [1]
    for poly in (gap, r):
        if not poly.is_ground:
            roots = sympy.real_roots(poly.clear_denoms()[1])
            if roots:
                tops.append(int(sympy.ceiling(max(roots))))
    return max(tops) + 1


def _fixed(net) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(net.values.items()))
