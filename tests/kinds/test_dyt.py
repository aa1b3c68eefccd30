"""dyt (Dynamic Tanh): the harness's generator, and the kind against the published definition
(Zhu et al. 2025: alpha a scalar, gamma and beta of the channel width) built in both frameworks."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import kind, last


@kind("dyt")
def dyt(b):
    return "dyt"


@pytest.mark.parametrize("text, width", [("input 7 x 12\ndyt", 12), ("input 5 x 5 x 6\ndyt", 6),
                                         ("input 9\ndyt", 9)])
def test_dyt_counts_2d_plus_1_in_both_conventions(text, width):
    for convention in ("keras", "pytorch"):
        params, out, net = last(text, convention)
        assert params == 2 * width + 1 and net.trainable_params == 2 * width + 1
        assert out == net.layers[0].output_shape


def test_dyt_is_symbolic_in_the_width():
    net = symparams.parse("input T x D\ndyt")
    assert str(net.params) == "2*D + 1"
    assert net.metric("ops") == 4 * net.layers[0].output_shape[0] * net.layers[0].output_shape[1]


def test_dyt_replaces_layernorm_one_for_one_in_a_block():
    """DyT in place of LayerNorm adds one weight per norm (the scalar alpha) to LayerNorm's 2D."""
    ln = symparams.parse("input 8 x 16\nresidual { layernorm; dense 16 }")
    dy = symparams.parse("input 8 x 16\nresidual { dyt; dense 16 }")
    assert dy.params - ln.params == 1


def test_dyt_exported_module_computes_tanh():
    torch = need_module("torch")
    from symparams.frameworks.torch_export import export
    ns: dict = {}
    exec(compile(export(symparams.parse("input 4 x 3\ndyt", convention="pytorch")), "<export>", "exec"), ns)
    model = ns["build"]()
    x = torch.randn(2, 4, 3)
    assert torch.allclose(model(x), torch.tanh(0.5 * x))
