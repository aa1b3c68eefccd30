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
from typing import Mapping

import sympy
from sympy import Integer, Max, Min, Mul, Pow, ceiling, floor

from .algebra import first_true, symbol
from .errors import DefinitionError, ShapeError, SymparamsError, UsageError
from .sweep import compile_expr, metric_expr

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
    solution_range: tuple | None = None
    below: Point | None = None            # nearest values on each side of an exact target
    above: Point | None = None
    formulas: list = field(default_factory=list)   # unknown in terms of other free symbols
    coefficients: list = field(default_factory=list)  # of metric - target as a polynomial in the unknown
    monotone: bool = True
    method: str = ""
    notes: list = field(default_factory=list)

    # what a person reads (print, IPython, notebooks); repr stays the dataclass's
    def __str__(self) -> str:
        return render(self)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(render(self))

    def _repr_html_(self) -> str:
        from html import escape
        return "<pre>" + escape(render(self)) + "</pre>"

    @property
    def found(self) -> bool:
        if self.mode == "exactly":
            return bool(self.solutions or self.solution_range or self.formulas)
        return self.value is not None or bool(self.formulas)

    def render(self, ascii: bool = False) -> str:
        return render(self, ascii=ascii)

    def as_dict(self) -> dict:
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


# ----------------------------------------------------------------------------- validity

def _interval(ok, name: str, limit: int = 2 ** 64) -> tuple[int, int | None]:
    """(lowest, highest or None) integer >= 1 where ok holds, assuming it holds on one interval."""
    lo = first_true(ok, 1, limit)
    if lo is None:
        raise ShapeError(f"the network is not valid for any {name} up to {limit:,}")
    past = first_true(lambda v: not ok(v), lo, limit)
    return lo, (None if past is None else past - 1)


def _valid_range(net, name: str) -> tuple[int, int | None]:
    """The values of `name` for which the network derives without a shape error. Found on the
    network's compiled size conditions (fast), confirmed at the ends by re-deriving the
    network; when they disagree, found by re-deriving at every probe."""
    from .sweep import _constraint_exprs

    x = symbol(name)
    conditions = [compile_expr(c, [x]) for c in _constraint_exprs(net) if c.free_symbols == {x}]

    def fast(v):
        return all(c.exact(v) >= 1 for c in conditions)

    lo, top = _interval(fast, name)
    if (_is_valid(net, name, lo) and (lo == 1 or not _is_valid(net, name, lo - 1))
            and (top is None or (_is_valid(net, name, top) and not _is_valid(net, name, top + 1)))):
        return lo, top
    cache: dict[int, bool] = {}

    def ok(v):
        if v not in cache:
            cache[v] = _is_valid(net, name, v)
        return cache[v]

    return _interval(ok, name)


def _is_valid(net, name, v) -> bool:
    try:
        net.subs({name: v})
        return True
    except (ShapeError, DefinitionError):
        return False


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
    from .sweep import parse_number

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

    lo, top = _valid_range(net, unknown)
    result.lowest, result.highest = lo, top
    fn = compile_expr(expr, [x])
    f = fn.exact
    m0 = _monotone_from(expr, x, lo)
    scan = EXHAUSTIVE_LIMIT if fn.source is not None else SLOW_SCAN_LIMIT     # a stated bound on the work
    if m0 is not None and m0 - lo > scan:
        m0 = None
    if m0 is None or (top is not None and top - lo <= 64):
        hi = lo + scan if top is None else min(top, lo + scan)
        values_ = [f(v) for v in range(lo, hi + 1)]
        drop = next((k for k in range(len(values_) - 1) if values_[k + 1] < values_[k]), None)
        if m0 is not None:
            result.notes.append(f"the whole valid range {unknown} = {lo} .. {top} was scanned")
        elif drop is not None:
            result.monotone = False
            a = lo + drop
            result.notes.append(f"{metric} does not always grow with {unknown}: {values_[drop]:,} at {unknown} = {a} "
                                f"but {values_[drop + 1]:,} at {unknown} = {a + 1}")
        else:
            result.monotone = False
            result.notes.append(f"could not prove that {metric} never decreases in {unknown}")
        if m0 is None:
            result.notes.append(f"searched {unknown} = {lo} .. {hi} exhaustively"
                                + (" (larger values not checked)" if top is None or hi < top else
                                   " (the whole valid range)"))
        result.method = "exhaustive scan"
        _scan(result, f, lo, hi, values_)
    else:
        if m0 > lo:
            result.notes.append(f"{metric} is non-decreasing in {unknown} only from {unknown} = {m0}; "
                                f"{lo} .. {m0 - 1} were scanned one by one")
        result.method = "exact integer search (exponential + binary)"
        _monotone(result, f, lo, m0, top)
    if result.value is None and mode != "exactly":
        rel = _WORDS[mode]
        start = Point(lo, f(lo))
        if result.method == "exhaustive scan":
            least = min(range(len(values_)), key=lambda k: values_[k] if mode == "at_most" else -values_[k])
            where = (f"the {'smallest' if mode == 'at_most' else 'largest'} in {unknown} = {lo} .. {hi} is "
                     f"{values_[least]:,} at {unknown} = {lo + least}")
        elif mode == "at_most":
            where = f"even the smallest valid {unknown} = {lo} gives {metric} = {start.count:,}"
        else:
            end = top if top is not None else "2^256"
            where = f"{metric} stays below it for {unknown} up to {end}"
        notes = "; ".join(result.notes)
        raise DefinitionError(f"no {unknown} gives {metric} {rel} {target:,}: {where}" + (f" ({notes})" if notes else ""))
    result.boundary = _boundary(expr, x, target, result)
    _verify(result, net, x)
    return result


