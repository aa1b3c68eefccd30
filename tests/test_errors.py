"""Every user-caused problem, through the command line: exit 1 (2 for usage), file:line:col, the
offending line, a caret under the right column, what was expected in words, never a traceback."""

from __future__ import annotations

import re
import time

import pytest

from symparams import cli
from symparams.errors import SymparamsError
import symparams


def run(capsys, tmp_path, text, *extra, name="net.arch"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    code = cli.main(["summary", str(path), *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err, str(path)


# (program, line, column, words the message must contain, source text the caret points at)
LOCATED = [
    ("input 28x28x1\nconv 32 5x5 relu)\n", 2, 17, ["this ')' closes no '('", "delete it"], ")"),
    ("input 28x28x1\nconv 32 {5\n", 2, 9, ["unexpected '{'"], "{"),
    ("input 28x28x1\nblock b(c) { conv c 3 }\nb(8\n", 3, 4, ["unexpected end of the line", "')'"], None),
    ("input 28x28x1\nconvv 32 5\n", 2, 1, ["unknown layer 'convv'", "did you mean 'conv'"], "convv"),
    ("input 28x28x1\nconv 32 5 paddin=same\n", 2, 11, ["no option 'paddin'", "did you mean 'padding'?"], "paddin"),
    ("input 28x28x1\nflatten\nconv 32 5\n", 3, 1, ["conv needs an input with spatial axes", "flatten"], "conv"),
    ("input 28x28x1\nembedding 10 4\n", 2, 1, ["embedding takes token ids"], "embedding"),
    ("input 28x28x3\nconv 32 5 groups=2\n", 2, 1, ["groups=2 does not divide the 3 input channels"], "conv"),
    ("input 5x5x3\nconv 8 3\nconv 8 3\nconv 8 3\n", 4, 1,
     ["conv2d_3 (line 4): kernel 3x3 does not fit its 1x1 input"], "conv"),
    ("input 28x28x1\n\n\n\n\nconv 8 3 stride=5\nconv 8 7x7\n", 7, 1,
     ["conv2d_2 (line 7): kernel 7x7 does not fit its 6x6 input"], None),
    ("input 28x28x1\nconv 8 3 padding=same\nconv 8 29\n", 3, 1, ["conv2d_2 (line 3): kernel 29x29 does not fit its 28x28"],
     "conv"),
    ("input -3x5x3\n", 1, 1, ["input size -3 must be at least 1"], "input"),
    ("input (0 - 4) x 5 x 3\n", 1, 1, ["input size -4 must be at least 1"], "input"),
    ("input 28x28x1\nconv -3 5\n", 2, 6, ["filters must be at least 1, got -3"], "-"),
    ("input 28x28x1\nconv 8 5 padding=-1\n", 2, 18, ["padding cannot be negative"], "-"),
    ("input 28x28x1\nconv 8 5 stride=0\n", 2, 17, ["stride must be at least 1"], "0"),
    ("input 28x28x1\nconv 8 3 padding=sme\n", 2, 18, ["did you mean 'same'?"], "sme"),
    ("input 28x28x1\ndropout 1.5\n", 2, 9, ["below 1, got 1.5"], "1.5"),
    ("input 28x28x1\nconv 8 3.5\n", 2, 8, ["whole number", "only dropout takes a decimal"], "3.5"),
    ("input 28x28x1\nconv2d 8 3\nconv1d 8 3\n", 3, 1, ["conv1d needs a 1-D input"], "conv1d"),
    ("input 2**2**2**2**2**2\n", 1, 10, ["number too large"], None),
    ("input n**(10**10)\n", 1, 7, ["exponent is too large"], None),
    ("input 3\ndense 10 ** 10 ** 10\n", 2, 7, ["number too large"], None),
    ("input 28x28x1\nlet n = 3\nconv n 3\nlet n = 4\n", 4, 5, ["'n' is defined twice"], "n"),
    ("input 3\ndense floor(1, 2)\n", 2, 7, ["floor() takes one argument"], "floor"),
    ("input 3\ndense flor(2)\n", 2, 7, ["unknown function 'flor'", "did you mean 'floor'"], "flor"),
    ("input 3\ndense 1/0\n", 2, 7, ["division by zero"], None),
    ("input 8x8x1\nconv 8 3 rleu\n", 2, 10, ["'rleu' is one too many", "did you mean 'relu'"], "rleu"),
    ("input 8x8x1\nconv 8 3 sme\n", 2, 10, ["did you mean 'same'"], "sme"),
    ("input 3\n" + "residual { " * 2000 + "dense 3" + " }" * 2000 + "\n", 2, 10, ["nested too deeply"], "{"),
    ("input 3\ndense " + "1+" * 20000 + "1\n", 2, 1, ["nested too deeply"], "dense"),
]


@pytest.mark.parametrize("text, line, column, words, at", LOCATED)
def test_located_errors(capsys, tmp_path, text, line, column, words, at):
    code, out, err, path = run(capsys, tmp_path, text)
    assert code == 1, err
    assert out == ""
    head = err.splitlines()[0]
    assert head.startswith(f"{path}:{line}:{column}: "), err
    for w in words:
        assert w in err, (w, err)
    lines = err.splitlines()
    source = text.splitlines()[line - 1]
    assert lines[1] == "    " + (source if len(source) <= 200 else source[:200] + " ...")
    caret = lines[2]
    assert re.fullmatch(r" *\^+", caret), err
    assert caret.index("^") - 4 == column - 1
    if at is not None:
        assert source[column - 1:].startswith(at)


def test_binary_garbage(capsys, tmp_path):
    code, out, err, path = run(capsys, tmp_path, b"input 3\n\x89PNG\r\n\x1a\n\x00\xff\xfe" * 20)
    assert code == 1
    assert err.startswith(f"{path}:2:1: syntax error: the file is not UTF-8 text")
    code, out, err, path = run(capsys, tmp_path, b"input 3\n\x00\x00dense 3\n")
    assert code == 1 and "NUL byte" in err and f"{path}:2" in err


def test_empty_file(capsys, tmp_path):
    for text in ("", "\n\n", "# only a comment\n", "let n = 3\n"):
        code, out, err, path = run(capsys, tmp_path, text)
        assert code == 1
        assert err.startswith(f"{path}: error: the file has no 'input' line")


def test_missing_file_is_bad_input(capsys, tmp_path):
    code = cli.main(["summary", str(tmp_path / "nope.arch")])
    out, err = capsys.readouterr()
    assert code == 1 and "cannot read" in err and "Traceback" not in err       # issue 15: bad input exits 1


@pytest.mark.parametrize("sets, code, words", [
    (["--set", "q=3"], 1, ["unknown symbol 'q' in --set", "its symbols are n"]),
    (["--set", "nn=3"], 1, ["unknown symbol 'nn'", "did you mean 'n'"]),
    (["--set", "n=3.5"], 1, ["n=3.5", "whole number"]),
    (["--set", "n=abc"], 1, ["n=abc", "whole number"]),
    (["--set", "n=-3"], 1, ["n=-3"]),
    (["--set", "n=0"], 1, ["positive"]),
    (["--set", "n"], 2, ["NAME=VALUE"]),
    (["--set", "3=4"], 2, ["not a symbol name"]),
])
def test_bad_set(capsys, tmp_path, sets, code, words):
    got, out, err, _ = run(capsys, tmp_path, "input n x n x 1\nconv 8 3\n", *sets)
    assert got == code, err
    for w in words:
        assert w in err, (w, err)


def test_set_value_that_breaks_a_shape(capsys, tmp_path):
    code, out, err, path = run(capsys, tmp_path, "input n x n x 1\nconv 8 3\n", "--set", "n=2")
    assert code == 1
    assert err.startswith(f"{path}:2:1: shape error: conv2d_1 (line 2): kernel 3x3 does not fit its 2x2 input")


def test_bad_convention_and_format_are_usage_errors(capsys, tmp_path):
    path = tmp_path / "a.arch"
    path.write_text("input 3\n")
    for argv in (["summary", str(path), "--convention", "jax"], ["summary", str(path), "--format", "xml"]):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2
    capsys.readouterr()


def test_pytorch_rejects_same_with_stride(capsys, tmp_path):
    code, out, err, _ = run(capsys, tmp_path, "input 8x8x3\nconv 4 3 stride=2 padding=same\n",
                            "--convention", "pytorch")
    assert code == 1 and "padding='same' only with stride 1" in err
    code, out, err, _ = run(capsys, tmp_path, "input 8x8x3\nconv 4 3 stride=2 padding=same\n")
    assert code == 0


def test_huge_let_is_exact(capsys, tmp_path):
    code, out, err, _ = run(capsys, tmp_path, "let n = 10**400\ninput n\ndense 2\n")
    assert code == 0
    assert f"{2 * 10**400 + 2:,}" in out


def test_deeply_nested_parentheses(capsys, tmp_path):
    text = "input " + "(" * 3000 + "3" + ")" * 3000 + "\n"
    code, out, err, _ = run(capsys, tmp_path, text)
    assert code in (0, 1)
    if code == 1:
        assert "nested too deeply" in err
    code, out, err, _ = run(capsys, tmp_path, "input " + "(" * 50 + "3" + ")" * 50 + "\ndense 2\n")
    assert code == 0 and "(3 + 1)·2" in out


def test_many_layers_fast_and_without_recursion_error():
    text = "input 10\n" + "dense 10 relu\n" * 100_000
    start = time.perf_counter()
    net = symparams.parse(text)
    elapsed = time.perf_counter() - start
    assert len(net.layers) == 100_001
    assert int(net.params) == 100_000 * 110
    assert elapsed < 240, elapsed     # about 20 s on an idle 2-core machine


def test_unknown_identifier_is_a_free_symbol_not_an_error():
    net = symparams.parse("input 3\ndense width")
    assert {s.name: v for s, v in net.symbols.items()} == {"width": None}
    with pytest.raises(SymparamsError) as info:
        net.evaluate()
    assert "width" in str(info.value)
