"""symparams.web, the playground's Python side, in plain Python: the compiled counts a slider
re-evaluates agree with a full re-derive (Network.subs) at other values, on every example."""

from __future__ import annotations

import pytest

import symparams
from conftest import EXAMPLES
from symparams import web
from symparams.errors import SymparamsError

FILES = sorted(EXAMPLES.glob("*.arch")) + sorted((EXAMPLES / "zoo").glob("*.arch"))


def _derive(path):
    session = web.Session()
    text = path.read_text()
    for convention in ("keras", "pytorch"):
        out = session.derive(text, convention, path.name)
        if out["ok"]:
            return session, out
    pytest.fail(f"{path.name}: {out['error']['text']}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_compiled_values_match_a_rederive(path):
    session, out = _derive(path)
    net = session.net
    sliders = {s["name"]: s["default"] for s in out["sliders"]}
    # at the defaults: the same numbers as the derived network itself
    at = session.evaluate({})
    if out["free"]:             # a symbol without a default: formulas only, no numbers
        assert at["totals"][0] is None and not net.params.is_number
        return
    reference = net.at_defaults()
    assert at["totals"][0]["v"] == str(int(reference.params))
    # moved: every slider one step up (two for even-only symbols is not needed: a broken point is said so)
    moved = {k: v + 1 for k, v in sliders.items()}
    got = session.evaluate(moved)
    try:
        again = net.subs(moved)
    except SymparamsError:
        assert got["broken"] or not session.check(moved)["ok"]
        return
    assert got["totals"][0]["v"] == str(int(again.params))
    rows = [row for _, row in again.walk()]
    if len(rows) != len(got["rows"]):       # a repeat count in symbols: numbers write out its passes
        assert any(r.kind == "repeat" for _, r in net.walk())
        return
    for row, value in zip(rows, got["rows"]):
        if row.kind != "path":
            assert value["params"]["v"] == str(int(row.params.doit())), row.name
        assert value["shape"] == "(" + ", ".join(str(int(d)) for d in row.output_shape) + ")", row.name


def test_errors_carry_the_cli_text_and_position():
    out = web.Session().derive("input 28x28x1\nconv 32 5x5 rel$u\n")
    assert out["ok"] is False
    assert out["error"]["line"] == 2 and out["error"]["column"] == 16
    assert out["error"]["text"].startswith("2:16: syntax error: unexpected character '$'")


def test_slider_values_in_latex_keep_the_symbols():
    session = web.Session()
    session.derive((EXAMPLES / "lecture_symbolic.arch").read_text(), "keras", "lecture_symbolic.arch")
    text = session.latex(["totals"], "fragment", {"f": 64})["text"]
    assert r"f^{2}" in text and "121{,}738" in text
    assert web.with_defaults("let n = 32  # n\nlet f=1_6; let k = 3\n", {"f": 64, "k": 5}) == \
        "let n = 32  # n\nlet f=64; let k = 5\n"


def test_solve_and_plot_use_the_engine():
    session = web.Session()
    session.derive((EXAMPLES / "lecture_symbolic.arch").read_text())
    solved = session.solve("f", "at_most", "100000", "params", {"f": 20})
    net = symparams.load(EXAMPLES / "lecture_symbolic.arch")
    assert solved["value"] == net.solve("f", at_most=100_000).value
    plot = session.plot("params", "f", 1, 400, {})
    assert len(plot["points"]) <= web.PLOT_POINTS + 1
    for point in plot["points"][::40]:
        assert point["y"]["v"] == str(int(net.evaluate(f=point["x"]).params))
    broken = session.plot("params", "n", 1, 40, {})["points"]
    assert not broken[0]["valid"] and broken[-1]["valid"]      # n = 1 is too small for two 3x3 convs


def test_unknown_call_is_refused():
    assert '"ok": false' in web.call("__init__", "[]")


def test_the_pages_bigint_translation_matches_python(tmp_path):
    """Session.derive's JavaScript (what the page evaluates on a slider move) gives Python's exact
    values on every example, run by Node over BigInt."""
    import json
    import subprocess

    from conftest import need_program

    node = need_program("node")
    cases, expected = [], []
    for path in FILES:
        session, out = _derive(path)
        if out["javascript"] is None or out["free"]:
            continue
        moved = [s["default"] + 3 for s in out["sliders"]]
        cases.append({"name": path.name, "js": out["javascript"], "point": [str(v) for v in moved]})
        expected.append([str(v) for v in session.compiled.evaluate(moved)])
    assert len(cases) >= 10
    script = """
const cases = JSON.parse(require("fs").readFileSync(process.argv[1], "utf-8"));
const _fdiv = (a, b) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };
const _max = (a, b) => (a >= b ? a : b), _min = (a, b) => (a <= b ? a : b);
console.log(JSON.stringify(cases.map((c) => {
  try {
    const f = new Function(...c.js.args, "_fdiv", "_max", "_min", "return [" + c.js.items.join(",") + "];");
    return f(...c.point.map(BigInt), _fdiv, _max, _min).map(String);
  } catch (err) { return "falls back: " + err.name; }
})));
"""
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    got = json.loads(subprocess.run([node, "-e", script, str(tmp_path / "cases.json")], capture_output=True, text=True,
                                    check=True, timeout=120).stdout)
    compared = 0
    for case, values, want in zip(cases, got, expected):
        if isinstance(values, str):         # the page then asks Python (a negative power, say)
            assert values == "falls back: RangeError", case["name"]
            continue
        assert values == want, case["name"]
        compared += 1
    assert compared >= 10


def test_the_page_follows_the_file_convention_unless_told():
    """A file that says `convention pytorch` derives under PyTorch's rules when the page's selector
    is left at 'as the file says' (None or ''); an explicit choice still wins."""
    text = (EXAMPLES / "zoo" / "resnet18.arch").read_text()
    session = web.Session()
    assert session.derive(text, None, "resnet18.arch")["convention"] == "pytorch"
    assert session.derive(text, "", "resnet18.arch")["convention"] == "pytorch"
    assert session.derive(text, "keras", "resnet18.arch")["convention"] == "keras"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_numbers_first_are_the_derives_numbers(path):
    """Session.numbers (the table the page lays out before the formulas come) shows what the derive
    and its evaluation at the defaults show: the same rows' shapes and counts and the same totals."""
    session, out = _derive(path)
    numbers = web.Session().numbers(path.read_text(), out["convention"], path.name)
    if not numbers["ok"]:               # the int derive stopped: the page waits for the formulas
        assert out["free"] or web.Session().numbers(path.read_text(), out["convention"]) == {"ok": False}
        return
    at = session.evaluate({})
    assert [t["key"] for t in numbers["totals"]] == [t["key"] for t in out["totals"]]
    assert [t["value"] for t in numbers["totals"]] == at["totals"]
    if any(r.kind == "iteration" and r.index is not None for _, r in session.net.walk()):
        # a repeat count in symbols: the formulas' table has a closed-form pass, the numbers write out
        # every pass (as `summary --numbers` does): the same totals (above), other rows
        assert len(numbers["rows"]) > len(out["rows"]) - sum(r["kind"] == "iteration" for r in out["rows"])
        return
    assert len(numbers["rows"]) == len(out["rows"])
    for shown, full, value in zip(numbers["rows"], out["rows"], at["rows"]):
        assert shown["depth"] == full["depth"] and shown["leaf"] == full["leaf"], full["label"]
        assert shown["params"] == value["params"], full["label"]
        if value["shape"] is not None:
            assert shown["shape"] == value["shape"], full["label"]


def test_numbers_say_nothing_of_a_bad_text():
    assert web.Session().numbers("input 28x28x1\nconv 32 5x5 rel$u\n") == {"ok": False}
