"""symparams export: the written code runs, builds the network, and keeps names and lines."""

from __future__ import annotations

import subprocess
import sys

import pytest

from symparams.errors import install_command

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
    assert cli.main(["check", str(MNIST), "--against", framework]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and install_command(framework) in err
    # export only writes text: it works without the framework (issue 15)
    assert cli.main(["export", str(MNIST), "--to", framework]) == 0
    out = capsys.readouterr().out
    assert f"import {module}" in out


def test_unexpressible_layers_are_reported_not_crashed(capsys):
    arch = "input 6x6x6x3\ndwconv 3\n"          # Keras has no 3-D depthwise convolution
    from symparams.frameworks import keras_export
    net = symparams.parse(arch, convention="pytorch")
    with pytest.raises(symparams.DefinitionError, match="Keras"):
        keras_export.export(net)


def _outputs(text, convention, seed=0):
    """The same random input through the PyTorch and the Keras export of `text` (channels last)."""
    torch = need_module("torch")
    need_module("keras")
    import numpy as np
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    net = symparams.parse(text, convention=convention)
    x = np.random.default_rng(seed).standard_normal((2,) + tuple(int(d) for d in net.input_shape)).astype("float32")
    x -= 3.0                                     # mostly negative: zero padding and -inf padding differ
    k_model = run_source(keras_export.export(net))["build"]()
    t_model = run_source(torch_export.export(net))["build"]()
    first = x.ndim >= 4           # images and volumes are channels first in PyTorch, sequences (batch, T, D)
    with torch.no_grad():
        t_out = t_model(torch.from_numpy(np.moveaxis(x, -1, 1).copy() if first else x)).numpy()
    keras = need_module("keras")
    return keras.ops.convert_to_numpy(k_model(x)), np.moveaxis(t_out, 1, -1) if first else t_out, k_model, t_model


@pytest.mark.parametrize("layer", ["maxpool 3x2 stride=2x3 padding=same", "avgpool 3x2 stride=2x3 padding=same",
                                   "maxpool 2 padding=same", "avgpool 3 stride=1 padding=same"])
def test_keras_same_pooling_exported_to_pytorch_gives_keras_values(layer):
    """TF/Keras 'same' pooling pads (total - total // 2 after) and ignores the padded cells, in max
    and in average pooling; the PyTorch export (explicit pad, then a 'valid' pool) must agree."""
    import numpy as np
    ours, theirs, _, _ = _outputs(f"input 7x8x3\n{layer}", "keras")
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)


def test_keras_strided_same_convolution_exported_to_pytorch_gives_keras_values():
    """Keras' kernel copied into the PyTorch export: the explicit (smaller half before) padding puts
    every window where TensorFlow puts it, so the outputs are equal, not just the shapes."""
    torch = need_module("torch")
    import numpy as np
    text = "input 7x8x3\nconv 4 3x2 stride=2x3 padding=same name=c"
    net = symparams.parse(text, convention="keras")
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    k_model = run_source(keras_export.export(net))["build"]()
    t_model = run_source(torch_export.export(net))["build"]()
    kernel, bias = (tuple(w.shape) for w in k_model.get_layer("c").weights)
    rng = np.random.default_rng(1)
    kernel, bias = rng.standard_normal(kernel).astype("float32"), rng.standard_normal(bias).astype("float32")
    k_model.get_layer("c").set_weights([kernel, bias])
    conv = t_model.c[1]
    assert isinstance(t_model.c[0], torch.nn.ConstantPad2d) and conv.padding == (0, 0)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.transpose(kernel, (3, 2, 0, 1)).copy()))
        conv.bias.copy_(torch.from_numpy(bias))
    x = rng.standard_normal((2, 7, 8, 3)).astype("float32")
    with torch.no_grad():
        theirs = np.moveaxis(t_model(torch.from_numpy(np.moveaxis(x, -1, 1).copy())).numpy(), 1, -1)
    ours = need_module("keras").ops.convert_to_numpy(k_model(x))
    assert ours.shape == theirs.shape == (2, 4, 3, 4)      # ceil(7/2), ceil(8/3)
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("convention", ["keras", "pytorch"])
@pytest.mark.parametrize("word", ["maxpool", "avgpool"])
def test_explicit_pool_padding_means_the_same_in_both_exports(word, convention):
    """Keras convention: zeros, then a 'valid' pool (ZeroPadding2D + MaxPooling2D, as
    keras.applications.ResNet50 writes it). PyTorch convention: the pool's own padding (-inf for
    max pooling, counted zeros for average pooling). Either way both exports compute the same."""
    import numpy as np
    ours, theirs, k_model, _ = _outputs(f"input 7x8x3\n{word} 3x2 stride=2 padding=1x1", convention)
    assert ours.shape == theirs.shape == (2, 4, 5, 3)           # (7 + 2 - 3)//2 + 1, (8 + 2 - 2)//2 + 1
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)
    if word == "maxpool":      # on mostly negative inputs the padding value shows at the corners
        assert (ours[:, 0, 0, :] == 0).any() == (convention == "keras")


