"""SymPy helpers: symbols, exact integer division that keeps nested floors flat, and
presentation of formulas the way a person writes them.

Every symbol is a positive integer; that assumption is what makes the floor identities
below valid, and it lets SymPy drop floor() around integer expressions by itself.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from .errors import UsageError
from .integers import parse_int
from .limits import EXPAND_AT_MOST, MAX_SEARCHED_BITS
from .numeric import integer, is_exact, needs_sympy, sympy, whole

# SymPy is imported at first use (numeric.py): a derive on Python ints never needs it. The names
# below are SymPy's own, looked up when a symbolic value first reaches them.


def _rounding():
    return sympy.floor, sympy.ceiling


def cacheit(func):
    """SymPy's cacheit (emptied with SymPy's cache), applied at the first call: importing this
    module imports no SymPy."""
    cached = None

    @functools.wraps(func)
    def call(*args):
        nonlocal cached
        if cached is None:
            cached = sympy.core.cache.cacheit(func)
        return cached(*args)
    return call


@functools.lru_cache(maxsize=None)
def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol for a DSL name: a positive integer."""
    return sympy.Symbol(name, integer=True, positive=True)


@functools.lru_cache(maxsize=None)
def index_symbol(name: str) -> sympy.Symbol:
    """A loop index of `repeat N as i`: 0, 1, ..., N - 1."""
    return sympy.Symbol(name, integer=True, nonnegative=True)


def known_number(expr) -> bool:
    """expr.is_number for a SymPy expression, remembered: SymPy walks the whole tree each time."""
    return type(expr) is int or _is_number(expr)


@cacheit
def _is_number(expr) -> bool:
    return expr.is_number


def is_number(expr) -> bool:
    """expr.is_number, also for the Python ints (and Fractions) of a derive on ints (numeric.py)."""
    return is_exact(expr) or expr.is_number


def nonnegative(expr) -> bool | None:
    """expr.is_nonnegative (True, False, or None when SymPy cannot tell), also for Python ints."""
    return expr >= 0 if is_exact(expr) else expr.is_nonnegative


def as_int(expr) -> int | None:
    """The Python int this expression equals, or None when it is symbolic or not whole."""
    if isinstance(expr, int):
        return expr
    if getattr(expr, "is_Integer", False):
        return int(expr)
    if getattr(expr, "is_number", False) and isinstance(expr, sympy.Basic) and expr.is_number and expr.is_integer:
        return int(expr)
    return None


def small_int(value) -> int | None:
    """The Python int a plain int or SymPy Integer holds, else None: the fast path for numbers,
    asking SymPy nothing (most sizes in a numeric derive are Integers)."""
    return whole(value)


@cacheit       # together() is slow; SymPy's own cache (emptied with it) remembers the answer
def split_rounded(x):
    """Write x as q + m with q = floor(y/a) or ceiling(y/a) and m an integer free of floors.

    Returns (kind, y, a, m) or None."""
    floor, ceiling = _rounding()
    terms = sympy.Add.make_args(x)
    rounded = [t for t in terms if isinstance(t, (floor, ceiling))]
    if len(rounded) != 1:
        return None
    q = rounded[0]
    m = x - q
    if m.has(floor, ceiling) or m.is_integer is not True:
        return None
    y, a = q.args[0].together().as_numer_denom()
    if y.is_integer is not True or a.is_integer is not True or a.is_positive is not True:
        return None
    return ("floor" if isinstance(q, floor) else "ceiling"), y, a, m


