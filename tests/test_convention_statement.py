"""A file can say its convention (`convention pytorch`); the command line's --convention and the
API's convention= still win; a misplaced or unknown convention is a located error."""

from __future__ import annotations

import pytest

import symparams
from symparams import cli
from symparams.errors import SymparamsError

from conftest import EXAMPLES

SRC = "{line}input 8x8x3\nconv 4 3x3 padding=same\nbatchnorm\nflatten\ndense 2\n"


def trainable(net) -> int:
    return int(net.trainable_params)


def test_the_files_convention_is_used_unless_the_caller_gives_one():
    # batch norm: Keras counts 4 numbers per channel (2 non-trainable), PyTorch 2 plus buffers
    keras, torch = symparams.parse(SRC.format(line="")), symparams.parse(SRC.format(line="convention pytorch\n"))
    assert keras.convention == "keras" and torch.convention == "pytorch"
    assert int(keras.params) == int(torch.params) + 8          # 2 x 4 channels of moving statistics
    said_keras = symparams.parse(SRC.format(line="convention keras\n"))
    assert said_keras.convention == "keras" and said_keras.params == keras.params
    assert symparams.parse(SRC.format(line="convention pytorch\n"), convention="keras").convention == "keras"
    assert torch.subs({}).convention == "pytorch"


def test_resnet18_counts_as_published_without_a_flag(capsys):
    path = str(EXAMPLES / "zoo" / "resnet18.arch")
    assert cli.main(["summary", path]) == 0
    assert "11,689,512" in capsys.readouterr().out                # torchvision's published total
    assert cli.main(["summary", path, "--convention", "keras"]) == 0
    assert "11,699,112" in capsys.readouterr().out                # the flag wins: BN statistics count


@pytest.mark.parametrize("text, words", [
    ("convention tensorflow\ninput 4\n", "unknown convention 'tensorflow'"),
    ("convention pytorch\nconvention keras\ninput 4\n", "second 'convention'"),
    ("input 4\nrepeat 2 {\nconvention pytorch\ndense 3\n}\n", "not inside braces"),
])
def test_bad_convention_statements_are_located_errors(text, words):
    with pytest.raises(SymparamsError) as info:
        symparams.parse(text)
    assert words in str(info.value) and info.value.line is not None


def test_a_symbol_may_still_be_called_convention():
    net = symparams.parse("let convention = 3\ninput convention\ndense 2\n")
    assert net.at_defaults().params == 8
