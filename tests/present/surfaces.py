"""Read back what each output surface prints, and the engine's number for the same thing.

Issue 20 item 2: every count was exact, yet the summary deck printed a whole repeat as one pass,
because the surfaces compute from the engine and nothing compared them back. Each reader here
parses the text a surface writes (the table rows, the totals, a deck's per-pass and per-block
lines, the cost columns) into claims; `truth` works out the same quantity from the engine's rows
and totals (not from another printer); `disagreements` lists every claim that differs.

A claim is (key, printed value):
  ("row", i, "params")              row i of net.walk() (parents before children), its count
  ("row", i, "shape")               its output shape at the defaults, a tuple of ints
  ("row", i, "cost", column)        a cost column of the row at the defaults
  ("total", key)                    params, trainable, non_trainable, buffers, active
  ("cost total", column)            a cost column's total
  ("pass", repeat name)             one pass of a repeat (the deck's P_pass)
  ("repeat", repeat name)           the whole repeat, all its passes
  ("use", block, k, field)          the k-th use of a block: each (one use), times, params (all its passes)
  ("all uses", block, field)        every use of a block together: times, params
Values are ints, or None where the surface shows no number (a symbol without a default, '?').

SURFACES is the one list of output formats the property test walks (tests/present/
test_surface_agreement.py); test_every_format_is_read fails when a command offers a format
that is not in it, so a new format cannot go unchecked.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import sympy

from symparams import cost, metrics
from symparams.algebra import symbol
from symparams.errors import SymparamsError

# ----------------------------------------------------------------------------- numbers

_INT = re.compile(r"-?\d+")


def number(text: str | None):
    """'85,054,464', '85{,}054{,}464', '$448$' -> int; anything else (a formula, '?', '--', '') -> None."""
    if text is None:
        return None
    t = text.strip().strip("$").strip()
    t = t.replace("{,}", "").replace(",", "").replace(r"\,", "").replace(" ", "")
    return int(t) if _INT.fullmatch(t) else None


def shape_numbers(text: str, times: str):
    """'30 × 30 × 16' -> (30, 30, 16); None when a factor is not a number."""
    if not text.strip():
        return None
    dims = [number(d) for d in text.split(times)]
    return None if any(d is None for d in dims) else tuple(dims)


# ----------------------------------------------------------------------------- the engine's numbers

def _value(expr, values):
    if not isinstance(expr, sympy.Basic):
        return expr
    v = expr.xreplace(values)
    if v.has(sympy.Sum):
        v = v.doit()
    if v.free_symbols:
        return None
    if v.is_Integer:
        return int(v)
    return v            # a fraction (an rf column): compared as it is


@dataclass
class Truth:
    """The engine's numbers for one network (and cost options), worked out from its rows."""
    net: object
    columns: tuple = ()
    options: object = None
    values: dict = field(init=False)
    rows: list = field(init=False)

    def __post_init__(self):
        net = self.net
        self.values = {s: sympy.Integer(v) for s, v in net.symbols.items() if v is not None}
        self.rows = [row for _, row in net.walk()]
        self.depths = [d for d, _ in net.walk()]
        self._costs = self._cost_totals = None     # worked out when a claim asks (they take a while)

    def value(self, expr):
        return _value(expr, self.values)

    def __call__(self, key):
        kind = key[0]
        if kind == "given":     # worked out by the reader from the engine (another point of the network)
            raise AssertionError("a 'given' claim carries (printed, expected)")
        if kind == "row":
            row = self.rows[key[1]]
            if key[2] == "params":
                return self.value(row.params)
            if key[2] in ("trainable", "non_trainable"):
                return self.value(getattr(row, key[2] + "_params"))
            if key[2] == "axis":
                return self.value(row.output_shape[key[3]])
            if key[2] == "shape":
                dims = tuple(self.value(d) for d in row.output_shape)
                return None if any(d is None for d in dims) else dims
            if self._costs is None:
                self._costs = cost.row_costs(self.net, self.columns, self.options)
            expr = self._costs[row][key[3]]
            return None if expr is None else self.value(expr)
        if kind == "total":
            net = self.net
            exprs = {"params": net.params, "trainable": net.trainable_params,
                     "non_trainable": net.non_trainable_params, "buffers": net.buffers}
            if key[1] == "active":
                exprs["active"] = net.metric("active")
            return self.value(exprs[key[1]])
        if kind == "cost total":
            if self._cost_totals is None:
                self._cost_totals = cost.totals(self.net, [c for c in self.columns if not c.startswith("rf")],
                                                self.options)
            return self.value(self._cost_totals[key[1]])
        if kind in ("pass", "repeat"):
            same = [r for r in self.rows if r.kind == "repeat" and r.name == key[1]]
            row = same[key[2] if kind == "repeat" else 0]
            if kind == "repeat":
                return self.value(row.params) if len(key) < 4 else self.value(row.config["count"])
            passes = [c for c in row.children if c.kind == "iteration"]
            assert len(passes) == 1 and passes[0].index is None, "P_pass printed for a repeat whose passes differ"
            return self.value(sympy.Add(*[c.params for c in passes[0].children]))
        if kind == "use":
            uses = self.block_uses(key[1])
            return uses[key[2]][key[3]]
        if kind == "all uses":
            uses = self.block_uses(key[1])
            if any(u[key[2]] is None for u in uses):
                return None
            return sum(u[key[2]] for u in uses)
        raise KeyError(key)

    def block_uses(self, name: str) -> list[dict]:
        """Every row that calls block `name`, in order: its count alone ('each', None when it changes
        from pass to pass), how often it runs ('times': the product of its enclosing passes) and what
        it adds to the network ('params': summed over closed-form passes)."""
        out = []

        def visit(row, wrappers):
            if row.kind == "block" and row.config["block"] == name:
                times, params = sympy.Integer(1), row.params
                for count, index, start in reversed(wrappers):
                    times *= count
                    params = sympy.summation(params, (index, start, start + count - 1)) if index is not None \
                        else params * count
                indexed = any(index is not None and row.params.has(index) for _, index, _ in wrappers)
                out.append({"each": None if indexed else self.value(row.params), "times": self.value(times),
                            "params": self.value(params), "channels": self.value(row.input_shape[-1]),
                            "channels_expr": row.input_shape[-1], "args": dict(row.config.get("args", {}))})
                return
            inner = wrappers + [(row.count, row.index, row.start)] if row.kind == "iteration" else wrappers
            for child in row.children:
                visit(child, inner)

        for top in self.net.layers:
            visit(top, [])
        return out


def disagreements(surface: str, claims, truth: Truth) -> list[str]:
    out = []
    for key, printed in claims:
        if key[0] == "given":
            printed, expected = printed
        else:
            expected = truth(key)
        if printed != expected:
            what = key if key[0] != "row" else (f"row {truth.rows[key[1]].name}",) + key[2:]
            out.append(f"{surface}: {' '.join(map(str, what))} printed {printed}, engine {expected}")
    return out


# ----------------------------------------------------------------------------- rows to engine rows

@dataclass
class Printed:
    """One printed table row: its nesting depth (None when the surface does not show it), its
    label text (unescaped), and its cells."""
    depth: int | None
    label: str
    params: str | None = None
    shape: object = None          # a tuple of ints, or None when not printed as numbers
    costs: dict = field(default_factory=dict)
    skips_below: bool = False     # a collapsed pass ('(as pass 1)'): its rows are not printed
    cells: dict = field(default_factory=dict)     # every cell by its column's header (the text table)


def names_row(label: str, row) -> bool:
    """Whether a printed label is this row's: its name (then its kind or count), 'pass …' for a pass."""
    if row.kind == "iteration":
        return label.split()[:1] in (["pass"], ["passes"])
    return label == row.name or label.startswith((row.name + " ", row.name + ":"))


