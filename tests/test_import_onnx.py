"""ONNX import: torch.onnx.export of the exported zoo models, imported back, gives the same totals
and output shape; an operator symparams has no form for, a file that is not a model, and a
missing file are clear errors (exit 1 from the command line), never a traceback.

A few zoo models by default; SYMPARAMS_ONNX_ALL=1 runs every one the ONNX reader covers."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import symparams
from conftest import need_module

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted((ROOT / "examples" / "zoo").glob("*.arch"))
DEFAULT = ("lenet5", "resnet18", "resnet50", "shufflenet_v2")   # shufflenet: channel slices and shuffles
# what the reader refuses in the zoo's exports, with the operator it names
REFUSED = {"cifar_resnet": "Slice", "densenet121": "Pad", "gpt2_small": None, "llama_tinyllama": None,
           "mixtral_moe": None, "vit_b16": None, "mobilenet_v2": None, "whisper_tiny": None, "mamba_130m": None,
           "deepseek_v2_lite": None, "swin_t": None}


def _onnx_of(path: Path, tmp: Path, values=None):
    """Export the zoo file to PyTorch, build it, and write its ONNX graph (batch norms kept: the
    default eval export folds them into the convolutions, which changes the count)."""
    torch = need_module("torch")
    need_module("onnx")
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    net = symparams.load(path, convention="pytorch", values=values)
    ns = run_source(torch_export.export(net))
    model = ns["build"]().eval()
    x = torch.zeros((1,) + tuple(ns["INPUT_SHAPE"]), dtype=ns["INPUT_DTYPE"])
    out = tmp / (path.stem + ".onnx")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(out), dynamo=False, training=torch.onnx.TrainingMode.PRESERVE)
    return net, model, out


def _chosen():
    if os.environ.get("SYMPARAMS_ONNX_ALL"):
        return [p for p in ZOO if REFUSED.get(p.stem, "") == ""]
    return [p for p in ZOO if p.stem in DEFAULT]


@pytest.mark.parametrize("path", _chosen(), ids=lambda p: p.stem)
def test_onnx_export_of_a_zoo_model_imports_back_with_the_same_totals(path, tmp_path):
    from symparams.frameworks.onnx_import import from_onnx
    net, model, onnx_file = _onnx_of(path, tmp_path)
    text = from_onnx(str(onnx_file))
    back = symparams.parse(text, convention="pytorch").evaluate()
    assert int(back.params) == int(net.evaluate().params) == sum(p.numel() for p in model.parameters())
    assert int(back.buffers) == int(net.evaluate().buffers)
    assert tuple(back.output_shape) == tuple(net.evaluate().output_shape)


def test_onnx_unet_crops_and_up_convolutions(tmp_path):
    """The zoo's U-Net (at a 188 tile and 8 base channels, to stay quick): ConvTranspose, the skip
    connections' Slice crops and Concat come back as deconv and 'concat with NAME crop'."""
    from symparams.frameworks.onnx_import import from_onnx
    net, model, onnx_file = _onnx_of(ROOT / "examples" / "zoo" / "unet.arch", tmp_path, {"size": 188, "base": 8})
    text = from_onnx(str(onnx_file), generalize={"filters": "f", "input": "n"})
    assert text.count(" crop") == 4 and text.count("deconv ") == 4 and "let n = 188" in text
    back = symparams.parse(text, convention="pytorch").evaluate()
    assert int(back.params) == int(net.evaluate().params) == sum(p.numel() for p in model.parameters())
    assert tuple(back.output_shape) == tuple(net.evaluate().output_shape) == (4, 4, 2)


def test_onnx_generalize_and_a_residual_graph(tmp_path):
    torch = need_module("torch")
    need_module("onnx")
    from symparams.frameworks.onnx_import import from_onnx
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(8, 8, 3, padding=1)
            self.b = nn.Conv2d(8, 16, 1)
            self.c = nn.Conv2d(8, 16, 1)

        def forward(self, x):
            y = torch.relu(self.a(x)) + x
            return torch.cat([self.b(y), self.c(y)], dim=1)

    model = nn.Sequential(nn.Conv2d(3, 8, 3), Block(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    path = tmp_path / "block.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(1, 3, 18, 18),), str(path), dynamo=False)
    text = from_onnx(str(path), generalize={"filters": "f", "input": "n"})
    assert "let f = 8" in text and "let n = 18" in text and "2*f" in text and "residual {" in text
    net = symparams.parse(text, convention="pytorch")
    assert int(net.evaluate().params) == sum(p.numel() for p in model.parameters())
    assert {s.name for s in net.symbols} == {"f", "n"}


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "symparams.cli", "import", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def test_onnx_operator_without_a_form_is_named(tmp_path):
    torch = need_module("torch")
    need_module("onnx")

    class Exp(torch.nn.Module):
        def forward(self, x):
            return torch.exp(x)

    path = tmp_path / "exp.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(torch.nn.Sequential(torch.nn.Linear(4, 4), Exp()), (torch.zeros(1, 4),), str(path),
                          dynamo=False)
    result = _cli(str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "operator Exp" in result.stderr and "exp.onnx" in result.stderr


@pytest.mark.parametrize("content, words", [(b"not a model at all\x00\xff", "not an ONNX model"),
                                            (b"", "not a valid ONNX model")])
def test_a_file_that_is_not_a_model_exits_1(tmp_path, content, words):
    need_module("onnx")
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    result = _cli(str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert words in result.stderr and "bad.onnx" in result.stderr


def test_bad_sources_from_the_command_line_exit_1_naming_the_problem(tmp_path):
    need_module("keras")
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = _cli(str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "broken.keras" in result.stderr
    other = tmp_path / "model.bin"
    other.write_bytes(b"\x00\x01")
    result = _cli(str(other))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "model.bin" in result.stderr
    result = _cli("no_such_package_xyz.models:build", "--input-shape", "8x8x3")
    assert result.returncode == 1 and "Traceback" not in result.stderr and "no_such_package_xyz" in result.stderr
    result = _cli("json:dumps", "--input-shape", "8x8x3")
    assert result.returncode == 1 and "Traceback" not in result.stderr and "dumps" in result.stderr
