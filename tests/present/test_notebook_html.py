"""Notebooks: Network._repr_html_ carries its formulas as MathML (typeset by the browser, no script
and no CDN), str(net) and net.summary() are the text table, SolveResult reads as text."""

import json
import re
import subprocess
import xml.etree.ElementTree as ET

import symparams
from symparams.printers import text

from conftest import EXAMPLES, need_program

LECTURE = EXAMPLES / "lecture_symbolic.arch"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


def test_repr_html_is_self_contained_mathml():
    net = symparams.load(LECTURE)
    html = net._repr_html_()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/1998/Math/MathML", "")
    assert "https://" not in html and "$" not in html        # nothing left for MathJax to do
    blocks = re.findall(r"<math .*?</math>", html)
    assert len(blocks) > 10
    for block in blocks:
        ET.fromstring(block)                                 # each formula is well-formed MathML
    # the total: 2f²k² + 3fk² + 20f⌈(n − 3k)/4⌉² + 3f + 10, with the ceiling over one fraction bar
    total = next(b for b in blocks if b.count("<msup>") >= 3)
    root = ET.fromstring(total)
    assert [m.text for m in root.iter(f"{MATHML}mo")].count("⌈") == 1      # one ceiling ...
    assert len(list(root.iter(f"{MATHML}mfrac"))) == 1                     # ... over one fraction bar
    assert "16,618" in html and "Total params" in html and "Trainable params" in html


def test_repr_html_escapes_user_text():
    source = 'let n = 12\ninput n x n x 2\nconv 4 3x3 name="<img src=x onerror=alert(1)>"\n'
    html = symparams.parse(source, file="<b>x</b>.arch")._repr_html_()
    assert "<img" not in html and "<b>x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_str_and_summary_are_the_table(capsys):
    net = symparams.load(LECTURE)
    assert str(net) == text.render(net)
    net.summary(width=80)
    out = capsys.readouterr().out
    assert out == text.render(net, width=80)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Total params: 2f²k² + 3fk² + 20f⌈(n − 3k)/4⌉² + 3f + 10 = 16,618" in out.replace("\n    ", " ")
    assert repr(net).startswith("<Network")


def test_solve_result_reads_as_text():
    r = symparams.load(LECTURE).solve("f", at_most=100_000)
    assert str(r).startswith("params(f) = ") and "f = 56" in str(r)
    assert r._repr_html_().startswith("<pre>") and "f = 56" in r._repr_html_()


def test_chromium_typesets_the_mathml_offline(tmp_path):
    """Headless Chromium with every network request refused opens the notebook HTML: a fraction's
    numerator is laid out above its denominator (MathML typeset by the browser itself)."""
    chromium = need_program("chromium")
    html = symparams.load(LECTURE)._repr_html_()
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><body>" + html + """<script>
const f = document.querySelector('mfrac');
const a = f.children[0].getBoundingClientRect(), b = f.children[1].getBoundingClientRect();
document.title = JSON.stringify({numerator_bottom: a.bottom, denominator_top: b.top});
</script></body></html>""", encoding="utf-8")
    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    box = json.loads(re.search(r"<title>(.*?)</title>", out).group(1).replace("&quot;", '"'))
    assert box["numerator_bottom"] <= box["denominator_top"], box