def align(printed: list[Printed], truth: Truth, surface: str, every_row: bool) -> list[tuple[int, Printed]]:
    """(engine row index, printed row) in order, matched by name and depth; every_row: the surface
    prints every row of the walk, none left out."""
    out, k = [], 0
    collapsed_at = None
    for p in printed:
        start = k
        while k < len(truth.rows):
            row, depth = truth.rows[k], truth.depths[k]
            if names_row(p.label.strip(), row) and (p.depth is None or p.depth == depth):
                break
            # a row may be left out only below a collapsed pass
            assert not every_row and collapsed_at is not None and depth > collapsed_at, \
                f"{surface}: printed row '{p.label}' does not follow the engine's rows (expected " \
                f"{truth.rows[k].name} at depth {truth.depths[k]}, " \
                f"after {truth.rows[start - 1].name if start else '-'})"
            k += 1
        assert k < len(truth.rows), f"{surface}: printed row '{p.label}' is not a row of the network"
        collapsed_at = truth.depths[k] if p.skips_below else None
        out.append((k, p))
        k += 1
    if every_row:
        assert len(out) == len(truth.rows), f"{surface}: {len(out)} rows printed, the network has {len(truth.rows)}"
    return out


def row_claims(printed: list[Printed], truth: Truth, surface: str, every_row: bool = True) -> list:
    claims = []
    for k, p in align(printed, truth, surface, every_row):
        if p.shape is not None:
            claims.append((("row", k, "shape"), p.shape))
        if truth.rows[k].kind == "path":        # a path groups rows: it has no count of its own
            continue
        claims.append((("row", k, "params"), number(p.params)))
        for column, text in p.costs.items():
            claims.append((("row", k, "cost", column), number(text)))
    return claims


TOTAL_LABELS = {"Total params": "params", "Trainable params": "trainable", "Non-trainable params": "non_trainable",
                "Buffers (not parameters)": "buffers", "Active params (per token)": "active"}
TOTAL_SHORT = {"total": "params", "trainable": "trainable", "non-trainable": "non_trainable", "buffers": "buffers",
               "active": "active"}


def last_step(text: str):
    """'formula = 16,618' -> 16618; 'formula' alone -> None."""
    return number(text.split(" = ")[-1])


# ----------------------------------------------------------------------------- text

def read_text(out: str, truth: Truth, surface: str, every_row: bool, formulas: bool = False) -> list:
    lines = out.splitlines()
    rules = [k for k, line in enumerate(lines) if line and set(line) <= {"─", "-"}]
    ascii = "-" in lines[rules[0]]          # --ascii: | between cells, x between sizes
    sep, times = ("|", "x") if ascii else ("│", "×")
    header = lines[rules[0] + 1].split(sep)
    cols = [h.strip() for h in header]
    printed = []
    for line in lines[rules[1] + 1:rules[2]]:
        # split at the bars themselves: a line's empty last cells are cut with its trailing spaces
        cells = [c.strip() for c in line.split(sep)] + [""] * len(cols)
        label_cell = line.split(sep)[0].rstrip(" ")
        body = label_cell.strip(" ")
        note = re.search(r" \(as [^)]*\)$", body)
        p = Printed((len(label_cell) - len(label_cell.lstrip(" "))) // 2, body, skips_below=bool(note))
        p.cells = dict(zip(cols, cells))
        for name, cell in p.cells.items():
            if name == "Param #":
                p.params = cell
            elif name == "At defaults" or name == "Output shape" and "At defaults" not in cols:
                p.shape = shape_numbers(cell, times)
            elif name in COST_LABELS:
                p.costs[COST_LABELS[name]] = cell
        printed.append(p)
    claims = row_claims(printed, truth, surface, every_row) if "Param #" in cols else \
        [c for c in row_claims(printed, truth, surface, every_row) if c[0][2] != "params"]
    if formulas:        # the formulas too, read back from the unicode math (as functions)
        for k, p in align(printed, truth, surface, every_row):
            row = truth.rows[k]
            claims += text_formula_claims(p.cells.get("Param formula", ""), row.params, truth, (row.name, "params"))
            shape = p.cells["Output shape"].split(" × ")
            if len(shape) == len(row.output_shape):
                for axis, (text, expr) in enumerate(zip(shape, row.output_shape)):
                    claims += text_formula_claims(text, expr, truth, (row.name, "shape", axis))
    net = truth.net
    exprs = {"params": net.params, "trainable": net.trainable_params, "non_trainable": net.non_trainable_params,
             "buffers": net.buffers}
    for line in lines[rules[2] + 1:]:
        label, _, rest = line.partition(": ")
        if label in TOTAL_LABELS:
            key = TOTAL_LABELS[label]
            claims.append((("total", key), last_step(rest)))
            steps = rest.split(" = ")
            if formulas and key in exprs and (len(steps) > 1 or last_step(rest) is None):
                claims += text_formula_claims(steps[0], exprs[key], truth, ("total", key))
        claims += cost_total_claims(line)
    return claims


def cost_total_claims(line: str) -> list:
    """'Total FLOPs (batch 4): formula = 1,234' -> the FLOPs total (rf columns have no total)."""
    for label, column in COST_LABELS.items():
        head = f"Total {label}"
        if line.startswith(head) and line[len(head):len(head) + 1] in (":", " ", ",") and not column.startswith("rf"):
            return [(("cost total", column), last_step(line.partition(": ")[2]))]
    return []


COST_LABELS = {m.label: name for name, m in metrics.REGISTRY.items() if m.column and name != "params"}


# ----------------------------------------------------------------------------- markdown

def _md_cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def _md_text(text: str) -> str:
    text = re.sub(r"\\(.)", r"\1", text)
    return html.unescape(text.replace("$", " ").replace("–", " "))


def read_markdown(out: str, truth: Truth, surface: str) -> list:
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("| Layer |"))
    header = _md_cells(lines[start])
    printed = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = _md_cells(line)
        first = cells[0]
        depth = 0
        while first.startswith("&nbsp;&nbsp;"):
            first, depth = first[len("&nbsp;&nbsp;"):], depth + 1
        p = Printed(depth, _md_text(first).strip(), params=cells[header.index("Count")],
                    cells={"formula": cells[header.index("Parameters")]})
        for name, cell in zip(header, cells):
            if name in COST_LABELS:
                p.costs[COST_LABELS[name]] = cell
        printed.append(p)
    claims = row_claims(printed, truth, surface)
    for k, p in align(printed, truth, surface, True):     # the parameter cells (MathJax), as functions
        claims += tex_formula_claims(p.cells["formula"], truth.rows[k].params, truth, (truth.rows[k].name, "params"))
    for line in lines:
        m = re.match(r"- \*\*(.+?)\*\*: (.*)$", line)
        if m and m.group(1) in TOTAL_LABELS:
            key = TOTAL_LABELS[m.group(1)]
            claims.append((("total", key), last_step(m.group(2))))
            formula = re.match(r"\$(.*)\$", m.group(2))
            if formula:
                claims += tex_formula_claims(formula.group(1), total_expr(truth, key), truth, ("total", key))
        if line.startswith("- Total "):
            claims += cost_total_claims(re.sub(r"\\(.)", r"\1", line[2:]))
    return claims


# ----------------------------------------------------------------------------- JSON

@lru_cache(maxsize=4096)
def _sympify(text: str, names: tuple):
    return sympy.sympify(text, locals=dict(names))


def formula_claims(printed, expr, truth: Truth, what: tuple, points=((1, 0), (2, 3))) -> list:
    """A formula printed in SymPy's notation (JSON, the playground's 'text'), or already read into
    an expression (the text printer's, see text_expr), against the engine's expression, as
    functions: both evaluated at the defaults and at another point (equal when they are the same
    expression)."""
    names = {s.name: s for s in truth.net.symbols} | {s.name: s for s in getattr(expr, "free_symbols", ())}
    got = printed if not isinstance(printed, str) else _sympify(printed, tuple(sorted(names.items())))
    if got == expr:
        return [((("given", "formula") + what), (None, None))]      # the same expression: the same function
    out = []
    for shift in points:
        point = {s: sympy.Integer(shift[0] * (truth.net.symbols.get(s) or 5) + shift[1])
                 for s in names.values() if isinstance(s, sympy.Symbol)}
        value = (lambda e: _value(e, point) if isinstance(e, sympy.Basic) else e)
        out.append(((("given", "formula") + what + (tuple(point.values()),)),
                    (None if got is None else value(got), value(sympy.sympify(expr)))))
    return out


