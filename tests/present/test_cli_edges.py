"""Issue 15's command-line edges, one test each: bare `symparams` is help; a missing file is bad
input (exit 1); --columns works with Markdown; --explain is not ignored by JSON; export writes code
without the framework installed; no absolute path of this machine in outputs; progress goes to
standard error only when a person watches (a terminal)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from symparams import cli
from symparams.commands import _common

from conftest import EXAMPLES, ROOT

SEED = EXAMPLES / "seed002_mnist.arch"


def test_bare_symparams_prints_help_and_succeeds():
    proc = subprocess.run([sys.executable, "-m", "symparams.cli"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: symparams") and "summary" in proc.stdout and proc.stderr == ""


def test_a_missing_file_is_bad_input_exit_1(capsys, tmp_path):
    assert cli.main(["summary", str(tmp_path / "nope.arch")]) == 1
    err = capsys.readouterr().err
    assert "nope.arch" in err and "cannot read" in err and "Traceback" not in err


def test_columns_with_markdown(capsys):
    assert cli.main(["summary", str(SEED), "--format", "markdown", "--columns", "params,macs"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| Layer"))
    assert header.rstrip().endswith("| MACs |")
    assert "| 832 |" in out.replace("832 | ", "832 |")                   # conv2d_1's count in its row


def test_explain_with_json_adds_the_arithmetic(capsys):
    assert cli.main(["summary", str(SEED), "--format", "json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert cli.main(["summary", str(SEED), "--format", "json", "--explain"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert "arithmetic" not in plain
    assert any("(5·5·1 + 1)·32 = 832" in line for line in explained["arithmetic"])


def test_export_writes_code_without_the_framework(capsys, monkeypatch):
    # the frameworks made unimportable, as on a machine without them: export only writes text
    for name in ("torch", "keras"):
        monkeypatch.setitem(sys.modules, name, None)
    assert cli.main(["export", str(SEED), "--to", "pytorch"]) == 0
    assert "import torch" in capsys.readouterr().out
    assert cli.main(["export", str(SEED), "--to", "keras"]) == 0
    assert "keras" in capsys.readouterr().out


def test_no_machine_path_in_outputs(capsys, tmp_path):
    path = str(SEED.resolve())
    directory = str(SEED.resolve().parent)
    for argv in (["export", path, "--to", "pytorch"], ["export", path, "--to", "keras"],
                 ["diagram", path, "--format", "svg"], ["diagram", path], ["latex", path, "--standalone"],
                 ["summary", path], ["summary", path, "--format", "json"]):
        assert cli.main(argv) == 0, argv
        out = capsys.readouterr().out
        assert directory not in out, argv
        assert "seed002" in out or argv[0] == "diagram" or "json" in argv, argv     # named by its name


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_a_terminal(monkeypatch, capsys):
    _common.progress("working ...")                 # pytest's stderr is not a terminal: nothing
    assert capsys.readouterr().err == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _common.progress("evaluating 1,000 points ...")
    _common.done()
    text = terminal.getvalue()
    assert "evaluating 1,000 points ..." in text and text.endswith("\r\x1b[K")   # the line is cleared
    # a long command writes it there and nothing of it reaches standard output
    terminal.truncate(0)
    assert cli.main(["sweep", str(EXAMPLES / "lecture_symbolic.arch"), "--vary", "n=32:64"]) == 0
    assert "points ..." in terminal.getvalue() and "points ..." not in capsys.readouterr().out
