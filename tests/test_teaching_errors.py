"""No silent wrong model, and errors that teach (issues 20 item 6, 22 item 5).

What a Keras or PyTorch user types first either means what they meant (a padding word in any case,
a block argument that is a padding word) or stops at a located message with the fix in words: the
file, line and column, the line with a caret under the mistake, and the line as symparams writes it.
"""

from __future__ import annotations

import re

import pytest

import symparams
from symparams import cli


def run(capsys, tmp_path, text, *extra, command="summary"):
    path = tmp_path / "net.arch"
    path.write_text(text, encoding="utf-8")
    code = cli.main([command, str(path), *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out and "internal error" not in err + out, err
    return code, out, err, str(path)


def located(capsys, tmp_path, text, line, column, *words):
    """The message: file:line:column, the source line, a caret at column, every word in it."""
    code, out, err, path = run(capsys, tmp_path, text)
    assert code == 1 and out == "", err
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}:{line}:{column}: "), err
    assert lines[1] == "    " + text.splitlines()[line - 1], err
    assert re.fullmatch(" " * (4 + column - 1) + r"\^+", lines[2]), err
    for word in words:
        assert word in err, (word, err)
    return err


def total(text, **values):
    return symparams.parse(text, values=values or None).params


# ------------------------------------------------------------------ padding words (issue 20 item 6)

CONV = "input 32x32x3\nconv 32 3 {}\nflatten\ndense 10\n"


@pytest.mark.parametrize("written, meant", [("padding=SAME", "padding=same"), ("padding=Same", "padding=same"),
                                            ("padding=VALID", "padding=valid"), ("SAME", "same"),
                                            ("Valid", "valid")])
def test_a_padding_word_in_any_case_is_padding(written, meant):
    got = total(CONV.format(written))
    assert got == total(CONV.format(meant))
    assert not got.free_symbols                       # never 320·SAME² + ...
    assert got != total(CONV.format("padding=same" if "alid" in meant.lower() else "padding=valid"))


BLOCK = "input 32x32x3\nblock b(p) {{\n  conv 32 3 padding=p\n}}\n{}\nflatten\ndense 10\n"


@pytest.mark.parametrize("call, meant", [("b(same)", "same"), ("b(VALID)", "valid"), ("b(p=Same)", "same")])
def test_a_block_argument_that_is_a_padding_word_is_padding(call, meant):
    got = total(BLOCK.format(call))
    assert not got.free_symbols
    assert got == total(CONV.format(f"padding={meant}"))


def test_a_padding_word_passes_through_blocks_and_stands_as_a_bare_word():
    text = "input 32x32x3\nblock c(q) {\n  conv 8 3 q\n}\nblock b(p) {\n  c(p)\n}\nb(same)\n"
    net = symparams.parse(text)
    assert net.layers[-1].output_shape == (32, 32, 8)


def test_a_padding_word_used_as_a_size_is_a_located_error(capsys, tmp_path):
    located(capsys, tmp_path, "input 32x32x3\nblock b(p) {\n  conv p 3\n}\nb(same)\n", 3, 8,
            "'p' is the padding word 'same'", "only padding=")


@pytest.mark.parametrize("written, column", [("padding=SAMEE", 18), ("SAMEE", 10)])
def test_a_misspelt_padding_word_in_capitals_is_a_located_error(capsys, tmp_path, written, column):
    located(capsys, tmp_path, f"input 8x8x3\nconv 8 3 {written}\n", 2, column, "did you mean 'same'?")


def test_a_misspelt_padding_word_as_a_block_argument_is_a_located_error(capsys, tmp_path):
    located(capsys, tmp_path, BLOCK.format("b(sme)"), 3, 21, "padding=p is 'sme'", "did you mean 'same'?")


def test_a_let_named_like_a_padding_word_stays_a_number():
    assert symparams.parse("let same = 4\ninput 8\ndense same\n").at_defaults().params == 36


# ------------------------------------------------------------------ did-you-mean by meaning

@pytest.mark.parametrize("word, keyword", [
    ("BatchNormalization", "batchnorm"), ("BatchNorm2d", "batchnorm"), ("Conv2D", "conv2d"), ("Conv2d", "conv2d"),
    ("LayerNormalization", "layernorm"), ("LayerNorm", "layernorm"), ("Dense", "dense"), ("Linear", "dense"),
    ("MultiHeadAttention", "attention"), ("MultiheadAttention", "attention"), ("MaxPooling2D", "maxpool2d"),
    ("GlobalAveragePooling2D", "globalavgpool"), ("Embedding", "embedding"), ("LSTM", "lstm"),
    ("Conv2DTranspose", "deconv2d"), ("GroupNormalization", "groupnorm"), ("batchnormalization", "batchnorm"),
    ("GELU", "gelu"),
])
def test_a_framework_class_name_suggests_the_kind_it_means(capsys, tmp_path, word, keyword):
    err = located(capsys, tmp_path, f"input 16x16x4\n{word}\n", 2, 1, f"unknown layer '{word}'",
                  f"symparams writes it '{keyword}'")
    assert "'normalization'" not in "\n".join(err.splitlines()[3:])   # never the look-alike with other weights


def test_a_class_spelt_like_a_keyword_but_meaning_another_layer_says_so(capsys, tmp_path):
    err = located(capsys, tmp_path, "input 8x16\nAttention\n", 2, 1, "without weights", "MultiHeadAttention")
    assert "write 'attention" not in err


def test_a_misspelt_class_name_gets_the_one_obvious_kind(capsys, tmp_path):
    err = located(capsys, tmp_path, "input 16x16x4\nbatchnormalisation\n", 2, 1, "did you mean 'batchnorm'?")
    hint = "\n".join(err.splitlines()[3:])
    assert "'normalization'" not in hint and "layernorm" not in hint


# ------------------------------------------------------------------ channels-first input

def test_a_channels_first_image_input_is_warned_with_the_channels_last_form():
    net = symparams.parse("input 3x32x32\nbatchnorm\nconv 16 3\n")
    (warning,) = [w for w in net.warnings if "channels-first" in w]
    assert "'input 3x32x32' (line 1)" in warning and "write 'input 32x32x3'" in warning
    assert "conv (line 3)" in warning


def test_a_channels_last_image_or_a_sequence_is_not_warned():
    assert not any("channels-first" in w for w in symparams.parse("input 32x32x3\nconv 16 3\n").warnings)
    assert not any("channels-first" in w for w in symparams.parse("input 3x64\nconv1d 16 3\n").warnings)
    assert not any("channels-first" in w for w in symparams.parse("input 4x4x64\nconv 16 3\n").warnings)


def test_the_channels_first_warning_is_printed(capsys, tmp_path):
    code, out, err, _ = run(capsys, tmp_path, "input 3 x n x n\nconv 16 3\n")
    assert code == 0
    assert "channels-first" in out and "write 'input n x n x 3'" in out


# ------------------------------------------------------------------ errors that teach (issue 22 item 5)

def test_an_option_without_its_equals_sign(capsys, tmp_path):
    located(capsys, tmp_path, "input 32x32x3\nconv 32 3 stride 2\n", 2, 11, "'stride' is an option",
            "write 'stride=2'")


def test_an_option_with_the_keras_name(capsys, tmp_path):
    located(capsys, tmp_path, "input 32x32x3\nconv 32 3 strides=2\n", 2, 11, "no option 'strides'",
            "write 'stride=2'")


@pytest.mark.parametrize("text, column, fix", [("dense 10 activation=ReLU\n", 21, "'relu'"),
                                               ("dense 10 activation=LeakyReLU\n", 21, "'leaky_relu'"),
                                               ("dense 10 GELU\n", 10, "'gelu'")])
def test_an_activation_in_another_case(capsys, tmp_path, text, column, fix):
    located(capsys, tmp_path, "input 32\n" + text, 2, column, f"did you mean {fix}?", "lower case")


@pytest.mark.parametrize("call, fix", [("flatten()", "write 'flatten'"), ("dense(10, activation=relu)",
                                                                            "write 'dense 10 activation=relu'"),
                                       ("Dense(10, activation=relu)", "write 'dense 10 activation=relu'"),
                                       ("Flatten()", "write 'flatten'")])
def test_a_layer_written_with_parentheses(capsys, tmp_path, call, fix):
    err = located(capsys, tmp_path, f"input 4x4x2\n{call}\n", 2, 1, "parentheses", fix)
    assert "32 3x3" not in err


def test_a_pytorch_class_call_says_the_input_size_is_not_written(capsys, tmp_path):
    located(capsys, tmp_path, "input 32\nLinear(32, 10)\n", 2, 1, "'Linear' is the PyTorch class name",
            "'dense'", "write 'dense units'", "in_features")


def test_an_argument_given_as_a_keyword(capsys, tmp_path):
    located(capsys, tmp_path, "input 32x32x3\nconv filters=32 kernel_size=3 strides=2\n", 2, 6,
            "an argument written in its place", "write 'conv 32 3 stride=2'")


def test_a_quoted_word(capsys, tmp_path):
    located(capsys, tmp_path, 'input 32x32x3\nconv 32 3 padding="same"\n', 2, 19, "not a quoted string",
            "write 'padding=same', without quotes")


# ------------------------------------------------------------------ messages, not internal errors (issue 20 item 7)

def test_a_result_past_4300_digits_is_printed_exactly(capsys, tmp_path):
    import json
    import sys

    from symparams.integers import printable_integers
    before = sys.get_int_max_str_digits()
    width = 10 ** 2200
    params = (32 + 1) * width + (width + 1) * width            # 4,401 digits
    with printable_integers():
        grouped, plain = f"{params:,}", str(params)
    assert len(plain) == 4401
    code, out, err, _ = run(capsys, tmp_path, "input 32\ndense 10**2200\ndense 10**2200\n")
    assert code == 0, err
    assert grouped.replace(",", "") in out.replace(",", "").replace("\n", "").replace(" ", "").replace("│", "")
    code, out, err, _ = run(capsys, tmp_path, "input 32\ndense 10**2200\ndense 10**2200\n", "--format", "json")
    assert code == 0, err
    with printable_integers():
        assert plain in out and json.loads(out)          # the exact digits, and valid JSON
    assert sys.get_int_max_str_digits() == before          # raised only while symparams prints


def test_a_result_past_the_stated_digit_limit_is_refused_with_the_limit(capsys, tmp_path):
    from symparams.limits import MAX_PRINTED_DIGITS
    code, out, err, _ = run(capsys, tmp_path, "input 32\ndense 10**12000\ndense 10**12000\n")
    assert code == 1 and out == ""
    assert f"more than {MAX_PRINTED_DIGITS:,} digits" in err and "limits.py" in err


def test_export_names_a_rate_symbol_without_a_value(capsys, tmp_path):
    code, out, err, path = run(capsys, tmp_path, "input 32\ndropout r\ndense 3\n", "--to", "pytorch",
                               command="export")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}:2:1: ") and "rate r has no value" in lines[0], err
    assert lines[1] == "    dropout r" and lines[2] == "    ^"
    assert "--set r=10" in err and "dropout 0.1" in err


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_export_names_any_symbol_without_a_value(capsys, tmp_path, framework):
    code, out, err, path = run(capsys, tmp_path, "input 32\nrescaling s\ndropout 1/q\ndense 3\n", "--to", framework,
                               command="export")
    assert code == 1 and err.startswith(f"{path}:2:1: ") and "scale s has no value" in err
    assert "--set s=" in err
    code, out, err, path = run(capsys, tmp_path, "input 32\nrescaling s\ndropout 1/q\ndense 3\n", "--to", framework,
                               "--set", "s=2,q=10", command="export")
    assert code == 0 and "0.1" in out, err