def read_json(out: str, truth: Truth, surface: str) -> list:
    data = json.loads(out)
    printed = []
    for layer in data["layers"]:
        shape = layer["output_shape_value"]
        p = Printed(layer["depth"], layer["name"] if layer["kind"] != "iteration" else "pass",
                    params=str(layer["params_value"]) if layer["params_value"] is not None else None,
                    shape=tuple(shape) if shape and None not in shape else None)
        for column in truth.columns:
            if column != "params" and f"{column}_value" in layer:
                v = layer[f"{column}_value"]
                p.costs[column] = str(v) if v is not None else None
        printed.append(p)
    claims = row_claims(printed, truth, surface)
    # every row's trainable and non-trainable counts too, and the formulas (SymPy strings) as functions
    for k, layer in enumerate(data["layers"]):
        row = truth.rows[k]
        for key in ("trainable", "non_trainable"):
            claims.append((("row", k, key), layer[f"{key}_value"]))
        if not truth.columns:
            for key, expr in (("params", row.params), ("trainable", row.trainable_params),
                              ("non_trainable", row.non_trainable_params)):
                claims += formula_claims(layer[key], expr, truth, (row.name, key))
            for axis, (text, expr) in enumerate(zip(layer["output_shape"], row.output_shape)):
                claims += formula_claims(text, expr, truth, (row.name, "shape", axis))
    net = truth.net
    exprs = {"params": net.params, "trainable": net.trainable_params, "non_trainable": net.non_trainable_params,
             "buffers": net.buffers}
    for key in ("params", "trainable", "non_trainable", "buffers", "active"):
        if f"{key}_value" in data["total"]:
            claims.append((("total", key), data["total"][f"{key}_value"]))
            if key in exprs and not truth.columns:
                claims += formula_claims(data["total"][key], exprs[key], truth, ("total", key))
    for column in truth.columns:
        if column != "params" and not column.startswith("rf") and f"{column}_value" in data["total"]:
            claims.append((("cost total", column), data["total"][f"{column}_value"]))
    return claims


# ----------------------------------------------------------------------------- LaTeX

def tex_text(text: str) -> str:
    """LaTeX text of a label back to plain text (enough for names: escapes, breaks, styles)."""
    text = text.replace(r"\allowbreak{}", "").replace(r"\_", "_")
    text = re.sub(r"\\(?:hspace\*|textit|textbf|texttt|footnotesize)\{?(\d+pt\})?", "", text)
    return text.replace("{", " ").replace("}", " ").replace("$", " ").strip()


def first_name(text: str) -> str:
    m = re.match(r"[^\s{$(]+", text.strip())
    return m.group(0) if m else ""


def tex_shape(cell: str):
    cell = cell.strip()
    if not (cell.startswith("$") and cell.endswith("$")) or cell == "$()$":
        return None
    return shape_numbers(cell[1:-1], r"\times")


def tex_cells(line: str) -> list[str]:
    """A tabular or array row's cells: split at & (not an escaped one, not inside an aligned block)."""
    blocks = re.findall(r"\\begin\{aligned\}.*?\\end\{aligned\}", line)
    line = re.sub(r"\\begin\{aligned\}.*?\\end\{aligned\}", "\0", line)
    cells = [c.strip() for c in re.split(r"(?<!\\)&", line)]
    for block in blocks:        # put each aligned block back in its cell
        cells = [c.replace("\0", block, 1) if "\0" in c else c for c in cells]
    return cells


_MULTI = re.compile(r"\\multicolumn\{1\}\{r(?:@\{\})?\}\{(.*)\}$")


def _right(cell: str) -> str:
    """A right-set cell's content (\\multicolumn{1}{r}{...}, the last with @{})."""
    return _MULTI.match(cell).group(1)


