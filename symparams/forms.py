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
from functools import lru_cache

import sympy
from sympy import Add, Integer, Mul, Pow, Symbol
from sympy.core.basic import _args_sortkey
from sympy.core.mul import _keep_coeff


def factor_terms(expr):
    """sympy.factor_terms(expr) (radical=False, clear=False, fraction=False, sign=True)."""
    if not isinstance(expr, sympy.Basic):
        return sympy.factor_terms(expr)
    if not _polynomial(expr):
        return sympy.factor_terms(expr)
    return _do(expr)


def _polynomial(expr) -> bool:
    """Only rational numbers, symbols, sums, products, positive whole powers and whole powers of a
    symbol (1/heads): the formulas of layer counts, grouped-query attention included."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (Add, Mul)):
            stack.extend(e.args)
        elif isinstance(e, Pow):
            if not (isinstance(e.exp, Integer) and (e.exp > 0 or isinstance(e.base, Symbol))):
                return False
            stack.append(e.base)
        elif not isinstance(e, (Symbol, sympy.Rational)):
            return False
    return True


@lru_cache(maxsize=8192)
def _do(expr):
    # factor_terms' inner `do`, for the expressions _polynomial admits; remembered, as a network's
    # formulas nest one another (a block's count inside its repeat's, inside the total)
    if expr.is_Atom or _monomial(expr):
        return expr         # SymPy's steps rebuild a monomial as it is (c·x²·y: content c, the rest x²·y)
    if expr.is_Pow:
        args = expr.args
        new = tuple(_do(a) for a in args)
        return expr if new == args else expr.func(*new)
    cont, p = _content_primitive(expr)
    if p.is_Add:
        terms = [_do(a) for a in Add.make_args(p)]
        # a common negative sign, which the gcd below does not remove
        if not any(_extracts_no_minus(a.as_coeff_Mul()[0]) for a in terms):
            cont = -cont
            terms = [-a for a in terms]
        p = _gcd_terms(terms)
    elif p.args:
        p = p.func(*[_do(a) for a in p.args])
    return _keep_coeff(cont, p, clear=False, sign=True)


_ONE, _MINUS_ONE = Integer(1), Integer(-1)


@lru_cache(maxsize=8192)
def _content_primitive(expr):
    """expr.as_content_primitive(radical=False, clear=False), following SymPy's Add and Mul methods
    step by step with each sub-expression's content remembered: SymPy recomputes a nested sum's
    content at every level that holds it (a repeat's count holds its body's, the total holds both)."""
    if _monomial(expr):
        # SymPy's steps give (|c|, the rest) for c·x·y: the rest rebuilt from the same canonical factors
        first, rest = expr.args[0], expr.args[1:]
        if not isinstance(first, sympy.Rational):
            return _ONE, expr
        if first.is_negative:
            return -first, _keep_coeff(_MINUS_ONE, rest[0] if len(rest) == 1 else Mul._from_args(rest))
        return first, rest[0] if len(rest) == 1 else Mul._from_args(rest)
    if isinstance(expr, Mul):
        coef, args = Integer(1), []
        for a in expr.args:
            c, p = _content_primitive(a)
            coef *= c
            if p is not sympy.S.One:
                args.append(p)
        return coef, Mul(*args)
    if isinstance(expr, Add):
        terms = [_keep_coeff(*_content_primitive(a)) for a in expr.args]
        same = all(t is a or t == a for t, a in zip(terms, expr.args))
        con, prim = (expr if same else Add(*terms)).primitive()     # the same sum rebuilt is itself
        if not con.is_Integer and prim.is_Add:
            con, d = con.as_numer_denom()
            divided = prim / d
            if any(a.as_coeff_Mul()[0].is_Integer for a in divided.args):
                prim = divided
            else:
                con /= d
        return con, prim
    return expr.as_content_primitive(radical=False, clear=False)


def _monomial(expr) -> bool:
    """A product of a rational number, symbols and whole powers of symbols."""
    return isinstance(expr, Mul) and all(
        isinstance(a, (Symbol, sympy.Rational)) or isinstance(a, Pow) and isinstance(a.base, Symbol)
        and isinstance(a.exp, Integer) for a in expr.args)


def _extracts_no_minus(coeff) -> bool:
    """coeff.extract_multiplicatively(-1) is None: for a rational, exactly when it is positive."""
    if isinstance(coeff, sympy.Rational):
        return coeff.is_positive
    return coeff.extract_multiplicatively(-1) is None


def _term(t):
    """SymPy's Term(t): (rational coefficient, {base: power} above, {base: power} below the bar)."""
    coeff, factors = t.as_coeff_mul()
    numer: dict = {}
    denom: dict = {}
    for f in factors:
        base, exp = (f.base, int(f.exp)) if f.is_Pow else (f, 1)
        if base.is_Add:
            content, base = base.primitive()
            coeff *= content ** exp
        if exp > 0:
            numer[base] = numer.get(base, 0) + exp
        else:
            denom[base] = denom.get(base, 0) - exp
    return coeff, numer, denom


