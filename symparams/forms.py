"""SymPy's factor_terms for the formulas a table prints, without its slow generic machinery.

Every parameter formula the printers show goes through `factor_terms` (common factors pulled out:
f·(c·k² + 1)). SymPy's version builds `Factors`/`Term` objects whose constructor compares a dict
with `S.One` — which sympifies the dict into a SymPy `Dict` — for every term of every sum: most of
the text render's time on a transformer file (45 formulas, 60% of the render). For the formulas a
network's counts are made of — sums and products of whole numbers and symbols with positive whole
powers — `factor_terms` below follows SymPy's algorithm step by step (the same content extraction,
sign rule, common factor and reconstruction through SymPy's own constructors), on Python dicts and
integers, so it returns the very expression SymPy's does. Anything else (a rational, floor,
ceiling, max, a symbolic power, a sum) goes to SymPy's `factor_terms` unchanged.
tests/test_factoring.py compares the two on every formula of every example and zoo file and on
random architectures.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy
from sympy import Add, Integer, Mul, Pow, Symbol
from sympy.core.mul import _keep_coeff


def factor_terms(expr):
    """sympy.factor_terms(expr) (radical=False, clear=False, fraction=False, sign=True)."""
    if not isinstance(expr, sympy.Basic):
        return sympy.factor_terms(expr)
    if not _polynomial(expr):
        return sympy.factor_terms(expr)
    return _do(expr)


def _polynomial(expr) -> bool:
    """Only whole numbers, symbols, sums, products and positive whole powers."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (Add, Mul)):
            stack.extend(e.args)
        elif isinstance(e, Pow):
            if not (isinstance(e.exp, Integer) and e.exp > 0):
                return False
            stack.append(e.base)
        elif not isinstance(e, (Symbol, Integer)):
            return False
    return True


def _do(expr):
    # factor_terms' inner `do`, for the expressions _polynomial admits
    if expr.is_Atom:
        return expr
    if expr.is_Pow:
        args = expr.args
        new = tuple(_do(a) for a in args)
        return expr if new == args else expr.func(*new)
    cont, p = expr.as_content_primitive(radical=False, clear=False)
    if p.is_Add:
        terms = [_do(a) for a in Add.make_args(p)]
        # a common negative sign, which the gcd below does not remove (every coefficient here is an
        # integer: extract_multiplicatively(-1) is None exactly for the positive ones)
        if not any(a.as_coeff_Mul()[0].is_positive for a in terms):
            cont = -cont
            terms = [-a for a in terms]
        p = _gcd_terms(terms)
    elif p.args:
        p = p.func(*[_do(a) for a in p.args])
    return _keep_coeff(cont, p, clear=False, sign=True)


def _term(t):
    """SymPy's Term(t) for a product of a whole number and powers: (coefficient, {base: exponent})."""
    coeff, factors = t.as_coeff_mul()
    numer: dict = {}
    for f in factors:
        base, exp = (f.base, int(f.exp)) if f.is_Pow else (f, 1)
        if base.is_Add:
            content, base = base.primitive()
            coeff *= content ** exp
        numer[base] = numer.get(base, 0) + exp
    return coeff, numer


def _factors_expr(factors: dict):
    """Factors.as_expr(): the product of base**exponent (SymPy's Mul orders it)."""
    return Mul(*[b if e == 1 else b ** Integer(e) for b, e in factors.items()])


