"""Names: what each name in a program means where it is used.

The globals of a derive (lets, aliases, values given with --set, the blocks), and the Scope of one
statement (block parameters and loop indices, looked up first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .. import ir
from ..algebra import symbol
from ..errors import DefinitionError
from ..expressions import names_in, to_sympy
from ..layers import REGISTRY
from ..numeric import integer, is_exact


PADDING_WORDS = ("same", "valid")


@dataclass(frozen=True)
class PaddingWord:
    """A block argument that is a padding word: 'b(same)' with 'padding=p' in the block pads 'same'.
    Bound as the word, not a symbol, so it can never become a free symbol 'same' in a count."""
    word: str           # 'same' or 'valid', whatever case it was written in
    pos: ir.Pos

    def __str__(self) -> str:
        return self.word


@dataclass(frozen=True)
class SizeValue:
    """A block argument that is a size of several values: 'conv_kx((1, 7))' with 'conv 64 k' in the block
    has the kernel 1 x 7. It stands for those values wherever it is a whole size or a part of one (a
    window, padding=k), never inside arithmetic."""
    values: tuple       # SymPy values, one per axis
    pos: ir.Pos

    def __str__(self) -> str:
        return "(" + ", ".join(map(str, self.values)) + ")"


@dataclass
class Scope:
    """Names visible to one statement: block parameters and loop indices, then the globals."""
    local: dict = field(default_factory=dict)
    block_stack: tuple = ()

    def enter_block(self, name: str, bound: dict) -> "Scope":
        return Scope(local=bound, block_stack=self.block_stack + (name,))

    def with_index(self, name: str | None, value) -> "Scope":
        local = dict(self.local)
        if name is not None:
            local[name] = value
        return Scope(local=local, block_stack=self.block_stack)

    @property
    def top_level(self) -> bool:
        return not self.block_stack and not self.local


class Globals:
    """The top-level names of one program under given values."""

    def __init__(self, program: ir.Program, values: Mapping[str, int]):
        self.program = program
        self.values = dict(values)
        self.blocks: dict[str, ir.BlockDef] = {}
        self.lets: dict[str, ir.Let] = {}
        self.env: dict = {}                 # name -> SymPy expression (a Python int on ints)
        self.defaults: dict[str, int | None] = {}
        self.aliases: dict = {}
        self.used_names: set[str] = set()

    def collect(self):
        for stmt in self.program.statements:
            if isinstance(stmt, ir.BlockDef):
                if stmt.name in self.blocks:
                    first = self.blocks[stmt.name].pos.line
                    raise DefinitionError(f"block '{stmt.name}' is defined twice (first on line {first})",
                                          line=stmt.pos.line, column=stmt.pos.column)
                if stmt.name in REGISTRY:
                    raise DefinitionError(f"'{stmt.name}' is a layer kind; give the block another name",
                                          line=stmt.pos.line, column=stmt.pos.column)
                if len(set(stmt.params)) != len(stmt.params):
                    raise DefinitionError(f"block '{stmt.name}' names a parameter twice",
                                          line=stmt.pos.line, column=stmt.pos.column)
                self.blocks[stmt.name] = stmt
        for stmt in self.program.statements:
            if isinstance(stmt, ir.Let):
                self._define(stmt)
        unknown = [name for name in self.values if name in self.aliases]
        if unknown:
            name = unknown[0]
            line = self.lets[name].pos.line
            raise DefinitionError(f"'{name}' is an alias for {self.aliases[name]} (line {line}); "
                                  "set the symbols it is made of instead", line=line, column=1)

    def _define(self, stmt: ir.Let):
        if stmt.name in self.lets:
            raise DefinitionError(f"'{stmt.name}' is defined twice (first on line {self.lets[stmt.name].pos.line})",
                                  line=stmt.pos.line, column=stmt.pos.column)
        self.lets[stmt.name] = stmt
        value = to_sympy(stmt.value, self.lookup_global)
        if is_exact(value):             # a derive on ints: every name had a value
            self._define_number(stmt, value)
            return
        if value.free_symbols or names_in(stmt.value):
            # an alias, also when the names it is made of were given values (then it is a number)
            if value.is_number and not (value.is_integer and value.is_positive):
                raise DefinitionError(f"'{stmt.name}' = {value}, but sizes are positive whole numbers",
                                      line=stmt.pos.line, column=stmt.pos.column)
            self.aliases[stmt.name] = value
            self.env[stmt.name] = value
            return
        if not (value.is_integer and value.is_positive):
            raise DefinitionError(f"'{stmt.name}' must be a positive whole number (every symbol is), got {value}",
                                  line=stmt.pos.line, column=stmt.pos.column)
        self.defaults[stmt.name] = int(value)
        if stmt.name in self.values:
            self.env[stmt.name] = integer(self.values[stmt.name])
        else:
            self.env[stmt.name] = symbol(stmt.name)

    def _define_number(self, stmt: ir.Let, value):
        """_define on ints: the same outcomes when value is a Python int or Fraction (no symbol in it)."""
        if names_in(stmt.value):
            if not (type(value) is int and value > 0):
                raise DefinitionError(f"'{stmt.name}' = {value}, but sizes are positive whole numbers",
                                      line=stmt.pos.line, column=stmt.pos.column)
            self.aliases[stmt.name] = value
            self.env[stmt.name] = value
            return
        if not (type(value) is int and value > 0):
            raise DefinitionError(f"'{stmt.name}' must be a positive whole number (every symbol is), got {value}",
                                  line=stmt.pos.line, column=stmt.pos.column)
        self.defaults[stmt.name] = value
        # a derive on ints is given every value; only reading the defaults first (Network.at_values)
        # meets a let without one, and it reads nothing but `defaults`: the default stands for it
        self.env[stmt.name] = self.values.get(stmt.name, value)

    def is_free_word(self, word: str | None, scope: Scope) -> bool:
        """A bare word that names no number here (so it may be a keyword such as 'same' or 'relu')."""
        return word is not None and word not in scope.local and word not in self.env

    def lookup_global(self, name: ir.Name):
        self.used_names.add(name.id)
        if name.id in self.env:
            return self.env[name.id]
        if name.id in self.values:
            return integer(self.values[name.id])
        if name.id in self.blocks:
            raise DefinitionError(f"'{name.id}' is a block, not a number", line=name.pos.line, column=name.pos.column)
        return symbol(name.id)

    def lookup(self, scope: Scope):
        def find(name: ir.Name):
            if name.id in scope.local:
                return number(name, scope.local[name.id])
            return self.lookup_global(name)
        return find

    def expr(self, node: ir.Expr, scope: Scope):
        """The value of an expression where it stands."""
        # a literal or a lone name (most sizes) as to_sympy gives it, without its closures
        if type(node) is ir.Num and node.value.bit_length() <= 64:
            return integer(node.value)
        if type(node) is ir.Name:
            return number(node, scope.local[node.id]) if node.id in scope.local else self.lookup_global(node)
        return to_sympy(node, self.lookup(scope))

    def argument(self, node: ir.Expr | ir.Size, scope: Scope):
        """A block call's argument: a number, a size of several values ('b((1, 7))'), or a padding word
        ('b(same)'); a parameter bound to a size or a word is passed on as it is by a block that calls
        another with it."""
        if isinstance(node, ir.Size):
            return SizeValue(tuple(self.expr(p, scope) for p in node.parts), node.pos)
        if type(node) is ir.Name:
            bound = scope.local.get(node.id)
            if isinstance(bound, (PaddingWord, SizeValue)):
                return bound
            if node.id.lower() in PADDING_WORDS and self.is_free_word(node.id, scope):
                return PaddingWord(node.id.lower(), node.pos)
        return self.expr(node, scope)


def number(name: ir.Name, value):
    """A local name's value where a number is needed."""
    if isinstance(value, PaddingWord):
        raise DefinitionError(f"'{name.id}' is the padding word '{value.word}' (the block call on line "
                              f"{value.pos.line}); only padding= takes it, not a size", line=name.pos.line,
                              column=name.pos.column, end_column=name.pos.end_column)
    if isinstance(value, SizeValue):
        raise DefinitionError(f"'{name.id}' is the size {value} (the block call on line {value.pos.line}): it stands "
                              f"as a whole size (conv 64 {name.id}), not inside arithmetic or as one number",
                              line=name.pos.line, column=name.pos.column, end_column=name.pos.end_column)
    return value


