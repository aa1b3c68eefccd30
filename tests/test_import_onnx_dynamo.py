"""ONNX files written by torch.onnx.export with its defaults (torch >= 2.9: the dynamo exporter, onnxscript's
optimiser on, the weights in `model.onnx.data` beside the file) import with PyTorch's own counts, total and
trainable: the batch norms the optimiser folds into the layer before them and the zero biases it drops are
read back from the exporter's node records (symparams/frameworks/onnx_origin.py).

Small modules written here (each one construct an exporter writes its own way), and the optimiser's three
settings on one model. torchvision's models through this exporter are in test_import_onnx_torchvision.py.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError


def _export(model, shape, path, **options):
    torch = need_module("torch")
    need_module("onnx")
    need_module("onnxscript")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(shape),), str(path), **options)
    return path


def _counts(model):
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


def _imported(path):
    from symparams.frameworks.onnx_import import from_onnx
    text = from_onnx(str(path))
    net = symparams.parse(text, convention="pytorch").evaluate()
    return (int(net.params), int(net.trainable_params)), text


def _modules():
    torch = need_module("torch")
    nn, F = torch.nn, torch.nn.functional

    class SE(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.down, self.up = nn.Conv2d(c, c // 4, 1), nn.Conv2d(c // 4, c, 1)

        def forward(self, x):
            return x * torch.sigmoid(self.up(F.relu(self.down(x.mean((2, 3), keepdim=True)))))

    class Attention(nn.Module):             # timm's shape: one qkv projection, F.scaled_dot_product_attention
        def __init__(self, d=32, heads=4):
            super().__init__()
            self.heads, self.qkv, self.proj, self.norm = heads, nn.Linear(d, 3 * d), nn.Linear(d, d), nn.LayerNorm(d)

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.norm(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
            return x + self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d))

    class MHA(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn, self.head = nn.MultiheadAttention(32, 4, batch_first=True), nn.Linear(32, 3)

        def forward(self, x):
            return self.head(self.attn(x, x, x, need_weights=False)[0])

    return {
        # a convolution with its own bias and one without, each before a batch norm the optimiser folds
        "cnn_batchnorm": (lambda: nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)), (1, 3, 16, 16)),
        "batchnorm_without_affine": (lambda: nn.Sequential(
            nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, affine=False), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)),
            (1, 3, 8, 8)),
        "dense_batchnorm1d": (lambda: nn.Sequential(nn.Linear(12, 20), nn.BatchNorm1d(20), nn.ReLU(),
                                                    nn.Linear(20, 4, bias=False)), (1, 12)),
        # biases set to zero (as torchvision's SqueezeNet and ConvNeXt initialise them): dropped by the optimiser
        "zero_biases": (lambda: _zero_biases(nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.Flatten(),
                                                           nn.Linear(6 * 6 * 6, 5))), (1, 3, 8, 8)),
        "squeeze_excitation": (lambda: nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), SE(16),
                                                     nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5)),
                               (1, 3, 12, 12)),
        "deconv_batchnorm": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ConvTranspose2d(8, 4, 2, stride=2),
                                                   nn.BatchNorm2d(4), nn.ReLU()), (1, 3, 8, 8)),
        "sdpa_attention": (lambda: nn.Sequential(nn.Linear(16, 32), Attention(), nn.LayerNorm(32), nn.Linear(32, 10)),
                           (1, 8, 16)),
        "multihead_attention": (MHA, (1, 6, 32)),
        "transformer_encoder": (lambda: nn.Sequential(nn.Linear(16, 32), nn.TransformerEncoder(
            nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2, enable_nested_tensor=False)), (1, 6, 16)),
    }


def _zero_biases(model):
    torch = need_module("torch")
    with torch.no_grad():
        for m in model.modules():
            if getattr(m, "bias", None) is not None:
                m.bias.zero_()
    return model


NAMES = ("batchnorm_without_affine", "dense_batchnorm1d", "zero_biases", "squeeze_excitation",
         "deconv_batchnorm", "sdpa_attention", "multihead_attention", "transformer_encoder")


@pytest.mark.parametrize("name", NAMES)
def test_a_default_export_imports_with_pytorchs_counts(name, tmp_path):
    torch = need_module("torch")
    torch.manual_seed(0)
    build, shape = _modules()[name]
    model = build().eval()
    path = _export(model, shape, tmp_path / f"{name}.onnx")
    got, text = _imported(path)
    assert got == _counts(model), text


@pytest.mark.parametrize("options", [{}, {"dynamo": True, "optimize": False}, {"dynamo": True, "external_data": False}])
def test_each_dynamo_setting_gives_the_same_counts(options, tmp_path):
    """Folded batch norms and dropped zero biases (optimize=True, the default), the unoptimised graph's computed
    zero biases (CastLike, Expand) and weights written inside the file or beside it all read the same."""
    torch = need_module("torch")
    torch.manual_seed(0)
    build, shape = _modules()["cnn_batchnorm"]
    model = build().eval()
    path = _export(model, shape, tmp_path / "cnn.onnx", **options)
    assert (tmp_path / "cnn.onnx.data").exists() == options.get("external_data", True)
    got, text = _imported(path)
    assert got == _counts(model), text
    # the folded batch norms come back as layers (the file itself holds no BatchNormalization when optimised)
    assert text.count("batchnorm") == 2, text


def test_a_trained_batchnorm_folded_into_a_biasless_convolution_is_still_one(tmp_path):
    """After training the folded bias is not zero, so the optimiser keeps it: named after the weight
    (`<weight>_bias`) it is the batch norm's, not the convolution's."""
    torch = need_module("torch")
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 6 * 6, 3))
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1)
        model[1].bias.uniform_(-1, 1)
    model.eval()
    got, text = _imported(_export(model, (1, 3, 8, 8), tmp_path / "trained.onnx"))
    assert got == _counts(model) and "bias=false" in text, text


def test_weights_beside_the_file_are_never_needed(tmp_path):
    """The weights' file beside the model may be gone: only their dims are read (from the model), and the small
    index tensors it would hold are only needed by constructs that read their values."""
    torch = need_module("torch")
    torch.manual_seed(0)
    build, shape = _modules()["cnn_batchnorm"]
    model = build().eval()
    path = _export(model, shape, tmp_path / "cnn.onnx")
    (tmp_path / "cnn.onnx.data").unlink()
    assert _imported(path)[0] == _counts(model)


@pytest.mark.parametrize("options", [{"dynamo": False, "opset_version": 16}, {"opset_version": 17}, {"dynamo": False},
                                     {}], ids=["torchscript-opset16", "dynamo-opset17", "torchscript", "dynamo"])
def test_layer_norm_and_gelu_written_out_op_by_op(options, tmp_path):
    """Below opset 17 (LayerNormalization) and 20 (Gelu) the exporters write nn.LayerNorm as ReduceMean, Sub, Pow,
    Sqrt, Div, Mul, Add and nn.GELU with Erf: each read back as the one layer (onnx_patterns). A layer norm
    without a learned scale or bias is written with constant ones and zeros the model does not hold: not
    counted (except through the dynamo exporter at an opset below its own, whose conversion drops the records
    that say so: there the optimiser's shared ones read as the scale, docs/frameworks.md)."""
    torch = need_module("torch")
    torch.manual_seed(0)
    nn = torch.nn
    plain = options != {"opset_version": 17}
    model = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 16),
                          nn.LayerNorm(16, elementwise_affine=not plain), nn.Linear(16, 16),
                          nn.LayerNorm(16, bias=not plain), nn.Linear(16, 4)).eval()
    got, text = _imported(_export(model, (1, 5, 8), tmp_path / "norms.onnx", **options))
    assert got == _counts(model), text
    assert text.count("layernorm") == 3 and "gelu" in text, text


