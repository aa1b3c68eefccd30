"""symparams export: the written code runs, builds the network, and keeps names and lines."""

from __future__ import annotations

import subprocess
import sys

import pytest

import symparams
from symparams import cli
from conftest import EXAMPLES, need_module

MNIST = EXAMPLES / "seed002_mnist.arch"     # 217,706 parameters, worked by hand in the source it cites


def test_exported_pytorch_file_runs_as_a_script(tmp_path):
    need_module("torch")
    out = tmp_path / "model.py"
    assert cli.main(["export", str(MNIST), "--to", "pytorch", "-o", str(out)]) == 0
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "torch.Size([1, 10])" in run.stdout
    assert "217706 parameters" in run.stdout


def test_exported_keras_model_counts_the_published_total(tmp_path):
    need_module("keras")
    from symparams.frameworks.check import run_source
    assert cli.main(["export", str(MNIST), "--to", "keras", "-o", str(tmp_path / "m.py")]) == 0
    model = run_source((tmp_path / "m.py").read_text())["build"]()
    assert model.count_params() == 217_706
    assert tuple(model.output.shape[1:]) == (10,)


def test_one_line_per_layer_and_names_kept(capsys):
    text = "input 32x32x3\nconv 8 3x3 relu name=stem\nmaxpool 2\nconv 16 3x3 padding=1 name=c2\nflatten\ndense 10"
    from symparams.frameworks import keras_export, torch_export
    net = symparams.parse(text, convention="pytorch")
    code = torch_export.export(net)
    layers = [line for line in code.splitlines() if line.strip().startswith("self.") and " = " in line]
    assert len(layers) == 5
    assert "self.stem = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.ReLU())" in code
    assert "self.c2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)" in code
    kcode = keras_export.export(symparams.parse(text))
    assert 'layers.Conv2D(8, 3, activation="relu", name="stem")' in kcode
    # explicit padding under Keras: a ZeroPadding layer before the convolution
    assert 'layers.ZeroPadding2D((1, 1), name="c2_pad")' in kcode


def test_symbols_are_substituted_from_set(capsys):
    path = EXAMPLES / "seed002_mnist.arch"
    assert cli.main(["export", str(path), "--to", "pytorch"]) == 0
    code = capsys.readouterr().out
    assert "nn.Linear(800, 256)" in code        # 28 -> 24 -> 12 -> 10 -> 5: 5*5*32, by hand


def test_export_needs_the_symbols_values(tmp_path, capsys):
    arch = tmp_path / "a.arch"
    arch.write_text("input n x n x 3\nconv f 3x3\n")
    assert cli.main(["export", str(arch), "--to", "keras"]) == 2
    assert "--set" in capsys.readouterr().err
    assert cli.main(["export", str(arch), "--to", "keras", "--set", "n=8,f=4"]) == 0
    assert "layers.Conv2D(4, 3" in capsys.readouterr().out


@pytest.mark.parametrize("framework,module", [("pytorch", "torch"), ("keras", "keras")])
def test_missing_framework_is_one_line_naming_the_extra(monkeypatch, capsys, framework, module):
    monkeypatch.setitem(sys.modules, module, None)
    for command in (["export", str(MNIST), "--to", framework], ["check", str(MNIST), "--against", framework]):
        assert cli.main(command) == 1
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and f"pip install 'symparams[{framework}]'" in err


def test_unexpressible_layers_are_reported_not_crashed(capsys):
    arch = "input 6x6x6x3\ndwconv 3\n"          # Keras has no 3-D depthwise convolution
    from symparams.frameworks import keras_export
    net = symparams.parse(arch, convention="pytorch")
    with pytest.raises(symparams.DefinitionError, match="Keras"):
        keras_export.export(net)
