"""Render the LaTeX output the README shows: symparams latex / diagram -> pdflatex -> pdftoppm -> PNG.

    python scripts/render_readme_page.py            # writes docs/latex_page.png, docs/latex_slide.png,
                                                    # docs/diagram.png
Needs pdflatex and pdftoppm (Debian: texlive-latex-recommended texlive-latex-extra poppler-utils).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SEED = ROOT / "examples" / "seed002_mnist.arch"
DIAGRAM_SOURCE = """let n = 32
input n x n x 3
conv 16 3x3 padding=same
residual { conv 16 3x3 padding=same bias=false; batchnorm; relu; conv 16 3x3 padding=same bias=false; batchnorm }
residual { conv 32 3x3 stride=2 padding=same bias=false; batchnorm } shortcut { conv 32 1x1 stride=2 }
concat { } { batchnorm; relu; conv 16 3x3 padding=same }
repeat 2 { conv 48 3x3 padding=same }
globalavgpool
dense 10 softmax
"""


def compile_pdf(source: str, workdir: Path, name: str) -> Path:
    (workdir / f"{name}.tex").write_text(source, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=workdir,
                          capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        sys.exit(f"pdflatex failed on {name}.tex:\n{proc.stdout[-2000:]}")
    return workdir / f"{name}.pdf"


def to_png(pdf: Path, out: Path, page: int, dpi: int, trim: bool = True, margin: int = 24):
    """One page as PNG; trim: cut the empty paper around the text (keeping a margin)."""
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True)
    png = stem.with_suffix(".png")
    if trim:
        from PIL import Image, ImageChops

        image = Image.open(png).convert("RGB")
        background = Image.new("RGB", image.size, (255, 255, 255))
        box = ImageChops.difference(image, background).getbbox()
        if box:
            left, top, right, bottom = box
            image = image.crop((max(left - margin, 0), max(top - margin, 0), min(right + margin, image.width),
                                min(bottom + margin, image.height)))
        image.save(out, optimize=True)
    else:
        shutil.copyfile(png, out)
    print(f"wrote {out.relative_to(ROOT)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args(argv)
    for program in ("pdflatex", "pdftoppm"):
        if shutil.which(program) is None:
            sys.exit(f"{program} is not on PATH")
    sys.path.insert(0, str(ROOT))
    import symparams
    from symparams.printers import diagram, latex

    DOCS.mkdir(exist_ok=True)
    seed = symparams.load(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = compile_pdf(latex.render(seed, latex.PARTS, "standalone"), work, "page")
        to_png(page, DOCS / "latex_page.png", 1, args.dpi)
        slides = compile_pdf(latex.render(seed, latex.PARTS, "beamer"), work, "slides")
        to_png(slides, DOCS / "latex_slide.png", 3, args.dpi, trim=False)
        drawing = compile_pdf(diagram.tikz_document(symparams.parse(DIAGRAM_SOURCE, file="diagram")), work,
                              "diagram")
        to_png(drawing, DOCS / "diagram.png", 1, args.dpi)
    return 0


if __name__ == "__main__":
    sys.exit(main())