# (text, line, column of the caret, words the message must contain: the fix as symparams writes it)
FIRST_LINES = [
    ("input 32\nn = 32\n", 2, 1, ["defined with 'let'", "write 'let n = 32'"]),
    ("input 32\nx = Dense(10)(x)\n", 2, 1, ["layers are not assigned", "write 'dense 10' on its own line"]),
    ("input 32x32x3\nx = layers.Conv2D(32, 3)(inputs)\n", 2, 1, ["write 'conv2d 32 3'"]),
    ("input 32\nblock b\n{\n  dense 3\n}\nb\n", 2, 8, ["'{' of 'block b' must be on the same line", "write 'block b {'"]),
    ("input 32\nrepeat 3\n{\n  dense 3\n}\n", 2, 9, ["must be on the same line", "write 'repeat 3 {'"]),
    ("input 32\nresidual\n  dense 32\n", 2, 9, ["needs its body in braces", "write 'residual {'"]),
    ("input 32\nfor i in range(3):\n  dense 3\n", 2, 1, ["repeat N { ... }", "write 'repeat 3 {'", "repeat 3 as i"]),
    ("input 32\nnn.Linear(32, 10)\n", 2, 4, ["without 'nn.'", "'Linear' is the PyTorch class name", "'dense'",
                                             "write 'dense units'"]),
    ("input 32\nnn.Linear 10\n", 2, 1, ["without 'nn.'", "write 'dense 10'"]),
    ("input 32\nlayers.Dense(10)\n", 2, 8, ["without 'layers.'", "write 'dense 10'"]),
    ('input 32x32x3\nConv2D(32, (3, 3), strides=2, padding="same")\n', 2, 1,
     ["'Conv2D' is the Keras class name", "write 'conv2d 32 3x3 stride=2 padding=same'"]),
    ('input 32\nmodel.add(Dense(10, activation="relu"))\n', 2, 11, ["write 'dense 10 activation=relu'",
                                                                   "no model.add"]),
    ("input 32\ndense 10\nmodel.compile()\n", 3, 1, ["Python around a model", "delete this line"]),
    ("input 32\ndense 10, activation=relu\n", 2, 9, ["spaces, not commas", "write 'dense 10 activation=relu'"]),
    ("input 32x32x3\nconv 32 3,3\n", 2, 10, ["spaces, not commas", "write 'conv 32 3x3'"]),
    ("input 28, 28, 1\n", 1, 9, ["joined with 'x'", "write 'input 28x28x1'"]),
    ("input 28 28 1\n", 1, 10, ["one too many", "write 'input 28x28x1'"]),
    ("Input(shape=(28, 28, 1))\n", 1, 1, ["'Input' is the Keras class name", "write 'input 28x28x1'"]),
    ("input 32\ndense 10 activation='relu'\n", 2, 21, ["without quotes", "write relu"]),
    ("input 32\ndense 10 activation=None\n", 2, 21, ["leaving activation= out", "delete 'activation=None'"]),
    ("input 32\ndropout p=0.5\n", 2, 9, ["p= is dropout's rate", "write 'dropout 0.5'"]),
    ("input 32x32x3\nbatchnorm 3\n", 2, 11, ["one too many", "num_features is not written", "write 'batchnorm'"]),
    ("input 32x32x3\nconv2d 3 32 3\n", 2, 13, ["in_channels", "write 'conv2d 32 3'"]),
    ("input 32\nlinear 10\n", 2, 8, ["'linear' is an activation here", "PyTorch's Linear is 'dense'",
                                     "write 'dense 10'"]),
    ("input (32,)\n", 1, 7, ["not a one-element tuple", "write 'input 32'"]),
    ("input 32\nDense 10 relu\n", 2, 1, ["'Dense' is the Keras class name", "write 'dense 10 relu'"]),
    ("let n = 4\ninput 32\ndense 2n\n", 3, 8, ["a product is written with '*'", "write '2*n'"]),
    ("input 32\ndense 10\n}\n", 3, 1, ["this '}' closes no '{'"]),
    ("import torch\ninput 32\n", 1, 1, ["'import' is Python", "delete this line"]),
    ("input 28x28\nconv2d 32 3\n", 2, 1, ["channel axis missing", "28 x 28 x 1"]),
    ("input 28x28\nconv 32 3x3\n", 2, 9, ["channel axis missing", "'input 28x28x1'"]),
    ("input 32\nreturn x\n", 2, 1, ["'return' is Python"]),
    ("input 32\nprint(model)\n", 2, 1, ["'print' is Python"]),
    ("input 32\nmodel = Sequential([\n", 2, 1, ["the file is the model, so there is no Sequential",
                                             "one layer per line"]),
    ("class Net(nn.Module):\ninput 32\n", 1, 1, ["no Module"]),
    ("input 32\ndef b(c):\n  dense c\nb(3)\n", 2, 9, ["in braces, not after ':'", "write 'block b(c) {'"]),
    ("input 32\nrepeat 3:\n  dense 3\n", 2, 9, ["in braces, not after ':'", "write 'repeat 3 {'"]),
    ("input 32\ndense 10 softmax)\n", 2, 17, ["this ')' closes no '('", "delete it"]),
    ("input 32\ndense 10 input_shape=32\n", 2, 10, ["no option 'input_shape'", "its own first line"]),
    ("input 32\ndense 10 kernel_initializer=he_normal\n", 2, 10, ["changes no shape or count", "delete it"]),
]