def _gcd_terms(args):
    """gcd_terms(Add(*args), isprimitive=True, clear=False, fraction=False): the common whole number
    and the common powers out of every term, the rest summed."""
    terms = [_term(t) for t in args if t]
    if len(terms) == 1:
        coeff, numer = terms[0]
        cont, numer_expr = coeff, _factors_expr(numer)
    else:
        g = 0
        for coeff, _ in terms:
            g = math.gcd(g, int(coeff))
        common = dict(terms[0][1])
        for _, numer in terms[1:]:
            common = {b: min(e, numer[b]) for b, e in common.items() if b in numer}
        numers = []
        for coeff, numer in terms:
            rest = {b: e - common.get(b, 0) for b, e in numer.items() if e != common.get(b, 0)}
            numers.append(Integer(int(coeff) // g) * _factors_expr(rest))
        cont = Integer(g) * _factors_expr(common)
        numer_expr = Add(*numers)
    coeff, factors = cont.as_coeff_Mul()
    return _keep_coeff(coeff, factors * numer_expr, clear=False)


# ----------------------------------------------------------------------------- expand and collect

def polynomial_terms(expr) -> dict | None:
    """expr multiplied out as {monomial: whole coefficient}, a monomial a frozenset of (symbol,
    power) pairs; None when expr is not a polynomial with whole coefficients (see _polynomial)."""
    if not isinstance(expr, sympy.Basic) or not _polynomial(expr):
        return None
    memo: dict = {}

    def terms(e) -> dict:
        known = memo.get(e)
        if known is not None:
            return known
        if isinstance(e, Integer):
            out = {frozenset(): int(e)} if e != 0 else {}
        elif isinstance(e, Symbol):
            out = {frozenset(((e, 1),)): 1}
        elif isinstance(e, Add):
            out = {}
            for a in e.args:
                for mono, c in terms(a).items():
                    out[mono] = out.get(mono, 0) + c
            out = {m: c for m, c in out.items() if c}
        elif isinstance(e, Mul):
            out = {frozenset(): 1}
            for a in e.args:
                out = _times(out, terms(a))
        else:                       # a positive whole power
            base, out = terms(e.base), {frozenset(): 1}
            for _ in range(int(e.exp)):
                out = _times(out, base)
        memo[e] = out
        return out

    return terms(expr)


def _times(a: dict, b: dict) -> dict:
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            powers = dict(ma)
            for s, k in mb:
                powers[s] = powers.get(s, 0) + k
            mono = frozenset(powers.items())
            out[mono] = out.get(mono, 0) + ca * cb
    return {m: c for m, c in out.items() if c}


def _power(s, k):
    return s if k == 1 else Pow(s, Integer(k))


def expanded(expr):
    """sympy.expand(expr), built from polynomial_terms where it applies (SymPy's canonical sum of
    monomials is the same however it is reached); else SymPy's expand."""
    found = polynomial_terms(expr)
    if found is None:
        return sympy.expand(expr)
    return Add(*[Mul(Integer(c), *[_power(s, k) for s, k in mono]) for mono, c in found.items()])


def collected(expr, syms):
    """sympy.collect(sympy.expand(expr), syms) for a polynomial with whole coefficients and symbols
    syms: each monomial goes under the power of the first symbol of syms it holds (collect's
    pattern search on an expanded sum), the rest summed per key; a constant stays alone. Else None."""
    found = polynomial_terms(expr)
    if found is None or not all(isinstance(s, Symbol) for s in syms):
        return None
    order = {s: k for k, s in enumerate(syms)}
    groups: dict = {}
    constant = Integer(0)
    for mono, c in found.items():
        powers = dict(mono)
        first = min((s for s in powers if s in order), key=order.__getitem__, default=None)
        if first is None:
            constant += Integer(c) * Mul(*[_power(s, k) for s, k in mono])
            continue
        key = _power(first, powers.pop(first))
        groups.setdefault(key, []).append(Mul(Integer(c), *[_power(s, k) for s, k in powers.items()]))
    out = {key: Add(*terms) for key, terms in groups.items()}
    if constant != 0:
        out[sympy.S.One] = constant
    return Add(*[key * val for key, val in out.items()])


# ----------------------------------------------------------------------------- values

class _Unsupported(Exception):
    pass


def value_at(expr, values: dict):
    """expr with values ({Symbol: whole number}) put in, evaluated, as the SymPy number xreplace
    gives — computed on Python integers and fractions (exact). None where this does not apply (a
    symbol without a value, a Sum, a function other than floor, ceiling, max and min)."""
    memo: dict = {}

    def ev(e):
        known = memo.get(e)
        if known is not None:
            return known
        if isinstance(e, Integer):
            v = int(e)
        elif isinstance(e, sympy.Rational):
            v = Fraction(int(e.p), int(e.q))
        elif isinstance(e, Symbol):
            if e not in values:
                raise _Unsupported
            v = int(values[e])
        elif isinstance(e, Add):
            v = 0
            for a in e.args:
                v += ev(a)
        elif isinstance(e, Mul):
            v = 1
            for a in e.args:
                v *= ev(a)
        elif isinstance(e, Pow):
            if not isinstance(e.exp, Integer):
                raise _Unsupported
            base, k = ev(e.base), int(e.exp)
            v = base ** k if k >= 0 else Fraction(1) / Fraction(base) ** -k
        elif isinstance(e, sympy.floor):
            v = math.floor(ev(e.args[0]))
        elif isinstance(e, sympy.ceiling):
            v = math.ceil(ev(e.args[0]))
        elif isinstance(e, (sympy.Max, sympy.Min)):
            v = (max if isinstance(e, sympy.Max) else min)(ev(a) for a in e.args)
        else:
            raise _Unsupported
        memo[e] = v
        return v

    try:
        v = ev(expr)
    except (_Unsupported, ZeroDivisionError, TypeError):
        return None
    if isinstance(v, Fraction):
        return Integer(v.numerator) if v.denominator == 1 else sympy.Rational(v.numerator, v.denominator)
    return Integer(v)


# ----------------------------------------------------------------------------- term order

def ordered_terms(expr):
    """expr.as_ordered_terms() (order=None, SymPy's lex order) for a sum whose terms are a rational
    coefficient times non-number factors with distinct monomials — where the coefficient (which SymPy
    compares as a float) never decides the order; None otherwise (SymPy's own then)."""
    if not isinstance(expr, Add):
        return None
    args = expr.args
    numbers = [a for a in args if isinstance(a, sympy.Number)]
    if len(args) == 2 and len(numbers) == 1:
        other = args[0] if args[1] is numbers[0] else args[1]
        if isinstance(other, Mul):
            mul_args = sorted(other.args, key=lambda x: not isinstance(x, (sympy.Number, sympy.NumberSymbol)))
            if len(mul_args) == 2 and isinstance(mul_args[0], sympy.Number) and \
                    numbers[0].is_positive and mul_args[0].is_negative:
                return [numbers[0], other]      # as_ordered_terms' special case: 5 - 2x
    parts, gens = [], set()
    for term in args:
        coeff, rest = term.as_coeff_Mul()
        if not isinstance(coeff, sympy.Rational):
            return None
        powers = {}
        if rest is not sympy.S.One:
            for factor in Mul.make_args(rest):
                if factor.is_number or not factor.is_commutative:
                    return None         # a number factor (√2) joins the coefficient there
                if isinstance(factor, Pow) and isinstance(factor.exp, Integer):
                    base, k = factor.base, int(factor.exp)
                else:
                    base, k = _decompose_power(factor)
                powers[base] = k
                gens.add(base)
        parts.append((term, powers))
    order = sorted(gens, key=sympy.default_sort_key)
    keyed = []
    for term, powers in parts:
        keyed.append((tuple(-powers.get(g, 0) for g in order), term))
    if len({k for k, _ in keyed}) != len(keyed):
        return None
    keyed.sort(key=lambda kt: kt[0])
    return [term for _, term in keyed]


def _decompose_power(factor):
    from sympy.core.exprtools import decompose_power
    return decompose_power(factor)
