"""The playground's calls into the engine, as JSON-able dicts (the page runs this module in
Pyodide; plain pytest runs it too).

`Session.derive` parses and derives once and compiles every count, shape and validity
condition to exact integer code (symparams.sweep.compile_expr); `Session.evaluate` then
re-evaluates those compiled functions for new symbol values without deriving again, which
is what keeps a slider move within a few milliseconds. Everything else (solve, LaTeX) calls
the public API of the package on the derived network.
"""

from __future__ import annotations

import ast
import json
import re

import sympy

from .algebra import collected, symbol
from .api import parse
from .compiled import compile_expr
from .errors import SymparamsError, UsageError
from .integers import parse_number, printable_integers
from .metrics import REGISTRY
from .printers import latex as latex_printer
from .printers.common import fmt_expr, row_label
from .printers.view import view
from .sweep import metric_expr
from .valid import nonnegative_form

PLOT_POINTS = 160           # at most this many points on the plot's x axis


def metrics() -> list[str]:
    """The playground's metrics: every one but those needing an option it has no field for
    (train_compute's --tokens)."""
    return [name for name, m in REGISTRY.items() if not m.needs]
MODES = {"at_most": "at_most", "exactly": "exactly", "at_least": "at_least"}


def error_dict(exc: SymparamsError) -> dict:
    """The error as the CLI prints it (without a file name) and where to mark it."""
    exc.file = None
    return {"kind": exc.kind, "message": exc.message, "line": exc.line, "column": exc.column,
            "end_column": exc.end_column, "hint": exc.hint, "text": str(exc)}


def _digits(value: int) -> dict:
    """An exact integer for the page: its digits (JavaScript numbers stop being exact at 2**53)
    and the grouped form shown."""
    return {"v": str(value), "s": f"{value:,}"}


class _Values:
    """Unique expressions compiled once, evaluated together for one set of symbol values."""

    def __init__(self, symbols: tuple):
        self.symbols = symbols
        self.index: dict = {}
        self.functions: list = []

    def add(self, expr) -> int | None:
        """Position of expr's value in `evaluate`'s list; None when it cannot be evaluated
        (a symbol without a default value)."""
        expr = sympy.sympify(expr)
        if expr in self.index:
            return self.index[expr]
        if expr.free_symbols - set(self.symbols):
            if expr.has(sympy.Sum):
                expr = expr.doit()
            if expr.free_symbols - set(self.symbols):
                self.index[expr] = None
                return None
        if not expr.free_symbols and expr.is_Integer:
            fn = int(expr)
        else:
            fn = compile_expr(expr, self.symbols)
        self.index[expr] = len(self.functions)
        self.functions.append(fn)
        return self.index[expr]

    def evaluate(self, values: list[int]) -> list[int]:
        return [fn if type(fn) is int else fn.exact(*values) for fn in self.functions]

    def javascript(self) -> dict | None:
        """The same functions as one JavaScript array expression over BigInt arguments a0, a1, ...
        (exact, like the Python ints), so the page evaluates a slider move on its own thread; None
        when a function has no integer code (SymPy evaluates those, in Python)."""
        items = []
        try:
            for fn in self.functions:
                if type(fn) is int:
                    items.append(f"{fn}n")
                elif fn.source is None:
                    return None
                else:
                    body = ast.parse(fn.source).body[0].body[0].value     # def _metric(...): return <expr>
                    items.append(_js(body))
        except _NoJavaScript:
            return None
        return {"args": [f"a{i}" for i in range(len(self.symbols))], "items": items}


class _NoJavaScript(Exception):
    """A node of the generated Python the JavaScript translation does not know."""


_JS_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Pow: "**"}