def _scan(result, f, lo, hi, values_):
    target = result.target
    xs = range(lo, hi + 1)
    if result.mode == "at_most":
        fits = [v for v, c in zip(xs, values_) if c <= target]
        if fits:
            result.value = fits[-1]
    elif result.mode == "at_least":
        fits = [v for v, c in zip(xs, values_) if c >= target]
        if fits:
            result.value = fits[0]
    else:
        hits = [v for v, c in zip(xs, values_) if c == target]
        _set_solutions(result, hits)
        under = [(v, c) for v, c in zip(xs, values_) if c < target]
        over = [(v, c) for v, c in zip(xs, values_) if c > target]
        if under:
            v, c = max(under, key=lambda p: (p[1], -p[0]))
            result.below = Point(v, c)
        if over:
            v, c = min(over, key=lambda p: (p[1], p[0]))
            result.above = Point(v, c)
    if result.value is not None:
        step = 1 if result.mode == "at_most" else -1
        nxt = result.value + step
        if nxt >= lo:
            result.next = Point(nxt, f(nxt))
        result.count = f(result.value)


def _monotone(result, f, lo, m0, top):
    target = result.target
    head = [(v, f(v)) for v in range(lo, m0)]           # the part not proven monotone
    if result.mode == "at_most":
        first_over = _first_reaching(f, target, m0, strict=True, top=top)
        if first_over is None and top is not None:
            result.value = top
            result.notes.append(f"{top} is the largest valid {result.unknown}")
        elif first_over is None:
            raise DefinitionError(f"{result.metric} stays at or below {target:,} for every {result.unknown} "
                                  f"up to 2^256; there is no largest value")
        if first_over > m0:
            result.value = first_over - 1
        else:
            fits = [v for v, c in head if c <= target]
            result.value = fits[-1] if fits else None
        if result.value is not None:
            result.count = f(result.value)
            result.next = Point(result.value + 1, f(result.value + 1))
    elif result.mode == "at_least":
        fits = [v for v, c in head if c >= target]
        result.value = fits[0] if fits else _first_reaching(f, target, m0, top=top)
        if result.value is not None:
            result.count = f(result.value)
            if result.value > lo:
                result.next = Point(result.value - 1, f(result.value - 1))
    else:
        hits = [v for v, c in head if c == target]
        a = _first_reaching(f, target, m0, top=top)
        b = _first_reaching(f, target, m0, strict=True, top=top)
        if a is not None and f(a) == target:
            end = (b - 1) if b is not None else top
            if end is None:
                raise DefinitionError(f"{result.metric} equals {target:,} for every {result.unknown} >= {a}")
            if not hits and end - a + 1 > LIST_LIMIT:
                result.solution_range = (a, end)
            else:
                hits += list(range(a, end + 1))
        _set_solutions(result, hits)
        under = [(v, c) for v, c in head if c < target]
        if a is not None and a > m0:
            under.append((a - 1, f(a - 1)))
        if under:
            v, c = max(under, key=lambda p: (p[1], -p[0]))
            result.below = Point(v, c)
        over = [(v, c) for v, c in head if c > target]
        if b is not None:
            over.append((b, f(b)))
        if over:
            v, c = min(over, key=lambda p: (p[1], p[0]))
            result.above = Point(v, c)


def _set_solutions(result, hits):
    if len(hits) > LIST_LIMIT and hits == list(range(hits[0], hits[-1] + 1)):
        result.solution_range = (hits[0], hits[-1])
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
    anchor = result.value if result.value is not None else (result.solutions[0] if result.solutions else None)
    if anchor is None and result.below is not None:
        anchor = result.below.value
    if anchor is None:
        return real[0] if len(real) == 1 else None
    near = [r for r in real if anchor - 1 <= r <= anchor + 1]
    return sympy.factor_terms(near[0]) if near else None


