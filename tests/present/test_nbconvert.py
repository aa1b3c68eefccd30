"""Issue 15: a notebook executed with nbconvert and opened in headless Chromium with the network
disabled shows rendered formulas. nbconvert's HTML template loads MathJax from a CDN; offline
that never arrives, so the formulas must already be MathML the browser typesets itself."""

import json
import os
import re
import subprocess

from conftest import ROOT, need_module, need_program

CELLS = [
    "import symparams",
    'net = symparams.load("examples/lecture_symbolic.arch")\nnet',
    'net.solve("f", at_most=100_000)',
]

# Measured in the page after it loads: every fraction, its box and its two parts' boxes.
PROBE = """<script>
window.addEventListener('load', () => {
  const fracs = [...document.querySelectorAll('mfrac')].map(f => {
    const box = f.getBoundingClientRect();
    const a = f.children[0].getBoundingClientRect(), b = f.children[1].getBoundingClientRect();
    return {height: box.height, width: box.width, numerator_bottom: a.bottom, denominator_top: b.top};
  });
  const maths = document.querySelectorAll('math').length;
  const text = document.body.innerText;
  document.title = JSON.stringify({fracs, maths, dollars: (text.match(/\\$[^$\\n]+\\$/g) || []).length,
                                   solved: text.includes('f = 56')});
});
</script>"""


def test_executed_notebook_renders_formulas_offline(tmp_path):
    nbformat = need_module("nbformat")
    need_module("ipykernel")
    preprocessors = need_module("nbconvert.preprocessors")
    exporters = need_module("nbconvert")
    chromium = need_program("chromium")

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)   # the kernel imports this tree
    try:
        preprocessors.ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(
            notebook, {"metadata": {"path": str(ROOT)}})
    finally:
        os.environ["PYTHONPATH"] = env_path
    outputs = [o for cell in notebook.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    assert any("<math" in o.get("data", {}).get("text/html", "") for o in outputs)

    html, _ = exporters.HTMLExporter().from_notebook_node(notebook)
    assert "mathjax" in html.lower()            # the default template does want a CDN; we must not need it
    page = tmp_path / "notebook.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")

    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                          "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180).stdout
    title = re.search(r"<title>(\{.*?\})</title>", out, re.S)
    assert title, out[-2000:]
    seen = json.loads(title.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert seen["maths"] > 10 and seen["solved"], seen
    assert seen["dollars"] == 0, seen           # no raw $...$ waiting for MathJax
    assert seen["fracs"], seen
    for frac in seen["fracs"]:                  # typeset: a real box, numerator above denominator
        assert frac["height"] > 0 and frac["width"] > 0, frac
        assert frac["numerator_bottom"] <= frac["denominator_top"], frac
