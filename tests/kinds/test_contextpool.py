"""contextpool (GCNet's global context pooling, timm's GlobalContext): the harness's generator, counts and shapes
against the exported modules built in both frameworks, export -> build -> import, the values of timm's block given
its weights, what autograd keeps and what the FLOP counter counts, and timm's GlobalContext imported in each of
its forms with the parameters timm counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, kind, round_trip, torch_count


@kind("contextpool", ranks=(3,))
def contextpool(b):
    return b.pick(["contextpool", "contextpool keepdims"])


GATE = """input 7x6x16
conv 16 3 padding=1
mul { } { contextpool keepdims; conv 4 1; layernorm; relu; conv 16 1; sigmoid }
contextpool
dense 3
"""
ADD = """input 7x6x16
conv 16 3 padding=1
save x
contextpool keepdims
conv 4 1
layernorm
relu
conv 16 1
add with x
"""
CASES = [GATE, ADD, "input 5x5x3\ncontextpool keepdims\nconv 4 1\nrelu\nflatten\ndense 2"]


def test_counts_and_shapes():
    net = symparams.parse("input 9x9x32\ncontextpool keepdims", convention="pytorch")
    assert int(net.params) == 33 and tuple(net.output_shape) == (1, 1, 32)
    assert tuple(symparams.parse("input 9x9x32\ncontextpool").output_shape) == (32,)
    with pytest.raises(symparams.SymparamsError):
        symparams.parse("input 9x32\ncontextpool").evaluate()


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("text", CASES)
def test_contextpool_agrees_and_comes_back(text, framework):
    agree(text, framework)
    back = round_trip(text, framework)
    assert back.count("contextpool") >= text.count("contextpool"), back


@pytest.mark.parametrize("text", CASES)
def test_contextpool_saves_and_costs_what_pytorch_does(text):
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)


def _blocks():
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import GlobalContext
    torch.manual_seed(0)
    return [GlobalContext(16), GlobalContext(16, fuse_add=True, fuse_scale=False),
            GlobalContext(16, fuse_add=True, fuse_scale=True), GlobalContext(16, use_attn=False),
            GlobalContext(24, rd_ratio=1 / 4, act_layer=torch.nn.GELU, gate_layer="hard_sigmoid")]


def test_timms_global_context_imports_exactly_and_computes_the_same():
    """Each form of timm's block (scale, add, both, mean pooling), counted as timm counts it and costed as the
    FLOP counter counts it; the exported network, given the block's weights in order, computes its output."""
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    for block in _blocks():
        c = block.mlp_scale.fc1.in_channels if block.mlp_scale is not None else block.mlp_add.fc1.in_channels
        module = torch.nn.Sequential(torch.nn.Conv2d(3, c, 1), block).eval()
        text = symparams.from_torch(module, (9, 8, 3))
        net = symparams.parse(text, convention="pytorch")
        assert net.params == torch_count(module), text
        x = torch.randn(2, 3, 9, 8)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            expected = module(x)
        assert 2 * 2 * int(net.metric("macs")) == counter.get_total_flops(), text
        exported = run_source(torch_export.export(net))["build"]().eval()
        ours, theirs = list(exported.parameters()), list(module.parameters())
        assert [p.numel() for p in ours] == [p.numel() for p in theirs], text
        for norm in (m for m in exported.modules() if isinstance(m, torch.nn.LayerNorm)):
            norm.eps = 1e-6         # timm's LayerNorm2d's (an epsilon is no weight: symparams exports torch's default)
        with torch.no_grad():
            for mine, source in zip(ours, theirs):
                mine.copy_(source.reshape(mine.shape))
            assert torch.allclose(exported(x), expected, atol=1e-5), text
