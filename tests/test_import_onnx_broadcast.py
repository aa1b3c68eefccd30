"""A sum that broadcasts (a map plus a 1 x 1 x C context, as global-context blocks add it) imports from ONNX as
`add with NAME`, through both of torch's exporters, with PyTorch's count and a file that reads back."""

from __future__ import annotations

import contextlib
import io

import pytest

import symparams
from conftest import need_module
from symparams import cli


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("context_first", [False, True], ids=["map+context", "context+map"])
def test_a_broadcasting_sum_imports_from_onnx(tmp_path, capsys, dynamo, context_first):
    torch = need_module("torch")
    need_module("onnx")
    if dynamo:
        need_module("onnxscript")
    nn = torch.nn

    class Context(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.pool, self.fc = nn.Conv2d(3, 8, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 8, 1)

        def forward(self, x):
            y = self.conv(x)
            t = self.fc(self.pool(y))
            return t + y if context_first else y + t

    model = Context().eval()
    path = tmp_path / "m.onnx"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        torch.onnx.export(model, (torch.randn(1, 3, 16, 16),), str(path), dynamo=dynamo)
    target = tmp_path / "m.arch"
    assert cli.main(["import", str(path), "-o", str(target)]) == 0, capsys.readouterr().err
    text = target.read_text()
    assert "add with" in text and "residual" not in text, text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    assert tuple(int(d) for d in net.output_shape) == (16, 16, 8)
