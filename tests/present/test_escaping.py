"""User text (layer names, file names) never reaches an output raw: the terminal gets no control
characters (no escape sequence can retitle or clear it), Markdown, HTML and SVG get it escaped."""

import json
import re

import pytest

import symparams
from symparams import cli
from symparams.printers import diagram, markdown, text
from symparams.printers.text import terminal_text

ESC_NAME = "x\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil"
HTML_NAME = "<img src=x onerror=alert(1)>&amp;"


def _net(name, symbolic=False):
    size = "n" if symbolic else "12"
    head = "let n = 12\n" if symbolic else ""
    source = (f"{head}input {size} x {size} x 2\nconv 4 3x3 name={json.dumps(name)}\n"
              f"maxpool 2\nflatten\ndense 3\n")
    return symparams.parse(source, file=f"evil{name}.arch")


@pytest.mark.parametrize("symbolic", [False, True])
def test_terminal_output_has_no_control_characters(symbolic):
    net = _net(ESC_NAME, symbolic)
    out = text.render(net, explain=True, width=100) + text.render(net, width=100, ascii=True)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "x?]0;pwned??[2J?31m?evil" in out


def test_terminal_text_keeps_ordinary_unicode():
    assert terminal_text("größe_α ×2") == "größe_α ×2"
    assert terminal_text("a\x1b[31mb\nc") == "a?[31mb?c"


def test_cli_summary_strips_escapes(tmp_path, capsys):
    path = tmp_path / "net.arch"
    path.write_text(f'input 8 x 8 x 1\nconv 2 3x3 name={json.dumps(ESC_NAME)}\n', encoding="utf-8")
    assert cli.main(["summary", str(path)]) == 0
    assert "\x1b" not in capsys.readouterr().out


@pytest.mark.parametrize("symbolic", [False, True])
def test_markdown_and_notebook_escape_html(symbolic):
    net = _net(HTML_NAME, symbolic)
    for out in (markdown.render(net), net._repr_markdown_()):
        assert "<" not in out and ">" not in out
        assert r"&lt;img src=x onerror=alert\(1\)&gt;&amp;amp;" in out


def test_markdown_validity_text_escapes_html():
    """The validity conditions quote layer names: in the notebook's Markdown they are escaped too."""
    source = f'let n = 12\ninput n x n x 2\nconv 4 3x3 name={json.dumps(HTML_NAME)}\n'
    net = symparams.parse(source)
    md = net._repr_markdown_()
    assert "Valid for" in md
    assert "<img" not in md


def test_svg_escapes_names():
    net = _net(HTML_NAME + ESC_NAME)
    svg = diagram.svg(net)
    assert "<img" not in svg and "\x1b" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in svg
