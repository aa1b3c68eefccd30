"""transpose (a sequence's two axes swapped: MLP-Mixer's token mixing): the harness's generator, the kind
against PyTorch's x.transpose(1, 2) and Keras' Permute((2, 1)), and timm's MixerBlock read through it."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import kind


@kind("transpose", ranks=(2,))
def transpose(b):
    return "transpose"


def test_transpose_swaps_a_sequence_and_refuses_other_ranks():
    net = symparams.parse("input 12 x 5\ntranspose\ndense 7\ntranspose", convention="pytorch")
    assert tuple(net.output_shape) == (7, 5)
    assert int(net.params) == 12 * 7 + 7
    with pytest.raises(symparams.SymparamsError) as info:
        symparams.parse("input 4 x 4 x 3\ntranspose").evaluate()
    assert info.value.line == 2


def test_exports_compute_the_frameworks_transpose():
    """The token-mixing MLP exported: PyTorch's values are x.transpose(1, 2), Linear, back; Keras' the same with
    the same weights (Permute((2, 1)))."""
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    text = "input 6 x 4\ntranspose\ndense 6\ntranspose\n"
    model = run_source(export(symparams.parse(text, convention="pytorch")))["build"]()
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][0]
    x = torch.randn(2, 6, 4)
    with torch.no_grad():
        expected = linear(x.transpose(1, 2)).transpose(1, 2)
        assert torch.allclose(model(x), expected)
    keras = need_module("keras")
    from symparams.frameworks import keras_export
    kmodel = run_source(keras_export.export(symparams.parse(text, convention="keras")))["build"]()
    dense = [layer for layer in kmodel.layers if type(layer).__name__ == "Dense"][0]
    dense.set_weights([linear.weight.detach().numpy().T, linear.bias.detach().numpy()])
    out = keras.ops.convert_to_numpy(kmodel(x.numpy()))
    assert abs(out - expected.numpy()).max() < 1e-5


def test_timm_mixer_imports_with_its_token_mixing():
    """A small timm MLP-Mixer (token mixing is transpose, Linear over the tokens, transpose back; the head is the
    tokens' mean) imports with PyTorch's count, and its forward FLOPs equal torch's flop counter."""
    torch = need_module("torch")
    need_module("timm")
    from timm.models.mlp_mixer import MlpMixer
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    model = MlpMixer(num_classes=10, img_size=32, patch_size=8, num_blocks=2, embed_dim=24).eval()
    text = symparams.from_torch(model, (32, 32, 3))
    assert "transpose" in text and "globalavgpool" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 32, 32))
    assert int(cost.totals(net, ("flops",), cost.Options(batch=1))["flops"]) == counter.get_total_flops()


def test_timm_gmlp_spatial_gating_imports_exactly():
    """A small timm gMLP: its spatial gating unit chunks the activated Linear output on the features (a channel
    split of the sequence), norms one half, mixes its tokens (transpose, Linear, transpose) and multiplies."""
    torch = need_module("torch")
    need_module("timm")
    from timm.models.mlp_mixer import GatedMlp, MlpMixer, SpatialGatingBlock
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    model = MlpMixer(num_classes=10, img_size=32, patch_size=8, num_blocks=2, embed_dim=24, mlp_ratio=6,
                     block_layer=SpatialGatingBlock, mlp_layer=GatedMlp).eval()
    text = symparams.from_torch(model, (32, 32, 3))
    assert "slice 72 start=72" in text and "transpose" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 32, 32))
    assert int(cost.totals(net, ("flops",), cost.Options(batch=1))["flops"]) == counter.get_total_flops()
