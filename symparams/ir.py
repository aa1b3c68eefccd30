"""The immutable intermediate representation of an architecture file.

symparams/syntax.py builds these nodes from the Lark parse tree; symparams/engine/
folds them into layers with shapes and counts. Every node knows where it came from
(line, column) so later stages can point at the text in their errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union


@dataclass(frozen=True)
class Pos:
    line: int
    column: int
    end_column: int | None = None


# ----------------------------------------------------------------- expressions

@dataclass(frozen=True)
class Num:
    value: int
    pos: Pos


@dataclass(frozen=True)
class Dec:
    """A decimal literal such as 0.5 (only dropout rates take one)."""
    value: Fraction
    text: str
    pos: Pos


@dataclass(frozen=True)
class Name:
    id: str
    pos: Pos


@dataclass(frozen=True)
class BinOp:
    op: str          # one of + - * / // **
    left: "Expr"
    right: "Expr"
    pos: Pos


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    pos: Pos


@dataclass(frozen=True)
class Func:
    name: str        # floor, ceil, min, max
    args: tuple["Expr", ...]
    pos: Pos


Expr = Union[Num, Dec, Name, BinOp, Neg, Func]


@dataclass(frozen=True)
class Size:
    """One or more expressions: '3x5', 'n x n x 3', '(n, n, 3)' or a lone expression."""
    parts: tuple[Expr, ...]
    pos: Pos

    @property
    def word(self) -> str | None:
        """The bare identifier this size is, if it is one (e.g. 'same', 'relu')."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Name):
            return self.parts[0].id
        return None


@dataclass(frozen=True)
class Str:
    text: str
    pos: Pos


@dataclass(frozen=True)
class Option:
    name: str
    value: Union[Size, Str]
    pos: Pos


# ----------------------------------------------------------------- statements

@dataclass(frozen=True)
class Let:
    name: str
    value: Expr
    pos: Pos


@dataclass(frozen=True)
class LayerStmt:
    keyword: str
    args: tuple[Size, ...]
    options: tuple[Option, ...]
    pos: Pos


@dataclass(frozen=True)
class Call:
    block: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr, Pos], ...]
    options: tuple[Option, ...]
    pos: Pos


@dataclass(frozen=True)
class BlockDef:
    name: str
    params: tuple[str, ...]
    body: tuple["Stmt", ...]
    pos: Pos


@dataclass(frozen=True)
class Repeat:
    count: Expr
    index: str | None
    body: tuple["Stmt", ...]
    pos: Pos


@dataclass(frozen=True)
class Residual:
    body: tuple["Stmt", ...]
    shortcut: tuple["Stmt", ...] | None
    pos: Pos


@dataclass(frozen=True)
class Branches:
    mode: str                                  # 'concat' or 'add'
    branches: tuple[tuple["Stmt", ...], ...]
    pos: Pos


Stmt = Union[Let, LayerStmt, Call, BlockDef, Repeat, Residual, Branches]


@dataclass(frozen=True)
class Program:
    statements: tuple[Stmt, ...]
    source: str = field(repr=False, default="")
    file: str | None = None
