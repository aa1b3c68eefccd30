"""symparams diagram: SVG is well-formed XML with one box per layer, boxes never overlap, branches
meet in one circle per residual/concat/add, and the TikZ compiles with pdflatex."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cli
from symparams.errors import SymparamsError
from symparams.printers import diagram
from symparams.printers.view import BRANCH_KINDS

from conftest import EXAMPLES, load_example

EXAMPLE_FILES = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.arch"))
SVG = "{http://www.w3.org/2000/svg}"

BRANCHY = """let n = 16
input n x n x 3
conv 8 3x3 padding=same
block basic(c) { conv c 3x3 padding=same bias=false; batchnorm; relu }
residual { basic(8) }
residual { conv 16 3x3 stride=2 padding=same } shortcut { conv 16 1x1 stride=2 }
concat { } { batchnorm; relu; conv 8 3x3 padding=same }
add { conv 8 1x1 } { conv 8 1x1 } { conv 8 1x1 name="x%&_#{}" }
repeat 3 as i { conv 8*2^i 3x3 padding=same }
repeat d { conv 32 3x3 padding=same }
globalavgpool
dense 10
"""


def drawn_leaves(net):
    """Leaves a diagram draws: repeats with more than three passes show the first and the last."""
    count = 0

    def visit(row):
        nonlocal count
        if row.kind == "repeat" and len(row.children) > 3:
            for seg in (row.children[0], row.children[-1]):
                visit(seg)
        elif row.children:
            for child in row.children:
                visit(child)
        elif row.is_leaf:
            count += 1
    for row in net.layers:
        visit(row)
    return count


def check_layout(net):
    drawing = diagram.layout(net)
    boxes = [it for it in drawing.items if isinstance(it, diagram.Box)]
    merges = [it for it in drawing.items if isinstance(it, diagram.Merge)]
    assert len(boxes) == drawn_leaves(net)
    assert len(merges) <= sum(1 for _, r in net.walk() if r.kind in BRANCH_KINDS)
    for a, b in itertools.combinations(boxes, 2):        # no two boxes overlap
        apart = (abs(a.x - b.x) >= (a.w + b.w) / 2 - 1e-6) or (a.y + a.h <= b.y + 1e-6) or (b.y + b.h <= a.y + 1e-6)
        assert apart, (a.title, b.title)
    for box in boxes:                                    # everything inside the page
        assert box.x - box.w / 2 >= 0 and box.x + box.w / 2 <= drawing.width + 1e-6
        assert box.y >= 0 and box.y + box.h <= drawing.height + 1e-6
    return drawing, boxes, merges


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_example_draws_as_svg_and_tikz(name, pdflatex):
    net = load_example(EXAMPLES / name)
    pdflatex(diagram.tikz_document(net), "diagram")
    drawing, boxes, merges = check_layout(net)
    root = ET.fromstring(diagram.svg(net))
    assert root.tag == f"{SVG}svg"
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == len(merges)
    titles = [t.text for t in root.findall(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert len(titles) == len(boxes) + len(merges)


def test_branches_repeats_and_names():
    net = symparams.parse(BRANCHY)
    drawing, boxes, merges = check_layout(net)
    assert [m.op for m in merges] == ["+", "+", "concat", "+"]
    frames = [it for it in drawing.items if isinstance(it, diagram.Frame)]
    labels = [f.label for f in frames]
    assert "basic_1" in labels                              # the block
    assert any(label.endswith("×3") for label in labels)     # repeat 3: framed with its count
    assert any(label.endswith("×d") for label in labels)     # symbolic repeat
    root = ET.fromstring(diagram.svg(net))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "x%&_#{} (conv2d)" in texts                      # XML-escaped, read back intact
    # the identity shortcut: the body is on the main line, the bypass to its right
    first = next(r for r in net.layers if r.kind == "residual")
    body_box = next(b for b in boxes if b.title == first.children[0].children[0].children[0].name)
    entry = next(b for b in boxes if b.title == "conv2d_1")
    assert abs(body_box.x - entry.x) < 1e-9


def test_tikz_compiles(pdflatex, tmp_path, monkeypatch):
    net = symparams.parse(BRANCHY)
    text = "".join(pdflatex(diagram.tikz_document(net), "standalone").split())
    assert "n×n×8" in text and "x%&" in text and "#{}(conv2d)" in text and "×d" in text
    fragment = diagram.tikz(net)
    assert r"\documentclass" not in fragment
    doc = "\\documentclass{article}\\usepackage{tikz,amsmath}\\begin{document}\n%s\\end{document}\n" % fragment
    pdflatex(doc, "fragment")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["diagram", str(EXAMPLES / "seed002_mnist.arch"), "-o", "seed.tex"]) == 0
    text = "".join(pdflatex((tmp_path / "seed.tex").read_text(encoding="utf-8"), "seed").split())
    for shape in ("24×24×32", "12×12×32", "800", "256"):
        assert shape in text


@pytest.mark.parametrize("name", ["zoo/densenet121.arch", "zoo/resnet50.arch"])
def test_tall_networks_fit_in_tex_dimensions(name, pdflatex):
    """Tall networks continue in columns (TeX dimensions end near 575 cm)."""
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} is not in examples/")
    net = load_example(path)
    drawing = diagram.layout(net)
    assert drawing.height < 100
    pdflatex(diagram.tikz_document(net), "tall")


def test_cli_formats(tmp_path, capsys):
    seed = str(EXAMPLES / "seed002_mnist.arch")
    assert cli.main(["diagram", seed, "-o", str(tmp_path / "a.svg")]) == 0
    ET.parse(tmp_path / "a.svg")
    assert cli.main(["diagram", seed, "--fragment"]) == 0
    assert capsys.readouterr().out.startswith(r"\begin{tikzpicture}")
    assert cli.main(["diagram", seed, "-o", str(tmp_path / "a.png")]) == 2
    assert cli.main(["diagram", seed, "--format", "svg", "--fragment"]) == 2


ANY_NAME = st.text(st.characters(blacklist_characters='"\n', blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(ANY_NAME, ANY_NAME)
def test_any_layer_name_gives_well_formed_svg(a, b):
    try:
        net = symparams.parse(f'input 8x8x1\nconv 2 3x3 name="{a}"\nresidual {{ conv 2 1x1 name="{b}" }}\n')
    except SymparamsError:
        assume(False)
    root = ET.fromstring(diagram.svg(net))
    assert len(root.findall(f"{SVG}circle")) == 1


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ANY_NAME)
def test_any_layer_name_gives_compilable_tikz(pdflatex, a):
    try:
        net = symparams.parse(f'input 8x8x1\nconv 2 3x3 name="{a}"\nflatten\ndense 3\n')
    except SymparamsError:
        assume(False)
    assert "6×6×2" in "".join(pdflatex(diagram.tikz_document(net), "any").split())