def read_latex_tables(tex: str, truth: Truth, surface: str) -> list:
    """Every booktabs layer table in tex (one table may be split over several tabulars); with
    latex --columns, a metric column after the count and each metric's total row."""
    printed, claims = [], []
    for extra, tab in re.findall(r"\\begin\{tabular\}\{@\{\}llll(l*)@\{\}\}\n(.*?)\n\\end\{tabular\}", tex, re.S):
        metric_columns = []
        for line in tab.splitlines():
            if not line.endswith(r" \\"):
                continue
            cells = tex_cells(line[:-3])
            if line.startswith("Layer &"):
                metric_columns = [COST_LABELS[tex_text(_right(c))] for c in cells[4:]]
                assert len(metric_columns) == len(extra), f"{surface}: table head {line!r}"
                continue
            total = re.fullmatch(r"\\multicolumn\{2\}\{@\{\}l\}\{(.*)\}", cells[0])
            first = 2 if total else 3         # the count's cell (a total's label spans two columns)
            count = _right(cells[first])
            costs = {column: _right(c) for column, c in zip(metric_columns, cells[first + 1:])}
            if total and total.group(1) in TOTAL_LABELS:
                key = TOTAL_LABELS[total.group(1)]
                claims.append((("total", key), number(count)))
                claims += tex_formula_claims(cells[1], total_expr(truth, key), truth, ("total", key))
                continue
            if total:       # a metric's total, under its column: 'Total MACs (batch 2)'
                found = cost_total_claims(tex_text(total.group(1)) + ": " + " = ".join(v for v in costs.values() if v))
                assert found, f"{surface}: unreadable total row {cells[0]!r}"
                claims += found
                continue
            m = re.fullmatch(r"\\parbox\[t\]\{[^}]*\}\{\\raggedright (?:\\hspace\*\{(\d+)pt\})?(.*)\}", cells[0], re.S)
            assert m, f"{surface}: unreadable label cell {cells[0]!r}"
            # the indent stops growing at 40pt: deeper rows are matched by name alone
            depth = (int(m.group(1)) // 5 if int(m.group(1)) < 40 else None) if m.group(1) else 0
            printed.append(Printed(depth, tex_text(m.group(2)), params=count, shape=tex_shape(cells[1]),
                                   cells={"formula": cells[2]}, costs=costs))
    if printed:
        claims = row_claims(printed, truth, surface) + claims
        for k, p in align(printed, truth, surface, True):     # the parameter cells, as functions
            claims += tex_formula_claims(p.cells["formula"], truth.rows[k].params, truth, (truth.rows[k].name, "params"))
    return claims


def total_expr(truth: Truth, key: str):
    net = truth.net
    return {"params": net.params, "trainable": net.trainable_params, "non_trainable": net.non_trainable_params,
            "buffers": net.buffers}.get(key) if key != "active" else net.metric("active")


def _equations(rows: list[str]) -> list[list[str]]:
    """'lhs &= a = b' rows with their continuation rows ('&= c', '&\\phantom{{}={}}\\quad d') as
    [lhs, right-hand side]."""
    out = []
    for eq in rows:
        eq = eq.strip()
        m = re.match(r"^(.+?) &= (.*)$", eq)
        if m and m.group(1).strip():
            out.append([m.group(1).strip(), m.group(2)])
        elif eq.startswith("&= ") and out:
            out[-1][1] += " = " + eq[3:]
        elif eq.startswith(r"&\phantom{{}={}}\quad ") and out:
            out[-1][1] += " " + eq[len(r"&\phantom{{}={}}\quad "):]
    # the total's values of the symbols, '(n = 32, f = 16)', after the chain (on its line or its own lines)
    return [[lhs, re.sub(r" (?:\\qquad )?\([^()]*\)$", "", rhs)] for lhs, rhs in out]


def read_derivation(tex: str, truth: Truth, surface: str) -> list:
    """The alignat* groups: a layer's P chain ends in its count, a repeat's in all its passes, the
    Total's in the network's total; a layer's label shows its shape at the defaults."""
    claims, k, seen = [], 0, {}
    for block in re.findall(r"\\begin\{alignat\*\}\{2\}\n(.*?)\n\\end\{alignat\*\}", tex, re.S):
        for group in block.split(" \\\\[5pt]\n"):
            labels, eqs = [], []
            for row in group.split(" \\\\\n"):
                m = re.match(r"& (.*?\}\} \\qquad|) & (.*)$", row, re.S)
                assert m, f"{surface}: unreadable derivation row {row!r}"
                if m.group(1):
                    labels.append(m.group(1))
                eqs.append(m.group(2))
            chains = {lhs: rhs for lhs, rhs in _equations(eqs)}
            value = last_step(chains["P"]) if "P" in chains else None
            steps = chains.get("P", "").split(" = ") if "P" in chains else []
            name = tex_text(re.search(r"\\textbf\{(.*?)\}(?: |\}|\{)", labels[0]).group(1))
            if name == "Total" and len(labels) == 1:
                claims.append((("total", "params"), value))
                claims += tex_formula_claims(steps[0], truth.net.params, truth, ("total", "params"))
            elif len(labels) > 1 and "repeated" in labels[1]:
                j = seen[name] = seen.get(name, -1) + 1
                claims.append((("repeat", name, j), value))
            else:
                while k < len(truth.rows) and not (truth.rows[k].name == name and truth.rows[k].is_leaf):
                    k += 1
                assert k < len(truth.rows), f"{surface}: derivation of '{name}', not a layer of the network (in order)"
                if "P" in chains:
                    claims.append((("row", k, "params"), value))
                    for step in steps:      # each step is the count at the defaults
                        claims += tex_formula_claims(step, truth.rows[k].params, truth, (name, "step", step),
                                                     points=((1, 0),))
                claims += _size_claims(chains, k, truth)
                if len(labels) > 1:
                    shape = re.search(r"\$(.*)\$", labels[1])
                    if shape:
                        claims.append((("row", k, "shape"), shape_numbers(shape.group(1), r"\times")))
                k += 1
    return [c for c in claims if c[0][:1] != ("row",) or c[0][2] != "shape" or c[1] is not None]


_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _size_claims(chains: dict, k: int, truth: Truth) -> list:
    """H' = W' &= ... = 24 (each spatial axis of the output), N' &= 6 · 6 · 32 = 1,152 (a flatten)."""
    row, out = truth.rows[k], []
    if "N'" in chains:
        out.append((("row", k, "axis", 0), last_step(chains["N'"])))
    letters = _AXES.get(len(row.output_shape) - 1, ())
    for lhs, rhs in chains.items():
        names = [n.strip() for n in lhs.split(" = ")]
        if names and all(n.endswith("'") and n[:-1] in letters for n in names):
            out += [(("row", k, "axis", letters.index(n[:-1])), last_step(rhs)) for n in names]
    return out


def read_totals(tex: str, truth: Truth, surface: str) -> list:
    """align* blocks of 'P_{\\text{total}} &= formula = value' lines."""
    claims = []
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", tex, re.S):
        for lhs, rhs in _equations(block.split(" \\\\\n")):
            m = re.fullmatch(r"P_\{\\text\{(.*)\}\}", lhs)
            if m and m.group(1) in TOTAL_SHORT:
                key = TOTAL_SHORT[m.group(1)]
                claims.append((("total", key), last_step(rhs)))
                claims += tex_formula_claims(rhs.split(" = ")[0], total_expr(truth, key), truth, ("total", key))
            m = re.fullmatch(r"\\text\{(Total .*)\}", lhs)
            if m:       # latex --columns: 'Total MACs (batch 2) = formula = value'
                found = cost_total_claims(tex_text(m.group(1)) + ": " + rhs)
                assert found, f"{surface}: unreadable total line {lhs!r}"
                claims += found
    return claims


def read_latex(tex: str, truth: Truth, surface: str) -> list:
    return read_latex_tables(tex, truth, surface) + read_derivation(tex, truth, surface) + \
        read_totals(tex, truth, surface)


_FRAME = re.compile(r"\\begin\{frame\}(?:\[[^\]]*\])?\{(.*?)\}\n(.*?)\n\\end\{frame\}", re.S)


def read_deck(tex: str, truth: Truth, surface: str) -> list:
    """A beamer deck frame by frame: layer tables, derivations, totals, and the summary deck's
    block and repeat slides."""
    claims, tables = [], []
    for m in _FRAME.finditer(tex):
        title, body = m.group(1), m.group(2)
        if title.startswith("Layers"):
            tables.append(body)
        elif title.startswith(("Derivation", "Worked arithmetic")):
            found = read_derivation(body, truth, surface)
            if title.startswith("Worked"):      # a few representative layers, not all in order
                found = [c for c in found if c[0][0] == "row"]
            claims += found
        elif title.startswith("Totals"):
            claims += read_totals(body, truth, surface)
        elif title.startswith("Block"):
            claims += read_block_frame(title, body, truth, surface)
        elif title.startswith("Repeated"):
            name = tex_text(re.match(r"Repeated \\texttt\{(.*?)\}", title).group(1))
            count = re.search(r"\$\\times (.*)\$$", title).group(1)
            claims.append((("repeat", name, 0, "count"), tex_value(count, truth)))
            for lhs, rhs in _equations(re.search(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", body, re.S)
                                       .group(1).split(" \\\\\n")):
                who = tex_text(re.fullmatch(r"P_\{\\text\{(.*)\}\}", lhs).group(1))
                claims.append(((("pass", name) if who == "pass" else ("repeat", name, 0)), last_step(rhs)))
    if tables:
        claims += read_latex_tables("\n".join(tables), truth, surface)
    return claims


def read_block_frame(title: str, body: str, truth: Truth, surface: str) -> list:
    name = tex_text(re.match(r"Block \\texttt\{(.*?)\}", title).group(1))
    claims = [(("all uses", name, "times"), tex_value(re.search(r"\$\\times (.*)\$$", title).group(1), truth))]
    claims += _block_formula_claims(name, body, truth)
    uses = 0
    for line in re.search(r"\\midrule\n(.*)\n\\bottomrule", body, re.S).group(1).splitlines():
        if not line.endswith(r" \\") or line.startswith((r"\midrule", r"\dots")):
            continue
        cells = tex_cells(line[:-3])
        if cells[0].startswith("All "):
            claims += [(("all uses", name, "times"), tex_value(cells[3], truth)),
                       (("all uses", name, "params"), number(cells[4]))]
            continue
        claims += [(("use", name, uses, "channels"), tex_value(cells[1], truth)),
                   (("use", name, uses, "each"), number(cells[2])),
                   (("use", name, uses, "times"), tex_value(cells[3], truth)),
                   (("use", name, uses, "params"), number(cells[4]))]
        uses += 1
    return claims


def _block_formula_claims(name: str, body: str, truth: Truth) -> list:
    """'P_{block}(f, k, C) &= formula': at each use's arguments and input channels, its count."""
    m = re.search(r"P_\{\\text\{[^}]*\}\}\((.*?)\) &= (.*?)\n\\end\{align\*\}", body, re.S)
    if not m:
        return []
    formula = " ".join(piece.strip() for piece in re.split(r" \\\\\n&\\phantom\{\{\}=\{\}\}\\quad ", m.group(2)))
    uses = truth.block_uses(name)
    params = list(uses[0]["args"]) if uses else []
    shown = [p.strip() for p in m.group(1).split(",")]
    if len(shown) not in (len(params), len(params) + 1):
        return [((("given", "block formula", name, "arguments")), (shown, params))]
    channels = symbol(tex_text(shown[-1]).replace(" ", "")) if len(shown) > len(params) else None
    extra = tuple(symbol(p) for p in params) + ((channels,) if channels is not None else ())
    try:
        got = tex_expr(formula, truth, extra)
    except Unreadable:
        return []
    out = []
    for k, use in enumerate(uses):
        point = {symbol(p): sympy.sympify(v) for p, v in use["args"].items()}
        if channels is not None:
            point[channels] = use["channels_expr"]
        value = truth.value(got.xreplace(point))
        if use["each"] is not None:
            out.append(((("given", "block formula", name, k)), (value, use["each"])))
    return out


def tex_value(tex: str, truth: Truth):
    """A small LaTeX formula ('3 n - 2', 'n \\cdot d', '12') at the defaults; None if unreadable."""
    from symparams.printers import math as M
    t = tex.strip().strip("$")
    symbols = sorted(truth.net.symbols, key=lambda s: -len(M.latex(s)))
    names = {f"s{k}": s for k, s in enumerate(symbols)}
    if symbols:     # in one pass, so that no name is found inside another's placeholder
        pattern = "|".join(r"(?<![A-Za-z\\])" + re.escape(M.latex(s)) + r"(?![A-Za-z])" for s in symbols)
        t = re.sub(pattern, lambda m: f" s{[M.latex(s) for s in symbols].index(m.group(0))} ", t)
    t = t.replace("{,}", "").replace(r"\cdot", "*").replace(r"\left(", "(").replace(r"\right)", ")")
    t = re.sub(r"\^\{(\d+)\}", r"**\1", t)
    if re.search(r"[\\{}]", t):
        return None
    from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations
    try:
        expr = parse_expr(t, local_dict=names, transformations=standard_transformations + (implicit_multiplication,))
    except Exception:       # noqa: BLE001 - not a formula this reader knows
        return None
    return truth.value(expr)


# ----------------------------------------------------------------------------- notebook

def read_html(out: str, truth: Truth, surface: str) -> list:
    printed, claims = [], []
    body = re.search(r"<tbody>(.*)</tbody>", out, re.S).group(1)
    for m in re.finditer(r'<tr><td style="padding-left:([\d.]+)em">(.*?)</td><td>(.*?)</td>'
                         r'(?:<td class="d">(.*?)</td>)?<td>(.*?)</td><td class="n">(.*?)</td></tr>', body, re.S):
        tokens = re.findall(r"<(mn|mi|mo)>(.*?)</\1>", m.group(3))
        shape = None
        if m.group(4) is not None:          # the At defaults column (a symbolic network)
            shape = shape_numbers(html.unescape(m.group(4)), "×")
        elif tokens and all(t == "mn" or (t, v) == ("mo", "×") for t, v in tokens):
            shape = shape_numbers("".join(v if t == "mn" else "|" for t, v in tokens), "|")
        printed.append(Printed(round((float(m.group(1)) - 0.5) / 1.2), html.unescape(m.group(2)),
                               params=html.unescape(m.group(6)), shape=shape))
    assert body.count("<tr>") == len(printed), f"{surface}: a table row this reader does not know"
    claims = row_claims(printed, truth, surface)
    for m in re.finditer(r"<li><b>(.*?)</b>: (.*?)</li>", out, re.S):
        if html.unescape(m.group(1)) in TOTAL_LABELS:
            claims.append((("total", TOTAL_LABELS[html.unescape(m.group(1))]), last_step(m.group(2))))
    return claims


def _mathjax_text(text: str) -> str:
    return re.sub(r"\\text\{([^}]*)\}", r"\1", text).replace(r"\_", "_")


def read_notebook_latex(out: str, truth: Truth, surface: str) -> list:
    lines = out.split("\n")
    start = next(k for k, line in enumerate(lines) if line.startswith(r"\textbf{Layer}")) + 1
    printed, claims = [], []
    for line in lines[start:]:
        if line == r"\end{array}":
            break
        line = re.sub(r" \\\\( \\hline)?$", "", line)
        cells = tex_cells(line)
        if cells[0].startswith(r"\text{") and _mathjax_text(cells[0]) in TOTAL_LABELS:
            key = TOTAL_LABELS[_mathjax_text(cells[0])]
            claims.append((("total", key), number(cells[3])))
            claims += tex_formula_claims(cells[2], total_expr(truth, key), truth, ("total", key))
            continue
        label, depth = cells[0], 0
        while label.startswith(r"\quad "):
            label, depth = label[len(r"\quad "):], depth + 1
        printed.append(Printed(depth, _mathjax_text(label), params=cells[3],
                               shape=shape_numbers(cells[1], r"\times"), cells={"formula": cells[2]}))
    for k, p in align(printed, truth, surface, True):     # the parameter cells, as functions
        claims += tex_formula_claims(p.cells["formula"], truth.rows[k].params, truth, (truth.rows[k].name, "params"))
    return row_claims(printed, truth, surface) + claims


# ----------------------------------------------------------------------------- playground

def read_playground(case, truth: Truth, surface: str) -> list:
    """The playground's Python API: derive (rows, totals) then evaluate at the defaults."""
    from symparams import web
    session = web.Session()
    derived = session.derive(case.text, None, case.file)
    assert derived["ok"], derived
    shown = session.evaluate()
    assert shown["ok"], shown
    printed = []
    for row, values in zip(derived["rows"], shown["rows"]):
        shape = values["shape"]
        printed.append(Printed(row["depth"], row["label"],
                               params=values["params"]["v"] if values["params"] else None,
                               shape=tuple(int(d) for d in shape.strip("()").split(", ") if d) if shape else None))
    assert len(derived["rows"]) == len(shown["rows"])
    claims = row_claims(printed, truth, surface)
    for k, row in enumerate(derived["rows"]):       # the table's formulas (LaTeX), as functions
        claims += tex_formula_claims(row["formula"], truth.rows[k].params, truth, (truth.rows[k].name, "params"))
    net = truth.net
    exprs = {"params": net.params, "trainable": net.trainable_params, "non_trainable": net.non_trainable_params,
             "buffers": net.buffers}
    for total, value in zip(derived["totals"], shown["totals"]):
        claims.append((("total", total["key"]), number(value["v"]) if value else None))
        if total["key"] in exprs:
            claims += formula_claims(total["text"], exprs[total["key"]], truth, ("total", total["key"]))
    claims += _moved_sliders(session, derived, truth, surface)
    latex = session.latex(["table", "derivation", "totals"], "fragment")
    assert latex["ok"], latex
    return claims + [c for c in read_latex(latex["text"], truth, surface + " latex")]


# ----------------------------------------------------------------------------- --explain

def read_explain(lines: list[str], truth: Truth, surface: str, sep: str = "; ") -> list:
    """The worked arithmetic, one leaf a line: 'name: [sizes → ]shape; arithmetic = count' (or
    '0 parameters'): the shape at the defaults and the count."""
    claims, k = [], 0
    for line in lines:
        name, _, rest = line.strip().partition(": ")
        while k < len(truth.rows) and not (truth.rows[k].name == name and truth.rows[k].is_leaf):
            k += 1
        assert k < len(truth.rows), f"{surface}: worked arithmetic of '{name}', not a leaf (in order)"
        shape_part, _, params_part = rest.rpartition(sep)
        shape = shape_numbers(shape_part.split("→")[-1].split("->")[-1], "×")
        if shape is not None:
            claims.append((("row", k, "shape"), shape))
        claims.append((("row", k, "params"), 0 if params_part == "0 parameters" else last_step(params_part)))
        if sep == "; " and params_part != "0 parameters":
            # every step of the arithmetic is the count at the defaults (the first in letters, the rest numbers)
            for step in params_part.split(" = "):
                claims += text_formula_claims(step, truth.rows[k].params, truth, (name, "arithmetic", step),
                                              points=((1, 0),))
        k += 1
    return claims


def read_text_explain(out: str, truth: Truth, surface: str) -> list:
    lines = out.split("\n")
    start = lines.index("Worked arithmetic:") + 1
    # a line wrapped at the terminal's width continues with six spaces
    joined: list[str] = []
    for line in lines[start:]:
        if line.startswith("      ") and joined:
            joined[-1] += " " + line.strip()
        elif line.startswith("  "):
            joined.append(line)
    return read_text(out, truth, surface, every_row=False) + read_explain(joined, truth, surface)


def read_markdown_explain(out: str, truth: Truth, surface: str) -> list:
    lines = out.split("\n")
    start = lines.index("**Worked arithmetic**") + 2
    return read_markdown(out, truth, surface) + read_explain(
        [re.sub(r"\\(.)", r"\1", line[2:]) for line in lines[start:] if line.startswith("- ")], truth, surface)


def read_json_explain(out: str, truth: Truth, surface: str) -> list:
    return read_json(out, truth, surface) + read_explain(json.loads(out)["arithmetic"], truth, surface)


# ----------------------------------------------------------------------------- memory

def read_memory_text(out: str, truth: Truth, surface: str) -> list:
    """'  Weights   formula = 497,759,232 bytes (0.46 GiB)': each part against its cost column."""
    labels = MEMORY_TRAINING if "(training)" in out.split("\n")[0] else MEMORY_INFERENCE
    claims = []
    for line in out.split("\n"):
        m = re.match(r"  (\S.*?)  +(.*?)(?: bytes \([\d.]+ GiB\))?$", line)   # a formula alone: no default
        if m and m.group(1) in labels:
            claims.append((("cost total", labels[m.group(1)]), last_step(m.group(2))))
    return claims


def read_memory_json(out: str, truth: Truth, surface: str) -> list:
    return [(("cost total", key), part["bytes"]) for key, part in json.loads(out)["parts"].items()]


MEMORY_TRAINING = {"Weights": "weight_bytes", "Gradients": "grad_bytes", "Optimizer state": "optim_bytes",
                   "Activations": "act_train_bytes", "Total": "train_bytes"}
MEMORY_INFERENCE = {"Weights": "weight_bytes", "KV cache": "kv_bytes", "Total": "infer_bytes"}


def _memory(inference: bool, form: str):
    def render(case):
        from symparams import memory_report
        from symparams.printers import memory as printer
        rep = memory_report.report(case.net, cost.Options(), inference=inference)
        return json.dumps(printer.as_dict(rep, case.net)) if form == "json" else printer.render(rep, case.net)
    return render


# ----------------------------------------------------------------------------- the formats

# the cost columns the summary's cost surfaces are read with: inference and training, FLOPs and bytes
COST_COLUMNS = ("params", "macs", "flops", "act_bytes", "train_bytes")


@dataclass
class Case:
    text: str
    file: str | None
    net: object


@dataclass(frozen=True)
class Surface:
    name: str
    render: Callable            # Case -> what the surface prints (text), or the Case itself (playground)
    read: Callable              # (printed, Truth, name) -> claims
    columns: tuple = ()         # cost columns it shows (the Truth is made with them)
    needs_symbols: bool = False     # prints nothing to read for a network without a symbol with a default


def _sweep(form: str):
    """symparams sweep --vary S=... over the first symbol with a default, around it (and at 1)."""
    def render(case):
        from symparams.printers import sweep as printer
        from symparams.sweep import sweep
        named = [(s.name, v) for s, v in case.net.symbols.items() if v is not None]
        if not named or len(named) < len(case.net.symbols):       # a symbol without a value: no sweep
            return ""
        outs = []
        for name, default in named[:3]:
            values = sorted({1, max(1, default - 1), default, default + 1})
            outs.append(printer.render(sweep(case.net, {name: values}, ("params",)), form) + f"#{name}")
        return "\0".join(outs)
    return render


def read_sweep(out: str, truth: Truth, surface: str) -> list:
    """Each point's printed count against the engine derived at that value: a count only where the
    engine derives the network, and then the engine's (an invalid point prints none)."""
    if not out:
        return []
    if "\0" in out:        # one sweep per symbol
        return [claim for one in out.split("\0") for claim in read_sweep(one, truth, surface)]
    out, _, name = out.rpartition("#")
    points = []
    if surface.endswith("json"):
        points = [(row[name], row["params"]) for row in json.loads(out)]
    elif surface.endswith("csv"):
        lines = out.strip().split("\n")
        head = lines[0].split(",")
        for line in lines[1:]:
            cells = line.split(",")
            points.append((int(cells[head.index(name)]), number(cells[head.index("params")])))
    elif surface.endswith("markdown"):
        for line in out.strip().split("\n")[2:]:
            cells = _md_cells(line)
            points.append((int(cells[0]), number(cells[1])))
    else:
        for line in out.strip().split("\n")[1:]:
            m = re.match(r"^\s*(\d+)\s+([\d,]+)?\s*(invalid: .*)?$", line)
            assert m, f"{surface}: unreadable row {line!r}"
            points.append((int(m.group(1)), number(m.group(2))))
    claims = []
    derived = truth.__dict__.setdefault("_derived", {})
    for value, printed in points:
        if (name, value) not in derived:
            try:
                at = {s.name: v for s, v in truth.net.symbols.items()} | {name: value}
                derived[name, value] = int(truth.net.subs(**at).params)
            except SymparamsError:
                derived[name, value] = None     # not a network at this value: no count may be printed
        claims.append(((("given", "sweep", f"{name} = {value}")), (printed, derived[name, value])))
    return claims


def _text(**kw):
    from symparams.printers import text
    return lambda case: text.render(case.net, width=10**6, **kw)


def _latex(parts, mode, detail=False, **kw):
    from symparams.printers import latex
    # a file with a config's long names prints short letters and a legend by default: read through it
    return lambda case: long_names(latex.render(case.net, parts, mode, detail, **kw))


def _latex_short(parts, mode):
    """The LaTeX with short names (latex --short-names), the letters put back from its Notation
    legend before it is read: what the letters stand for is then checked like any formula."""
    from symparams.printers import latex
    return lambda case: long_names(latex.render(case.net, parts, mode, short_names=True))


_LEGEND_ITEM = re.compile(r"\$([^$]+)\$ = \\texttt\{(.+?)\}")


def long_names(tex: str) -> str:
    """tex with each letter of its 'Notation:' legend replaced by the name it stands for."""
    from symparams.printers.math import symbol_name
    legend = next((line for line in tex.splitlines() if line.startswith("Notation: ")), None)
    if legend is None:
        return tex
    pairs = [(short, symbol_name(long.replace("\\_", "_"))) for short, long in _LEGEND_ITEM.findall(legend)]
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("Notation: "))
    for k, (short, _) in enumerate(sorted(pairs, key=lambda p: -len(p[0]))):
        # a letter alone, not a piece of a layer name (mixed\_c\_1) or of a command
        body = re.sub(r"(?<![\\A-Za-z_])" + re.escape(short) + r"(?![A-Za-z_]|\\_)", f"\x00{k}\x00", body)
    for k, (_, long) in enumerate(sorted(pairs, key=lambda p: -len(p[0]))):
        body = body.replace(f"\x00{k}\x00", long)
    return body


def _markdown(**kw):
    from symparams.printers import markdown
    return lambda case: markdown.render(case.net, **kw)


def _json(**kw):
    from symparams.printers import jsonout
    return lambda case: jsonout.render(case.net, **kw)


def _csv(**kw):
    from symparams.printers import csv
    return lambda case: csv.summary(case.net, **kw)


def read_csv(out: str, truth: Truth, surface: str) -> list:
    """summary --format csv: the JSON summary's row fields, lists joined with ';', the totals last."""
    import csv as csv_module
    import io

    def value(text):
        return None if text == "" else int(text)

    layers = []
    for row in csv_module.DictReader(io.StringIO(out)):
        layer = dict(row)
        for key, text in row.items():
            if key == "output_shape_value":
                layer[key] = [value(t) for t in text.split(";")] if text else []
            elif key == "output_shape":
                layer[key] = text.split(";") if text else []
            elif key.endswith("_value") or key in ("depth", "line"):
                layer[key] = value(text)
        layers.append(layer)
    total = {k: v for k, v in layers.pop().items() if v not in ("", None)}
    return read_json(json.dumps({"layers": layers, "total": total}), truth, surface)


def _json_explain(case):
    """summary --format json --explain: the JSON with the worked arithmetic's lines (as the command adds them)."""
    from symparams.printers.text import explain_lines
    data = json.loads(_json()(case))
    data["arithmetic"] = [line.strip() for line in explain_lines(case.net)]
    return json.dumps(data)


SURFACES = (
    Surface("summary text", _text(), lambda o, t, n: read_text(o, t, n, every_row=False, formulas=True)),
    Surface("summary text --expand", _text(expand=True), lambda o, t, n: read_text(o, t, n, every_row=True)),
    Surface("summary text --columns", _text(columns=COST_COLUMNS), lambda o, t, n: read_text(o, t, n, False),
            COST_COLUMNS),
    Surface("summary text --explain", _text(explain=True), read_text_explain),
    Surface("summary text --ascii", _text(ascii=True), lambda o, t, n: read_text(o, t, n, every_row=False)),
    Surface("summary markdown", _markdown(), read_markdown),
    Surface("summary markdown --explain", _markdown(explain=True), read_markdown_explain),
    Surface("summary markdown --columns", _markdown(columns=COST_COLUMNS), read_markdown, COST_COLUMNS),
    Surface("summary json", _json(), read_json),
    Surface("summary json --columns", _json(columns=COST_COLUMNS), read_json, COST_COLUMNS),
    Surface("summary json --explain", _json_explain, read_json_explain),
    Surface("summary csv", _csv(), read_csv),
    Surface("summary csv --columns", _csv(columns=COST_COLUMNS), read_csv, COST_COLUMNS),
    Surface("memory text", _memory(False, "text"), read_memory_text, tuple(MEMORY_TRAINING.values())),
    Surface("memory json", _memory(False, "json"), read_memory_json, tuple(MEMORY_TRAINING.values())),
    Surface("memory --inference text", _memory(True, "text"), read_memory_text, tuple(MEMORY_INFERENCE.values())),
    Surface("memory --inference json", _memory(True, "json"), read_memory_json, tuple(MEMORY_INFERENCE.values())),
    Surface("latex table", _latex(("table",), "fragment"), read_latex),
    Surface("latex derivation", _latex(("derivation",), "fragment"), read_latex),
    Surface("latex totals", _latex(("totals",), "fragment"), read_latex),
    Surface("latex --all --standalone", _latex(("table", "derivation", "totals"), "standalone"), read_latex),
    Surface("latex --all --standalone --short-names", _latex_short(("table", "derivation", "totals"), "standalone"),
            read_latex),
    Surface("latex --columns", _latex(("table", "totals"), "fragment", columns=COST_COLUMNS), read_latex,
            COST_COLUMNS),
    Surface("latex --beamer (summary deck)", _latex(None, "beamer"), read_deck),
    Surface("latex --beamer --detail", _latex(None, "beamer", detail=True), read_deck),
    Surface("notebook _repr_html_", lambda case: case.net._repr_html_(), read_html),
    Surface("notebook _repr_markdown_", lambda case: case.net._repr_markdown_(), read_markdown),
    Surface("notebook _repr_latex_", lambda case: case.net._repr_latex_(), read_notebook_latex),
    Surface("playground (web.Session)", lambda case: case, read_playground),
    Surface("sweep text", _sweep("text"), read_sweep, needs_symbols=True),
    Surface("sweep markdown", _sweep("markdown"), read_sweep, needs_symbols=True),
    Surface("sweep csv", _sweep("csv"), read_sweep, needs_symbols=True),
    Surface("sweep json", _sweep("json"), read_sweep, needs_symbols=True),
)

# what each command offers, and which surfaces above read it (test_every_format_is_read)
COVERED = {
    ("summary", "--format", "text"): "summary text", ("summary", "--format", "markdown"): "summary markdown",
    ("summary", "--format", "json"): "summary json", ("summary", "--explain"): "summary text --explain",
    ("summary", "--format", "csv"): "summary csv",
    ("memory", "--format", "text"): "memory text", ("memory", "--format", "json"): "memory json",
    ("summary", "--ascii"): "summary text --ascii",
    ("sweep", "--format", "text"): "sweep text", ("sweep", "--format", "markdown"): "sweep markdown",
    ("sweep", "--format", "csv"): "sweep csv", ("sweep", "--format", "json"): "sweep json",
    ("latex", "--table"): "latex table", ("latex", "--derivation"): "latex derivation",
    ("latex", "--totals"): "latex totals", ("latex", "--all"): "latex --all --standalone",
    ("latex", "--standalone"): "latex --all --standalone", ("latex", "--beamer"): "latex --beamer (summary deck)",
    ("latex", "--detail"): "latex --beamer --detail",
    ("latex", "--short-names"): "latex --all --standalone --short-names",
    # these change no number: the title page's words, and the names these examples print by default
    ("latex", "--long-names"): "latex --all --standalone", ("latex", "--title"): "latex --beamer (summary deck)",
    ("latex", "--author"): "latex --beamer (summary deck)", ("latex", "--date"): "latex --beamer (summary deck)",
    ("latex", "--columns"): "latex --columns",
    ("notebook", "_repr_html_"): "notebook _repr_html_", ("notebook", "_repr_markdown_"): "notebook _repr_markdown_",
    ("notebook", "_repr_latex_"): "notebook _repr_latex_",
}


def check(case: Case, surfaces=SURFACES) -> tuple[list[str], dict]:
    """Every surface's claims against the engine: (disagreements, claims read per surface)."""
    problems, counts, truths = [], {}, {}
    for s in surfaces:
        truth = truths.get(s.columns)
        if truth is None:
            truth = truths[s.columns] = Truth(case.net, s.columns)
        claims = s.read(s.render(case), truth, s.name)
        if claims or not s.needs_symbols or case.net.symbols and None not in case.net.symbols.values():
            counts[s.name] = len(claims)
        problems += disagreements(s.name, claims, truth)
    return problems, counts


def _moved_sliders(session, derived, truth: Truth, surface: str) -> list:
    """A slider moved: the compiled counts (evaluate) and the plot's points against the engine at
    those values. Only values at which the network exists (the real derive accepts them) are read."""
    out = []
    sliders = derived["sliders"]
    if not sliders:
        return out
    moved = {sliders[0]["name"]: sliders[0]["default"] + 1}
    if not session.check(moved)["ok"]:
        return out
    shown = session.evaluate(moved)
    at = Truth(truth.net.subs(**moved))      # the engine derived at these values
    for k, row in enumerate(shown["rows"]):
        expected = truth.value(truth.rows[k].params.xreplace({symbol(n): sympy.Integer(v) for n, v in moved.items()}))
        if truth.rows[k].kind != "path":
            out.append(((f"{surface} at {moved}", k), number(row["params"]["v"]) if row["params"] else None,
                        expected))
    for total, value in zip(derived["totals"], shown["totals"]):
        out.append(((f"{surface} at {moved}", total["key"]), number(value["v"]) if value else None,
                    at(("total", total["key"]))))
    name, default = sliders[0]["name"], sliders[0]["default"]
    plot = session.plot("params", name, default, default + 2)
    assert plot["ok"], plot
    for point in plot["points"]:
        if point["valid"] and session.check({name: point["x"]})["ok"]:
            out.append(((f"{surface} plot params at {name} = {point['x']}",), number(point["y"]["v"]),
                        Truth(truth.net.subs(**{name: point["x"]}))(("total", "params"))))
    return [((("given",) + key), (printed, expected)) for key, printed, expected in out]


# ----------------------------------------------------------------------------- the text printer's math

_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ",
                         "0123456789+−()abcdefghijklmnoprstuvwxyz"))
