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
class Ref:
    """A saved tensor: 'skip1', or 'skip[i]' (the tensor saved at one pass of a repeat)."""
    name: str
    index: Expr | None
    pos: Pos

    def text(self) -> str:
        return self.name if self.index is None else f"{self.name}[...]"


@dataclass(frozen=True)
class Size:
    """One or more expressions: '3x5', 'n x n x 3', '(n, n, 3)' or a lone expression.
    A part is a Ref only where a saved tensor is named with an index (to=skip[i])."""
    parts: tuple[Expr | Ref, ...]
    pos: Pos

    @property
    def word(self) -> str | None:
        """The bare identifier this size is, if it is one (e.g. 'same', 'relu')."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Name):
            return self.parts[0].id
        return None

    @property
    def ref(self) -> Ref | None:
        """The saved tensor this value names, if it is a lone name or name[index] (context=enc)."""
        if len(self.parts) == 1:
            part = self.parts[0]
            if isinstance(part, Ref):
                return part
            if isinstance(part, Name):
                return Ref(part.id, None, part.pos)
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
class Convention:
    """convention pytorch|keras: the rules the file is written for (taken out of the statements
    into Program.convention by the parser)."""
    name: str
    pos: Pos


@dataclass(frozen=True)
class LayerStmt:
    keyword: str
    args: tuple[Size, ...]
    options: tuple[Option, ...]
    pos: Pos
    alias: str | None = None        # 'input 16 as dec': the name of a second input


@dataclass(frozen=True)
class Call:
    block: str
    args: tuple[Expr | Size, ...]           # a Size: an argument of several values, '(1, 7)'
    kwargs: tuple[tuple[str, Expr | Size, Pos], ...]
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
    mode: str                                  # 'concat', 'add' or 'mul' (element-wise, broadcasting)
    branches: tuple[tuple["Stmt", ...], ...]
    pos: Pos


@dataclass(frozen=True)
class Save:
    """save NAME / save NAME[i]: name the current tensor (it passes through unchanged)."""
    ref: Ref
    pos: Pos


@dataclass(frozen=True)
class Use:
    """use NAME: continue from a saved tensor."""
    ref: Ref
    pos: Pos


@dataclass(frozen=True)
class Merge:
    """concat with NAME [crop] / add with NAME / mul with NAME: the current tensor and a saved one."""
    mode: str                                  # 'concat', 'add' or 'mul'
    ref: Ref
    crop: bool
    pos: Pos


@dataclass(frozen=True)
class CropTo:
    """crop to=NAME: centre-crop the spatial axes to a saved tensor's size (the odd row goes after)."""
    ref: Ref
    pos: Pos


@dataclass(frozen=True)
class Moe:
    """moe experts=E top_k=K [shared=S] [router_bias] { one expert }: a mixture of experts."""
    args: tuple[Size, ...]                     # bare words (router_bias)
    options: tuple[Option, ...]
    body: tuple["Stmt", ...]
    pos: Pos


Stmt = Union[Let, LayerStmt, Call, BlockDef, Repeat, Residual, Branches, Save, Use, Merge, CropTo, Moe]


@dataclass(frozen=True)
class Program:
    statements: tuple[Stmt, ...]
    source: str = field(repr=False, default="")
    file: str | None = None
    convention: str | None = None              # from a 'convention' statement; None: not said
