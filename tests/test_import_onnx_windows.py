"""Window attention through torch.onnx's TorchScript exporter (dynamo=False): torchvision's Swin, Swin-V2 and
MaxViT, built small here (two stages), import with PyTorch's counts, total and trainable, and the file reads back.

The TorchScript exporter computes Swin's padding to whole windows from the map's sizes ((W - H % W) % W) and
folds each block's relative position bias, gathered from its table, into a constant (heads, W², W²): the import
folds the sizes (onnx_fold.settle) and counts the table's (2W - 1)² x heads numbers only when the gathered
values show a table. Exported without the weights (export_params=False) the values are not there: refused by
name. MaxViT's attention runs on the map cut into windows or a grid by reshapes outside it (onnx_partition: the
cut is computed on the positions' indexes), its products written as Einsum. torchvision's full-size models are in test_import_onnx_torchvision.py (SYMPARAMS_ONNX_TORCHVISION=all).
"""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError


def _swin(version=1):
    torch = need_module("torch")
    need_module("torchvision")
    from torchvision.models import swin_transformer as swin
    torch.manual_seed(0)
    parts = {2: {"block": swin.SwinTransformerBlockV2, "downsample_layer": swin.PatchMergingV2}}.get(version, {})
    # an 8 x 8 map in 4 x 4 windows (the second block shifted by 2), patch merging, a 4 x 4 map in one window
    return swin.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                                stochastic_depth_prob=0.0, num_classes=5, **parts).eval()


def _export(model, path, side=32, export_params=True):
    torch = need_module("torch")
    need_module("onnx")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, side, side),), str(path), dynamo=False,
                          export_params=export_params, training=torch.onnx.TrainingMode.PRESERVE)
    return path


def _imported(path):
    from symparams.frameworks.onnx_import import from_onnx
    text = from_onnx(str(path))          # the file, read back as symparams reads any file
    net = symparams.parse(text, convention="pytorch").evaluate()
    return (int(net.params), int(net.trainable_params)), text


def _counts(model):
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for p in model.parameters() if p.requires_grad))


def test_swin_through_the_torchscript_exporter(tmp_path):
    model = _swin()
    got, text = _imported(_export(model, tmp_path / "swin.onnx"))
    assert got == _counts(model), text
    assert "windowattention heads=2 window=4 name" in text and "windowattention heads=2 window=4 shift=2" in text
    assert text.count("windowattention heads=4 window=4 name") == 2 and "pixelunshuffle 2 order=swin" in text, text


def test_a_window_bias_without_its_values_is_refused(tmp_path):
    """export_params=False: the gathered bias is a graph input with a shape and no values; a relative position
    table and a learned bias of every pair look the same: refused, naming the attention and its bias."""
    with pytest.raises(SymparamsError, match="window attention whose position bias"):
        _imported(_export(_swin(), tmp_path / "swin.onnx", export_params=False))


@pytest.mark.parametrize("export_params", [True, False], ids=["weights", "no-weights"])
def test_swin_v2_through_the_torchscript_exporter(export_params, tmp_path):
    """Swin-V2's cosine attention (q and k over their L2 norms, ReduceL2; the scores times exp(a clipped logit scale
    per head)), its continuous position bias (an MLP on the relative coordinates, on constants; its count does not
    depend on any value, so an export without the weights reads the same) and its qkv bias with the key part zeroed
    (ScatterND): `windowattention cpb=H cosine=true`."""
    model = _swin(2)
    got, text = _imported(_export(model, tmp_path / "swin2.onnx", export_params=export_params))
    assert got == _counts(model), text
    assert "windowattention heads=2 window=4 shift=2 cpb=512 cosine=true" in text, text
    assert text.count("windowattention heads=4 window=4 cpb=512 cosine=true") == 2, text


def _maxvit():
    torch = need_module("torch")
    need_module("torchvision")
    from torchvision.models.maxvit import MaxVit
    torch.manual_seed(0)
    # a 64 x 64 image: 16 x 16 then 8 x 8 maps, each in 4 x 4 windows and a 4 x 4 grid
    return MaxVit(input_size=(64, 64), stem_channels=16, partition_size=4, block_channels=[16, 32], block_layers=[1, 1],
                  head_dim=8, stochastic_depth_prob=0.0, num_classes=5).eval()


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_maxvit_block_and_grid_attention(exporter, tmp_path):
    """The map cut into 4 x 4 windows, then into a 4 x 4 grid (the dynamo exporter goes from one to the other without
    the map between), attention within each group with Einsum products and a gathered relative position table:
    `windowattention window=4` and `windowattention window=4 grid=true` on the map."""
    model = _maxvit()
    if exporter == "dynamo":
        torch = need_module("torch")
        need_module("onnxscript")
        path = tmp_path / "maxvit.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.zeros(1, 3, 64, 64),), str(path))
    else:
        path = _export(model, tmp_path / "maxvit.onnx", side=64)
    got, text = _imported(path)
    assert got == _counts(model), text
    for heads in (2, 4):
        assert f"windowattention heads={heads} window=4 name" in text, text
        assert f"windowattention heads={heads} window=4 grid=true name" in text, text


def test_a_cut_that_is_neither_windows_nor_a_grid_is_refused(tmp_path):
    """Attention within groups of 16 positions that are whole rows of the map (not 4 x 4 windows, not a grid): the
    attention reads as windowattention only on a cut the positions' indexes show; this one is refused by name."""
    torch = need_module("torch")
    from torchvision.models import maxvit

    class Rows(torch.nn.Module):            # through (N, C, H/p, p, W/p, p) as MaxViT's cut, but whole rows
        def forward(self, x, p):
            b, c, h, w = x.shape
            return x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 3, 4, 5, 1).reshape(b, h * w // (p * p), p * p, c)

    class RowsBack(torch.nn.Module):
        def forward(self, x, p, gh, gw):
            b, g, n, c = x.shape
            return x.reshape(b, gh * p, gw * p, c).permute(0, 3, 1, 2)

    model = _maxvit()
    for block in model.modules():
        if isinstance(block, maxvit.PartitionAttentionLayer):
            block.partition_op, block.departition_op = Rows(), RowsBack()
    with pytest.raises(SymparamsError, match="partition_op"):
        _imported(_export(model, tmp_path / "rows.onnx", side=64))


@pytest.mark.parametrize("corners, order", [([(0, 0), (1, 0), (0, 1), (1, 1)], "swin"),
                                            ([(0, 0), (0, 1), (1, 0), (1, 1)], "tensorflow")])
def test_a_patch_merge_keeps_its_channel_order(tmp_path, corners, order):
    """The four strided slices of a channels-last map concatenated column by column (Swin) or row by row
    (space_to_depth) read as pixelunshuffle 2 in that order; the next dense layer then meets the same channels."""
    torch = need_module("torch")
    nn = torch.nn

    class Merge(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.reduce = nn.Conv2d(3, 4, 2, stride=2), nn.Linear(16, 6)

        def forward(self, x):
            x = self.embed(x).permute(0, 2, 3, 1)
            x = torch.cat([x[:, i::2, j::2, :] for i, j in corners], -1)
            return self.reduce(x)

    _, text = _imported(_export(Merge().eval(), tmp_path / "merge.onnx", side=16))
    assert f"pixelunshuffle 2 order={order}" in text, text
