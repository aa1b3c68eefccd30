"""torchinfo's own test models (TylerYep/torchinfo tests/fixtures/models.py and the modules its
tests/torchinfo_test.py builds), rewritten in tests/torchinfo_models.py, each run through
`symparams import torchinfo_models:<factory> --input-shape ...` (issue 26).

The oracle is PyTorch: sum(p.numel()) over the real module's parameters (and over those with
requires_grad for the trainable count). Each row also carries the total torchinfo's expected output
prints (tests/test_output/*.out, or the number its test asserts); where that differs from PyTorch's
count the row says why. A row either imports exactly (the file reads back with PyTorch's total and
trainable count) or is refused with a located message naming the construct, given here as data."""

from __future__ import annotations

import contextlib
import io

import pytest

import symparams
from conftest import need_module

# factory, --input-shape (channels last, no batch), torchinfo's printed total, its trainable total,
# None or why torchinfo's total is not PyTorch's, None (exact) or the refusal's words
CASES = [
    ("single_input_net", "28x28x1", 21840, 21840, None, None),
    ("pruned_single_input", "28x28x1", 10965, 10965,
     "torchinfo counts the pruning mask's nonzero weights; PyTorch keeps weight_orig whole (21,840)", None),
    ("linear_model", "128", 33153, 33153, None, None),
    ("single_linear_layer", "2", 15, 15, None, None),
    ("groups_conv", "28x28x16", 1184, 1184, None, None),
    ("linear_3d", "16x8", 576, 576, None, None),
    ("identity_model", "10", 0, 0, None, None),
    ("reusing_activations", "10", 0, 0, None, None),
    ("parameter_list", "100x100", 30000, 30000, None, None),
    ("module_dict", "3x3x10", 911, 911, None, None),
    ("mixed_trainable_parameters", "10", 20, 10, None, None),
    ("inside_model", "2", 8, 8, None, None),
    ("recursive_with_missing_layers", "128x128x3", 4235, 4235, None, None),
    ("cnn_module_list", "10x1", 10, 10, None, None),
    ("tensor_kernel_size", "16x1", 4, 4, None, None),
    ("edge_case", "28x28x1", 260, 260, None, None),
    ("multi_device", "10", 165, 165, None, None),
    ("register_parameter", "2", 14, 14, None, None),
    ("fake_pruned", "1", 32, 32,
     "torchinfo drops a parameter named *_mask as pruning's mask (its test says 'should be 64')", None),
    ("pruned_name", "1", 32, 32, None, None),
    ("custom_parameter", "1", 32, 32, None, None),
    ("reuse_relu", "64x64x4", 91, 91, None, None),
    ("parameter_fc", "128", 8256, 8256, None, None),
    ("parameter_fc_with_linear", "128", 10336, 10336, None, None),
    ("reuse_linear", "10", 110, 110, None, None),
    ("container", "5", 150, 150, None, None),
    ("recursive_net", "28x28x64", 36928, 36928, None, None),
    ("autoencoder", "64x64x3", 883, 883, None, None),
    ("lstm_net", "100", 3784580, 3784580, None, None),
    ("highly_nested_dict", "10", 220, 220, None, None),
    ("mixed_trainable", "1x1", 6, 3, None, None),
    # two inputs, one shape each (forward's order): the towers' cat on the batch axis read as 2 x 10 per pair of
    # examples; the siamese tower run on both inputs counted once (reuse=), |a - b| as 'sub with' and abs
    ("multiple_input_net", "300,300", 31120, 31120, None, None),
    ("siamese_nets", "88x88x1,88x88x1", 2251585, 2251585, None, None),
    # an LSTMCell stepped 4 times over its input, tanh on h after each step: lstm 2 steps=4 state_activation=tanh
    ("simple_rnn", "3", 65, 65, None, None),
]


def _run(factory, shape):
    from symparams import cli
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["import", f"torchinfo_models:{factory}", "--input-shape", shape])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("factory,shape,printed,printed_trainable,differs,refusal", CASES, ids=[c[0] for c in CASES])
def test_torchinfo_models_import_exactly_or_are_refused_by_name(factory, shape, printed, printed_trainable, differs,
                                                                 refusal):
    need_module("torch")
    import torchinfo_models
    model = getattr(torchinfo_models, factory)()
    total = sum(p.numel() for p in model.parameters())
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # torchinfo's printed totals are PyTorch's except where the row says why
    assert (printed == total and printed_trainable == trained) == (differs is None), (total, trained)
    code, text, err = _run(factory, shape)
    if refusal is None:
        assert code == 0, err
        net = symparams.parse(text, convention="pytorch").evaluate()
        assert (int(net.params), int(net.trainable_params)) == (total, trained), text
    else:
        assert code == 1 and refusal in err and "Traceback" not in err, err
        assert "error:" in err


def test_the_count_of_torchinfo_models_that_import_exactly():
    """The share of torchinfo's models imported exactly, as data: a refusal turned into an import must
    be moved to the exact rows above (and this number raised)."""
    exact = [c for c in CASES if c[5] is None]
    assert (len(exact), len(CASES)) == (34, 34)