def _js(node) -> str:
    """The integer expression compile_expr generated (numbers, a0.., + - * ** //, _max, _min), in
    JavaScript over BigInt: generated from SymPy nodes only, never from the user's text."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return f"{node.value}n"
    if isinstance(node, ast.Name) and re.fullmatch(r"a\d+", node.id):
        return node.id
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{_js(node.operand)})"
    if isinstance(node, ast.BinOp):
        left, right = _js(node.left), _js(node.right)
        if isinstance(node.op, ast.FloorDiv):
            return f"_fdiv({left}, {right})"
        if type(node.op) in _JS_OPS:
            return f"({left} {_JS_OPS[type(node.op)]} {right})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_max", "_min") \
            and not node.keywords:
        return f"{node.func.id}({', '.join(_js(a) for a in node.args)})"
    raise _NoJavaScript(ast.dump(node)[:80])


def _bounds(net) -> dict:
    """{name: (lowest, highest or None)} from the validity conditions on one symbol alone."""
    out: dict = {}
    for relation, _text in net.conditions:
        if relation is None:
            continue
        parts = relation.args if isinstance(relation, sympy.And) else (relation,)
        for rel in parts:
            if not isinstance(rel, (sympy.Ge, sympy.Le)) or not isinstance(rel.lhs, sympy.Symbol) \
                    or not rel.rhs.is_Integer:
                continue
            lo, hi = out.get(rel.lhs.name, (1, None))
            if isinstance(rel, sympy.Ge):
                lo = max(lo, int(rel.rhs))
            else:
                hi = int(rel.rhs) if hi is None else min(hi, int(rel.rhs))
            out[rel.lhs.name] = (lo, hi)
    return out


class Session:
    """One editor's state: the last network derived and its compiled counts."""

    def __init__(self):
        self.net = None
        self.text = ""
        self.file = None
        self.names: tuple = ()          # symbols with a default: one slider each
        self.compiled: _Values | None = None
        self.rows: list = []
        self.totals: list = []
        self.conditions: list = []
        self.metrics: dict = {}
        self.ranges: dict = {}          # each slider's top: past it, a value is derived before it is evaluated

    # -- deriving ---------------------------------------------------------------------------
    def derive(self, text: str, convention: str | None = None, file: str | None = None) -> dict:
        """Parse and derive the text; the table's formulas (LaTeX), the sliders, and the values
        at the defaults. A bad text gives {'ok': False, 'error': ...} with the CLI's message.
        convention: None or '' follows the file's own `convention` line (Keras without one)."""
        try:
            net = parse(text, convention=convention or None)
            _bounds(net)
        except SymparamsError as exc:
            return {"ok": False, "error": error_dict(exc)}
        self.net, self.text, self.file, self.metrics = net, text, file, {}
        # a file with a config's long names (num_hidden_layers) shows short letters and a legend,
        # as the LaTeX pages do: display only, every count is the engine's
        from .notation import display_names
        from .printers.latex import wants_short_names
        from .printers.text import legend_names
        names = legend_names(net) if wants_short_names(net) else {}
        with display_names(names):
            return self._derive(net, names)

    def numbers(self, text: str, convention: str | None = None, file: str | None = None) -> dict:
        """The table's numbers only, for the page to show before the formulas: each row's label, shape
        and parameter count at the defaults and the totals, from the engine's own derive on Python ints
        (engine/numbers.py, the numbers `summary --numbers` prints; no SymPy, several times faster than
        `derive`). {'ok': False} when that derive stops (a symbol without a value, an error, a kind that
        needs SymPy): the page then waits for `derive`, which reports any error. Keeps no state."""
        from . import ir
        from .engine import numbers as ints
        from .printers import numbers as printed
        from .syntax import parse_program
        try:
            program = parse_program(text)
            result = ints.at_values(program, convention or None, {})
        except SymparamsError:
            return {"ok": False}
        if result is None:
            return {"ok": False}
        listed = printed.rows(result, expand=True)      # every row, as the formulas' table lists them
        rows = []
        for r, row in zip(listed, printed.shown(result, expand=True)):
            shape = r["output_shape_value"]
            rows.append({"label": r["label_text"], "kind": r["kind"], "depth": r["depth"], "leaf": row.is_leaf,
                         "shape": None if shape is None else "(" + ", ".join(map(str, shape)) + ")",
                         "params": None if r["params_value"] is None else _digits(r["params_value"])})
        named = {key: label for key, label, _ in printed.TOTALS}
        totals = [{"key": key, "name": named[key], "value": _digits(value)}
                  for key, value in printed.totals(result).items()]
        return {"ok": True, "rows": rows, "totals": totals,
                # a file with `let` sizes gets derive's "shape at values" column (the layout only)
                "symbolic": any(isinstance(st, ir.Let) for st in program.statements)}

    def _derive(self, net, names: dict) -> dict:
        symbols = net.symbols
        bounds = _bounds(net)
        self.names = tuple(s.name for s, v in symbols.items() if v is not None)
        self.compiled = values = _Values(tuple(symbol(n) for n in self.names))
        symbolic = bool(net.free_symbols)
        rows = []
        self.rows = []
        shown = view(net)       # the printers' view: one formula per row and one totals list
        for r in shown.rows:
            row, depth, params = r.row, r.depth, r.row.params
            rows.append({"label": row_label(row), "kind": row.kind, "depth": depth, "line": row.line,
                         "leaf": row.is_leaf, "shape": latex_printer.shape(row.output_shape),
                         "formula": r.formula_text("latex")})
            self.rows.append(([values.add(d) for d in row.output_shape],
                              values.add(params) if row.kind != "path" else None))
        self.totals = []
        totals = []
        for t in shown.totals:
            totals.append({"key": t.key, "name": t.label, "tex": latex_printer.tex(collected(t.expr)),
                           "text": fmt_expr(collected(t.expr)), "symbolic": bool(t.expr.free_symbols)})
            self.totals.append(values.add(t.expr))
        self.conditions = []
        # each condition as the CLI writes it (⌈(n − k)/2⌉ ≥ 1), not SymPy's floor((-k + n - 1)/2) >= 0
        from .notation import rename_words
        shown_conditions = [rename_words(c) for c in shown.conditions("text")]
        for condition, (relation, _machine), text_ in zip(net.validity, net.conditions, shown_conditions):
            checks = []
            parts = () if relation is None else relation.args if isinstance(relation, sympy.And) else (relation,)
            for rel in parts:
                if isinstance(rel, (sympy.Ge, sympy.Le)):
                    diff = rel.lhs - rel.rhs if isinstance(rel, sympy.Ge) else rel.rhs - rel.lhs
                    checks.append(values.add(diff))
            form = nonnegative_form(condition.test)     # divisibility, equal sizes: decided at numbers too
            if form is not None:
                checks.append(values.add(form))
            self.conditions.append((text_, [c for c in checks if c is not None]))
        sliders = []
        for name in self.names:
            default = symbols[symbol(name)]
            lo, hi = bounds.get(name, (1, None))
            top = max(4 * default, 16, lo + 16)
            sliders.append({"name": name, "tex": latex_printer.tex(symbol(name)), "default": default,
                            "long": name if name in names else None,
                            "min": lo, "max": top if hi is None else min(hi, top), "limit": hi})
            self.ranges[name] = sliders[-1]["max"]
        free = [s.name for s, v in symbols.items() if v is None]
        slots = {"rows": [{"dims": d, "params": p} for d, p in self.rows], "totals": self.totals,
                 "conditions": [{"text": t, "checks": c} for t, c in self.conditions]}
        return {"ok": True, "slots": slots, "javascript": values.javascript(), "convention": net.convention, "symbolic": symbolic, "sliders": sliders, "free": free,
                "rows": rows, "totals": totals, "constraints": [t for t, _ in self.conditions],
                "legend": [{"name": k, "tex": latex_printer.tex(symbol(k))} for k in sorted(names)],
                "warnings": list(net.warnings), "aliases": {k: fmt_expr(v) for k, v in net.aliases.items()},
                "metrics": metrics()}

    def _values(self, given: dict | None) -> list[int]:
        """The symbols' values: each one given (a slider, a share link) through the parser and digit
        limit of --set; a value past its slider's range is checked by the real derive at it (the bit
        limit on every number the file computes) before any compiled function runs on it."""
        from .integers import MAX_DIGITS, parse_int
        defaults = self.net.defaults
        if given is not None and not isinstance(given, dict):
            raise UsageError("values are given as {name: whole number}")
        out = []
        for name in self.names:
            v = (given or {}).get(name, defaults.get(name))
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise UsageError(f"{name} = {str(v)[:40]}: symbols are positive whole numbers")
            if isinstance(v, int) and v.bit_length() > 4 * MAX_DIGITS:     # surely past --set's digits
                raise UsageError(f"{name}: a number of more than {MAX_DIGITS:,} digits; at most {MAX_DIGITS:,} "
                                 "digits are accepted")
            v = parse_int(str(v).strip(), name)
            if v < 1:
                raise UsageError(f"{name} = {v}: symbols are positive whole numbers")
            out.append(v)
        outside = {n: v for n, v in zip(self.names, out) if v > self.ranges.get(n, v)}
        if outside:
            self._derive_at(out)        # raises on a number past the bit limit
        return out

    def _derive_at(self, point: list[int]) -> None:
        """The real derive at these values, every check on the numbers; its error when the network is
        impossible there. On Python ints first (engine/numbers.py: the engine's own derive, several
        times faster than SymPy's); whatever that derive cannot decide, the SymPy derive decides."""
        from .engine import numbers
        values = dict(zip(self.names, point))
        net = self.net
        if not numbers.derives(net.program, net.convention, {**net.values, **values}, unroll=net.unroll):
            net.subs(values)

    # -- the fast path ------------------------------------------------------------------------
    def evaluate(self, given: dict | None = None) -> dict:
        """Every shape, count and total at these values through the compiled functions, and the
        conditions they break (no derive)."""
        if self.net is None:
            raise UsageError("nothing derived yet")
        try:
            point = self._values(given)
        except SymparamsError as exc:
            return {"ok": False, "error": error_dict(exc)}
        results = self.compiled.evaluate(point)

        def pick(k):
            return None if k is None else results[k]

        rows = []
        for dims, params in self.rows:
            shape = [pick(d) for d in dims]
            count = pick(params)
            rows.append({"shape": None if any(d is None for d in shape) else "(" + ", ".join(map(str, shape)) + ")",
                         "params": None if count is None else _digits(count)})
        totals = [None if k is None else _digits(results[k]) for k in self.totals]
        broken = [text for text, checks in self.conditions if any(results[c] < 0 for c in checks)]
        return {"ok": True, "values": dict(zip(self.names, point)), "rows": rows, "totals": totals,
                "broken": broken}

    def check(self, given: dict | None = None) -> dict:
        """The real derive at these values (every check on the numbers): None or the error."""
        try:
            self._derive_at(self._values(given))
        except SymparamsError as exc:
            return {"ok": False, "error": error_dict(exc)}
        return {"ok": True}

    # -- design-space tools ---------------------------------------------------------------------
    def _metric(self, name: str):
        if name not in self.metrics:
            expr = metric_expr(self.net, name)
            if expr.has(sympy.Sum):
                expr = expr.doit()
            missing = expr.free_symbols - {symbol(n) for n in self.names}
            if missing:
                raise UsageError(f"{name} depends on {', '.join(sorted(s.name for s in missing))}, "
                                 "which has no default ('let NAME = VALUE')")
            self.metrics[name] = (expr, compile_expr(expr, self.compiled.symbols).exact)
        return self.metrics[name]

    def plot(self, metric: str, name: str, lo: int, hi: int, given: dict | None = None) -> dict:
        """metric against one symbol from lo to hi (others at their values), exact, with the
        points where the network is not valid marked."""
        try:
            if name not in self.names:
                raise UsageError(f"no symbol '{name}' with a default to vary")
            expr, fn = self._metric(metric)
            point = self._values(given)
            lo, hi = int(lo), int(hi)
            if lo < 1 or hi < lo:
                raise UsageError(f"plot range {lo} .. {hi}: give 1 <= from <= to")
        except SymparamsError as exc:
            return {"ok": False, "error": error_dict(exc)}
        step = max(1, -(-(hi - lo) // PLOT_POINTS))
        at = self.names.index(name)
        xs = list(range(lo, hi + 1, step))
        if xs[-1] != hi:
            xs.append(hi)
        conditions = [c for _, checks in self.conditions for c in checks]
        points = []
        for x in xs:
            point[at] = x
            valid = all(f >= 0 if type(f) is int else f.exact(*point) >= 0
                        for f in (self.compiled.functions[c] for c in conditions))
            points.append({"x": x, "y": _digits(fn(*point)), "valid": valid})
        return {"ok": True, "metric": metric, "symbol": name, "tex": latex_printer.tex(collected(expr)),
                "points": points}

    def solve(self, name: str, mode: str, target: str, metric: str = "params", given: dict | None = None) -> dict:
        """Network.solve for one symbol, the others at their current values."""
        try:
            if mode not in MODES:
                raise UsageError(f"unknown goal '{mode}'")
            point = dict(zip(self.names, self._values(given)))
            point.pop(name, None)
            result = self.net.solve(name, metric=metric, values=point, **{mode: parse_number(str(target), "budget")})
        except SymparamsError as exc:
            return {"ok": False, "error": error_dict(exc)}
        return {"ok": True, "text": result.render(), "value": result.value,
                "solutions": [int(v) for v in result.solutions]}

    def latex(self, parts=("table",), mode: str = "fragment", given: dict | None = None) -> dict:
        """`symparams latex` of the current text with the sliders' values as the defaults."""
        try:
            text = with_defaults(self.text, dict(zip(self.names, self._values(given))))
            net = parse(text, convention=self.net.convention, file=self.file or "playground.arch")
            return {"ok": True, "text": latex_printer.render(net, tuple(parts), mode)}
        except SymparamsError as exc:
            return {"ok": False, "error": error_dict(exc)}


def with_defaults(text: str, values: dict) -> str:
    """The text with each `let NAME = N` given the new value N (the symbol stays a symbol)."""
    from . import ir
    from .syntax import parse_program

    lines = text.split("\n")
    lets = [s for s in parse_program(text, None).statements
            if isinstance(s, ir.Let) and s.name in values and isinstance(s.value, ir.Num)]
    for stmt in sorted(lets, key=lambda s: (s.value.pos.line, s.value.pos.column), reverse=True):
        pos = stmt.value.pos            # right to left, so the columns of the others still hold
        line = lines[pos.line - 1]
        lines[pos.line - 1] = line[:pos.column - 1] + str(int(values[stmt.name])) + line[pos.end_column - 1:]
    return "\n".join(lines)


def language() -> dict:
    """Words the editor highlights: statement keywords, layer kinds, activations, options."""
    from .layers import REGISTRY
    from .layers.base import ACTIVATIONS

    from .syntax import grammar_text

    # the grammar's own quoted words (let, block, residual, ...): the one source of the syntax
    words = set(re.findall(r'"([a-z_]+)"', grammar_text())) - {"x"}
    return {"keywords": sorted(words | {"input"}),
            "kinds": sorted(k for k in REGISTRY if k not in words and k != "input"),
            "activations": sorted(ACTIVATIONS),
            "options": sorted(_option_names() | {"name", "activation"})}


def _option_names() -> set:
    """Every option a layer kind declares (stride=, padding=, heads=, ...), as `symparams layers` lists them."""
    from .commands.layers import describe

    return {name for _, _, options, *_ in describe() for name in re.findall(r"([a-z_]+)=", options or "")}


SESSION = Session()


def call(method: str, args_json: str = "[]") -> str:
    """The page's one entry point: SESSION.method(*args) as JSON text."""
    if method not in ("derive", "numbers", "evaluate", "check", "plot", "solve", "latex"):
        return json.dumps({"ok": False, "error": {"kind": "usage error", "message": f"unknown call {method}",
                                                  "text": f"unknown call {method}"}})
    try:
        with printable_integers():          # results past 4,300 digits are shown too (limits.py)
            return json.dumps(getattr(SESSION, method)(*json.loads(args_json)))
    except SymparamsError as exc:
        return json.dumps({"ok": False, "error": error_dict(exc)})
    except RecursionError:
        return _failed("the architecture is nested too deeply to analyse")
    except MemoryError:
        return _failed("the architecture is too large to analyse in the memory available")
    except Exception as exc:        # noqa: BLE001 - every failure in the page's Python is a message there
        return _failed(f"{type(exc).__name__}: {str(exc)[:500]}")


def _failed(text: str) -> str:
    from .errors import printable
    text = printable(text)
    return json.dumps({"ok": False, "error": {"kind": "error", "message": text, "text": f"error: {text}",
                                              "line": None, "column": None, "end_column": None, "hint": None}})