def _factors_expr(factors: dict):
    """Factors.as_expr(): the product of base**exponent (SymPy's Mul orders it)."""
    return Mul(*[b if e == 1 else b ** Integer(e) for b, e in factors.items()])


def _product(coeff, numer: dict, denom: dict):
    """coeff·(Factors(numer).as_expr() / Factors(denom).as_expr()), made as one Mul: SymPy's product
    of a rational, powers and sums is canonical however it is built (a whole-number power of a
    product splits into its factors' powers), and the one case the two-argument product treats
    apart, a rational times a lone sum (distributed), is the same two arguments either way."""
    factors = [b if e == 1 else Pow(b, Integer(e)) for b, e in numer.items()]
    factors += [Pow(b, Integer(-e)) for b, e in denom.items()]
    return Mul(coeff, *factors)


def _common(dicts):
    common = dict(dicts[0])
    for d in dicts[1:]:
        common = {b: min(e, d[b]) for b, e in common.items() if b in d}
    return common


def _plus(a: dict, b: dict) -> dict:
    out = dict(a)
    for base, e in b.items():
        out[base] = out.get(base, 0) + e
    return out


def _gcd_terms(args):
    """gcd_terms(Add(*args), isprimitive=True, clear=False, fraction=False): the common rational
    coefficient and the common powers (above and below the bar) out of every term, the rest summed."""
    terms = [_term(t) for t in args if t]
    if len(terms) == 1:
        cont, numer, denom = terms[0]
        numer_expr = _factors_expr(numer) / _factors_expr(denom)
    else:
        g = terms[0][0]
        for coeff, _, _ in terms[1:]:
            g = g.gcd(coeff)
        top, bottom = _common([t[1] for t in terms]), _common([t[2] for t in terms])
        numers = []
        for coeff, numer, denom in terms:
            # Term.quo: times the inverse of the common term, then Factors.normal cancels
            n, d = _plus(numer, bottom), _plus(denom, top)
            for base in set(n) & set(d):
                k = min(n[base], d[base])
                n[base] -= k
                d[base] -= k
            n = {b: e for b, e in n.items() if e}
            d = {b: e for b, e in d.items() if e}
            numers.append(_product(coeff / g, n, d))
        cont = _product(g, top, bottom)
        numer_expr = Add(*numers)
    coeff, factors = cont.as_coeff_Mul()
    c, rest = coeff.as_coeff_Mul()
    if not c.is_Integer and numer_expr.is_Add:
        n, d = c.as_numer_denom()
        divided = numer_expr / d
        if any(a.as_coeff_Mul()[0].is_Integer for a in divided.args):
            numer_expr, coeff = divided, n * rest
    return _keep_coeff(coeff, factors * numer_expr, clear=False)


# ----------------------------------------------------------------------------- expand and collect

def polynomial_terms(expr) -> dict | None:
    """expr multiplied out as {monomial: rational coefficient (int or Fraction)}, a monomial a
    frozenset of (symbol, nonzero power) pairs; None when expr is not such a sum (see _polynomial)."""
    if not isinstance(expr, sympy.Basic) or not _polynomial(expr):
        return None
    return _terms(expr)


@lru_cache(maxsize=8192)
def _terms(e) -> dict:
    # remembered like _do (callers never change the dicts returned)
    if isinstance(e, Integer):
        return {frozenset(): int(e)} if e != 0 else {}
    if isinstance(e, sympy.Rational):
        return {frozenset(): Fraction(int(e.p), int(e.q))}
    if isinstance(e, Symbol):
        return {frozenset(((e, 1),)): 1}
    if isinstance(e, Add):
        out: dict = {}
        for a in e.args:
            for mono, c in _terms(a).items():
                out[mono] = out.get(mono, 0) + c
        return {m: c for m, c in out.items() if c}
    if isinstance(e, Mul):
        out = {frozenset(): 1}
        for a in e.args:
            out = _times(out, _terms(a))
        return out
    if e.exp < 0:             # a negative power of a symbol
        return {frozenset(((e.base, int(e.exp)),)): 1}
    base, out = _terms(e.base), {frozenset(): 1}      # a positive whole power
    for _ in range(int(e.exp)):
        out = _times(out, base)
    return out


