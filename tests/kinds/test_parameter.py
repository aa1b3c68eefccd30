"""parameter (a free learned tensor): the harness's generator, and the kind's counts, its buffer option and
its exported modules' values in both frameworks."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import kind, size_text


@kind("parameter")
def parameter(b):
    # the current shape again, so the random network goes on as before; sometimes a buffer
    return f"parameter {size_text(b.shape)}" + (" buffer=true" if b.coin() else "")


def test_parameter_counts_its_shape_and_becomes_the_current_tensor():
    for convention in ("keras", "pytorch"):
        net = symparams.parse("input 3 x 4\nsave x\nparameter 3 x 4\nadd with x\n", convention=convention)
        assert int(net.params) == 12 and tuple(net.output_shape) == (3, 4)
    net = symparams.parse("input 5\nparameter 3 x 4 buffer=true\n", convention="pytorch")
    assert int(net.params) == 0 and int(net.buffers) == 12
    net = symparams.parse("input 5\nparameter 3 x 4 buffer=true\n", convention="keras")
    assert int(net.params) == 12 and int(net.trainable_params) == 0
    net = symparams.parse("input 5\nparameter d x 4 trainable=false\n")
    assert str(net.params) == "4*d" and net.trainable_params == 0


def test_parameter_exports_hold_the_tensor_in_both_frameworks():
    torch = need_module("torch")
    from symparams.frameworks import keras_export, torch_export
    text = "input 6 x 6 x 2\nparameter 6 x 6 x 2\nsave p\nparameter 2 buffer=true\nmul with p\n"
    scope: dict = {}
    exec(compile(torch_export.export(symparams.parse(text, convention="pytorch")), "<export>", "exec"), scope)
    model = scope["build"]()
    assert sum(p.numel() for p in model.parameters()) == 72
    assert sum(b.numel() for b in model.buffers()) == 2
    assert tuple(model(torch.zeros(3, 2, 6, 6)).shape) == (3, 2, 6, 6)
    need_module("keras")
    scope = {}
    exec(compile(keras_export.export(symparams.parse(text, convention="keras")), "<export>", "exec"), scope)
    built = scope["build"]()
    assert built.count_params() == 74 and tuple(built.output_shape[1:]) == (6, 6, 2)
