"""Every metric of the registry (symparams/metrics.py) reaches every surface: summary as text,
JSON and Markdown, LaTeX (latex --columns: the table's column and total, the totals' line), solve,
sweep, plot, the playground's Python API, the command-line help and docs/compute.md. A metric
one surface misses fails here, naming the surface, so a new metric is one registry entry plus
its own test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import symparams
from symparams import cost, metrics, web
from symparams.errors import SymparamsError, UsageError

ROOT = Path(__file__).resolve().parent.parent
# a convolution (receptive field), a sequence-free classifier: every metric has a value here
SOURCE = "let n = 12\nlet f = 4\ninput n x n x 3\nconv f 3x3 relu\nbatchnorm\nmaxpool 2x2\nglobalavgpool\ndense 10\n"
OPTIONS = dict(batch=2, tokens="20N")


def _net():
    return symparams.parse(SOURCE, convention="pytorch")


def _options():
    return cost.Options(**OPTIONS)


def _metric(name):
    return cost.Metric(name, _options())


# params is every table's own column (formula and count) and total: the printers show it natively
NATIVE = {"params": {"text": "Total params", "markdown": "| Parameters |"}}


def _summary(name, fmt) -> str:
    from symparams.printers import jsonout, markdown, text
    net, options = _net(), _options()
    if name in NATIVE:
        return {"json": jsonout.render, "markdown": markdown.render}.get(fmt, text.render)(net)
    if fmt == "json":
        return jsonout.render(net, columns=("params", name), cost_options=options)
    if fmt == "markdown":
        return markdown.render(net, columns=("params", name), cost_options=options)
    return text.render(net, columns=("params", name), cost_options=options, width=200)


def _check_summary_text(m):
    out = _summary(m.name, "text")
    if m.name in NATIVE:
        assert NATIVE[m.name]["text"] in out, out
        return
    assert f"Total {m.label}" in out or m.name.startswith("rf"), out
    assert m.label in out, out


def _check_summary_json(m):
    data = json.loads(_summary(m.name, "json"))
    if m.name.startswith("rf") or m.name in NATIVE:
        assert m.name in data["total"], data["total"]
        return
    assert m.name in data["total"] and f"{m.name}_value" in data["total"], sorted(data["total"])
    assert all(m.name in row for row in data["layers"]), data["layers"][0]


def _check_summary_markdown(m):
    out = _summary(m.name, "markdown")
    if m.name in NATIVE:
        assert NATIVE[m.name]["markdown"] in out, out
        return
    from symparams.printers.markdown import cell
    assert f" {cell(m.label)} |" in out, out


def _check_latex(m):
    from symparams.printers import latex
    net = _net()
    if m.name in NATIVE:
        out = latex.render(net, ("table", "totals"), "fragment")
        assert NATIVE[m.name]["text"] in out, out
        return
    out = latex.render(net, ("table", "totals"), "fragment", columns=("params", m.name), cost_options=_options())
    label = latex.metric_label(m.name)
    head = next(line for line in out.splitlines() if line.startswith("Layer &"))
    assert label in head, f"no {m.name} column in the table head: {head}"
    if not m.name.startswith("rf"):         # a receptive field has no total (summary prints none)
        assert r"\multicolumn{2}{@{}l}{Total %s" % label in out, "no total row in the table"
        assert r"\text{Total %s" % label in out, "no total line in the totals"


def _check_solve(m):
    net = _net()
    try:
        net.solve("f", metric=_metric(m.name), at_most=10 ** 30)
    except UsageError as exc:
        assert "unknown metric" not in exc.message, exc.message
    except SymparamsError:
        pass            # it does not depend on f, or no value fits: solve took the name


def _check_sweep(m):
    from symparams import sweep
    g = sweep.grid(_net(), {"f": [2, 4]}, [_metric(m.name)])
    values = g.columns()[m.name]
    assert len(values) == 2 and all(v is None or isinstance(v, int) for v in values), values


def _check_plot(m, tmp_path):
    from conftest import need_module
    need_module("matplotlib")
    from symparams import plot
    out = tmp_path / f"{m.name}.svg"
    plot.plot(_net(), {"f": [2, 3, 4]}, metric=_metric(m.name), out=str(out))
    assert out.stat().st_size > 0
    if m.column and m.additive:         # stacked by layer, unless no layer has any (this network's kv_bytes)
        if cost.metric(_net(), _metric(m.name)) == 0:
            with pytest.raises(UsageError, match="no layer has any"):
                plot.plot(_net(), {"f": [2, 3, 4]}, metric=_metric(m.name), out=str(out), by_layer=True)
        else:
            plot.plot(_net(), {"f": [2, 3, 4]}, metric=_metric(m.name), out=str(out), by_layer=True)


def _check_playground(m):
    session = web.Session()
    derived = session.derive(SOURCE)
    if m.needs:         # the playground has no field for an option without a default
        assert m.name not in derived["metrics"]
        return
    assert m.name in derived["metrics"], derived["metrics"]
    drawn = session.plot(m.name, "f", 2, 6)
    assert drawn["ok"], drawn


def _check_help(m):
    from symparams.cli import build_parser
    parser = build_parser()
    subs = parser._subparsers._group_actions[0].choices
    if m.column:
        assert m.name in " ".join(subs["summary"].format_help().split()), "summary --columns help"
        assert m.name in " ".join(subs["latex"].format_help().split()), "latex --columns help"
    for command in ("solve", "sweep", "plot"):
        assert m.name in " ".join(subs[command].format_help().split()), f"{command} --metric help"


def _check_docs(m):
    text = (ROOT / "docs" / "compute.md").read_text(encoding="utf-8")
    section = text.split("<!-- BEGIN generated:metrics -->")[1].split("<!-- END generated:metrics -->")[0]
    assert f"| `{m.name}` |" in section and m.doc.split(" (")[0][:30] in section, m.name


SURFACES = {"summary text": _check_summary_text, "summary JSON": _check_summary_json,
            "summary Markdown": _check_summary_markdown, "latex": _check_latex, "solve": _check_solve,
            "sweep": _check_sweep, "plot": _check_plot, "playground": _check_playground, "CLI help": _check_help,
            "docs/compute.md": _check_docs}


def missing_surfaces(m, tmp_path) -> list[str]:
    """The surfaces that do not show metric m, each with why."""
    missing = []
    for surface, check in SURFACES.items():
        if not m.column and surface.startswith(("summary", "latex")):
            continue        # a network total only (active): no column to show
        try:
            check(m, tmp_path) if surface == "plot" else check(m)
        except (AssertionError, SymparamsError, KeyError, TypeError) as exc:
            missing.append(f"{surface}: {type(exc).__name__} {str(exc)[:300]}")
    return missing


@pytest.mark.parametrize("name", metrics.names())
def test_every_metric_reaches_every_surface(name, tmp_path):
    missing = missing_surfaces(metrics.REGISTRY[name], tmp_path)
    assert not missing, f"metric '{name}' is missing from: " + "; ".join(missing)


def test_a_metric_missing_from_a_surface_is_named(monkeypatch, tmp_path):
    """The walk can fail: a metric put in the registry after the docs were generated is reported
    missing from exactly the docs (every other surface reads the registry when it runs)."""
    fake = metrics.Metric("fake_macs", "Fake MACs", "MACs", "a test metric", lambda f: f.sums["macs"] * f.batch,
                          batch=True)
    monkeypatch.setitem(metrics.REGISTRY, "fake_macs", fake)
    missing = {line.split(":")[0] for line in missing_surfaces(fake, tmp_path)}
    assert missing == {"docs/compute.md"}, missing
    monkeypatch.setattr(web, "metrics", lambda: [n for n in metrics.names() if n != "fake_macs"])
    assert "playground" in {line.split(":")[0] for line in missing_surfaces(fake, tmp_path)}
    # a LaTeX table that drops the metric columns is named as "latex"
    from symparams.printers import latex
    monkeypatch.setattr(latex, "metric_columns", lambda net, columns, options=None: None)
    assert "latex" in {line.split(":")[0] for line in missing_surfaces(fake, tmp_path)}


def test_every_metric_states_what_it_is():
    for m in metrics.REGISTRY.values():
        assert m.label and m.unit and m.doc and not m.doc.endswith("."), m.name
        assert set(m.notes) <= set(metrics.NOTES), m.name
    with pytest.raises(ValueError, match="twice"):
        metrics.register(metrics.REGISTRY["macs"])