def _verify(result, net, x):
    """Check every reported number by SymPy substitution (and the network's own checks)."""
    def sub(v):
        value = result.expr.subs(x, v)
        return int(value.doit() if value.has(sympy.Sum) else value)

    for p in (result.next, result.below, result.above):
        if p is not None:
            if sub(p.value) != p.count:
                raise AssertionError(f"internal: compiled count at {p.value} differs from SymPy")  # pragma: no cover
            p.valid = _is_valid(net, result.unknown, p.value)
    if result.value is not None:
        if sub(result.value) != result.count:
            raise AssertionError("internal: compiled count differs from SymPy")  # pragma: no cover
        if not _is_valid(net, result.unknown, result.value):
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


# ----------------------------------------------------------------------------- text

def render(r: SolveResult, ascii: bool = False) -> str:
    """The result as a person reads it: formulas by the math printer (9f² + 6,427f, √), or in
    plain ASCII (9*f^2, sqrt) with ascii=True. as_dict() is the machine-readable form."""
    text = _render(r)
    if ascii:
        from .printers.math import plain
        return plain(text).replace("≈", "~")
    return text


def as_dict(r: SolveResult) -> dict:
    """The result for --format json: numbers exact, formulas as SymPy strings (sympify reads them)."""
    def point(p):
        return None if p is None else {"value": p.value, "count": p.count, "valid": p.valid}
    return {"unknown": r.unknown, "metric": r.metric, "mode": r.mode, "target": r.target,
            "formula": sympy.sstr(r.expr), "fixed": dict(r.fixed), "lowest": r.lowest, "highest": r.highest,
            "value": r.value, "count": r.count, "next": point(r.next),
            "boundary": None if r.boundary is None else sympy.sstr(r.boundary),
            "solutions": list(r.solutions), "solution_range": list(r.solution_range) if r.solution_range else None,
            "below": point(r.below), "above": point(r.above), "formulas": [sympy.sstr(f) for f in r.formulas],
            "method": r.method, "notes": list(r.notes)}


def _render(r: SolveResult) -> str:
    from .printers.math import text as fmt_expr

    u, m = r.unknown, r.metric
    lines = [f"{m}({u}) = {fmt_expr(r.expr)}"]
    if r.fixed:
        lines.append("with " + ", ".join(f"{k} = {v}" for k, v in sorted(r.fixed.items())) + " (defaults)")
    if r.formulas:
        rel = _WORDS[r.mode]
        for k, fml in enumerate(r.formulas):
            lines.append(f"{m} {rel} {r.target:,} at {u} = {fmt_expr(fml)}")
        if len(r.coefficients) == 3:
            a, b, c = (fmt_expr(v) for v in r.coefficients)
            lines.append(f"  from a·{u}² + b·{u} + c = 0: {u} = (−b + √(b² − 4ac))/(2a) "
                         f"with a = {a}, b = {b}, c = {c}")
        if r.mode == "at_most":
            lines.append(f"largest {u} = floor of that")
        elif r.mode == "at_least":
            lines.append(f"smallest {u} = ceiling of that")
        for n in r.notes:
            lines.append(f"note: {n}")
        return "\n".join(lines) + "\n"
    lines.append(f"valid range: {u} >= {r.lowest}" if r.highest is None
                 else f"valid range: {r.lowest} <= {u} <= {r.highest}")
    if r.mode == "exactly":
        if r.solution_range:
            a, b = r.solution_range
            lines.append(f"{m} = {r.target:,} for every {u} in {a} .. {b} ({b - a + 1:,} values)")
        elif r.solutions:
            lines.append(f"{m} = {r.target:,} at {u} = " + ", ".join(str(v) for v in r.solutions))
        else:
            lines.append(f"no whole {u} gives {m} = {r.target:,} exactly")
        if not r.solutions and not r.solution_range:
            if r.below:
                lines.append(f"  nearest below: {u} = {r.below.value} -> {r.below.count:,}")
            if r.above:
                lines.append(f"  nearest above: {u} = {r.above.value} -> {r.above.count:,}")
    elif r.value is None:
        lines.append(f"no {u} >= {r.lowest} gives {m} {_WORDS[r.mode]} {r.target:,}")
    else:
        word = "largest" if r.mode == "at_most" else "smallest"
        lines.append(f"{word} {u} with {m} {_WORDS[r.mode]} {r.target:,}: {u} = {r.value}  ({m} = {r.count:,})")
        if r.next is not None:
            where = "one step above" if r.mode == "at_most" else "one step below"
            lines.append(f"{where}: {u} = {r.next.value}  ({m} = {r.next.count:,})"
                         + ("" if r.next.valid else "  (not a valid network)"))
    if r.boundary is not None and not (r.boundary.is_Integer and r.mode == "exactly"):
        approx = sympy.N(r.boundary, 15 + len(str(r.value or 0)))
        lines.append(f"exact boundary: {u} = {fmt_expr(r.boundary)} ≈ {approx}")
    lines.append(f"method: {r.method}")
    for n in r.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