@pytest.mark.parametrize("text, line, column, words", FIRST_LINES, ids=[t.split("\n")[-2] for t, *_ in FIRST_LINES])
def test_a_keras_or_pytorch_habit_gets_the_fix_in_words(capsys, tmp_path, text, line, column, words):
    err = located(capsys, tmp_path, text, line, column, *words)
    assert "expected" not in err.splitlines()[0]          # the fix, not the parser's list of tokens


def test_serve_on_a_directory_points_to_the_build_option(capsys, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    code = cli.main(["serve", str(site), "--no-open"])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    assert f"{site} is a directory" in err and f"symparams serve --build {site}" in err
    assert f"symparams serve --dir {site}" in err


def test_a_command_on_a_directory_asks_for_one_file(capsys, tmp_path):
    code = cli.main(["summary", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1 and f"{tmp_path}: error: cannot read the file: it is a directory; give one architecture file" in err


def test_the_playground_call_prints_or_refuses_past_4300_digits():
    import json
    import sys

    from symparams import web
    before = sys.get_int_max_str_digits()
    answer = json.loads(web.call("derive", json.dumps(["input 32\ndense 10**2200\ndense 10**2200\n"])))
    assert answer["ok"], answer
    refused = json.loads(web.call("derive", json.dumps(["input 32\ndense 10**12000\ndense 10**12000\n"])))
    assert not refused["ok"] and "more than 20,000 digits" in refused["error"]["message"]
    assert sys.get_int_max_str_digits() == before


def test_a_missing_file_suggests_the_one_meant(capsys, tmp_path, monkeypatch):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "mnist.arch").write_text("input 8\ndense 2\n")
    (tmp_path / "net.arch").write_text("input 8\ndense 2\n")
    monkeypatch.chdir(tmp_path)
    for given, meant in (("mnist.arch", "examples/mnist.arch"), ("examples/mnist", "examples/mnist.arch"),
                         ("net", "net.arch")):
        code = cli.main(["summary", given])
        out, err = capsys.readouterr()
        assert code == 1 and err.strip().startswith(f"{given}: error: cannot read the file: "), err
        assert err.strip().endswith(f"; did you mean {meant}?"), err
    assert cli.main(["summary", "nothing.arch"]) == 1
    assert "did you mean" not in capsys.readouterr().err
