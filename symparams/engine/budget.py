"""The bound on rows (limits.MAX_ROWS): a lower bound on the rows a program makes, found from the
IR before anything is derived, so that blocks calling blocks twice per level (2**k rows) or nested
repeats whose index reaches the body (the product of their counts) are refused at once; and the
running count checked during the derive for what that bound cannot see."""

from __future__ import annotations

from ..numeric import integer
from .. import ir
from ..algebra import as_int
from ..errors import DefinitionError, SymparamsError
from ..expressions import to_sympy
from ..layers import REGISTRY
from ..limits import MAX_BLOCK_DEPTH, MAX_EXPLICIT_ITERATIONS, MAX_ROWS, MAX_UNROLL
from .scopes import Globals, body_uses


def too_many_rows(what: str, at_least: int | None = None) -> DefinitionError:
    """The error for a construct past MAX_ROWS (the caller's statement gives the position)."""
    made = f"at least {at_least:,}" if at_least is not None else f"more than {MAX_ROWS:,}"
    return DefinitionError(f"{what} makes {made} rows (layers, block calls and repeat passes written out); "
                           f"the limit is {MAX_ROWS:,}",
                           hint="use a symbolic repeat count, or fewer nested repeats or block calls")


class LeastRows:
    """Lower bounds on the rows of statements, blocks memoised (each is the same IR every call)."""

    def __init__(self, names: Globals, unroll: bool):
        self.names = names
        self.unroll = unroll
        self.blocks: dict[str, int] = {}
        self.depth = 0

    def check(self, stmts):
        """Raise, at the first top-level statement past the limit, when the program surely makes
        more than MAX_ROWS rows."""
        total = 0
        for stmt in stmts:
            rows = self.of(stmt)
            total += rows
            if total > MAX_ROWS:
                exc = too_many_rows(_describe(stmt) if rows > MAX_ROWS else "the file", max(rows, total))
                exc.line, exc.column = stmt.pos.line, stmt.pos.column
                raise exc

    def all(self, stmts) -> int:
        return sum(self.of(s) for s in stmts)

    def of(self, stmt) -> int:
        if isinstance(stmt, ir.LayerStmt):
            if stmt.keyword not in REGISTRY and stmt.keyword in self.names.blocks:
                return 1 + self.block(stmt.keyword)
            return 1
        if isinstance(stmt, ir.Call):
            return 1 + self.block(stmt.block)
        if isinstance(stmt, ir.Residual):
            return 2 + self.all(stmt.body) + (1 + self.all(stmt.shortcut) if stmt.shortcut is not None else 0)
        if isinstance(stmt, ir.Branches):
            return 1 + sum(1 + self.all(b) for b in stmt.branches)
        if isinstance(stmt, ir.Repeat):
            return 1 + self.passes(stmt) * (1 + self.all(stmt.body))
        return 0        # let, block definitions (and kinds this bound does not know: counted while deriving)

    def block(self, name: str) -> int:
        if name not in self.blocks:
            block = self.names.blocks.get(name)
            self.blocks[name] = 0       # a block that calls itself is refused by the derive
            if block is not None and self.depth < MAX_BLOCK_DEPTH:      # deeper: refused by the derive
                self.depth += 1
                try:
                    self.blocks[name] = self.all(block.body)
                finally:
                    self.depth -= 1
        return self.blocks[name]

    def passes(self, stmt: ir.Repeat) -> int:
        """Passes a repeat surely makes: all of them when its index reaches the body (each pass
        differs) or when unrolling, else one (later passes may be copies of it)."""
        n = self._count(stmt.count)
        if n is None or n < 1:
            return 0
        if self.unroll and n <= MAX_UNROLL:
            return n
        if stmt.index is not None and n <= MAX_EXPLICIT_ITERATIONS and body_uses(stmt.body, stmt.index):
            return n
        return 1

    def _count(self, node) -> int | None:
        env, values = self.names.env, self.names.values

        def lookup(name: ir.Name):
            if name.id in env:
                return env[name.id]
            if name.id in values:
                return integer(values[name.id])
            raise LookupError       # a block parameter, loop index or free symbol: not known here
        try:
            return as_int(to_sympy(node, lookup))
        except (LookupError, SymparamsError):
            return None


def _describe(stmt) -> str:
    if isinstance(stmt, ir.Call):
        return f"the call {stmt.block}(...)"
    if isinstance(stmt, ir.LayerStmt):
        return f"'{stmt.keyword}'"
    if isinstance(stmt, ir.Repeat):
        return "this repeat"
    return f"this {type(stmt).__name__.lower()}"