@pytest.mark.parametrize("options", [{"dynamo": False}, {}], ids=["torchscript", "dynamo"])
def test_group_and_instance_norm(options, tmp_path):
    """torch writes nn.GroupNorm as a reshape to (N, G, -1), an InstanceNormalization with ones and zeros, a reshape
    back (to Shape(x) in the TorchScript export) and the learned scale and shift; nn.InstanceNorm2d(affine=True) is
    one InstanceNormalization with its own: read as `groupnorm G` and `groupnorm C`. GroupNorm(affine=False) is
    refused by name."""
    from symparams.errors import SymparamsError
    torch = need_module("torch")
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(4, 8), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.GroupNorm(2, 8),
                          nn.InstanceNorm2d(8, affine=True), nn.Flatten(), nn.Linear(8 * 4 * 4, 2)).eval()
    got, text = _imported(_export(model, (1, 3, 8, 8), tmp_path / "gn.onnx", **options))
    assert got == _counts(model) and "groupnorm 4 " in text and "groupnorm 8 " in text, text
    model[4] = nn.GroupNorm(1, 8, affine=False)
    with pytest.raises(SymparamsError, match="GroupNorm.affine=False"):
        _imported(_export(model, (1, 3, 8, 8), tmp_path / "plain.onnx", **options))


