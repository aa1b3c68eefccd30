"""Issue 15, slides that fit and summarise: for every file in examples/ and examples/zoo/,
`symparams latex FILE --all --standalone` and `symparams latex FILE --beamer` compile with pdflatex
with no Overfull box in the log, and the default deck of every zoo model has at most 15 frames.

The sources are written by the command line in this process; pdflatex then runs in WORKERS
parallel processes, each in its own directory with its own TEXMFVAR (nothing is cached across
runs). The whole set (and the --detail deck of a representative subset) took about 100 s on 2 cores
here; SYMPARAMS_DECKS=subset keeps to the subset if a slow machine needs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from symparams import cli
from symparams.printers import latex

from conftest import EXAMPLES, need_program

WORKERS = 2
MAX_FRAMES = 15
FILES = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.glob("*.arch")) + \
    sorted(p.relative_to(EXAMPLES).as_posix() for p in (EXAMPLES / "zoo").glob("*.arch"))
SUBSET = ("seed002_mnist.arch", "lecture_symbolic.arch", "vgg_depth.arch", "zoo/resnet50.arch",
          "zoo/vit_b16.arch", "zoo/t5_small.arch", "zoo/llama_tinyllama.arch")
if os.environ.get("SYMPARAMS_DECKS", "all") == "subset":
    FILES = [f for f in FILES if f in SUBSET]
MODES = {"article": ("--all", "--standalone"), "deck": ("--beamer",), "detail": ("--beamer", "--detail")}
TIMES: dict = {}


def _compile(work, name: str, program: str) -> tuple:
    """(return code, Overfull lines, pages) of one pdflatex run in its own directory."""
    env = dict(os.environ, TEXMFVAR=str(work / name / "texmf-var"))
    proc = subprocess.run([program, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
                          cwd=work / name, capture_output=True, text=True, errors="replace", env=env, timeout=600)
    log = (work / name / "doc.log").read_text(encoding="utf-8", errors="replace")
    overfull = [line for line in log.splitlines() if line.startswith("Overfull")]
    pages = re.search(r"Output written on doc\.pdf \((\d+) pages?", log)
    return proc.returncode, overfull, int(pages.group(1)) if pages else 0


FAMILIES = ("llama", "mistral", "mixtral", "qwen2", "gemma", "gpt2", "bert", "t5")     # tests/hf_families.py


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, hf_files):
    program = need_program("pdflatex")
    work = tmp_path_factory.mktemp("decks")
    names = []
    started = time.perf_counter()
    sources = [(file.replace("/", "-"), EXAMPLES / file, file in SUBSET) for file in FILES]
    # the imported Hugging Face files: the long names of every config (issue 22)
    sources += [(f"hf-{family}", hf_files[family], False) for family in FAMILIES]
    for key, path, detail in sources:
        for mode, flags in MODES.items():
            if mode == "detail" and not detail:
                continue
            name = f"{key}-{mode}"
            (work / name).mkdir()
            assert cli.main(["latex", str(path), *flags, "-o", str(work / name / "doc.tex")]) == 0, name
            names.append(name)
    TIMES["write"] = time.perf_counter() - started
    with ThreadPoolExecutor(WORKERS) as pool:
        results = dict(zip(names, pool.map(lambda n: _compile(work, n, program), names)))
    TIMES["total"] = time.perf_counter() - started
    print(f"\n{len(names)} documents written in {TIMES['write']:.1f} s, written and compiled in "
          f"{TIMES['total']:.1f} s ({WORKERS} pdflatex processes)")
    return results


@pytest.mark.parametrize("file", FILES)
def test_article_and_deck_compile_with_nothing_overfull(compiled, file):
    for mode in MODES:
        if mode == "detail" and file not in SUBSET:
            continue
        code, overfull, pages = compiled[f"{file.replace('/', '-')}-{mode}"]
        assert code == 0, f"{file} ({mode}): pdflatex failed"
        assert pages > 0
        assert not overfull, f"{file} ({mode}): {overfull[:3]}"


@pytest.mark.parametrize("file", [f for f in FILES if f.startswith("zoo/")])
def test_the_default_deck_of_a_zoo_model_is_short(compiled, file):
    pages = compiled[f"{file.replace('/', '-')}-deck"][2]
    assert 4 <= pages <= MAX_FRAMES, f"{file}: {pages} frames"      # title, diagram, totals, arithmetic at least


@pytest.mark.parametrize("family", FAMILIES)
def test_imported_files_compile_with_nothing_overfull_in_a_short_deck(compiled, family):
    """Issue 22: an imported config's long names (max_position_embeddings) fit the article and the
    summary deck: short letters with a Notation legend, formulas broken across lines."""
    for mode in ("article", "deck"):
        code, overfull, pages = compiled[f"hf-{family}-{mode}"]
        assert code == 0 and pages > 0, f"{family} ({mode}): pdflatex failed"
        assert not overfull, f"{family} ({mode}): {overfull[:3]}"
    assert compiled[f"hf-{family}-deck"][2] <= MAX_FRAMES


def test_latex_short_names_legend_title_author_date(hf_files, tmp_path):
    """The Notation legend maps each letter to the config's name and value; --long-names keeps the
    names; --title/--author/--date reach the title page and the article's heading."""
    out = tmp_path / "deck.tex"
    assert cli.main(["latex", str(hf_files["llama"]), "--beamer", "--title", "Llama 2 (7B)", "--author", "A. Lecturer",
                     "--date", "6 December 2026", "-o", str(out)]) == 0
    deck = out.read_text(encoding="utf-8")
    assert r"\title{Llama 2 (7B)}" in deck and r"\author{A. Lecturer}" in deck and r"\date{6 December 2026}" in deck
    assert r"$L$ = \texttt{num\_hidden\_layers} ($32$)" in deck and r"$T$ = \texttt{max\_position\_embeddings}" in deck
    assert "num\\_hidden\\_layers}" not in deck.split("Notation")[-1].split(r"\end{frame}", 1)[1]
    assert cli.main(["latex", str(hf_files["llama"]), "--all", "--standalone", "--long-names", "--title", "T&S",
                     "-o", str(out)]) == 0
    article = out.read_text(encoding="utf-8")
    assert r"\section*{T\&S}" in article and "Notation" not in article and r"\mathrm{num\_hidden\_layers}" in article
    # display only: the same counts with and without the letters
    short = latex.render(symparams_load(hf_files["llama"]), ("table", "totals"), "standalone")
    long = latex.render(symparams_load(hf_files["llama"]), ("table", "totals"), "standalone", short_names=False)
    short = "\n".join(line for line in short.splitlines() if not line.startswith("Notation: "))
    assert "Notation" not in long and r"\mathrm{num" not in short
    assert re.findall(r"\d+(?:\{,\}\d{3})+", short) == re.findall(r"\d+(?:\{,\}\d{3})+", long)


