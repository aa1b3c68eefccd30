"""weight_std=true|scaled on conv (weight standardisation: timm's StdConv2d and ScaledStdConv2d): counts and shapes
against the exported StdConv helper built in PyTorch, export -> build -> import, timm's own classes imported, what
autograd keeps and what the FLOP counter counts, the element operations once per pass, and Keras' refusal."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, round_trip, torch_count

CASES = ["input 6x6x3\nconv 4 3x3 weight_std=true\nrelu\nflatten\ndense 5",
         "input 9x4\nconv 6 3 groups=2 weight_std=scaled bias=false\ndense 3",
         "input 7x7x4\nconv 8 3 stride=2 padding=1 weight_std=scaled\nconv 2 1 weight_std=true",
         "input 4x4x4x2\nconv 3 2 weight_std=scaled"]


@pytest.mark.parametrize("text", CASES)
def test_weight_std_agrees_with_pytorch_and_comes_back(text):
    agree(text, "pytorch")
    back = round_trip(text, "pytorch")
    for word in ("weight_std=true", "weight_std=scaled"):
        assert back.count(word) == text.count(word), back


def test_timm_classes_import_with_their_gain():
    """timm's StdConv2d counts as a plain convolution; ScaledStdConv2d one gain more per filter."""
    torch = need_module("torch")
    need_module("timm")
    from timm.layers import ScaledStdConv2d, StdConv2d
    model = torch.nn.Sequential(StdConv2d(3, 8, 3), torch.nn.ReLU(), ScaledStdConv2d(8, 4, 3, bias=False))
    text = symparams.from_torch(model, (9, 9, 3))
    assert "weight_std=true" in text and "weight_std=scaled" in text, text
    net = symparams.parse(text, convention="pytorch")
    plain = symparams.parse(text.replace(" weight_std=scaled", "").replace(" weight_std=true", ""),
                            convention="pytorch")
    assert net.params == torch_count(model) == plain.params + 4


def test_keras_has_no_weight_std():
    with pytest.raises(symparams.SymparamsError, match="Keras 3 has no weight standardisation"):
        symparams.parse("input 8x8x3\nconv 4 3 weight_std=true", convention="keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="Keras 3 has no weight standardisation"):
        keras_export.export(symparams.parse("input 8x8x3\nconv 4 3 weight_std=scaled", convention="pytorch"))


def test_weight_std_and_weight_norm_are_refused_together():
    with pytest.raises(symparams.SymparamsError, match="weight_std and weight_norm"):
        symparams.parse("input 8x8x3\nconv 4 3 weight_std=true weight_norm=true", convention="pytorch")


def test_scaled_is_one_weight_per_filter_symbolically():
    net = symparams.parse("input H x W x C\nconv F 3 weight_std=scaled", convention="pytorch")
    assert str(net.params) == "9*C*F + 2*F"


def test_the_standardisation_runs_once_per_pass_whatever_the_batch():
    """Its element operations are added once per forward pass: the same at batch 1 and 8, and none without it."""
    from symparams.cost import Options, metric

    def ops(text, batch):
        return metric(symparams.parse(text, convention="pytorch"), "ops", Options(batch=batch))

    plain, std = "input 8x8x3\nconv 4 3", "input 8x8x3\nconv 4 3 weight_std=scaled"
    extra = [ops(std, b) - ops(plain, b) for b in (1, 8)]
    assert extra[0] == extra[1] > 0


@pytest.mark.parametrize("text", CASES)
def test_weight_std_saves_and_costs_what_pytorch_does(text):
    """The statistics and the computed kernel autograd keeps (once per batch), and the FLOP counter's total (the
    standardisation itself: a batch norm and a product by a number, which it does not count)."""
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)
