"""affine (α·x + β per channel: timm's Affine, ResMLP's norm): the harness's generator, the export against
timm's own module with the same weights in both frameworks, and timm's ResMLP read through it."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import kind


@kind("affine")
def affine(b):
    return "affine"


def test_affine_counts_a_scale_and_a_shift_per_channel():
    net = symparams.parse("input 9 x 6\naffine", convention="pytorch")
    assert (int(net.params), tuple(net.output_shape)) == (12, (9, 6))
    net = symparams.parse("input 5 x 5 x c\naffine", convention="keras")
    assert str(net.params) == "2*c"


def test_exports_compute_timms_affine():
    torch = need_module("torch")
    need_module("timm")
    from timm.models.mlp_mixer import Affine
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    timm_affine = Affine(6)
    with torch.no_grad():
        timm_affine.alpha.normal_()
        timm_affine.beta.normal_()
    x = torch.randn(2, 9, 6)
    expected = timm_affine(x).detach()
    text = "input 9 x 6\naffine\n"
    model = run_source(export(symparams.parse(text, convention="pytorch")))["build"]()
    exported = [m for m in model.modules() if type(m).__name__ == "Affine"][0]
    with torch.no_grad():
        exported.alpha.copy_(timm_affine.alpha.flatten())
        exported.beta.copy_(timm_affine.beta.flatten())
        assert torch.allclose(model(x), expected)
    keras = need_module("keras")
    from symparams.frameworks import keras_export
    kmodel = run_source(keras_export.export(symparams.parse(text, convention="keras")))["build"]()
    layer = [layer for layer in kmodel.layers if type(layer).__name__ == "Affine"][0]
    layer.set_weights([timm_affine.alpha.detach().flatten().numpy(), timm_affine.beta.detach().flatten().numpy()])
    out = keras.ops.convert_to_numpy(kmodel(x.numpy()))
    assert abs(out - expected.numpy()).max() < 1e-5


def test_timm_resmlp_imports_exactly():
    """A small timm ResMLP (Affine norms, token mixing by a Linear over the transposed tokens, free layer-scale
    vectors) imports with PyTorch's total and trainable counts (one Affine frozen), and its forward FLOPs equal
    torch's flop counter."""
    torch = need_module("torch")
    need_module("timm")
    from functools import partial
    from timm.models.mlp_mixer import MlpMixer, ResBlock, Affine
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    model = MlpMixer(num_classes=10, img_size=32, patch_size=8, num_blocks=2, embed_dim=24, mlp_ratio=4,
                     block_layer=partial(ResBlock, init_values=1e-5), norm_layer=Affine).eval()
    model.blocks[1].norm2.requires_grad_(False)
    text = symparams.from_torch(model, (32, 32, 3))
    assert "affine" in text and "transpose" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    assert int(net.trainable_params) == sum(p.numel() for p in model.parameters() if p.requires_grad)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 32, 32))
    assert int(cost.totals(net, ("flops",), cost.Options(batch=1))["flops"]) == counter.get_total_flops()
