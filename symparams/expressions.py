"""IR expressions -> SymPy, built node by node (user text never reaches sympify)."""

from __future__ import annotations

from typing import Callable, Mapping

import sympy
from sympy import Integer, Max, Min, Rational, ceiling, floor

from . import ir
from .algebra import as_int, expanded_terms, floor_div
from .errors import DefinitionError, did_you_mean

from .limits import MAX_EXPANDED_TERMS, MAX_INTEGER_BITS, MAX_SYMBOLIC_EXPONENT

FUNCTIONS = ("floor", "ceil", "min", "max")


def _fail(message: str, pos: ir.Pos, hint: str | None = None):
    raise DefinitionError(message, line=pos.line, column=pos.column, end_column=pos.end_column, hint=hint)


def _check_size(value, pos: ir.Pos):
    if isinstance(value, Integer) and value.p.bit_length() > MAX_INTEGER_BITS:
        _fail(f"number too large (more than {MAX_INTEGER_BITS:,} bits)", pos)
    if isinstance(value, Rational) and not isinstance(value, Integer):
        if max(value.p.bit_length(), value.q.bit_length()) > MAX_INTEGER_BITS:
            _fail(f"number too large (more than {MAX_INTEGER_BITS:,} bits)", pos)
    return value


def _power(base, exponent, pos: ir.Pos):
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


def to_sympy(node: ir.Expr, lookup: Callable[[ir.Name], sympy.Expr]) -> sympy.Expr:
    """Evaluate an IR expression; `lookup` maps a name to its SymPy value."""
    stack_depth = 0

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
            return Integer(n.value)
        if isinstance(n, ir.Dec):
            return Rational(n.value.numerator, n.value.denominator)
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
                if n.op == "/":
                    return a / b
                if b.is_number and b.is_positive and b.is_integer:
                    return floor_div(a, b)
                return floor(a / b)
            if n.op == "**":
                return _check_size(_power(a, b, n.pos), n.pos)
        if isinstance(n, ir.Func):
            args = [ev(a) for a in n.args]
            if n.name in ("floor", "ceil"):
                if len(args) != 1:
                    _fail(f"{n.name}() takes one argument, got {len(args)}", n.pos)
                return floor(args[0]) if n.name == "floor" else ceiling(args[0])
            if n.name in ("min", "max"):
                if not args:
                    _fail(f"{n.name}() needs at least one argument", n.pos)
                return Min(*args) if n.name == "min" else Max(*args)
            _fail(f"unknown function '{n.name}'", n.pos,
                  did_you_mean(n.name, FUNCTIONS) or f"the functions are {', '.join(FUNCTIONS)}")
        raise TypeError(f"not an expression: {n!r}")  # pragma: no cover - grammar makes no other nodes

    value = ev(node)
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


def simple_lookup(env: Mapping[str, sympy.Expr]):
    from .algebra import symbol

    def lookup(name: ir.Name):
        return env.get(name.id, symbol(name.id))
    return lookup
