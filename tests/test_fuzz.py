"""Fuzzing: random and mutated programs must give a result or a SymparamsError — never another
exception, never a traceback on the command line — and each within a time bound."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cli
from symparams.errors import SymparamsError
from conftest import EXAMPLES

TIME_BOUND = 20.0      # seconds per example, generous for a loaded 2-core machine

SEEDS = sorted(p.read_text(encoding="utf-8") for p in EXAMPLES.rglob("*.arch")) + [
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

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def exercise(net):
    """Touch what a user would: totals, shapes, constraints, and the numbers at the defaults."""
    str(net.params), str(net.trainable_params), net.constraints, net.symbols
    for _, row in net.walk():
        str(row.output_shape)
    try:
        int(net.evaluate().params)
    except SymparamsError:
        pass


def check_api(text):
    start = time.perf_counter()
    for convention in ("keras", "pytorch"):
        try:
            exercise(symparams.parse(text, convention=convention))
        except SymparamsError as exc:
            assert str(exc)
    assert time.perf_counter() - start < TIME_BOUND, text


def check_cli(text, tmp_path_factory, capsys):
    path = tmp_path_factory.mktemp("fuzz") / "f.arch"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    start = time.perf_counter()
    code = cli.main(["summary", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1), (code, err)
    assert "Traceback" not in err
    if code == 1:
        assert err.startswith(str(path)), err
    assert time.perf_counter() - start < TIME_BOUND, text


@SETTINGS
@given(mutated())
def test_mutated_examples_api(text):
    check_api(text)


@SETTINGS
@given(random_program)
def test_random_programs_api(text):
    check_api(text)
    check_api("input 28x28x3\n" + text)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(mutated(), random_program))
def test_mutated_examples_cli(tmp_path_factory, capsys, text):
    check_cli(text, tmp_path_factory, capsys)
