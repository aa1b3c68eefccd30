"""Block arguments that are sizes (issue 26 item 3): `conv_kx((1, 7))`, `conv_kx(1x7)` and `b(k=(7, 1))` bind
the parameter to one value per axis, so a block writes Inception's factorised 1 x 7 / 7 x 1 convolutions once.
Checked against PyTorch's nn.Conv2d with the same kernel_size tuples; wrong uses stop at the located line."""

from __future__ import annotations

import pytest

import symparams
from symparams import cli
from conftest import need_module

FACTORISED = """block conv_kx(c, k) {
  conv c k padding=same bias=false
  batchnorm
  relu
}
input 17x17x768
conv_kx(192, (1, 7))
conv_kx(192, 7x1)
conv_kx(c=160, k=(7, 1))
conv_kx(k=(1, 7), c=192)
"""


def test_tuple_arguments_are_the_kernels_pytorch_builds():
    torch = need_module("torch")
    nn = torch.nn
    net = symparams.parse(FACTORISED, convention="pytorch")
    convs = [r for _, r in net.walk() if r.is_leaf and r.kind == "conv2d"]
    assert [tuple(int(k) for k in r.config.kernel) for r in convs] == [(1, 7), (7, 1), (7, 1), (1, 7)]
    reference = [nn.Conv2d(768, 192, (1, 7), bias=False), nn.Conv2d(192, 192, (7, 1), bias=False),
                 nn.Conv2d(192, 160, (7, 1), bias=False), nn.Conv2d(160, 192, (1, 7), bias=False)]
    assert [int(r.params) for r in convs] == [sum(p.numel() for p in m.parameters()) for m in reference]
    assert tuple(int(d) for d in net.output_shape) == (17, 17, 192)


def test_the_same_network_written_out_by_hand():
    by_hand = symparams.parse("input 17x17x768\n" + "\n".join(
        f"conv {c} {k} padding=same bias=false\nbatchnorm\nrelu"
        for c, k in ((192, "1x7"), (192, "7x1"), (160, "7x1"), (192, "1x7"))))
    assert symparams.parse(FACTORISED).params == by_hand.params


def test_a_size_passes_through_blocks_and_beside_a_padding_word():
    text = ("block a(k, p) {\n  conv 8 k padding=p\n}\nblock b(k, p) {\n  a(k, p)\n}\n"
            "input 32x32x3\nb((1, 3), same)\nb((3, 1), valid)\n")
    net = symparams.parse(text)
    assert tuple(int(d) for d in net.output_shape) == (30, 32, 8)


def test_a_symbolic_size_and_a_block_called_as_a_layer():
    from symparams.algebra import symbol
    net = symparams.parse("block b(k) {\n  conv 8 k\n}\ninput 32x32x3\nb((1, n))\nb 3x1\n")
    assert net.params == (8 * 3 * symbol("n") + 8) + (3 * 8 * 8 + 8)


@pytest.mark.parametrize("text, line, column, words", [
    ("block b(k) {\n  conv 8 k*2\n}\ninput 32x32x3\nb((1, 2))\n", 2, 10, ["'k' is the size (1, 2)", "line 5"]),
    ("block b(k) {\n  conv k 3\n}\ninput 32x32x3\nb((1, 2))\n", 2, 8, ["filters is one number"]),
    ("block b(k) {\n  conv 8 k\n}\ninput 8x8x8x3\nb((1, 2))\n", 2, 10, ["2 sizes", "3 spatial"]),
])
def test_a_size_where_a_number_is_needed_is_located(capsys, tmp_path, text, line, column, words):
    path = tmp_path / "net.arch"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["summary", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line}:{column}: "), err
    assert "Traceback" not in err and all(w in err for w in words), err


def test_a_saved_tensor_is_no_block_argument():
    with pytest.raises(symparams.SymparamsError, match="saved tensor"):
        symparams.parse("block b(k) {\n  conv 8 k\n}\ninput 32x32x3\nb(skip[1])\n")
    with pytest.raises(symparams.SymparamsError, match="unexpected"):
        symparams.parse("block b(k) {\n  conv 8 k\n}\ninput 32x32x3\nb((1, 2)\n")
