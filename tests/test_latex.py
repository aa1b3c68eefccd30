"""symparams latex: every mode of every example compiles with pdflatex and shows the right numbers;
awkward names always compile; the seed's slides carry the published counts."""

from __future__ import annotations

import re
import time

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cli
from symparams.errors import SymparamsError
from symparams.printers import latex
from symparams.printers.common import at, default_values, symbol_name

from conftest import EXAMPLES, load_example

ARTICLE = "\n".join([r"\documentclass{article}", r"\usepackage[margin=1.5cm]{geometry}",
                     r"\usepackage{amsmath,booktabs,graphicx}", r"\begin{document}", "%s", r"\end{document}", ""])
EXAMPLE_FILES = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.arch"))
SEED = EXAMPLES / "seed002_mnist.arch"
TIMINGS: dict[str, float] = {}


def shown_total(net) -> str | None:
    value = at(net.params, default_values(net))
    return f"{int(value):,}" if value is not None else None


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_mode_of_every_example_compiles(name, pdflatex):
    net = load_example(EXAMPLES / name)
    total = shown_total(net)
    started = time.perf_counter()
    documents = {
        "fragment": ARTICLE % latex.render(net, latex.PARTS, "fragment"),
        "standalone": latex.render(net, latex.PARTS, "standalone"),
        "beamer": latex.render(net, latex.PARTS, "beamer"),
    }
    body = documents["beamer"].split(r"\begin{document}")[1]
    assert not re.search(r"\d\.\d", body), "a float in the LaTeX"
    for mode, source in documents.items():
        text = squash(pdflatex(source, mode))
        if total is not None:
            assert total in text, f"{name} {mode}: total {total} not in the PDF"
        assert "Total params" in text and "Layer" in text
    TIMINGS[name] = time.perf_counter() - started


def test_compilation_time_stays_modest():
    """Measured over the compilations above (when they ran in this session): under five minutes."""
    if TIMINGS:
        assert sum(TIMINGS.values()) < 300, TIMINGS


def test_seed_slides_match_the_published_numbers(tmp_path, pdflatex, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["latex", str(SEED), "--beamer", "--all", "-o", "slides.tex"]) == 0
    text = squash(pdflatex((tmp_path / "slides.tex").read_text(encoding="utf-8"), "slides"))
    # the page the seed comes from: 832, 0, 9'248, 0, 205'056, 2'570 = 217'706
    for number in ("832", "9,248", "205,056", "2,570", "217,706"):
        assert number in text
    assert "(5 · 5 · 1 + 1) · 32 = 832" in text                # the derivation's arithmetic
    assert "(3 · 3 · 32 + 1) · 32 = 9,248" in text
    assert "(800 + 1) · 256 = 205,056" in text
    assert "832 + 9,248 + 205,056 + 2,570" in text              # the total, term by term
    assert re.search(r"Derivation \(1/\d\)", text)               # split over several frames
    # hand arithmetic: a 5x5 kernel on 28x28 leaves 24; pooling by 2 halves; 3x3 leaves 10; pooling 5
    assert "28 − 5 + 1 = 24" in text and "5 · 5 · 32 = 800" in text


def test_parts_and_modes_select_what_is_written(capsys):
    assert cli.main(["latex", str(SEED)]) == 0                  # default: the table, a fragment
    out = capsys.readouterr().out
    assert r"\begin{tabular}" in out and r"\toprule" in out and "align" not in out
    assert r"\documentclass" not in out and r"217{,}706" in out
    assert cli.main(["latex", str(SEED), "--totals"]) == 0
    out = capsys.readouterr().out
    assert "tabular" not in out and r"P_{\text{total}} &= 217{,}706" in out
    assert cli.main(["latex", str(SEED), "--derivation", "--standalone"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\documentclass") and "tabular" not in out and r"\begin{alignat*}{2}" in out
    assert cli.main(["latex", str(SEED), "--table", "--beamer"]) == 0
    out = capsys.readouterr().out
    assert r"\documentclass[aspectratio=169]{beamer}" in out and "align" not in out


def test_symbol_names_are_typeset():
    assert symbol_name("n_in") == r"n_{\mathrm{in}}"
    assert symbol_name("k_h") == "k_{h}"
    assert symbol_name("alpha") == r"\alpha"
    assert symbol_name("x2") == "x_{2}"
    assert symbol_name("width") == r"\mathrm{width}"
    assert symbol_name("a__b") == r"\mathrm{a\_\_b}"
    assert symbol_name("hidden_size") == r"\mathrm{hidden\_size}"       # a word is never base + subscript
    assert symbol_name("d_model") == r"d_{\mathrm{model}}"
    n = symparams.algebra.symbol("n_in")
    assert latex.tex(3 * n) == r"3 \cdot n_{\mathrm{in}}"            # products with \cdot
    assert latex.tex(sympy.Rational(1, 2)) == r"\frac{1}{2}"          # rationals exact, no 0.5 or 1.0
    assert latex.tex(sympy.Float("0.25")) == r"\frac{1}{4}"
    assert latex.number(217706) == "217{,}706"


def test_general_formula_agrees_with_the_count():
    """The derivation's letters (k_h, C_in, ...) put back give each layer's count."""
    net = symparams.parse("let f = 8\ninput 20 x 20 x 3\nconv f 5x3 stride=2\nbatchnorm\nflatten\ndense 7\n")
    conv = net.layers[1]
    weights = latex.general_weights(conv, net.convention)
    size = sum((w.size for w in weights if not w.buffer), sympy.Integer(0))
    k_h, k_w, c_in, c_out = (sympy.Symbol(s, integer=True, positive=True) for s in ("k_h", "k_w", "C_in", "C_out"))
    assert sympy.expand(size - (k_h * k_w * c_in + 1) * c_out) == 0
    assert size.subs({k_h: 5, k_w: 3, c_in: 3, c_out: 8}) == (5 * 3 * 3 + 1) * 8


LAYER_NAME = st.lists(st.sampled_from(list("ab_%&#${}~^\\<>|'`.- ") + ["\\n", "é", "✓", "\t"]),
                      min_size=1, max_size=6).map("".join).filter(lambda s: s.strip())
SYMBOL = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,5}\Z")


def awkward_network(s1, s2, n1, n2, n3):
    source = (f"let {s1} = 6\nlet {s2} = 4\ninput {s1} x {s1} x 3\nconv {s2} 3x3 name=\"{n1}\"\n"
              f"residual {{ conv {s2} 3x3 padding=same name=\"{n2}\" }}\nrepeat 2 {{ conv {s2} 1x1 }}\n"
              f"flatten\ndense 3 name=\"{n3}\"\n")
    try:
        return symparams.parse(source)
    except SymparamsError:
        return None


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s1=SYMBOL, s2=SYMBOL, n1=LAYER_NAME, n2=LAYER_NAME, n3=LAYER_NAME)
def test_awkward_names_always_compile(pdflatex, s1, s2, n1, n2, n3):
    assume(s1 != s2)
    net = awkward_network(s1, s2, n1, n2, n3)
    assume(net is not None)
    total = shown_total(net)
    for mode in ("fragment", "beamer"):
        source = latex.render(net, latex.PARTS, mode)
        text = squash(pdflatex(ARTICLE % source if mode == "fragment" else source, mode))
        assert total in text


