"""Fuzzing: random and mutated programs, and random command lines, must give a result or a
SymparamsError — never another exception, never a traceback or an internal error on the command
line — each within 10 s of CPU time and 2 GB of memory (issue 17). The issue's inputs are seeds.
scripts/fuzz_atheris.py is the coverage-guided counterpart, run locally (docs/contributing.md)."""

from __future__ import annotations

import os
import resource
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cli
from symparams.errors import SymparamsError
from conftest import EXAMPLES

TIME_BOUND = 10.0      # CPU seconds per example (CPU time: the neighbours on a shared machine do not count)
MEMORY_BOUND = 2 * 1024 ** 3
EXAMPLES_SCALE = int(os.environ.get("SYMPARAMS_FUZZ_EXAMPLES", "0") or 0)    # more examples when asked

# Inputs of issue 17 that must end in a result or a located error (seeds for the mutations, and
# run as they are by test_issue_inputs).
ISSUE_SEEDS = [
    "input 8\ndropout p\n",
    "input 28x28x1\nconv 8 3\nflatten\ndense \u00b2\n",
    "input 8\ndense 10 name=\"\x1b]0;owned\x07\x1b[2J\"\n",
    "input 8\ndense 10 name=\"<img src=x onerror=alert(1)>\"\n",
    "input 8\n# a form feed \x0c and a line separator \u2028 in a comment\ndense 3 paddin=1\n",
    "input s x 64\nrepeat d as i {\n maxpool1d 2\n attention heads=4\n}\n",
    "input 8\n" + "dense 3\n" * 2000,
    "let n = " + "9" * 400 + "\ninput n x n x 3\nconv 8 3\n",
    "input 8\ndense 4/(n-3)\n",
    "input 32x32x3\nrepeat d { maxpool 2 }\n",
    "input 8\ndense " + "9" * 5000 + "\n",
    "input 8\ndropout 1e-999999999\n",
    "input 8\ndense (n+k+1)**200\n",
    "input 8\nrepeat 64 as a { repeat 64 as b { repeat 64 as c { repeat 64 as d { dense 1+a+b+c+d } } } }\n",
]

SEEDS = sorted(p.read_text(encoding="utf-8") for p in EXAMPLES.rglob("*.arch")) + ISSUE_SEEDS + [
    "let n = 28\ninput n x n x 1\nconv 32 5 relu\nmaxpool 2\nconv 2*f 3x3 stride=2 padding=same bias=false name=c2\n"
    "block basic(c, s) { conv c 3x3 stride=s padding=same bias=false; batchnorm; relu }\n"
    "residual { basic(64, 1) } shortcut { conv 64 1x1; batchnorm }\n"
    "repeat d as i { conv 64*2^i 3x3 padding=same }\n"
    "concat { } { batchnorm; relu; conv 32 3x3 padding=same }\nadd { conv 8 1x1 } { conv 8 1x1 }\n"
    "flatten; dropout 0.5; dense 10 softmax\n",
    "input 10x32\nlstm 64 return_sequences\ngru 32 bidirectional\ndense 5\n",
    "input 100\nembedding 1000 64\nlayernorm\nlstm 32\n",
    "input 8x8x8\ndeconv 16 3 stride=2 output_padding=1\ndwconv 3 multiplier=2\nsepconv 8 3\nupsample 2\n"
    "zeropad 1\nreshape -1\n",
]

TOKENS = ["conv", "dense", "input", "x", "(", ")", "{", "}", "=", "-", "*", "**", "^", "//", "/", "0", "1", "2",
          "-1", "n", "f", "repeat", "as", "let", "block", "residual", "shortcut", "concat", "add", "stride=",
          "padding=", "same", "valid", "groups=", "dilation=", "\n", ";", "floor(", "ceil(", "min(", ",", "0.5",
          "99999999999999999999", "10**400", "#", "\"", "flatten", "maxpool", "lstm", "embedding", "\x00", "é",
          "\t", "\\\n", "name=", "bias=false"]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.integers(0, 5))
        at = draw(st.integers(0, len(text)))
        if op == 0 and text:                                   # delete a character
            text = text[:at] + text[at + 1:]
        elif op == 1:                                          # insert a character
            text = text[:at] + draw(st.characters(max_codepoint=0x3000)) + text[at:]
        elif op == 2:                                          # insert a token
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif op == 3:                                          # duplicate a slice
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:at] + text[at:end] + text[at:]
        elif op == 4:                                          # delete a word
            words = text.split(" ")
            if len(words) > 1:
                del words[draw(st.integers(0, len(words) - 1))]
            text = " ".join(words)
        else:                                                  # replace a word by a token
            words = text.split(" ")
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(TOKENS))
            text = " ".join(words)
    return text


random_program = st.lists(st.sampled_from(TOKENS + [" ", " ", "3", "28", "x", "relu"]), max_size=40).map("".join)

