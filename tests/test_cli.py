"""symparams summary: text, markdown and JSON output, --set forms, --convention, --explain, stdin."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from symparams import cli
from conftest import EXAMPLES

MNIST = EXAMPLES / "seed002_mnist.arch"


def main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_text_summary_has_formula_and_number_columns(capsys):
    code, out, err = main(capsys, "summary", str(MNIST))
    assert code == 0 and err == ""
    assert "Param formula" in out and "Param #" in out
    assert "(5·5·1 + 1)·32" in out and "832" in out
    assert "9,248" in out and "205,056" in out and "2,570" in out
    assert "Total params: 217,706" in out
    assert "Non-trainable params: 0" in out


def test_explain_prints_the_arithmetic(capsys):
    code, out, _ = main(capsys, "summary", str(MNIST), "--explain")
    assert code == 0
    assert "conv2d_1: 28 − 5 + 1 = 24 → 24 × 24 × 32; (5·5·1 + 1)·32 = 832" in out
    assert "conv2d_2: 12 − 3 + 1 = 10 → 10 × 10 × 32; (3·3·32 + 1)·32 = 9,248" in out
    assert "(800 + 1)·256 = 205,056" in out


def symbolic_file(tmp_path):
    path = tmp_path / "sym.arch"
    path.write_text("let n = 28\ninput n x n x 1\nconv f 3x3 padding=same\nmaxpool 2\nflatten\ndense 10\n")
    return path


def by_hand(n, f):
    return f * (9 + 1) + ((n // 2) ** 2 * f + 1) * 10


def test_symbolic_text_shows_formula_symbols_and_constraints(capsys, tmp_path):
    code, out, _ = main(capsys, "summary", str(symbolic_file(tmp_path)))
    assert code == 0
    assert "Symbols: f (no default), n = 28" in out
    assert "Valid for: n ≥ 2" in out
    assert "Total params: " in out and "f" in out.split("Total params: ")[1].splitlines()[0]


@pytest.mark.parametrize("sets", [["--set", "n=32", "--set", "f=64"], ["--set", "n=32,f=64"], ["--set", "f=64,n=32"],
                                  ["--set", "n = 32 , f = 64"]])
def test_set_forms_agree(capsys, tmp_path, sets):
    code, out, _ = main(capsys, "summary", str(symbolic_file(tmp_path)), *sets, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total"]["params_value"] == by_hand(32, 64)


def test_json_keys_exactly_as_the_issue(capsys, tmp_path):
    code, out, _ = main(capsys, "summary", str(symbolic_file(tmp_path)), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {"convention", "symbols", "layers", "total", "constraints"} <= set(data)
    assert data["convention"] == "keras"
    assert data["symbols"] == {"f": None, "n": 28}
    for layer in data["layers"]:
        assert {"name", "kind", "line", "output_shape", "params", "params_value", "trainable",
                "non_trainable"} <= set(layer)
        assert isinstance(layer["line"], int)
        assert all(isinstance(d, str) for d in layer["output_shape"])
        assert isinstance(layer["params"], str)
        assert layer["params_value"] is None or isinstance(layer["params_value"], int)
    assert {"params", "params_value", "trainable", "trainable_value", "non_trainable",
            "non_trainable_value"} <= set(data["total"])
    assert data["total"]["params_value"] is None          # f has no default
    assert data["constraints"] == ["n >= 2"]
    conv = [layer for layer in data["layers"] if layer["kind"] == "conv2d"][0]
    assert conv["params"] == "10*f" and conv["output_shape"] == ["n", "n", "f"] and conv["line"] == 3


def test_json_numbers_are_exact_integers(capsys, tmp_path):
    path = tmp_path / "big.arch"
    path.write_text("input 1000000\ndense 1000000000\n")
    code, out, _ = main(capsys, "summary", str(path), "--format", "json")
    data = json.loads(out)
    assert data["total"]["params_value"] == 10**15 + 10**9
    assert data["total"]["params"] == str(10**15 + 10**9)


def test_convention_switch(capsys, tmp_path):
    path = tmp_path / "bn.arch"
    path.write_text("input 8x8x64\nbatchnorm\n")
    _, out, _ = main(capsys, "summary", str(path), "--format", "json")
    keras = json.loads(out)
    _, out, _ = main(capsys, "summary", str(path), "--format", "json", "--convention", "pytorch")
    torch = json.loads(out)
    assert (keras["total"]["params_value"], keras["total"]["non_trainable_value"]) == (256, 128)
    assert (torch["total"]["params_value"], torch["total"]["non_trainable_value"]) == (128, 0)
    assert torch["convention"] == "pytorch"


def test_markdown(capsys):
    code, out, _ = main(capsys, "summary", str(MNIST), "--format", "markdown")
    assert code == 0
    assert "|" in out and "217,706" in out


def test_stdin_dash(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"input 10\ndense 3\n")))
    code, out, _ = main(capsys, "summary", "-")
    assert code == 0 and "Total params: 33" in out and "<stdin>" in out


def test_console_script_exit_codes(tmp_path):
    good = tmp_path / "good.arch"
    good.write_text("input 10\ndense 3\n")
    bad = tmp_path / "bad.arch"
    bad.write_text("input 10\ndense 3 paddin=1\n")
    for path, code in ((good, 0), (bad, 1), (tmp_path / "missing.arch", 1)):     # a missing file is bad input
        proc = subprocess.run([sys.executable, "-m", "symparams.cli", "summary", str(path)], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == code, proc.stderr
        assert "Traceback" not in proc.stderr


def test_layers_lists_every_kind(capsys):
    code, out, _ = main(capsys, "layers")
    assert code == 0
    for word in ("conv", "dwconv", "sepconv", "deconv", "maxpool", "dense", "batchnorm", "layernorm", "embedding",
                 "lstm", "gru", "rnn", "flatten", "dropout"):
        assert f"\n{word} " in "\n" + out


def test_explain_with_padding_and_dilation(capsys, tmp_path):
    path = tmp_path / "dil.arch"
    path.write_text("input 16x16x4\nconv 8 3 padding=1 dilation=2\n")
    code, out, _ = main(capsys, "summary", str(path), "--explain")
    assert code == 0
    # floor((16 + 2*1 - (2*(3-1) + 1))/1) + 1 = 14, by hand
    line = [ln for ln in out.splitlines() if ln.strip().startswith("conv2d_1:")][0]
    assert "16 + 2·1 − (2·(3 − 1) + 1) + 1 = 14 → 14 × 14 × 8" in line
    assert "(3·3·4 + 1)·8 = 296" in line


def test_markdown_with_cost_columns_and_explain(capsys):
    """Issue 15: --columns works with --format markdown, and --explain is honoured there too."""
    code, out, err = main(capsys, "summary", str(MNIST), "--format", "markdown", "--columns", "params,macs",
                          "--explain")
    assert code == 0, err
    header = [line for line in out.splitlines() if line.startswith("| Layer")][0]
    assert header.endswith("| MACs |"), header
    conv = [line for line in out.splitlines() if line.startswith("| conv2d\\_1")][0]
    assert conv.endswith("| 460,800 |"), conv          # 24·24·32 outputs × 5·5·1 products each
    assert "**Worked arithmetic**" in out and "= 832" in out
    assert "Total MACs" in out


def test_layers_fits_the_terminal(monkeypatch, capsys):
    """`symparams layers` wraps to COLUMNS (issue 22: 49 of 118 lines were over 80 columns)."""
    from symparams.layers import REGISTRY
    for columns in (80, 100, 140):
        monkeypatch.setenv("COLUMNS", str(columns))
        code, out, _ = main(capsys, "layers")
        assert code == 0
        lines = out.splitlines()
        assert max(map(len, lines)) <= columns, [line for line in lines if len(line) > columns]
        text = "\n".join(lines)
        assert all(keyword in text for keyword in REGISTRY)      # every kind and alias still listed


def test_a_summary_process_imports_no_mathml_dom_nor_lark_regex():
    """The cold path's import cuts hold: the MathML printer (xml.dom.minidom) is made at its first use, and
    the script imports Lark with the optional `regex` module hidden (symparams' grammar needs `re` only);
    the text is the same, and `regex` (when installed) still imports afterwards in that process."""
    code = ("import sys, runpy; sys.argv = ['symparams', 'summary', %r]\n"
            "from symparams import cli\n"
            "cli._lark_without_regex()\n"
            "sys.exit(cli.main(sys.argv[1:]))" % str(EXAMPLES / "zoo" / "lenet5.arch"))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "= 61,706" in proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "lark" in imported and "xml.dom.minidom" not in imported and "regex._main" not in imported
    assert "regex" not in sys.modules or sys.modules["regex"] is not None
    after = subprocess.run([sys.executable, "-c", "import sys; from symparams import cli; sys.argv[1:] = ['summary', 'x'];"
                            " cli._lark_without_regex(); import lark, importlib.util as u;"
                            " print('regex' not in sys.modules, u.find_spec('regex') is None or __import__('regex') is not None)"],
                           capture_output=True, text=True, timeout=120)
    assert after.stdout.split() == ["True", "True"], after.stderr
