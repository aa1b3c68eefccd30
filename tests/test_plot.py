"""symparams plot: images of the expected size and kind, data equal to hand counts,
and a one-line error without matplotlib."""

from __future__ import annotations

import struct
import sys
import xml.etree.ElementTree as ET

import pytest

from symparams.errors import install_command

import symparams
import symparams.plot
from symparams.cli import main
from symparams.errors import MissingDependencyError, UsageError

from conftest import EXAMPLES, need_module

WIDTH = EXAMPLES / "seed002_width.arch"
STRIDED = "input n x n x 3\nconv f 3x3 stride=2\nconv f 3x3 stride=2\nflatten\ndense 10\n"


def seed_by_hand(f: int) -> int:
    return (25 * f + f) + (9 * f * f + f) + (25 * f * 256 + 256) + (256 * 10 + 10)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_line_plot(tmp_path, capsys):
    need_module("matplotlib")
    out = tmp_path / "w.png"
    assert main(["plot", str(WIDTH), "--vary", "f=8:128", "-o", str(out)]) == 0
    assert png_size(out) == (800, 500)             # 8 x 5 inches at 100 dpi
    assert out.stat().st_size > 5_000
    drawing = symparams.plot.plot(symparams.load(WIDTH), {"f": range(8, 129)}, out=str(tmp_path / "x.png"))
    assert drawing.xs == list(range(8, 129))
    assert list(drawing.series["params"]) == [float(seed_by_hand(f)) for f in range(8, 129)]
    assert "f^{2}" in drawing.title and drawing.title.startswith("params = $")


def test_svg_two_symbols_and_invalid_points(tmp_path):
    need_module("matplotlib")
    np = need_module("numpy")
    out = tmp_path / "s.svg"
    net = symparams.parse(STRIDED)
    drawing = symparams.plot.plot(net, {"n": range(1, 65), "f": [8, 16, 32]}, out=str(out), log=True)
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg") and root.get("width") == "576pt" and root.get("height") == "360pt"
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) > 10
    assert set(drawing.series) == {"f = 8", "f = 16", "f = 32"}
    ys = drawing.series["f = 16"]
    assert np.isnan(ys[:6]).all()                  # n < 7: the convolutions do not fit
    s2 = lambda n: ((n - 3) // 2 - 1) // 2 + 1  # noqa: E731
    assert ys[63] == 28 * 16 + 9 * 16 * 16 + 16 + s2(64) ** 2 * 16 * 10 + 10


def test_by_layer_pdf(tmp_path):
    need_module("matplotlib")
    out = tmp_path / "b.pdf"
    drawing = symparams.plot.plot(symparams.load(WIDTH), {"f": [8, 16, 32, 64]}, out=str(out), by_layer=True)
    assert out.read_bytes()[:5] == b"%PDF-"
    # the rows' shares add up to the total at every f
    for k, f in enumerate([8, 16, 32, 64]):
        assert sum(series[k] for series in drawing.series.values()) == seed_by_hand(f)
    assert drawing.series["conv2d_2"][2] == 9 * 32 * 32 + 32


def test_by_layer_png_cli(tmp_path):
    need_module("matplotlib")
    out = tmp_path / "b.png"
    assert main(["plot", str(WIDTH), "--vary", "f=8:64:8", "--by-layer", "--log", "-o", str(out)]) == 0
    assert png_size(out) == (800, 500)


def test_usage_errors(tmp_path, capsys):
    need_module("matplotlib")
    assert main(["plot", str(WIDTH), "--vary", "f=8:64", "-o", str(tmp_path / "x.gif")]) == 2
    assert ".png, .svg or .pdf" in capsys.readouterr().err
    net = symparams.parse(STRIDED)
    with pytest.raises(UsageError, match="one --vary"):
        symparams.plot.plot(net, {"n": [9], "f": [1]}, out=str(tmp_path / "x.png"), by_layer=True)
    with pytest.raises(UsageError):
        symparams.plot.plot(net, {"n": [9], "f": [1], "g": [2]}, out=str(tmp_path / "x.png"))


def test_without_matplotlib(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import matplotlib -> ImportError
    with pytest.raises(MissingDependencyError):
        symparams.plot.plot(symparams.load(WIDTH), {"f": [8]}, out=str(tmp_path / "x.png"))
    assert main(["plot", str(WIDTH), "--vary", "f=8:16", "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert install_command("plot") in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_sweep_with_plot(tmp_path, capsys):
    need_module("matplotlib")
    out = tmp_path / "s.svg"
    assert main(["sweep", str(WIDTH), "--vary", "f=8:32:8", "--format", "csv", "--plot", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"8,{seed_by_hand(8)}"
    assert ET.parse(out).getroot().tag.endswith("svg")
