"""radixsum and radixsoftmax (split attention: ResNeSt's SplitAttn, SKNet's SelectiveKernel): the harness's
generators, counts and shapes against the exported modules built in both frameworks, export -> build -> import,
the values of timm's RadixSoftmax, what autograd keeps and what the FLOP counter counts, and timm's SplitAttn and
SelectiveKernel imported with the parameters timm counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, kind, round_trip, torch_count


@kind("radixsum")
def radixsum(b):
    c = b.channels
    return f"radixsum {b.pick([r for r in range(1, min(c, 4) + 1) if c % r == 0])}"


@kind("radixsoftmax")
def radixsoftmax(b):
    c = b.channels
    pairs = [(r, g) for r in range(1, 5) for g in range(1, 4) if c % (r * g) == 0]
    r, g = b.pick(pairs)
    return f"radixsoftmax {r}" + (f" groups={g}" if g != 1 else "")


# a ResNeSt split attention (radix 2, cardinality 2) and an SKNet selective kernel (two paths on halves of the input)
SPLIT = """input 8x8x16
conv 64 3 padding=1 groups=4 bias=false
batchnorm
relu
mul { } { radixsum 2; globalavgpool keepdims; conv 32 1 groups=2; batchnorm; relu; conv 64 1 groups=2; radixsoftmax 2 groups=2 }
radixsum 2
"""
SELECT = """input 9x9x8
concat { slice 4; conv 12 3 padding=1 bias=false; batchnorm; relu } { slice 4 start=4; conv 12 3 padding=2 dilation=2 bias=false; batchnorm; relu }
mul { } { radixsum 2; globalavgpool keepdims; conv 8 1 bias=false; batchnorm; relu; conv 24 1 bias=false; radixsoftmax 2 }
radixsum 2
flatten
dense 3
"""
CASES = [SPLIT, SELECT, "input 6x6x12\nradixsoftmax 3\nradixsum 3\nradixsoftmax 1 groups=2\nrelu\nradixsoftmax 2"]


def test_shapes_and_conditions():
    net = symparams.parse(SPLIT, convention="pytorch")
    assert tuple(net.output_shape) == (8, 8, 32)
    sym = symparams.parse("input 4 x 4 x c\nradixsoftmax 2 groups=3\nradixsum 2")
    assert tuple(sym.output_shape)[-1] == sym.layers[0].output_shape[-1] / 2
    with pytest.raises(symparams.SymparamsError, match="divide the 10 channels"):
        symparams.parse("input 4x4x10\nradixsoftmax 2 groups=2").evaluate()
    with pytest.raises(symparams.SymparamsError, match="divide the 9 channels"):
        symparams.parse("input 9\nradixsum 2").evaluate()


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("text", CASES)
def test_split_attention_agrees_and_comes_back(text, framework):
    agree(text, framework)
    back = round_trip(text, framework)
    assert _kinds(back) == _kinds(text), back


def _kinds(text: str) -> list:
    """The radix kinds of a file, in order (one line or `;`-separated statements)."""
    steps = [s.strip(" {}") for line in text.splitlines() for s in line.replace("{", ";").split(";")]
    return [s.split()[0] for s in steps if s.split() and s.split()[0].startswith("radix")]


def test_exported_radix_softmax_computes_what_timms_computes():
    """On the 1 x 1 map of a split attention, in PyTorch and (channels last) in Keras."""
    torch = need_module("torch")
    need_module("timm")
    from timm.layers.split_attn import RadixSoftmax
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    for radix, groups in ((2, 1), (2, 2), (4, 3), (1, 2)):
        c = radix * groups * 5
        text = f"input 1 x 1 x {c}\nradixsoftmax {radix} groups={groups}"
        x = torch.randn(3, c, 1, 1)
        expected = RadixSoftmax(radix, groups)(x).view(3, c, 1, 1)
        model = run_source(torch_export.export(symparams.parse(text, convention="pytorch")))["build"]()
        assert torch.allclose(model(x), expected, atol=1e-6), (radix, groups)
        need_module("keras")
        keras_model = run_source(keras_export.export(symparams.parse(text)))["build"]()
        y = torch.as_tensor(keras_model(x.permute(0, 2, 3, 1).numpy())).float().cpu()
        assert torch.allclose(y, expected.permute(0, 2, 3, 1), atol=1e-6), (radix, groups)


@pytest.mark.parametrize("text", CASES)
def test_split_attention_saves_and_costs_what_pytorch_does(text):
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)


def test_timms_split_attention_and_selective_kernel_import_exactly():
    """timm's modules alone (radix 1, 2 and 4; cardinality 1 and 2; two and three paths, split input or not),
    each against the parameters timm counts; the file reads back."""
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import SelectiveKernel, SplitAttn
    from torch.utils.flop_counter import FlopCounterMode
    cases = [SplitAttn(16, 32, radix=2, groups=2, norm_layer=torch.nn.BatchNorm2d),
             SplitAttn(16, 16, radix=1, norm_layer=torch.nn.BatchNorm2d),
             SplitAttn(24, 24, stride=2, radix=4, norm_layer=torch.nn.BatchNorm2d),
             SplitAttn(16, 32, radix=2),
             SelectiveKernel(16, 32),
             SelectiveKernel(16, 24, kernel_size=[3, 5, 7], split_input=False, groups=4, stride=2),
             SelectiveKernel(16, 16, keep_3x3=False)]
    for attention in cases:
        module = torch.nn.Sequential(attention, torch.nn.ReLU()).eval()
        text = symparams.from_torch(module, (12, 12, _cin(attention)))
        net = symparams.parse(text, convention="pytorch")
        assert net.params == torch_count(module), text
        assert "radixsum" in text or "sigmoid" in text, text
        with torch.no_grad(), FlopCounterMode(display=False) as counter:       # the module's own products
            module(torch.randn(2, _cin(attention), 12, 12))
        assert 2 * 2 * int(net.metric("macs")) == counter.get_total_flops(), text


def _cin(module) -> int:
    return next(m for m in module.modules() if type(m).__name__ == "Conv2d").in_channels * \
        (module.num_paths if getattr(module, "split_input", False) else 1)