def _divide_numbers(x, b, up: bool):
    """The fast path of floor_div/ceil_div, asking SymPy nothing: x itself when b is 1, the rounded
    quotient when x and b are numbers (b positive), else None."""
    nb = small_int(b)
    if nb is None or nb < 1:
        return None
    if nb == 1:
        # x itself only when whole: floor(1/2 / 1) is 0 (a user's expression may hold a fraction)
        return x if whole(x) is not None or getattr(x, "is_integer", False) else None
    nx = small_int(x)
    if nx is None:
        return None
    return integer(-(-nx // nb) if up else nx // nb)


def floor_div(x, b, *, whole_divisor=False):
    """floor(x / b) for integer x and positive integer b, collapsing nested floors:
    floor((floor(y/a) + m) / b) = floor((y + m*a) / (a*b)); likewise for ceiling inside.
    whole_divisor: the caller knows b is a positive integer though SymPy cannot prove it."""
    return _rounded_div(x, b, False, whole_divisor)


def ceil_div(x, b, *, whole_divisor=False):
    """ceil(x / b) for integer x and positive integer b, collapsing nested roundings."""
    return _rounded_div(x, b, True, whole_divisor)


def _rounded_div(x, b, up: bool, whole_divisor: bool):
    quick = _divide_numbers(x, b, up=up)
    if quick is not None:
        return quick
    b = sympy.sympify(b)
    x = sympy.sympify(x)
    if b == 1 and x.is_integer:
        return x
    floor, ceiling = _rounding()
    rounding = ceiling if up else floor
    split = split_rounded(x) if whole_divisor or (b.is_integer and b.is_positive) else None
    if split is not None:
        kind, y, a, m = split
        # ceil(y/a) = floor((y + a - 1)/a) and floor(y/a) = ceil((y - a + 1)/a)
        same = (kind == "ceiling") == up
        shift = 0 if same else (a - 1 if not up else 1 - a)
        return rounding((y + shift + m * a) / (a * b))
    return rounding(x / b)


def ratio(a, b):
    """a / b exactly: SymPy's division; on ints (numeric.py) the int when b divides a, else a Fraction
    (SymPy's Rational), never a float."""
    if type(a) is int and type(b) is int:
        if b == 0:
            needs_sympy("a division by zero")
        return a // b if a % b == 0 else Fraction(a, b)
    return a / b


def product(values):
    values = tuple(values)
    whole = 1
    for k, v in enumerate(values):      # the leading numbers in Python ints: the same Integer
        n = small_int(v)
        if n is None:
            break
        whole *= n
    else:
        return integer(whole)
    out = integer(whole)
    for v in values[k:]:
        out = out * v
    return out


def expanded_terms(expr) -> int:
    """An upper bound on the terms of expr multiplied out, or of any part of it (expand also works
    inside floor() and the like): (a + b + c)**e has C(e + 2, 2). Cheap, so that expand() is never
    called on a user expression whose expansion would take minutes."""
    most = 1

    def terms(e) -> int:
        nonlocal most
        if not e.args:
            return 1
        parts = [terms(a) for a in e.args]
        if e.is_Add:
            n = sum(parts)
        elif e.is_Mul:
            n = 1
            for p in parts:
                n *= p
        elif e.is_Pow and e.exp.is_Integer and e.exp > 1 and parts[0] > 1:
            n = math.comb(parts[0] + int(e.exp) - 1, int(e.exp)) if e.exp < 10**6 else 10**100
        else:
            n = 1       # a function or a symbolic power: expanded inside only
        most = max(most, n)
        return n

    terms(expr)
    return most


def _expandable(expr) -> bool:
    """Whether expand() finishes quickly on expr (about a millisecond per term)."""
    return expanded_terms(expr) <= EXPAND_AT_MOST


@functools.lru_cache(maxsize=4096)
def nice(expr):
    """A formula as a person writes it: common factors pulled out, f*(c*k**2 + 1). Remembered per
    expression: a network's rows repeat their formulas (presentation only; expressions are immutable)."""
    if not isinstance(expr, sympy.Basic) or expr.is_number:
        return expr
    from .forms import factor_terms     # SymPy's factor_terms, faster on sums of products
    return factor_terms(expr)


@functools.lru_cache(maxsize=1024)
def collected(expr):
    """A total collected by symbol: expanded, then grouped by each free symbol."""
    if not isinstance(expr, sympy.Basic) or expr.is_number:
        return expr
    floor, ceiling = _rounding()
    if expr.has(floor, ceiling, sympy.Sum, sympy.Piecewise, sympy.Min, sympy.Max):
        return sympy.factor_terms(expr)
    if not _expandable(expr):
        return expr         # a power of a long sum: shown as it is rather than multiplied out
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    from .forms import collected as fast   # the same result on whole-number polynomials, faster
    done = fast(expr, syms)
    if done is not None:
        return done
    try:
        return sympy.collect(sympy.expand(expr), syms)
    except Exception:  # pragma: no cover - collect is best effort presentation only
        return expr


def equal(a, b) -> bool | None:
    """True/False when a and b are provably (un)equal, None when SymPy cannot tell."""
    na, nb = small_int(a), small_int(b)
    if na is not None and nb is not None:
        return na == nb
    if a is b and isinstance(a, sympy.Basic) and a.is_finite:     # one expression (not nan or zoo)
        return True
    diff = a - b
    if type(diff) is int:       # an int and a number that is not one (a fraction on ints: never here)
        return diff == 0
    floor, ceiling = _rounding()
    if not _expandable(diff):
        return True if diff == 0 else None
    diff = sympy.expand(diff)
    if diff == 0:
        return True
    if diff.is_number:
        return False
    if diff.is_zero is False:
        return False
    if diff.has(floor, ceiling):
        canonical = sympy.expand(_rounding_normal_form(diff))
        if canonical == 0:
            return True
        if canonical.is_number:
            return False
    return None


def _rounding_normal_form(expr):
    """floor/ceiling of y/a (y integer, a a positive whole number) as floor((y' + r)/a) + k with the
    constant r in [0, a): ceil(y/a) = floor((y + a - 1)/a) and floor((y + c)/a) = floor((y + c - k a)/a) + k,
    so that e.g. floor((s - 1)/2) + 1 and ceiling(s/2) meet."""
    floor, ceiling = _rounding()
    Integer = sympy.Integer
    def parts(arg):
        y, a = arg.together().as_numer_denom()
        if a.is_Integer and a > 0 and y.is_integer:
            return y, a
        return None

    def from_ceiling(arg):
        split = parts(arg)
        return floor((split[0] + split[1] - 1) / split[1]) if split else ceiling(arg)

    def from_floor(arg):
        split = parts(arg)
        if not split:
            return floor(arg)
        y, a = split
        constant, _ = y.as_coeff_Add()
        k = Integer(constant) // a if constant.is_Integer else Integer(0)
        return floor(sympy.expand(y - k * a) / a) + k

    return expr.replace(ceiling, from_ceiling).replace(floor, from_floor)


def first_true(pred, start: int, end: int) -> int | None:
    """Smallest x in start .. end with pred(x), for pred false then true as x grows (None if
    pred(end) is false): exponential steps from start, then binary search, all in exact ints."""
    if pred(start):
        return start
    lo, step = start, 1
    hi = start + step
    while hi < end and not pred(hi):
        lo = hi
        step *= 2
        hi = start + step
    if hi >= end:
        if end <= lo or not pred(end):
            return None
        hi = end
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


class _Undecided(Exception):
    """expr is still symbolic after substituting one symbol."""


def value_at_one(expr, symbol_, v):
    """expr with symbol_ = v, evaluated: the number expr.subs(symbol_, v) gives, computed on Python
    integers and fractions where forms.value_at can (floor, ceiling, max, min of polynomials: every
    size of a network), else by that subs. The validity searches evaluate each condition at dozens of
    points; SymPy's subs rebuilds every floor on the way, asking assumptions (most of U-Net's derive)."""
    from .forms import value_at         # SymPy's modules: the int derive (numeric.py) never gets here
    value = value_at(expr, {symbol_: v})
    return expr.subs(symbol_, v) if value is None else value


def _holds(expr, symbol_):
    def ok(v) -> bool:
        value = value_at_one(expr, symbol_, v)
        if not value.is_number:
            raise _Undecided
        if value.is_finite is not True or value.is_extended_real is not True:
            return False        # a division by zero there (4/(n - 3) at n = 3): no valid size
        return bool(value >= 1)
    return ok


def search_limit(expr, symbol_, limit=10**12) -> int:
    """The largest value of symbol_ worth substituting into expr, at most limit: where symbol_ is in
    an exponent (2**d, 2**(1 - d)), no further than where that power has MAX_SEARCHED_BITS bits
    (substituting d = 10**12 would compute 2**(10**12))."""
    for power in expr.atoms(sympy.Pow):
        exponent = power.exp
        if not exponent.has(symbol_):
            continue
        base = power.base
        if not base.is_number:
            continue        # n**d: substituting d alone leaves it symbolic (undecided), nothing computed
        if not exponent.is_polynomial(symbol_) or exponent.has(*_rounding()):
            limit = min(limit, 64)
            continue
        bits = max(1, int(abs(base)).bit_length() if abs(base) >= 1 else (1 / abs(base)).ceiling().p.bit_length())
        too_big = first_true(lambda v: abs(exponent.subs(symbol_, v)) * bits > MAX_SEARCHED_BITS, 1, limit)
        if too_big is not None:
            limit = min(limit, max(1, too_big - 1))
    return limit


def maximal_value(expr, symbol_, lower=1, limit=10**12):
    """Largest integer value of symbol_ >= lower for which expr >= 1, when expr holds at
    `lower` and fails for large values (a kernel that must fit its input); else None."""
    ok = _holds(expr, symbol_)
    limit = search_limit(expr, symbol_, limit)
    try:
        if not ok(lower) or ok(limit):
            return None
        return first_true(lambda v: not ok(v), lower, limit) - 1
    except _Undecided:
        return None


def minimal_value(expr, symbol_, lower=1, limit=10**12):
    """Smallest integer value of symbol_ >= lower for which expr >= 1, assuming expr
    grows with symbol_ (sizes do); None when none is found up to limit."""
    try:
        return first_true(_holds(expr, symbol_), lower, search_limit(expr, symbol_, limit))
    except _Undecided:
        return None


def size_value(name: str, value) -> sympy.Expr:
    """A size option (--batch, --tp, --group-size, ...): a positive whole number, or a symbol name (a
    positive integer)."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool):
        raise UsageError(f"--{name} takes a positive whole number or a symbol name, got {value}")
    if isinstance(value, int):
        if value < 1:
            raise UsageError(f"--{name} must be at least 1, got {value}")
        return sympy.Integer(value)
    text = str(value).strip()
    if text.isidentifier():
        return symbol(text)
    number = parse_int(text, f"--{name}")      # ASCII digits, a stated size limit: its message says which
    if number < 1:
        raise UsageError(f"--{name} must be at least 1, got {number}")
    return sympy.Integer(number)
