"""frn and evonorm (normalisation-activation layers without batch statistics: timm's FilterResponseNormTlu2d,
EvoNorm2dS0 and EvoNorm2dS0a): the harness's generators, counts and shapes against the exported modules built in
both frameworks, export -> build -> import, the values of timm's modules given their weights, what autograd keeps
and what the FLOP counter counts, and timm's modules imported with the parameters timm counts."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, kind, round_trip, torch_count


@kind("frn", ranks=(3,))
def frn(b):
    return b.pick(["frn", "frn tlu=false"])


@kind("evonorm", ranks=(3,))
def evonorm(b):
    c = b.channels
    groups = b.pick([g for g in (1, 2, 4, 8) if c % g == 0])
    return b.pick([f"evonorm groups={groups}", f"evonorm form=s0a groups={groups}",
                   f"evonorm groups={groups} apply_act=false", f"evonorm form=s0a groups={groups} apply_act=false"])


CASES = ["input 6x5x8\nconv 8 3 padding=1\nfrn\nconv 4 1\nfrn tlu=false\nrelu\nflatten\ndense 3",
         "input 6x5x8\nfrn\nconv 8 1\nfrn",
         "input 6x5x8\nconv 8 3 padding=1\nevonorm groups=4\nconv 8 1\nevonorm form=s0a groups=2 apply_act=false\n"
         "conv 8 1\nevonorm groups=8 apply_act=false\nevonorm form=s0a groups=1\nflatten\ndense 3",
         "input 6x5x8\nevonorm groups=2\nconv 4 1", "input 6x5x8\nevonorm form=s0a groups=1\nconv 4 1\nevonorm groups=1",
         "input 6x5x8\nevonorm form=s0a groups=2 apply_act=false\nconv 4 1\nevonorm groups=4 apply_act=false",
         # one channel per group: the laid-out deviation is a view of the roots, no copy (found by the random draws)
         "input 6x5x8\nconv 8 1\nevonorm groups=8\nconv 4 1\nevonorm form=s0a groups=4 apply_act=false\nconv 2 1"]


def test_counts():
    for text, params in (("frn", 24), ("frn tlu=false", 16), ("evonorm groups=2", 24),
                         ("evonorm groups=2 apply_act=false", 16)):
        net = symparams.parse(f"input 4x4x8\n{text}", convention="pytorch")
        assert int(net.params) == params, text
    with pytest.raises(symparams.SymparamsError, match="divide the 8 channels"):
        symparams.parse("input 4x4x8\nevonorm groups=3").evaluate()


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("text", CASES)
def test_norms_agree_and_come_back(text, framework):
    agree(text, framework)
    back = round_trip(text, framework)
    for word in ("frn", "evonorm"):
        assert back.count(f"\n{word}") == text.count(f"\n{word}") or word not in text, back


@pytest.mark.parametrize("text", CASES)
def test_norms_save_and_cost_what_pytorch_does(text):
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)


def _timm_modules():
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import EvoNorm2dS0, EvoNorm2dS0a, FilterResponseNormAct2d, FilterResponseNormTlu2d
    return [(FilterResponseNormTlu2d(16), "frn"), (FilterResponseNormTlu2d(16, apply_act=False), "frn tlu=false"),
            (FilterResponseNormAct2d(16), "frn tlu=false"),
            (EvoNorm2dS0(16, groups=4), "evonorm groups=4"),
            (EvoNorm2dS0(16, group_size=8, apply_act=False), "evonorm groups=2 apply_act=false"),
            (EvoNorm2dS0a(16, group_size=4), "evonorm form=s0a groups=4"),
            (EvoNorm2dS0a(16, groups=8, apply_act=False), "evonorm form=s0a groups=8 apply_act=false")], torch


def test_timms_norms_import_exactly_and_compute_the_same():
    """Each of timm's modules, after a convolution: counted as timm counts it, read as the line it is, and the
    exported network, given the weights in order, computes timm's output in PyTorch and (channels last) in Keras."""
    modules, torch = _timm_modules()
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    torch.manual_seed(0)
    for norm, line in modules:
        with torch.no_grad():
            for p in norm.parameters():
                p.normal_()
        model = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 1), norm).eval()
        text = symparams.from_torch(model, (7, 6, 3))
        assert line + " name=" in text, text
        net = symparams.parse(text, convention="pytorch")
        assert net.params == torch_count(model), text
        x = torch.randn(2, 3, 7, 6)
        with torch.no_grad():
            expected = model(x)
        exported = run_source(torch_export.export(net))["build"]().eval()
        with torch.no_grad():
            for mine, source in zip(exported.parameters(), model.parameters()):
                mine.copy_(source.reshape(mine.shape))
        for m in exported.modules():        # timm's epsilon (no weight; the exported module takes the default)
            if hasattr(m, "eps") and type(m).__name__ == type(norm).__name__:
                m.eps = norm.eps
        with torch.no_grad():
            assert torch.allclose(exported(x), expected, atol=1e-4), text
        need_module("keras")
        keras_net = symparams.parse(text.replace("convention pytorch\n", ""))
        keras_model = run_source(keras_export.export(keras_net))["build"]()
        weights = [p.detach().numpy() for p in model.parameters()]
        weights[0] = weights[0].transpose(2, 3, 1, 0)           # the convolution's kernel, channels last
        for layer in keras_model.layers:
            if hasattr(layer, "eps"):
                layer.eps = norm.eps
        keras_model.set_weights(weights)
        y = torch.as_tensor(keras_model(x.permute(0, 2, 3, 1).numpy())).float().cpu()
        assert torch.allclose(y, expected.permute(0, 2, 3, 1), atol=1e-4), text


def test_other_evonorm_forms_are_refused_by_name():
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import EvoNorm2dB0, EvoNorm2dS1
    for norm in (EvoNorm2dB0(16), EvoNorm2dS1(16, groups=4)):
        with pytest.raises(symparams.SymparamsError, match=type(norm).__name__):
            symparams.from_torch(torch.nn.Sequential(torch.nn.Conv2d(3, 16, 1), norm), (8, 8, 3))