_OPEN = {"⌈": "ceiling(", "⌊": "floor(", "max(": "Max(", "min(": "Min(", "√(": "sqrt(", "(": "("}
_CLOSE = {"⌉": ")", "⌋": ")", ")": ")"}
_OPS = {"+": "+", "−": "-", "-": "-", "·": "*", "/": "/", ",": ","}


class Unreadable(Exception):
    """Math this reader does not know (a sum over an index, mod): not checked."""


def text_expr(text: str, truth: Truth):
    """The unicode math the text summary prints ('2f²k² + 20f⌈(n − 3k)/4⌉²', '(768 + 1)·3,072',
    '7,087,872·layers') read back into a SymPy expression in the network's symbols: juxtaposition
    is a product, superscripts powers, 1,024 one number."""
    cache = truth.__dict__.setdefault("_read", {})
    if text not in cache:
        try:
            cache[text] = _text_expr(text, truth)
        except Unreadable as exc:
            cache[text] = exc
    if isinstance(cache[text], Unreadable):
        raise cache[text]
    return cache[text]


def _text_expr(text: str, truth: Truth):
    from symparams.printers import math as M
    indices = {r.index for r in truth.rows if r.index is not None}      # a closed-form pass's i
    symbols = sorted(set(truth.net.symbols) | indices, key=lambda s: (-len(M.show(s)), s.name))
    shown = [(M.show(s), f"s{k}") for k, s in enumerate(symbols)]
    try:
        return sympy.sympify(_python(text, shown), locals={p: s for (_, p), s in zip(shown, symbols)})
    except (sympy.SympifyError, SyntaxError, TypeError) as exc:
        raise Unreadable(text) from exc