@pytest.mark.parametrize("options", [{"dynamo": False}, {}], ids=["torchscript", "dynamo"])
def test_a_difference_of_two_layers_outputs(options, tmp_path):
    """PoolFormer's token mixer, pool(x) - x after a one-group GroupNorm: the Sub of two computed tensors is `sub`."""
    torch = need_module("torch")
    nn = torch.nn

    class Mixer(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.pool = nn.GroupNorm(1, 8), nn.AvgPool2d(3, 1, 1, count_include_pad=False)

        def forward(self, x):
            y = self.norm(x)
            return x + (self.pool(y) - y)

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), Mixer(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2)).eval()
    got, text = _imported(_export(model, (1, 3, 10, 10), tmp_path / "mixer.onnx", **options))
    assert got == _counts(model) and "sub" in text, text
    assert "avgpool 3 stride=1 padding=1 count_include_pad=false" in text, text     # the padding not averaged


@pytest.mark.parametrize("options", [{"dynamo": False}, {}], ids=["torchscript", "dynamo"])
def test_attention_with_only_an_output_bias(options, tmp_path):
    """timm's qkv_bias=False: the qkv projection without bias, the output projection with one: `attention bias=o`."""
    torch = need_module("torch")
    torch.manual_seed(0)
    build, shape = _modules()["sdpa_attention"]
    model = build().eval()
    model[1].qkv = torch.nn.Linear(32, 96, bias=False)
    got, text = _imported(_export(model, shape, tmp_path / "attention.onnx", **options))
    assert got == _counts(model) and "attention heads=4 bias=o" in text, text


@pytest.mark.parametrize("optimize", [True, False])
def test_parameters_the_optimiser_merged_away_are_refused(optimize, tmp_path):
    """timm's FastViT subtracts a fresh batch norm of x from a sum holding another fresh batch norm of x: equal
    values, so the optimiser shares their initializers and merges the two nodes into one; the second module's
    parameters are left in no operation and no record (only the graph signature names them). Refused, naming
    the parameter, never counted short; optimize=False keeps both."""
    torch = need_module("torch")
    nn = torch.nn

    class Mixer(nn.Module):
        def __init__(self):
            super().__init__()
            self.identity, self.conv, self.norm = nn.BatchNorm2d(8), nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)

        def forward(self, x):
            return x + ((self.identity(x) + self.conv(x)) - self.norm(x))

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), Mixer(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2)).eval()
    path = _export(model, (1, 3, 10, 10), tmp_path / "merged.onnx", dynamo=True, optimize=optimize)
    if optimize:
        with pytest.raises(SymparamsError, match=r"'1\.(identity|norm)\.weight'.* is in no operation of the file"):
            _imported(path)
    else:
        got, text = _imported(path)
        assert got == _counts(model), text


def _small_swin(window_attention=None):
    torch = need_module("torch")
    need_module("torchvision")
    from torchvision.models import swin_transformer as swin
    from functools import partial
    torch.manual_seed(0)
    block = partial(swin.SwinTransformerBlock, attn_layer=window_attention) if window_attention else \
        swin.SwinTransformerBlock
    # two stages on a 32 x 32 image: an 8 x 8 map in 4 x 4 windows (the second block shifted by 2), patch merging,
    # a 4 x 4 map in one window (not shifted: torchvision drops the shift when the window covers the map)
    return swin.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                                stochastic_depth_prob=0.0, num_classes=5, block=block).eval()


def test_swin_through_the_default_exporter(tmp_path):
    """Shifted window attention (roll, partition, the relative position bias the optimiser gathers from its table,
    the shift mask) is `windowattention`, patch merging `pixelunshuffle 2`: torchvision's Swin imports exactly."""
    model = _small_swin()
    got, text = _imported(_export(model, (1, 3, 32, 32), tmp_path / "swin.onnx"))
    assert got == _counts(model), text
    assert "windowattention heads=2 window=4 name" in text and "windowattention heads=2 window=4 shift=2" in text
    assert text.count("windowattention heads=4 window=4 name") == 2 and "pixelunshuffle 2 order=swin" in text, text


def test_a_window_bias_that_is_not_a_relative_table_is_refused(tmp_path):
    """The file holds the bias gathered, heads x W^4 numbers; the table's (2W - 1)^2 x heads are counted only when the
    values show a table (equal for equal offsets). A learned bias of every pair (heads x W^4 numbers of its own) is
    not read as windowattention: refused by name, never counted as the table."""
    torch = need_module("torch")
    from symparams.errors import SymparamsError
    from torchvision.models import swin_transformer as swin

    class PairBias(swin.ShiftedWindowAttention):
        def __init__(self, dim, window_size, *args, **kwargs):
            super().__init__(dim, window_size, *args, **kwargs)
            n = window_size[0] * window_size[1]
            self.pairs = torch.nn.Parameter(torch.randn(1, self.num_heads, n, n) * 0.02)

        def get_relative_position_bias(self):
            return self.pairs

    model = _small_swin(PairBias)
    with pytest.raises(SymparamsError):
        _imported(_export(model, (1, 3, 32, 32), tmp_path / "pairs.onnx"))