def test_the_documented_awkward_names_compile(pdflatex):
    for names in (("a_b", "x%", "\\n"), ("{}", "~^", "$"), ("#&", "a_b", "}{")):
        net = awkward_network("a_b", "k_h", *names)
        assert net is not None
        text = squash(pdflatex(latex.render(net, latex.PARTS, "standalone")))
        assert shown_total(net) in text


def test_set_values_reach_the_totals(capsys):
    """examples/lecture_symbolic.arch at n = 64 (f = 16, k = 3 by default), by hand: conv (3*3*3 + 1)*16
    = 448 on 62x62; pool to 31; conv (3*3*16 + 1)*32 = 4,640 on 29x29; pool to 14; dense
    (14*14*32 + 1)*10 = 62,730; total 67,818."""
    path = EXAMPLES / "lecture_symbolic.arch"
    if not path.exists():
        pytest.skip("examples/lecture_symbolic.arch is not there")
    assert cli.main(["latex", str(path), "--set", "n=64", "--totals"]) == 0
    out = capsys.readouterr().out
    assert r"= 67{,}818 \\" in out
    assert cli.main(["latex", str(path), "--set", "n=64", "--derivation"]) == 0
    out = capsys.readouterr().out
    for part in ("448", "4{,}640", "62{,}730", r"\left(6{,}272 + 1\right) \cdot 10"):
        assert part in out


SMALL = "let n = 12\nlet f = 4\ninput n x n x 3\nconv f 3x3 relu\nbatchnorm\nmaxpool 2x2\nglobalavgpool\ndense 10\n"


def test_a_metric_column_compiles_without_overfull_boxes(tmp_path, pdflatex):
    """latex --columns macs: the column and its total in the PDF, summary's numbers, nothing
    sticking out into the margin (0 overfull boxes in the log) as an article and as slides."""
    from symparams import cost
    net = symparams.parse(SMALL, convention="pytorch")
    macs = cost.totals(net, ["macs"])["macs"]
    shown = f"{int(at(macs, default_values(net))):,}"
    for mode in ("standalone", "beamer"):
        text = squash(pdflatex(latex.render(net, latex.PARTS, mode, columns=("params", "macs")), mode))
        assert "MACs" in text and f"Total MACs" in text and shown in text, (mode, text[:2000])
        log = (tmp_path / f"{mode}.log").read_text(encoding="utf-8", errors="replace")
        assert log.count("Overfull") == 0, [line for line in log.splitlines() if "Overfull" in line]
    # without --columns the table is the parameter table alone
    assert "MACs" not in latex.render(net, ("table", "totals"), "fragment")


def test_latex_columns_option(tmp_path, capsys):
    path = tmp_path / "small.arch"
    path.write_text(SMALL, encoding="utf-8")
    assert cli.main(["latex", str(path), "--columns", "macs,flops", "--all"]) == 0
    out = capsys.readouterr().out
    assert r"\text{Total MACs}" in out and r"\multicolumn{2}{@{}l}{Total FLOPs}" in out
    assert cli.main(["latex", str(path), "--columns", "macz"]) == 2
    err = capsys.readouterr().err
    assert "unknown column 'macz'" in err and "Traceback" not in err