def _python(text: str, shown: list) -> str:
    """text_expr's work: the unicode math as Python source over placeholders s0, s1, ..."""
    out, i, last = [], 0, None       # last: 'value' when the previous token ends a factor
    while i < len(text):
        ch = text[i]
        if ch == " ":
            i += 1
            continue
        m = re.match(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+", text[i:])
        token = kind = None
        if m:
            token, kind, i = m.group(0).replace(",", ""), "value", i + m.end()
        elif ch in _SUPERSCRIPTS:
            j = i
            while j < len(text) and text[j] in _SUPERSCRIPTS:
                j += 1
            token, kind, i = "**(" + _python("".join(_SUPERSCRIPTS[c] for c in text[i:j]), shown) + ")", "power", j
        else:
            for word, python in _OPEN.items():
                if text.startswith(word, i):
                    token, kind, i = python, "open", i + len(word)
                    break
            else:
                for name, placeholder in shown:
                    if text.startswith(name, i):
                        token, kind, i = placeholder, "value", i + len(name)
                        break
                else:
                    if ch in _CLOSE:
                        token, kind, i = ")", "close", i + 1
                    elif ch in _OPS:
                        token, kind, i = _OPS[ch], "op", i + 1
                    else:
                        raise Unreadable(text)
        if kind in ("value", "open") and last == "value":
            out.append("*")             # juxtaposed factors: 2f, f(3k² + 1), (a)(b)
        out.append(token)
        last = "value" if kind in ("value", "close", "power") else None
    return "".join(out)


def text_formula_claims(text: str, expr, truth: Truth, what: tuple, **kw) -> list:
    """A formula as the text summary prints it, against the engine's expression (see formula_claims);
    nothing when it holds math this reader does not know."""
    if not text.strip():
        return []
    try:
        got = text_expr(text, truth)
    except Unreadable:
        return []
    return formula_claims(got, expr, truth, what, **kw)


# ----------------------------------------------------------------------------- the LaTeX printer's math

_TEX_WORDS = ((r"\left\lceil", "ceiling("), (r"\right\rceil", ")"), (r"\left\lfloor", "floor("),
              (r"\right\rfloor", ")"), (r"\left(", "("), (r"\right)", ")"), (r"\bigl(", "("), (r"\bigr)", ")"),
              (r"\max\left(", "Max("), (r"\min\left(", "Min("), (r"\cdot", "*"))


def tex_expr(text: str, truth: Truth, extra: tuple = ()):
    """LaTeX math as the printers write it (the table's parameter cells, the totals, a block's
    formula) read back into a SymPy expression; Unreadable for what this reader does not know
    (sums over an index, mod, the derivation's general letters such as k_h)."""
    cache = truth.__dict__.setdefault("_read_tex", {})
    key = (text, extra)
    if key not in cache:
        from symparams.printers import math as M
        indices = {r.index for r in truth.rows if r.index is not None}
        symbols = sorted(set(truth.net.symbols) | indices | set(extra), key=lambda s: s.name)
        # each symbol as LaTeX writes it and as MathJax (Markdown, notebooks) does, the longest first
        shown = sorted({(form(s), f"s{k}") for k, s in enumerate(symbols) for form in (M.latex, M.mathjax)},
                       key=lambda pair: -len(pair[0]))
        try:
            cache[key] = sympy.sympify(_tex_python(_unaligned(text), shown),
                                       locals={f"s{k}": s for k, s in enumerate(symbols)})
        except (Unreadable, sympy.SympifyError, SyntaxError, TypeError) as exc:
            cache[key] = Unreadable(text) if not isinstance(exc, Unreadable) else exc
    if isinstance(cache[key], Unreadable):
        raise cache[key]
    return cache[key]


def _unaligned(text: str) -> str:
    """A cell broken over lines (an aligned block) as one line."""
    text = text.strip().strip("$")
    text = re.sub(r"\\begin\{aligned\}\[t\]&|\\end\{aligned\}", "", text)
    return text.replace(r"\\&\quad ", " ")


def _group(text: str, i: int) -> int:
    """The index after the brace group opening at text[i] ('{')."""
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    raise Unreadable(text)


def _tex_python(text: str, shown: list) -> str:
    out, i, last = [], 0, None
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        token = kind = None
        m = re.match(r"\d{1,3}(?:\{,\}\d{3})+(?!\d)|\d+", text[i:])
        if m:
            token, kind, i = m.group(0).replace("{,}", ""), "value", i + m.end()
        elif text.startswith(r"\frac{", i):
            a = _group(text, i + 5)
            if a >= len(text) or text[a] != "{":
                raise Unreadable(text)
            b = _group(text, a)
            token, kind, i = f"(({_tex_python(text[i + 6:a - 1], shown)})/({_tex_python(text[a + 1:b - 1], shown)}))", \
                "value", b
        elif text[i] == "^":
            if text.startswith("{", i + 1):
                end = _group(text, i + 1)
                inner = text[i + 2:end - 1]
            else:
                end, inner = i + 2, text[i + 1:i + 2]
            token, kind, i = f"**({_tex_python(inner, shown)})", "power", end
        else:
            for word, python in _TEX_WORDS:
                if text.startswith(word, i):
                    token, i = python, i + len(word)
                    kind = "open" if python.endswith("(") else "close" if python == ")" else "op"
                    break
            else:
                for name, placeholder in shown:
                    if text.startswith(name, i) and not (name[-1:].isalpha() and text[i + len(name):i + len(name) + 1]
                                                         .isalpha()):
                        token, kind, i = placeholder, "value", i + len(name)
                        break
                else:
                    ch = text[i]
                    if ch in "+-/,":
                        token, kind, i = ch, "op", i + 1
                    elif ch in "({":
                        token, kind, i = "(", "open", i + 1
                    elif ch in ")}":
                        token, kind, i = ")", "close", i + 1
                    else:
                        raise Unreadable(text)
        if kind in ("value", "open") and last == "value":
            out.append("*")
        out.append(token)
        last = "value" if kind in ("value", "close", "power") else None
    return "".join(out)


def tex_formula_claims(text: str, expr, truth: Truth, what: tuple, **kw) -> list:
    """A LaTeX formula against the engine's expression (see formula_claims); nothing when unreadable."""
    if not text.strip().strip("$").strip():
        return []
    try:
        got = tex_expr(text, truth)
    except Unreadable:
        return []
    return formula_claims(got, expr, truth, what, **kw)
