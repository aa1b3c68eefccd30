"""The summary deck's repeat slide: one pass is the sum of one pass's layers, the repeat all its passes
(GPT-2 printed P_pass = 7,087,872 · layers = 85,054,464, the whole repeat as one pass)."""

from __future__ import annotations

import re

import symparams
from symparams.printers import latex

from conftest import EXAMPLES


def _repeat_lines(text: str) -> dict:
    frame = re.search(r"\\begin\{frame\}\{Repeated.*?\\end\{frame\}", text, re.S).group(0)
    return {m.group(1): m.group(2) for m in re.finditer(r"P_\{\\text\{([^}]*)\}\} &= (.*?)(?: \\\\)?$", frame, re.M)}


def test_gpt2_repeat_slide_shows_one_pass_and_the_whole_repeat():
    net = symparams.load(EXAMPLES / "zoo" / "gpt2_small.arch")
    lines = _repeat_lines(latex.render(net, mode="beamer"))
    repeat = next(r for r in net.layers if r.kind == "repeat")
    one = sum(int(c.params) for c in repeat.children[0].children)
    assert one == 7_087_872
    assert lines["pass"] == f"{one:,}".replace(",", "{,}")
    assert lines[r"repeat\_1"].endswith(f"= {12 * one:,}".replace(",", "{,}"))
