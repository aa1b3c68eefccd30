"""weight_norm=true on dense and conv: counts and shapes against PyTorch's two weight_norm forms built by
hand, export -> build -> import, both import paths (torch.nn.utils.parametrizations.weight_norm and the older
torch.nn.utils.weight_norm), what autograd keeps and what the FLOP counter counts, and Keras' refusal."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, round_trip, torch_count

CASES = ["input 6x6x3\nconv 4 3x3 weight_norm=true\nrelu\nflatten\ndense 5 weight_norm=true",
         "input 9x4\nconv 6 3 groups=2 weight_norm=true bias=false\ndense 3 weight_norm=true",
         "input 5x5x4\ndense 3 weight_norm=true\nconv 2 1 padding=same weight_norm=true",
         "input 7\ndense 4 weight_norm=true tanh\ndense 2 weight_norm=true",
         "input 4x4x4x2\nconv 3 2 weight_norm=true"]


@pytest.mark.parametrize("text", CASES)
def test_weight_norm_agrees_with_pytorch_and_comes_back(text):
    agree(text, "pytorch")
    assert "weight_norm=true" in round_trip(text, "pytorch")


def _both_forms(torch):
    nn = torch.nn
    for wrap in (nn.utils.parametrizations.weight_norm, nn.utils.weight_norm):
        yield wrap, nn.Sequential(wrap(nn.Conv2d(3, 8, 3)), nn.ReLU(), wrap(nn.Conv2d(8, 4, 3, bias=False)),
                                  nn.Flatten(), wrap(nn.Linear(4 * 2 * 2, 10)))


@pytest.mark.filterwarnings("ignore:.*torch.nn.utils.weight_norm. is deprecated")
def test_both_torch_forms_import_exactly():
    """g of shape out x 1 (x 1 x 1): 8 + 4 + 10 more than the same layers without weight norm."""
    torch = need_module("torch")
    for wrap, model in _both_forms(torch):
        text = symparams.from_torch(model, (6, 6, 3))
        assert text.count("weight_norm=true") == 3, (wrap, text)
        plain = symparams.parse(text.replace(" weight_norm=true", ""), convention="pytorch").params
        assert symparams.parse(text, convention="pytorch").params == torch_count(model) == plain + 8 + 4 + 10


def test_weight_norm_over_another_axis_is_refused_by_name():
    torch = need_module("torch")
    model = torch.nn.Sequential(torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 8), dim=1))
    with pytest.raises(symparams.SymparamsError, match="weight-normalised over another axis"):
        symparams.from_torch(model, (3,))


def test_keras_has_no_weight_norm():
    with pytest.raises(symparams.SymparamsError, match="Keras 3 has no weight normalisation"):
        symparams.parse("input 8\ndense 4 weight_norm=true", convention="keras")
    from symparams.frameworks import keras_export
    with pytest.raises(symparams.SymparamsError, match="Keras 3 has no weight normalisation"):
        keras_export.export(symparams.parse("input 8x3\nconv 4 3 weight_norm=true", convention="pytorch"))


def test_weight_norm_is_one_weight_per_output_symbolically():
    net = symparams.parse("input T x D\ndense U weight_norm=true", convention="pytorch")
    assert str(net.params) == "D*U + 2*U"


@pytest.mark.parametrize("text", CASES)
def test_weight_norm_saves_and_costs_what_pytorch_does(text):
    """The norms and the computed kernel autograd keeps (once per batch), and the FLOP counter's total."""
    from test_memory import measured_saved_bytes, ours as saved_ours
    from test_training_cost import counted_training_flops, ours as flops_ours
    net = symparams.parse(text, convention="pytorch")
    assert saved_ours(net) == measured_saved_bytes(net)
    assert flops_ours(net) == counted_training_flops(net)
