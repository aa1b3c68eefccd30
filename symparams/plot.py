"""Figures of a metric against one symbol (matplotlib with the Agg backend; the 'plot' extra).

matplotlib and numpy are imported only inside these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import sympy

from .errors import MissingDependencyError, UsageError, install_command

FORMATS = (".png", ".svg", ".pdf")
MAX_LINES = 12        # lines of a second symbol drawn; stacked areas drawn before 'other'
MAX_AREAS = 9


def require_matplotlib():
    """matplotlib, or a clear error naming the extra that installs it."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("plotting needs matplotlib, which is not installed: "
                                     + install_command("plot")) from None
    return matplotlib


def _pyplot():
    matplotlib = require_matplotlib()
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def check_output(path: str) -> None:
    if Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"cannot tell the image format of '{path}': use a .png, .svg or .pdf name")


def title_text(expr, metric: str) -> str:
    """The total formula as mathtext when matplotlib can typeset it, else as the text summary writes it."""
    from matplotlib.mathtext import MathTextParser

    from .algebra import collected
    from .printers import math as M

    shown = collected(expr)
    tex = M.latex(shown).replace(r"\operatorname", r"\mathrm")
    text = f"{metric} = ${tex}$"
    if len(tex) > 160:
        return f"{metric} = " + _shorten(M.text(shown), 110)
    try:
        MathTextParser("path").parse(text.split("= ", 1)[1])
    except Exception:       # mathtext cannot typeset this formula: show it as text
        return f"{metric} = " + _shorten(M.text(shown), 110)
    return text


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _float(v) -> float:
    try:
        return float(v)
    except OverflowError:
        raise UsageError(f"a value of {len(str(abs(int(v)))):,} digits is beyond what a plot can draw "
                         f"(about 1.8e308); `symparams sweep` gives the exact numbers") from None


def _floats(arr, valid):
    import numpy as np
    out = np.array([_float(v) for v in np.ravel(arr)], dtype=float).reshape(np.shape(arr))
    out[~np.broadcast_to(valid, out.shape)] = np.nan
    return out


def plot(net, vary: Mapping[str, Sequence[int]], *, metric: str = "params", out: str, by_layer: bool = False,
         log: bool = False, values: Mapping[str, int] | None = None, size=(8, 5), dpi: int = 100):
    """Draw `metric` against the first symbol of `vary` (one line per value of the second)
    or, with by_layer, stacked areas of each top-level row's share; write it to `out`."""
    from . import sweep

    check_output(out)
    plt = _pyplot()
    if not vary:
        raise UsageError("plot needs --vary NAME=VALUES for its horizontal axis")
    if len(vary) > 2:
        raise UsageError("plot draws one symbol against another at most: give one or two --vary")
    if values:
        net = net.subs(values)
    names = list(vary)
    x_name = names[0]
    fig, ax = plt.subplots(figsize=size, dpi=dpi)
    drawn = {}
    try:
        if by_layer:
            drawn = _by_layer(net, vary, metric, ax)
        else:
            g = sweep.grid(net, vary, metric)
            ys = _floats(g.metrics[metric], g.valid)
            xs = [int(v) for v in g.axes[0]]
            if len(names) == 1:
                ax.plot(xs, ys, marker="o" if len(xs) <= 40 else None, label=metric)
                drawn[metric] = ys
            else:
                other = g.axes[1]
                step = max(1, -(-len(other) // MAX_LINES))
                for k in range(0, len(other), step):
                    label = f"{names[1]} = {other[k]}"
                    ax.plot(xs, ys[:, k], marker="o" if len(xs) <= 40 else None, label=label)
                    drawn[label] = ys[:, k]
                ax.legend(title=names[1] if len(other) > 1 else None, fontsize="small")
        fixed = {**net.defaults}
        for n in names:
            fixed.pop(n, None)
        expr = sweep.metric_expr(net.subs(fixed) if fixed else net, metric)
        title = title_text(expr, metric)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(x_name)
        ax.set_ylabel(metric + (" (log scale)" if log else ""))
        if log:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        _save(fig, out)
    finally:
        plt.close(fig)
    return Drawing(out, x_name, [int(v) for v in vary[x_name]], drawn, title)


def _save(fig, out: str) -> None:
    """Write the figure; a folder that vanished, a directory or a full disk is a clear error,
    and no partial file is left behind."""
    import os

    from .errors import SymparamsError
    name = out.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        fig.savefig(out)
    except OSError as exc:
        if not os.path.isdir(out):
            try:
                os.unlink(out)
            except OSError:
                pass
        raise SymparamsError(f"cannot write {name}: {exc.strerror or exc}") from None


def _label(text: str) -> str:
    """User text (a layer name) as a literal legend label: matplotlib reads $...$ as math and
    hides labels that start with '_'."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text)).replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


@dataclass
class Drawing:
    """What was drawn: the file, the horizontal symbol and values, each series (floats, NaN
    where the network is not valid) by its legend label, and the title."""
    out: str
    x_name: str
    xs: list
    series: dict
    title: str


def _by_layer(net, vary, metric, ax):
    import numpy as np

    from .algebra import symbol
    from .compiled import compile_expr

    if len(vary) != 1:
        raise UsageError("--by-layer draws one symbol: give one --vary (fix the others with --set)")
    from . import cost, metrics
    splits = [n for n, m in metrics.REGISTRY.items() if m.column and m.additive]
    if str(metric) not in splits:
        raise UsageError(f"--by-layer splits a metric that adds up over the layers ({', '.join(splits)}); "
                         f"not '{metric}'")
    (name, values), = vary.items()
    fixed = {k: v for k, v in net.defaults.items() if k != name}
    if fixed:
        net = net.subs(fixed)
    if name not in {s.name for s in net.symbols}:
        raise UsageError(f"--vary {name}: the network has no symbol '{name}'")
    x = symbol(name)
    xs = np.array([int(v) for v in values], dtype=object)
    from .sweep import grid
    valid = grid(net, {name: values}, metric).valid
    series = []
    per_row = cost.row_costs(net, (str(metric),), getattr(metric, "options", None))
    for row in net.layers:
        expr = per_row[row][str(metric)]
        if expr is None or expr == 0:
            continue
        if expr.has(sympy.Sum):
            expr = expr.doit()
        fn = compile_expr(expr, [x])
        ys = fn.evaluate_arrays([xs])
        series.append((row.name, _floats(np.broadcast_to(ys, valid.shape), valid)))
    if not series:
        raise UsageError(f"no layer has any {metric}")
    series.sort(key=lambda s: -np.nan_to_num(s[1][-1]))
    if len(series) > MAX_AREAS:
        rest = sum(s[1] for s in series[MAX_AREAS - 1:])
        series = series[:MAX_AREAS - 1] + [(f"other ({len(series) - MAX_AREAS + 1} rows)", rest)]
    ax.stackplot([int(v) for v in xs], *[s[1] for s in series], labels=[_label(s[0]) for s in series], alpha=0.85)
    ax.legend(loc="upper left", fontsize="small")
    return dict(series)
