"""condconv (CondConv, timm's CondConv2d): the harness's generator, counts and shapes against the exported module
built in PyTorch, export -> build -> import, the values of timm's CondConv2d given its weights, what autograd keeps
and what the FLOP counter counts, and timm's CondConv EfficientNet blocks imported with the parameters timm counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, kind, round_trip, torch_count


@kind("condconv", ranks=(3,))
def condconv(b):
    c = b.channels
    experts, filters = b.pick([e for e in (1, 2, 4) if e <= c]), b.pick([c, 2, 6])
    name = f"route{b.integer(0, 10 ** 6)}"
    kernel, stride = b.pick([(1, 0), (3, 1)]), b.pick([1, 2])
    groups = b.pick([1, c]) if filters == c else 1
    line = f"condconv {filters} {kernel[0]} experts={experts} routing={name}" + \
        (f" padding={kernel[1]}" if kernel[1] else "") + (f" stride={stride}" if stride != 1 else "") + \
        (f" groups={groups}" if groups != 1 else "") + b.pick(["", " bias=false"])
    # the routing weights from E of the channel means (no weights: the kind can come first)
    return [f"save {name}_x", "globalavgpool", f"slice {experts}", "sigmoid", f"save {name}", f"use {name}_x", line]


ROUTED = """input 8x8x6
conv 8 1
save x
globalavgpool
dense 4 sigmoid
save routing
use x
condconv 12 3 padding=1 experts=4 routing=routing
relu
condconv 12 3 stride=2 padding=1 groups=12 experts=4 routing=routing bias=false
"""
FIRST = """input 7x7x4
save x
globalavgpool
dense 2 sigmoid
save r
use x
condconv 6 1 experts=2 routing=r
flatten
dense 3
"""
CASES = [ROUTED, FIRST]


def test_counts_shapes_and_routing_checks():
    net = symparams.parse(ROUTED, convention="pytorch")
    assert int(net.params) == 8 * 6 + 8 + 4 * 8 + 4 + 4 * (12 * 9 * 8 + 12) + 4 * 12 * 9
    assert tuple(net.output_shape) == (4, 4, 12)
    for bad, words in (("condconv 4 1 experts=3 routing=r", "holds 2 weights for 3 experts"),
                       ("condconv 4 1 experts=2 routing=q", "no tensor 'q'"),
                       ("condconv 4 1 experts=2", "routing=NAME"),
                       ("condconv 4 3 padding=same experts=2 routing=r", "padding=P")):
        with pytest.raises(symparams.SymparamsError, match=words):
            symparams.parse(f"input 5x5x3\nsave x\nglobalavgpool\ndense 2\nsave r\nuse x\n{bad}").evaluate()


@pytest.mark.parametrize("text", CASES)
def test_condconv_agrees_with_pytorch_and_comes_back(text):
    agree(text, "pytorch")
    back = round_trip(text, "pytorch")
    assert back.count("condconv ") == text.count("condconv ") and "routing=" in back, back


def test_keras_export_is_refused_by_name():
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="CondConv"):
        keras_export.export(symparams.parse(FIRST))


@pytest.mark.parametrize("text", CASES)
def test_condconv_saves_and_costs_what_pytorch_does(text):
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)


def test_exported_condconv_computes_what_timms_computes():
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import CondConv2d
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    for kernel, stride, groups, bias in ((3, 1, 1, True), (3, 2, 8, False), (1, 1, 1, False)):
        reference = CondConv2d(8, 8, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=bias,
                               num_experts=3)
        text = (f"input 9x9x8\nsave x\nglobalavgpool\ndense 3 sigmoid\nsave r\nuse x\ncondconv 8 {kernel} "
                f"stride={stride} padding={kernel // 2} groups={groups} bias={'true' if bias else 'false'} "
                "experts=3 routing=r")
        model = run_source(export(symparams.parse(text, convention="pytorch")))["build"]().eval()
        [mine] = [m for m in model.modules() if type(m).__name__ == "CondConv2d"]
        mine.load_state_dict(reference.state_dict())
        x, routing = torch.randn(2, 8, 9, 9), torch.rand(2, 3)
        with torch.no_grad():
            assert torch.allclose(mine(x, routing), reference(x, routing), atol=1e-5), text


def test_timms_condconv_efficientnet_imports_exactly():
    """efficientnet_cc_b0_4e (its CondConvResidual blocks: the routing from the block input's channel means, read
    by three CondConv2d each) on the meta device: the total timm counts, and forward FLOPs as the counter counts
    them on timm's own model; the TensorFlow-padded form (tf_efficientnet_cc_*) is refused by name."""
    torch = need_module("torch")
    timm = need_module("timm")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams.frameworks.torch_meta import build_on_meta
    model = build_on_meta(lambda: timm.create_model("efficientnet_cc_b0_4e", pretrained=False)).eval()
    text = symparams.from_torch(model, (96, 96, 3))
    assert text.count("condconv ") > 0 and "routing=" in text
    net = symparams.parse(text, convention="pytorch")
    assert net.params == torch_count(model) == 13314116
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 96, 96, device="meta"))
    assert 2 * int(net.metric("macs")) == counter.get_total_flops()
    tf = build_on_meta(lambda: timm.create_model("tf_efficientnet_cc_b0_4e", pretrained=False))
    with pytest.raises(symparams.SymparamsError, match="CondConv2d"):
        symparams.from_torch(tf, (96, 96, 3))