@pytest.mark.parametrize("convention", ["keras", "pytorch"])
@pytest.mark.parametrize("text, shape", [("input 9x3\nmaxpool 3 stride=2 padding=1", (5, 3)),
                                         ("input 5x4x6x2\nmaxpool 3x2x3 stride=2 padding=1x1x0", (3, 3, 2, 2)),
                                         ("input 9x3\navgpool 2 padding=same", (5, 3)),
                                         ("input 5x4x6x2\nmaxpool 2x3x2 stride=2 padding=same", (3, 2, 3, 2))])
def test_pool_padding_in_one_and_three_dimensions(text, shape, convention):
    """The padding layers of sequences (channels first inside ChannelsFirst) and volumes pad the right axes."""
    import numpy as np
    if "same" in text and convention == "pytorch":
        with pytest.raises(symparams.DefinitionError, match="PyTorch pooling has no padding='same'"):
            symparams.parse(text, convention=convention)
        return
    ours, theirs, _, _ = _outputs(text, convention)
    assert ours.shape == theirs.shape == (2,) + shape
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)


def test_keras_convention_allows_pool_padding_beyond_half_the_pool():
    """Zeros then a pool has no PyTorch limit (padding <= pool // 2); the PyTorch convention keeps it."""
    text = "input 6x6x2\nmaxpool 2 padding=2"
    assert tuple(int(d) for d in symparams.parse(text, convention="keras").output_shape) == (5, 5, 2)  # (6+4-2)//2+1
    with pytest.raises(symparams.DefinitionError, match="more than half"):
        symparams.parse(text, convention="pytorch")
    ours, theirs, _, _ = _outputs(text, "keras")
    assert ours.shape == theirs.shape == (2, 5, 5, 2)


def test_export_mobilenet_v2_to_pytorch_with_keras_padding(tmp_path):
    """`export --to pytorch --convention keras` writes Conv1's strided 'same' as ConstantPad2d((0, 1, 0, 1))
    (224 -> 112: TF pads max((112 - 1)*2 + 3 - 224, 0) = 1, after) and the file runs."""
    need_module("torch")
    out = tmp_path / "mnv2.py"
    assert cli.main(["export", str(EXAMPLES / "zoo" / "mobilenet_v2.arch"), "--to", "pytorch", "--convention", "keras",
                     "-o", str(out)]) == 0
    text = out.read_text()
    assert "nn.Sequential(nn.ConstantPad2d((0, 1, 0, 1), 0.0), nn.Conv2d(3, 32, kernel_size=3, stride=2, bias=False))" \
        in text and 'padding="same", groups' in text          # stride-1 'same' stays PyTorch's own
    done = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "torch.Size([1, 1000])" in done.stdout and "3504872 parameters" in done.stdout
