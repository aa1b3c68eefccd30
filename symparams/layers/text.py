"""Numbers as code text, for the kinds' PyTorch and Keras emission and their import readers."""

from __future__ import annotations

from ..errors import DefinitionError


def ints(values) -> tuple:
    """Python ints of exported sizes (every symbol is at its value by then)."""
    out = []
    for v in values:
        if not getattr(v, "is_integer", False) and not isinstance(v, int):
            raise DefinitionError(f"cannot export the non-whole size {v}")
        out.append(int(v))
    return tuple(out)


def one(v) -> int:
    return ints((v,))[0]


def window_text(values) -> str:
    """Python text of a window argument: 3 when every axis is 3, else (3, 1)."""
    v = ints(values)
    if len(set(v)) == 1:
        return str(v[0])
    return "(" + ", ".join(map(str, v)) + ")"


def window(values) -> str:
    """DSL text of a window read from a framework: 3 when every axis is 3, else 3x1."""
    values = tuple(int(v) for v in (values if isinstance(values, (tuple, list)) else (values,)))
    if len(set(values)) == 1:
        return str(values[0])
    return "x".join(map(str, values))