def exercise(net):
    """Touch what a user would: totals, shapes, constraints, and the numbers at the defaults."""
    str(net.params), str(net.trainable_params), net.constraints, net.symbols
    for _, row in net.walk():
        str(row.output_shape)
    try:
        int(net.evaluate().params)
    except SymparamsError:
        pass


def _rss() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


class Bounded:
    """CPU time and peak memory of a block, compared with the issue's bounds."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        self.cpu = time.process_time()
        self.rss = _rss()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            cpu = time.process_time() - self.cpu
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            assert cpu < TIME_BOUND, (f"{cpu:.1f} s of CPU time", self.what)
            assert peak - self.rss < MEMORY_BOUND, (f"{(peak - self.rss) / 2**20:.0f} MB", self.what)
        return False


def check_api(text):
    with Bounded(text):
        for convention in ("keras", "pytorch"):
            try:
                exercise(symparams.parse(text, convention=convention))
            except SymparamsError as exc:
                assert str(exc)


def check_cli(text, tmp_path_factory, capsys):
    path = tmp_path_factory.mktemp("fuzz") / "f.arch"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with Bounded(text):
        code = cli.main(["summary", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1), (code, err)
    assert "Traceback" not in err and "internal error" not in err
    if code == 1:
        assert err.startswith(str(path)), err


def examples(n):
    return settings(max_examples=max(n, EXAMPLES_SCALE), deadline=None, suppress_health_check=list(HealthCheck))


@examples(150)
@given(mutated())
def test_mutated_examples_api(text):
    check_api(text)


@examples(150)
@given(random_program)
def test_random_programs_api(text):
    check_api(text)
    check_api("input 28x28x3\n" + text)


@examples(60)
@given(st.one_of(mutated(), random_program))
def test_mutated_examples_cli(tmp_path_factory, capsys, text):
    check_cli(text, tmp_path_factory, capsys)


@pytest.mark.parametrize("text", ISSUE_SEEDS, ids=range(len(ISSUE_SEEDS)))
def test_issue_inputs(text, tmp_path_factory, capsys):
    check_api(text)
    check_cli(text, tmp_path_factory, capsys)


# ----------------------------------------------------------------------------- command lines

NUMBERS = ["1", "32", "0", "-3", "²", "٣", "１２", "1_000", "1e6", "2.5K", "1M", "1e99999999", "9" * 5000, "",
           "abc", "n", "3.5", "0x10", " 7 ", "1:8", "16:64:16", "8,16", "1:10000000", "1:0", "1::2", "\x00"]
FILES = ["seed002_mnist.arch", "lecture_symbolic.arch", "vgg_depth.arch", "seed001_first_layers.arch"]
FLAGS = {
    "summary": [["--format", ["text", "json", "markdown"]], ["--explain", None], ["--columns", ["params", "macs",
                "macs,flops", "act,rf", "nope", "macs,,", ""]], ["--batch", NUMBERS], ["--set", "SET"]],
    "solve": [["--for", ["n", "f", "k", "d", "w", "q"]], ["--max-params", NUMBERS], ["--params", NUMBERS],
              ["--min-params", NUMBERS], ["--metric", ["params", "macs", "nope"]], ["--set", "SET"]],
    "sweep": [["--vary", "VARY"], ["--vary", "VARY"], ["--metric", ["params", "trainable", "macs", "nope"]],
              ["--format", ["text", "csv", "json", "markdown"]], ["--set", "SET"]],
    "latex": [["--all", None], ["--beamer", None], ["--totals", None], ["--set", "SET"]],
    "diagram": [["--format", ["svg", "tikz"]], ["--set", "SET"]],
    "export": [["--to", ["pytorch", "keras"]], ["--set", "SET"]],
    "memory": [["--batch", NUMBERS], ["--inference", None], ["--set", "SET"]],
}


@st.composite
def command_line(draw):
    command = draw(st.sampled_from(sorted(FLAGS)))
    argv = [command, str(EXAMPLES / draw(st.sampled_from(FILES)))]
    for flag, values in draw(st.lists(st.sampled_from(FLAGS[command]), max_size=4)):
        argv.append(flag)
        if values == "SET":
            argv.append(draw(st.sampled_from(["n", "f", "k", "d", "w", "q", "3", ""])) + "="
                        + draw(st.sampled_from(NUMBERS)))
        elif values == "VARY":
            argv.append(draw(st.sampled_from(["n", "f", "k", "d", "w", "q"])) + "=" + draw(st.sampled_from(NUMBERS)))
        elif values is not None:
            argv.append(draw(st.sampled_from(values)))
    return argv


@examples(40)
@given(command_line())
def test_random_command_lines(capsys, argv):
    with Bounded(argv):
        try:
            code = cli.main(argv)
        except SystemExit as exc:         # argparse: usage errors exit 2 with the usage line
            code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if code:
        assert err.strip(), argv
