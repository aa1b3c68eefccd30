"""Graph import: a graph that is not series-parallel comes back through named tensors (save / use /
add with / concat with), a centre crop before a concatenation as `concat with NAME crop`, and the
command line reads a .keras file and a package.module:factory reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import symparams
from conftest import need_module

ROOT = Path(__file__).resolve().parent.parent


def _tangled(torch):
    nn = torch.nn

    class Tangled(nn.Module):
        """a feeds b and the last add; the stem feeds a, the first add and the concatenation."""
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.a = nn.Conv2d(8, 8, 3, padding=1)
            self.b = nn.Conv2d(8, 8, 3, padding=1)
            self.c = nn.Conv2d(8, 8, 1)
            self.d = nn.Conv2d(16, 4, 1)

        def forward(self, x):
            x0 = self.stem(x)
            a = self.a(x0)
            b = self.b(a) + x0
            c = self.c(b) + a
            return self.d(torch.cat([c, x0], 1))
    return Tangled()


def test_a_graph_that_is_not_series_parallel_reads_through_named_tensors():
    torch = need_module("torch")
    model = _tangled(torch)
    text = symparams.from_torch(model, (8, 8, 3))
    assert "save t_stem" in text and "add with t_stem" in text and "add with t_a" in text
    assert "concat with t_stem" in text
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in model.parameters())
    assert tuple(net.output_shape) == (8, 8, 4)


def test_keras_graph_with_a_tensor_used_across_merges():
    keras = need_module("keras")
    from keras import layers
    inp = keras.Input((8, 8, 3))
    x0 = layers.Conv2D(8, 3, padding="same", name="stem")(inp)
    a = layers.Conv2D(8, 3, padding="same", name="a")(x0)
    b = layers.Add(name="add1")([layers.Conv2D(8, 3, padding="same", name="b")(a), x0])
    c = layers.Add(name="add2")([layers.Conv2D(8, 1, name="c")(b), a])
    out = layers.Conv2D(4, 1, name="d")(layers.Concatenate(name="cat")([c, x0]))
    model = keras.Model(inp, out)
    text = symparams.from_keras(model)
    assert "save " in text and " with " in text
    net = symparams.parse(text, convention="keras").evaluate()
    assert int(net.params) == model.count_params()
    assert tuple(net.output_shape) == (8, 8, 4)


def test_keras_centre_crop_before_a_concatenation():
    keras = need_module("keras")
    from keras import layers
    inp = keras.Input((20, 20, 1))
    skip = layers.Conv2D(4, 3, name="enc")(inp)                        # 18
    x = layers.MaxPooling2D(2, name="pool")(skip)                      # 9
    x = layers.Conv2D(4, 3, name="mid")(x)                             # 7
    x = layers.UpSampling2D(2, name="up")(x)                           # 14
    x = layers.Concatenate(name="cat")([x, layers.Cropping2D(2, name="crop")(skip)])
    model = keras.Model(inp, layers.Conv2D(2, 1, name="head")(x))
    text = symparams.from_keras(model)
    assert "concat with t_enc crop" in text
    net = symparams.parse(text, convention="keras").evaluate()
    assert int(net.params) == model.count_params() and tuple(net.output_shape) == (14, 14, 2)
    off = keras.Model(inp, layers.Concatenate()([layers.UpSampling2D(2)(layers.Conv2D(4, 3)(layers.MaxPooling2D(2)(
        skip))), layers.Cropping2D(((0, 4), (0, 4)))(skip)]))
    try:
        symparams.from_keras(off)
        raise AssertionError("an off-centre crop was read as a centre crop")
    except symparams.SymparamsError as exc:
        assert "Cropping2D" in str(exc)


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "symparams.cli", "import", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def test_command_line_reads_a_keras_file_and_a_torch_factory(tmp_path):
    keras = need_module("keras")
    need_module("torch")
    from keras import layers
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = layers.Add()([layers.Conv2D(8, 3, padding="same")(x), x])
    model = keras.Model(inp, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)))
    path = tmp_path / "m.keras"
    model.save(path)
    result = _cli(str(path), "--generalize", "filters=f,input=n", "-o", str(tmp_path / "m.arch"))
    assert result.returncode == 0, result.stderr
    net = symparams.load(tmp_path / "m.arch", convention="keras")
    assert int(net.evaluate().params) == model.count_params() and {s.name for s in net.symbols} == {"f", "n"}

    (tmp_path / "mynets.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "def build():\n"
        "    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 5))\n",
        encoding="utf-8")
    result = _cli("mynets:build", "--input-shape", "8x8x3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    net = symparams.parse(result.stdout, convention="pytorch")
    assert int(net.evaluate().params) == 8 * 3 * 9 + 8 + 8 * 36 * 5 + 5
    result = _cli("mynets:build", cwd=tmp_path)
    assert result.returncode == 2 and "--input-shape" in result.stderr and "Traceback" not in result.stderr
    result = _cli("mynets:build", "--input-shape", "8xx3", cwd=tmp_path)
    assert result.returncode == 2 and "input shape" in result.stderr and "Traceback" not in result.stderr
