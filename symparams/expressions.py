"""IR expressions -> SymPy, built node by node (user text never reaches sympify). In a derive on
ints (numeric.py) the same walk gives Python ints; what only SymPy can write (a fraction, a free
symbol) leaves that derive (NeedsSymPy)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Mapping

from . import ir
from .algebra import as_int, expanded_terms, floor_div
from .errors import DefinitionError, did_you_mean
from .numeric import exact, integer, ints, is_exact, needs_sympy, sympy

from .limits import MAX_EXPANDED_TERMS, MAX_INTEGER_BITS, MAX_SYMBOLIC_EXPONENT

FUNCTIONS = ("floor", "ceil", "min", "max")


def _fail(message: str, pos: ir.Pos, hint: str | None = None):
    raise DefinitionError(message, line=pos.line, column=pos.column, end_column=pos.end_column, hint=hint)


def _check_size(value, pos: ir.Pos):
    if is_exact(value):         # a derive on ints
        value = exact(value)
        if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_INTEGER_BITS:
            _fail(f"number too large (more than {MAX_INTEGER_BITS:,} bits)", pos)
        return value
    Integer, Rational = sympy.Integer, sympy.Rational
    if isinstance(value, Integer) and value.p.bit_length() > MAX_INTEGER_BITS:
        _fail(f"number too large (more than {MAX_INTEGER_BITS:,} bits)", pos)
    if isinstance(value, Rational) and not isinstance(value, Integer):
        if max(value.p.bit_length(), value.q.bit_length()) > MAX_INTEGER_BITS:
            _fail(f"number too large (more than {MAX_INTEGER_BITS:,} bits)", pos)
    return value


def _int_power(base: int, exponent: int, pos: ir.Pos) -> int:
    """base ** exponent on ints (a derive on ints), with the checks _power makes on numbers."""
    if exponent < 0:
        if base == 0:
            _fail("division by zero (0 to a negative power)", pos)
        if abs(base) != 1:
            needs_sympy("a fraction")
        return 1 if base == 1 or exponent % 2 == 0 else -1
    if abs(base or 2).bit_length() * exponent > MAX_INTEGER_BITS and abs(base) != 1 and base != 0:
        _fail(f"number too large: the power has more than {MAX_INTEGER_BITS:,} bits", pos)
    return base ** exponent


def _power(base, exponent, pos: ir.Pos):
    if type(base) is int and type(exponent) is int:
        return _int_power(base, exponent, pos)
    if is_exact(base) and is_exact(exponent):
        needs_sympy("a power of a fraction")
    exp_int = as_int(exponent)
    if base.is_number and exp_int is not None:
        if exp_int < 0:
            if base == 0:
                _fail("division by zero (0 to a negative power)", pos)
        else:
            size = abs(as_int(base) or 2).bit_length() if base.is_integer else 64
            if size * exp_int > MAX_INTEGER_BITS and abs(base) != 1 and base != 0:
                _fail(f"number too large: the power has more than {MAX_INTEGER_BITS:,} bits", pos)
    elif base.is_number and exponent.is_number:
        _fail("the exponent must be a whole number", pos)
    elif exp_int is not None and abs(exp_int) > MAX_SYMBOLIC_EXPONENT:
        _fail(f"the exponent is too large for a symbolic power (at most {MAX_SYMBOLIC_EXPONENT:,})", pos)
    power = base ** exponent
    if exp_int is not None and not base.is_number and expanded_terms(power) > MAX_EXPANDED_TERMS:
        _fail(f"this power has {expanded_terms(power):,} terms multiplied out; at most {MAX_EXPANDED_TERMS:,} "
              "are accepted", pos)
    return power


def to_sympy(node: ir.Expr, lookup: Callable[[ir.Name], object]):
    """Evaluate an IR expression; `lookup` maps a name to its SymPy value (a Python int on ints)."""
    stack_depth = 0
    on_ints = ints()

    def ev(n):
        nonlocal stack_depth
        stack_depth += 1
        if stack_depth > 500:
            _fail("expression nested too deeply", n.pos)
        try:
            return _ev(n)
        finally:
            stack_depth -= 1

    def _ev(n):
        if isinstance(n, ir.Num):
            if n.value.bit_length() > MAX_INTEGER_BITS:
                _fail(f"number too large (more than {MAX_INTEGER_BITS:,} bits)", n.pos)
            return integer(n.value)
        if isinstance(n, ir.Dec):
            if on_ints:             # exact, as SymPy's Rational (a dropout rate)
                return exact(Fraction(n.value.numerator, n.value.denominator))
            return sympy.Rational(n.value.numerator, n.value.denominator)
        if isinstance(n, ir.Name):
            return lookup(n)
        if isinstance(n, ir.Neg):
            return -ev(n.operand)
        if isinstance(n, ir.BinOp):
            a, b = ev(n.left), ev(n.right)
            if n.op == "+":
                return _check_size(a + b, n.pos)
            if n.op == "-":
                return _check_size(a - b, n.pos)
            if n.op == "*":
                return _check_size(a * b, n.pos)
            if n.op in ("/", "//"):
                if b == 0:
                    _fail("division by zero", n.pos)
                if is_exact(a) and is_exact(b):     # a derive on ints: exact, as SymPy
                    if n.op == "//":                    # Python's // is floor(a / b) for either sign
                        return a // b
                    return _check_size(Fraction(a) / b, n.pos)
                if n.op == "/":
                    return a / b
                if b.is_number and b.is_positive and b.is_integer:
                    return floor_div(a, b)
                return sympy.floor(a / b)
            if n.op == "**":
                return _check_size(_power(a, b, n.pos), n.pos)
        if isinstance(n, ir.Func):
            args = [ev(a) for a in n.args]
            if n.name in ("floor", "ceil"):
                if len(args) != 1:
                    _fail(f"{n.name}() takes one argument, got {len(args)}", n.pos)
                if is_exact(args[0]):
                    return math.floor(args[0]) if n.name == "floor" else math.ceil(args[0])
                return sympy.floor(args[0]) if n.name == "floor" else sympy.ceiling(args[0])
            if n.name in ("min", "max"):
                if not args:
                    _fail(f"{n.name}() needs at least one argument", n.pos)
                if all(is_exact(a) for a in args):
                    return min(args) if n.name == "min" else max(args)
                return sympy.Min(*args) if n.name == "min" else sympy.Max(*args)
            _fail(f"unknown function '{n.name}'", n.pos,
                  did_you_mean(n.name, FUNCTIONS) or f"the functions are {', '.join(FUNCTIONS)}")
        raise TypeError(f"not an expression: {n!r}")  # pragma: no cover - grammar makes no other nodes

    value = ev(node)
    if is_exact(value):
        return value
    if not value.is_number and expanded_terms(value) > MAX_EXPANDED_TERMS:
        _fail(f"this expression has {expanded_terms(value):,} terms multiplied out; at most "
              f"{MAX_EXPANDED_TERMS:,} are accepted", node.pos)
    return value


def names_in(node: ir.Expr):
    """Every Name node in an expression."""
    out = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ir.Name):
            out.append(n)
        elif isinstance(n, ir.BinOp):
            todo += [n.left, n.right]
        elif isinstance(n, ir.Neg):
            todo.append(n.operand)
        elif isinstance(n, ir.Func):
            todo += list(n.args)
        elif isinstance(n, ir.Ref) and n.index is not None:    # context=enc[i]: the index's names
            todo.append(n.index)
        elif isinstance(n, ir.Size):                            # a block call's argument (1, k)
            todo += list(n.parts)
    return out


def simple_lookup(env: Mapping[str, object]):
    from .algebra import symbol

    def lookup(name: ir.Name):
        return env.get(name.id, symbol(name.id))
    return lookup
