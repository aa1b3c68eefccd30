"""grn (ConvNeXt-V2's global response normalisation): the harness's generator, and the kind against
timm's GlobalResponseNorm (the reference PyTorch implementation) in counts, values and import."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import kind, last, size_text, torch_count


@kind("grn", ranks=(2, 3, 4))
def grn(b):
    return "grn"


@pytest.mark.parametrize("shape", [(5, 5, 6), (7, 4), (3, 4, 5, 2)])
def test_grn_counts_two_c_in_both_conventions(shape):
    for convention in ("keras", "pytorch"):
        params, out, net = last(f"input {size_text(shape)}\ngrn", convention)
        assert params == 2 * shape[-1] == net.trainable_params and out == shape


def test_grn_refuses_a_vector():
    with pytest.raises(symparams.SymparamsError):
        symparams.parse("input 8\ngrn")


def _timm_grn():
    need_module("timm")
    from timm.layers.grn import GlobalResponseNorm
    return GlobalResponseNorm


def test_exported_grn_computes_what_timms_computes():
    """The same values as timm's GlobalResponseNorm (channels first, as the export's image layout) with the
    same weights, in PyTorch and (channels last) in Keras."""
    torch = need_module("torch")
    reference = _timm_grn()(6, channels_last=False)
    with torch.no_grad():
        reference.weight.normal_()
        reference.bias.normal_()
    from symparams.frameworks.check import run_source
    from symparams.frameworks import keras_export, torch_export
    net = symparams.parse("input 5 x 4 x 6\ngrn", convention="pytorch")
    model = run_source(torch_export.export(net))["build"]()
    [exported] = [m for m in model.modules() if type(m).__name__ == "GlobalResponseNorm"]
    exported.load_state_dict(reference.state_dict())
    x = torch.randn(2, 6, 5, 4)
    assert torch.allclose(model(x), reference(x), atol=1e-5)
    need_module("keras")
    layer = [m for m in run_source(keras_export.export(symparams.parse("input 5 x 4 x 6\ngrn")))["build"]().layers
             if type(m).__name__ == "GRN"][0]
    layer.set_weights([reference.weight.detach().numpy(), reference.bias.detach().numpy()])
    y = layer(x.permute(0, 2, 3, 1).numpy())
    assert torch.allclose(torch.as_tensor(y).float().cpu(), reference(x).permute(0, 2, 3, 1), atol=1e-5)


def test_timms_convnext_v2_imports_exactly_with_grn():
    """timm's ConvNeXt-V2 (atto: its MLPs fc1, GELU, GlobalResponseNorm, fc2) imports with a grn in each
    block and counts what PyTorch counts (3,708,400)."""
    need_module("torch")
    timm = need_module("timm")
    model = timm.create_model("convnextv2_atto", pretrained=False)
    text = symparams.from_torch(model, (32, 32, 3))
    assert text.count("grn name=") == 2 + 2 + 6 + 2, text[:2000]          # one per block: atto's depths
    assert symparams.parse(text, convention="pytorch").params == torch_count(model) == 3708400