def symparams_load(path):
    import symparams
    return symparams.load(path)


def test_the_summary_deck_shows_blocks_formulas_and_multiplicities(capsys):
    """ResNet-18: BasicBlock ×5 (layer1's two, then one in each later stage) and the downsampling
    block ×3, each with its count as a formula in its width c and input channels C."""
    assert cli.main(["latex", str(EXAMPLES / "zoo" / "resnet18.arch"), "--beamer"]) == 0
    out = capsys.readouterr().out
    frames = re.findall(r"\\begin\{frame\}\{([^\n]*)\}", out)
    assert frames[0] == "Architecture" and "Totals" in frames and any(f.startswith("Worked arithmetic") for f in frames)
    assert r"Block \texttt{basic} \quad $\times 5$" in frames
    assert r"Block \texttt{down} \quad $\times 3$" in frames
    # basic(c) on C input channels: two 3x3 convs without bias (9Cc + 9c²) and two batch norms (2c
    # each); the formula is checked against every use before it is shown
    # under PyTorch (the file's convention: batch norm's running statistics are buffers)
    assert r"P_{\text{basic}}(c, C) &= c \left(9 C + 9 c + 4\right)" in out
    assert r"\begin{tikzpicture}" in out and r"\resizebox" in out       # the diagram, scaled to the slide
    assert "Layers" not in frames                                        # no per-layer table by default


def test_detail_gives_every_layer(capsys):
    assert cli.main(["latex", str(EXAMPLES / "seed002_mnist.arch"), "--beamer", "--detail"]) == 0
    out = capsys.readouterr().out
    assert r"\begin{frame}{Layers" in out and "Derivation" in out and r"\begin{frame}{Totals}" in out
    assert r"\resizebox" not in out                                      # tables are never scaled


def test_long_formulas_break_at_plus_then_dot_never_inside_a_fraction():
    formula = r" + ".join([r"\mathit{layers} \cdot \mathit{width}^{2}"] * 6 + [r"\frac{a + b}{c + d}"])
    lines = latex.broken(formula, 30)
    assert len(lines) > 1 and all(latex.width(line) <= 30 for line in lines)
    assert " ".join(lines) == formula                     # nothing lost or reordered
    assert any(line.startswith("+ ") for line in lines[1:])
    assert r"\frac{a + b}{c + d}" in lines[-1]           # a fraction's braces are never split
    grouped = r"w \cdot \left(" + formula + r"\right)"
    lines = latex.broken(grouped, 30)
    assert r"\left(" not in "".join(lines) and r"\bigl(" in "".join(lines)
    assert " ".join(lines).replace(r"\bigl(", r"\left(").replace(r"\bigr)", r"\right)") == grouped


def test_a_shape_breaks_between_factors_never_inside_parentheses():
    """Issue 22: the detailed deck broke '(n − k' / '+ 1) × f'; a shape breaks before a × only."""
    import sympy
    n, k, f = sympy.symbols("n k f", integer=True, positive=True)
    dims = (sympy.floor((n - k) / 2) + 1 + n, n - k + 1, f * n + k)
    tex = latex.shape(dims)
    lines = latex.broken(tex, 14, latex._SHAPE_LEVELS)
    assert len(lines) > 1
    assert all(line.count(r"\left(") == line.count(r"\right)") for line in lines), lines
    assert all(line.startswith(r"\times ") for line in lines[1:]), lines
