"""Solving a network metric for one symbol: the largest value under a budget, the smallest
above a floor, or every value that hits a target exactly.

The integer answer always comes from an exact search on the compiled metric (Python ints,
floor as integer division): exponential then binary search where the metric is proven
non-decreasing, an exhaustive scan (within a stated bound) where it is not. The real
boundary is given in closed form when SymPy solves the equation; the answers are checked
by SymPy substitution before they are returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice, takewhile
from typing import Mapping

import sympy
from sympy import Max, Min, Mul, Pow, ceiling, floor

from .algebra import first_true, symbol
from .errors import DefinitionError, UsageError
from .integers import parse_number
from .compiled import compile_expr
from .sweep import metric_expr
from .valid import ValidValues, is_valid

EXHAUSTIVE_LIMIT = 100_000     # values scanned one by one where monotonicity is not proven
SLOW_SCAN_LIMIT = 2_000        # the same when the metric does not compile (SymPy per value, ~1 ms each)
SEARCH_LIMIT = 2 ** 256        # no answer is looked for beyond this
LIST_LIMIT = 50                # exact solutions listed one by one up to this many

MODES = ("at_most", "exactly", "at_least")
_WORDS = {"at_most": "<=", "exactly": "=", "at_least": ">="}


@dataclass
class Point:
    value: int
    count: int
    valid: bool = True


@dataclass
class SolveResult:
    """What `Network.solve` found. `value` is the answer of a budget (largest value with
    metric <= target, or smallest with metric >= target); `solutions` those of an exact
    target (`solution_range` when there are more than LIST_LIMIT)."""
    unknown: str
    metric: str
    mode: str
    target: int
    expr: sympy.Expr                      # the metric as a function of the unknown (others fixed)
    fixed: dict = field(default_factory=dict)
    lowest: int = 1                       # smallest valid value of the unknown
    highest: int | None = None            # largest valid value, when there is one
    value: int | None = None
    count: int | None = None
    next: Point | None = None             # one step beyond the answer
    boundary: sympy.Expr | None = None    # exact real solution of metric = target, when found
    solutions: list = field(default_factory=list)
    solution_range: tuple | None = None   # (first, last) valid solution when there are many
    solution_count: int | None = None     # how many valid solutions solution_range holds (None: not counted)
    valid: dict = field(default_factory=dict)   # the valid values of the unknown (valid.ValidValues.describe)
    below: Point | None = None            # nearest values on each side of an exact target
    above: Point | None = None
    formulas: list = field(default_factory=list)   # unknown in terms of other free symbols
    coefficients: list = field(default_factory=list)  # of metric - target as a polynomial in the unknown
    monotone: bool = True
    method: str = ""
    notes: list = field(default_factory=list)

    # what a person reads (print, IPython, notebooks), laid out by printers/solve.py; repr stays
    # the dataclass's. Convenience at the top of the API: the printer is imported only when asked.
    def __str__(self) -> str:
        from .printers.solve import text
        return text(self)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))

    def _repr_html_(self) -> str:
        from .printers.solve import html
        return html(self)

    @property
    def found(self) -> bool:
        if self.mode == "exactly":
            return bool(self.solutions or self.solution_range or self.formulas)
        return self.value is not None or bool(self.formulas)

    def render(self, ascii: bool = False) -> str:
        from .printers.solve import text
        return text(self, ascii=ascii)

    def as_dict(self) -> dict:
        from .printers.solve import as_dict
        return as_dict(self)


# ----------------------------------------------------------------------------- monotonicity

def _direction(e, x, lo) -> int | None:
    """+1 if e is provably non-decreasing in x for integer x >= lo, -1 non-increasing,
    0 constant, None unknown. Products need their factors non-negative: a non-decreasing
    factor is, when it is non-negative at lo."""
    if x not in e.free_symbols:
        return 0
    if e == x:
        return 1
    if e.is_Add:
        dirs = [_direction(a, x, lo) for a in e.args]
        if None in dirs:
            return None
        signs = {d for d in dirs if d}
        return signs.pop() if len(signs) == 1 else (0 if not signs else None)
    if isinstance(e, Mul):
        coeff, rest = e.as_coeff_Mul()
        if coeff != 1:
            d = _direction(rest, x, lo)
            return None if d is None else d * (1 if coeff > 0 else -1)
        factors = [a for a in e.args if x in a.free_symbols]
        const = Mul(*[a for a in e.args if x not in a.free_symbols])
        if const.free_symbols or not const.is_number:
            return None
        dirs = [_direction(a, x, lo) for a in factors]
        if all(d == 1 for d in dirs) and all(_at(a, x, lo) >= 0 for a in factors):
            return 1 if const >= 0 else -1
        return None
    if isinstance(e, Pow):
        base, exp = e.args
        if exp.is_Integer:
            d = _direction(base, x, lo)
            if d == 1 and _at(base, x, lo) >= 0:
                return 1 if exp > 0 else (-1 if _at(base, x, lo) > 0 else None)
            return None
        if base.is_number and x not in base.free_symbols:
            d = _direction(exp, x, lo)
            if d is None or base <= 0:
                return None
            return d if base > 1 else (-d if base < 1 else 0)
        return None
    if isinstance(e, (floor, ceiling)):
        return _direction(e.args[0], x, lo)
    if isinstance(e, (Max, Min)):
        dirs = {_direction(a, x, lo) for a in e.args}
        dirs.discard(0)
        if None in dirs or len(dirs) > 1:
            return None
        return dirs.pop() if dirs else 0
    return None


def _at(e, x, v):
    value = e.subs(x, v)
    return value if value.is_number else sympy.oo


def _monotone_from(expr, x, lo) -> int | None:
    """The smallest m >= lo from which expr is provably non-decreasing in integer x, or None."""
    if _direction(expr, x, lo) in (0, 1):
        return lo
    if expr.has(floor, ceiling, Max, Min) or not expr.is_polynomial(x):
        return None
    diff = sympy.expand(expr.subs(x, x + 1) - expr)
    if diff.is_number:
        return lo if diff >= 0 else None
    poly = sympy.Poly(diff, x)
    if poly.LC() < 0:
        return None
    roots = [r for r in sympy.real_roots(poly)] if poly.free_symbols_in_domain == set() else None
    if roots is None:
        return None
    if not roots:
        return lo
    top = max(roots)
    return max(lo, int(sympy.floor(top)) + 1)


# ----------------------------------------------------------------------------- searches

def _first_reaching(f, target, start, strict=False, top=None):
    """Smallest x >= start with f(x) >= target (> target when strict) for non-decreasing f;
    None if none up to `top` (or SEARCH_LIMIT)."""
    end = SEARCH_LIMIT if top is None else top
    return first_true((lambda v: f(v) > target) if strict else (lambda v: f(v) >= target), start, end)


def solve(net, unknown: str | None = None, *, at_most=None, exactly=None, at_least=None,
          metric: str = "params", values: Mapping[str, int] | None = None) -> SolveResult:
    """Solve metric(unknown) <= at_most (largest value), = exactly (every value) or
    >= at_least (smallest value). Other symbols take `values`, then their defaults; a
    symbol left without a value makes the answer a formula (when the metric is polynomial
    in the unknown) or an error asking for --set."""

    given = [(m, v) for m, v in (("at_most", at_most), ("exactly", exactly), ("at_least", at_least))
             if v is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of --max-params, --params, --min-params "
                         "(at_most=, exactly=, at_least=)")
    mode, target = given[0]
    target = parse_number(target, f"--{ {'at_most': 'max-params', 'exactly': 'params', 'at_least': 'min-params'}[mode] }") \
        if isinstance(target, str) else int(target)
    if unknown is not None and (unknown in (values or {}) or unknown in net.values):
        raise UsageError(f"--for {unknown} and --set {unknown} both given: leave the unknown without a value")
    if values:
        net = net.subs(values)
    names = [s.name for s in net.symbols]
    if unknown is None:
        if len(names) == 1:
            unknown = names[0]
        else:
            raise UsageError("which symbol? give --for NAME" + (f" (one of {', '.join(names)})" if names else ""))
    if unknown not in names:
        from .errors import did_you_mean
        hint = did_you_mean(unknown, names) or (f"its symbols are {', '.join(names)}" if names
                                                else "the network has no free symbols")
        raise DefinitionError(f"--for {unknown}: the network has no symbol '{unknown}'", hint=hint)
    fixed = {k: v for k, v in net.defaults.items() if k != unknown}
    if fixed:
        net = net.subs(fixed)
    x = symbol(unknown)
    expr = metric_expr(net, metric)
    if expr.has(sympy.Sum):
        expr = expr.doit()
    result = SolveResult(unknown=unknown, metric=metric, mode=mode, target=target, expr=expr, fixed=fixed)
    others = sorted((s for s in expr.free_symbols if s != x), key=lambda s: s.name)
    if others:
        return _symbolic(result, expr, x, others, net)
    if x not in expr.free_symbols:
        raise DefinitionError(f"{metric} does not depend on {unknown} (it is {expr} for every value)")

    valid = ValidValues(net, unknown)       # raises, naming the conditions, when no value is valid
    lo, top = valid.lo, valid.hi
    result.lowest, result.highest = lo, top
    result.valid = valid.describe()
    fn = compile_expr(expr, [x])
    f = fn.exact                            # floor of the metric: exact at valid values (whole there)
    scan = EXHAUSTIVE_LIMIT if fn.source is not None else SLOW_SCAN_LIMIT     # a stated bound on the work
    m0 = _monotone_from(expr, x, lo)
    if m0 is not None and m0 - lo > scan * valid.modulus:
        m0 = None
    whole = valid.members if valid.members is not None and len(valid.members) <= scan else None
    if whole is None and top is not None and (valid.count(lo, top) or scan + 1) <= 64:
        whole = list(valid.ascending(lo))
    if m0 is None or whole is not None:
        pairs = [(v, f(v)) for v in (whole if whole is not None else islice(valid.ascending(lo), scan))]
        complete = whole is not None or (len(pairs) < scan and not valid.exhausted)
        drop = next((k for k in range(len(pairs) - 1) if pairs[k + 1][1] < pairs[k][1]), None)
        what = f"valid {unknown}" if valid.restricted else f"{unknown}"
        if m0 is not None:
            result.notes.append(f"the whole valid range {unknown} = {lo} .. {top} was scanned" if not valid.restricted
                                else f"every valid {unknown} ({len(pairs):,} values in {lo} .. {pairs[-1][0]}) "
                                     "was scanned")
        elif drop is not None:
            result.monotone = False
            (a, ca), (b, cb) = pairs[drop], pairs[drop + 1]
            result.notes.append(f"{metric} does not always grow with {unknown}: {ca:,} at {unknown} = {a} "
                                f"but {cb:,} at {unknown} = {b}")
        else:
            result.monotone = False
            result.notes.append(f"could not prove that {metric} never decreases in {unknown}")
        if m0 is None:
            result.notes.append(f"searched {what} = {lo} .. {pairs[-1][0]} exhaustively"
                                + (" (the whole valid range)" if complete else " (larger values not checked)"))
        result.method = "exhaustive scan"
        _scan(result, pairs, valid, f, complete)
    else:
        if m0 > lo:
            result.notes.append(f"{metric} is non-decreasing in {unknown} only from {unknown} = {m0}; "
                                f"{lo} .. {m0 - 1} were scanned one by one")
        result.method = "exact integer search (exponential + binary)"
        if valid.restricted:
            result.method += ", then the nearest valid value"
        pairs = None
        _monotone(result, f, valid, m0)
    if result.value is None and mode != "exactly":
        rel = _WORDS[mode]
        if pairs:
            pick = min if mode == "at_most" else max
            v, c = pick(pairs, key=lambda p: p[1])
            where = (f"the {'smallest' if mode == 'at_most' else 'largest'} in {unknown} = {pairs[0][0]} .. "
                     f"{pairs[-1][0]} is {c:,} at {unknown} = {v}")
        elif mode == "at_most":
            where = f"even the smallest valid {unknown} = {lo} gives {metric} = {f(lo):,}"
        else:
            end = top if top is not None else "2^256"
            where = f"{metric} stays below it for {unknown} up to {end}"
        notes = "; ".join(result.notes)
        raise DefinitionError(f"no {unknown} gives {metric} {rel} {target:,}: {where}"
                              + (f" ({notes})" if notes else ""))
    result.boundary = _boundary(expr, x, target, result)
    _verify(result, net, x)
    return result


def _point(valid, f, v) -> Point | None:
    return None if v is None else Point(v, f(v))


def _scan(result, pairs, valid, f, complete):
    """The answer from (value, count) pairs of valid values in increasing order."""
    target = result.target
    if result.mode == "at_most":
        fits = [k for k, (v, c) in enumerate(pairs) if c <= target]
        if fits:
            k = fits[-1]
            result.value, result.count = pairs[k]
            result.next = (Point(*pairs[k + 1]) if k + 1 < len(pairs)
                           else None if complete else _point(valid, f, valid.first_at_least(result.value + 1)))
    elif result.mode == "at_least":
        fits = [k for k, (v, c) in enumerate(pairs) if c >= target]
        if fits:
            k = fits[0]
            result.value, result.count = pairs[k]
            result.next = Point(*pairs[k - 1]) if k > 0 else None
    else:
        _set_solutions(result, [v for v, c in pairs if c == target])
        under = [(v, c) for v, c in pairs if c < target]
        over = [(v, c) for v, c in pairs if c > target]
        if under:
            result.below = Point(*max(under, key=lambda p: (p[1], -p[0])))
        if over:
            result.above = Point(*min(over, key=lambda p: (p[1], p[0])))


def _monotone(result, f, valid, m0):
    """The answer where the metric is non-decreasing from m0: the integer boundary by exponential
    and binary search over every integer (the floor of the metric is non-decreasing too), then the
    nearest valid value on the right side of it; valid values below m0 one by one."""
    target, u = result.target, result.unknown
    lo, top = valid.lo, valid.hi
    head = [(v, f(v)) for v in takewhile(lambda v: v < m0, valid.ascending(lo))]
    if result.mode == "at_most":
        first_over = _first_reaching(f, target, m0, strict=True, top=top)
        if first_over is None and top is None:
            raise DefinitionError(f"{result.metric} stays at or below {target:,} for every {u} "
                                  f"up to 2^256; there is no largest value")
        bound = top if first_over is None else first_over - 1
        value = valid.last_at_most(bound) if bound >= m0 else None
        if valid.exhausted:
            result.notes.append(f"no valid {u} among the values tested below {bound:,}")
        if value is not None and value < m0:
            value = None
        if value is None:
            fits = [v for v, c in head if c <= target]
            value = fits[-1] if fits else None
        if value is not None:
            result.value, result.count = value, f(value)
            result.next = _point(valid, f, valid.first_at_least(value + 1))
            if first_over is None and value == top:
                result.notes.append(f"{top} is the largest valid {u}")
    elif result.mode == "at_least":
        fits = [v for v, c in head if c >= target]
        if fits:
            value = fits[0]
        else:
            start = _first_reaching(f, target, m0, top=top)
            value = None if start is None else valid.first_at_least(start)
        if value is not None:
            result.value, result.count = value, f(value)
            result.next = _point(valid, f, valid.last_at_most(value - 1)) if value > lo else None
    else:
        hits = [v for v, c in head if c == target]
        a = _first_reaching(f, target, m0, top=top)          # the first integer with metric >= target
        b = _first_reaching(f, target, m0, strict=True, top=top)    # ... >= target + 1
        if a is not None:
            end = (b - 1) if b is not None else top
            if end is None:
                first = valid.first_at_least(a)
                if first is not None:
                    raise DefinitionError(f"{result.metric} equals {target:,} for every valid {u} >= {first}")
            else:
                found = list(islice(takewhile(lambda v: v <= end, valid.ascending(a)), LIST_LIMIT + 1))
                if len(found) > LIST_LIMIT and not hits:
                    last = valid.last_at_most(end)
                    result.solution_range = (found[0], last)
                    result.solution_count = valid.count(found[0], last)
                else:
                    hits += found[:LIST_LIMIT]
        result.solutions = hits
        under = [(v, c) for v, c in head if c < target]
        left = valid.last_at_most(a - 1 if a is not None else top) if a is not None or top is not None else None
        if left is not None and left >= m0:
            under.append((left, f(left)))
        if under:
            result.below = Point(*max(under, key=lambda p: (p[1], -p[0])))
        over = [(v, c) for v, c in head if c > target]
        right = valid.first_at_least(b) if b is not None else None
        if right is not None:
            over.append((right, f(right)))
        if over:
            result.above = Point(*min(over, key=lambda p: (p[1], p[0])))


def _set_solutions(result, hits):
    if len(hits) > LIST_LIMIT:
        result.solution_range = (hits[0], hits[-1])
        result.solution_count = len(hits)
    else:
        result.solutions = hits


def _boundary(expr, x, target, result):
    """The real x with expr = target next to the answer, in closed form, when SymPy finds it."""
    if expr.has(floor, ceiling, Max, Min):
        result.notes.append("the formula is piecewise in "
                            f"{result.unknown} (floor/ceiling): the answer is from the exact integer search")
        return None
    real_x = sympy.Symbol(x.name, positive=True)
    equation = expr.subs(x, real_x) - target
    try:
        if equation.is_polynomial(real_x):
            roots = list(sympy.roots(sympy.Poly(equation, real_x)))     # radicals up to degree 4
        else:
            roots = sympy.solve(equation, real_x, simplify=False)
    except (NotImplementedError, ValueError, TypeError):
        return None
    real = []
    for r in roots:
        if not r.is_real or r.has(sympy.I):
            continue
        real.append(r)
    if not real:
        return None
    # the root lies between the answer and the next valid value (or the valid values either side of
    # an exact target), which the divisibility conditions may set apart by more than one
    ends = [p.value for p in (result.next, result.below, result.above) if p is not None]
    if result.value is not None:
        ends.append(result.value)
    ends += result.solutions[:1]
    if not ends:
        return real[0] if len(real) == 1 else None
    near = [r for r in real if min(ends) - 1 <= r <= max(ends) + 1]
    return sympy.factor_terms(near[0]) if near else None


def _verify(result, net, x):
    """Check every reported number by SymPy substitution (and the network's own checks)."""
    def sub(v):
        value = result.expr.subs(x, v)
        value = value.doit() if value.has(sympy.Sum) else value
        if not value.is_Integer:        # a valid value gives a whole count; a fraction means a missed condition
            raise AssertionError(f"internal: {result.metric} at {result.unknown} = {v} is {value}")  # pragma: no cover
        return int(value)

    for p in (result.next, result.below, result.above):
        if p is not None:
            if sub(p.value) != p.count:
                raise AssertionError(f"internal: compiled count at {p.value} differs from SymPy")  # pragma: no cover
            p.valid = is_valid(net, result.unknown, p.value)
    if result.value is not None:
        if sub(result.value) != result.count:
            raise AssertionError("internal: compiled count differs from SymPy")  # pragma: no cover
        if not is_valid(net, result.unknown, result.value):
            result.notes.append(f"the network itself rejects {result.unknown} = {result.value} "
                                "(a divisibility or shape check); pick a nearby valid value")
    for v in result.solutions[:LIST_LIMIT]:
        if sub(v) != result.target:
            raise AssertionError("internal: solution does not verify")  # pragma: no cover


def _symbolic(result, expr, x, others, net):
    """More than one free symbol: the unknown as a formula in the others (polynomial case)."""
    names = ", ".join(s.name for s in others)
    ask = (f"{result.metric} depends on {names} too; give {'them' if len(others) > 1 else 'it'} "
           f"values with --set {others[0].name}=...")
    if x in _inside_roundings(expr) or not expr.is_polynomial(x) or sympy.degree(expr, x) > 4:
        raise UsageError(ask + f" (the formula is not polynomial in {result.unknown})")
    real_x = sympy.Symbol(x.name, real=True)
    try:
        # solve the generic polynomial, then put the (factored) coefficients back: the
        # quadratic formula in the coefficients reads better than SymPy's expanded roots
        coeffs = sympy.Poly(expr.subs(x, real_x) - result.target, real_x).all_coeffs()
        dummies = sympy.symbols(f"c0:{len(coeffs)}", real=True)
        generic = sum(d * real_x ** k for k, d in enumerate(reversed(dummies)))
        found = sympy.roots(sympy.Poly(generic, real_x)) if len(coeffs) <= 3 else {}
        if len(coeffs) > 3 or sum(found.values()) != len(coeffs) - 1:
            found = {r: 1 for r in sympy.solve(generic, real_x)}
        back = dict(zip(dummies, [sympy.factor_terms(c) for c in coeffs]))
        roots = [r.subs(back) for r in found]
        result.coefficients = [back[d] for d in dummies]
    except (NotImplementedError, ValueError, TypeError, sympy.PolynomialError):
        raise UsageError(ask) from None
    keep = []
    probe = {s: 64 for s in others}
    for r in roots:
        if r.is_negative or r.is_real is False:
            continue
        v = sympy.N(r.subs(probe))
        if v.is_real and v > 0 or (v.is_real is None and sympy.im(v) == 0 and sympy.re(v) > 0):
            keep.append(r)
    if not keep:
        keep = [r for r in roots if not r.is_negative]
    if not keep:
        raise UsageError(ask + " (no positive solution found symbolically)")
    result.formulas = keep
    result.method = "symbolic solution (other symbols free)"
    result.notes.append(ask + " for a number")
    return result


def _inside_roundings(expr) -> set:
    out = set()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (floor, ceiling, Max, Min)) or (isinstance(node, Pow) and not node.exp.is_number):
            out |= node.free_symbols
    return out