def _times(a: dict, b: dict) -> dict:
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            powers = dict(ma)
            for s, k in mb:
                powers[s] = powers.get(s, 0) + k
            mono = frozenset((s, k) for s, k in powers.items() if k)
            out[mono] = out.get(mono, 0) + ca * cb
    return {m: c for m, c in out.items() if c}


def _canonical_mul(coeff, factors: list):
    """Mul(coeff, *factors) for a rational coeff and powers of distinct symbols, made as SymPy's Mul
    makes it — the factors in its canonical order (Basic.compare), the coefficient first unless it is
    1 — without its general flatten (most of the time of multiplying out a total)."""
    if coeff == 0:
        return coeff
    factors = sorted(factors, key=_args_sortkey)
    if coeff != 1 or not factors:
        factors.insert(0, coeff)
    return Mul._from_args(factors)


def _canonical_add(terms: list):
    """Add(*terms) for distinct monomials (no two with the same symbols and powers) and at most one
    number, made as SymPy's Add makes it: the terms in canonical order, the number first."""
    numbers = [t for t in terms if isinstance(t, sympy.Number)]
    rest = sorted((t for t in terms if not isinstance(t, sympy.Number)), key=_args_sortkey)
    if len(numbers) > 1 or numbers and numbers[0] == 0:
        return Add(*terms)
    return Add._from_args(numbers + rest)


def _number(c):
    return Integer(c) if isinstance(c, int) or c.denominator == 1 else sympy.Rational(c.numerator, c.denominator)


def _power(s, k):
    return s if k == 1 else Pow(s, Integer(k))


def expanded(expr):
    """sympy.expand(expr), built from polynomial_terms where it applies (SymPy's canonical sum of
    monomials is the same however it is reached); else SymPy's expand."""
    found = polynomial_terms(expr)
    if found is None:
        return sympy.expand(expr)
    return _canonical_add([_canonical_mul(_number(c), [_power(s, k) for s, k in mono]) for mono, c in found.items()])


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
            constant += _number(c) * Mul(*[_power(s, k) for s, k in mono])
            continue
        key = _power(first, powers.pop(first))
        groups.setdefault(key, []).append(_canonical_mul(_number(c), [_power(s, k) for s, k in powers.items()]))
    out = {key: _canonical_add(terms) for key, terms in groups.items()}
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
    order = sorted(gens, key=sort_key)
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


@lru_cache(maxsize=8192)
def sort_key(expr):
    """sympy.default_sort_key(expr) (order=None), built as Expr.sort_key builds it, with a sum's terms
    in the order ordered_terms finds where it applies — the very list as_ordered_terms returns, without
    its float conversion of every coefficient (most of the time of ordering a formula whose symbols
    include a sum, as layers·(5,698·width + 2,097,664)). Remembered: a formula's sums recur in others."""
    if not isinstance(expr, sympy.Expr) or type(expr).sort_key is not sympy.Expr.sort_key:
        return sympy.default_sort_key(expr)
    coeff, e = expr.as_coeff_Mul()
    if e.is_Pow:
        base, exp = e.as_base_exp()
        if base is sympy.S.Exp1:
            return sympy.default_sort_key(expr)
        e = base
    else:
        exp = sympy.S.One
    if e.is_Dummy:
        args = (e.sort_key(),)
    elif e.is_Atom:
        args = (str(e),)
    else:
        if e.is_Add:
            terms = ordered_terms(e)
            parts = terms if terms is not None else e.as_ordered_terms()
        elif e.is_Mul:
            commutative, rest = e.args_cnc()
            commutative.sort(key=sort_key)
            parts = commutative + rest
        else:
            parts = e.args
        args = tuple(sort_key(a) if isinstance(a, sympy.Basic) else sympy.default_sort_key(a) for a in parts)
    return e.class_key(), (len(args), tuple(args)), sort_key(exp), coeff


def minus_sign(term) -> bool:
    """term.could_extract_minus_sign(), without building -term for a product with a rational
    coefficient (SymPy's Mul compares itself with its negation first, which only differs from the
    coefficient's sign when a factor is infinite — then the coefficient is not rational)."""
    if isinstance(term, Mul):
        first = term.args[0]
        if isinstance(first, sympy.Rational):
            return first.is_negative
        if not first.is_Number:
            return False
    return term.could_extract_minus_sign()