def body_uses(body, name) -> bool:
    """Whether a statement in body (at any depth) mentions name in a size, a call or a count."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ir.LayerStmt):
            for size in stmt.args + tuple(o.value for o in stmt.options if isinstance(o.value, ir.Size)):
                if any(n.id == name for p in size.parts for n in names_in(p)):
                    return True
        elif isinstance(stmt, ir.Call):
            exprs = list(stmt.args) + [e for _, e, _ in stmt.kwargs]
            if any(n.id == name for e in exprs for n in names_in(e)):
                return True
        elif isinstance(stmt, ir.Repeat):
            if any(n.id == name for n in names_in(stmt.count)):
                return True
            stack += list(stmt.body)
        elif isinstance(stmt, ir.Residual):
            stack += list(stmt.body) + list(stmt.shortcut or ())
        elif isinstance(stmt, ir.Branches):
            for b in stmt.branches:
                stack += list(b)
        elif isinstance(stmt, (ir.Save, ir.Use, ir.Merge, ir.CropTo)):     # skip[i]: one tensor per pass
            if stmt.ref.index is not None and any(n.id == name for n in names_in(stmt.ref.index)):
                return True
        elif isinstance(stmt, ir.Moe):
            if any(n.id == name for o in stmt.options if isinstance(o.value, ir.Size)
                   for p in o.value.parts for n in names_in(p)):
                return True
            stack += list(stmt.body)
    return False
