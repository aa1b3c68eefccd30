"""Sweep results and memory reports read as the commands print them, in the math printer's
notation (issue 15: notebooks show tables, not a list of dicts or a dataclass dump)."""

import re
import xml.etree.ElementTree as ET

import symparams
from symparams import cost, memory_report

from conftest import EXAMPLES

LECTURE = EXAMPLES / "lecture_symbolic.arch"


def test_sweep_rows_print_as_the_table_and_stay_a_list():
    rows = symparams.load(LECTURE).sweep({"f": [8, 16]})
    assert rows == [{"f": 8, "params": 7162}, {"f": 16, "params": 16618}]     # still the rows
    assert str(rows).splitlines() == [" f  params", " 8   7,162", "16  16,618"]
    html = rows._repr_html_()
    assert "<mi>f</mi>" in html and ">16,618<" in html and "<script" not in html


def test_sweep_grid_prints_as_the_table():
    from symparams import sweep
    g = sweep.grid(symparams.load(LECTURE), {"f": [8, 16]})
    assert str(g) == str(g.rows()) and "16,618" in str(g)


def test_memory_report_prints_formulas_as_a_person_writes_them():
    rep = memory_report.report(symparams.load(LECTURE), cost.Options())
    out = str(rep)
    assert out.startswith("Memory (training):")
    assert "Parameters: 2f²k² + 3fk² + 20f⌈(n − 3k)/4⌉² + 3f + 10" in out
    assert "66,472 bytes" in out and "**" not in out and "ceiling(" not in out
    assert not re.search(r"\d\*|\*\w", out)
    html = rep._repr_html_()
    blocks = re.findall(r"<math .*?</math>", html)
    assert len(blocks) == 1 + len(rep.parts)
    for block in blocks:
        ET.fromstring(block)
    assert "66,472 bytes" in html and "<script" not in html


def test_engine_messages_name_quantities_as_a_person_writes_them():
    import pytest
    assert symparams.parse("input T x width\nattention heads=heads").constraints == [
        "attention_1: heads must divide the width"]
    with pytest.raises(symparams.ShapeError, match=r"heads \(32\) does not divide the width \(2,050\); give key_dim="):
        symparams.parse("input T x 2050\nattention heads=32")
    moe = symparams.parse("input 8 x 64\nmoe experts=E top_k=K { dense 64 }").constraints
    assert any("top_k (K) at most experts (E)" in c for c in moe), moe
    deep = symparams.parse("input n x n x 3\nrepeat d as i { conv 8 3x3 stride=2 }").constraints
    assert any("at the last pass (i = d − 1)" in c and "**" not in c[c.index("(conv2d"):] for c in deep), deep
