"""symparams check: per-layer table against the real framework; exit 0 only when all agree."""

from __future__ import annotations

from symparams import cli
from conftest import EXAMPLES, need_module

MNIST = EXAMPLES / "seed002_mnist.arch"
BN = "input 8x8x3\nconv 4 3x3 bias=false\nbatchnorm\nrelu\nglobalavgpool\ndense 2\n"


def _table(capsys):
    out = capsys.readouterr().out
    return out, [line for line in out.splitlines() if line.endswith(("✓", "✗"))]


def test_check_against_pytorch_all_agree(capsys):
    need_module("torch")
    assert cli.main(["check", str(MNIST), "--against", "pytorch"]) == 0
    out, rows = _table(capsys)
    assert len(rows) == 9 and all(r.endswith("✓") for r in rows)       # input, 7 layers, total
    assert "217,706" in out and out.rstrip().endswith("all layers agree")


def test_check_against_keras_all_agree(capsys):
    need_module("keras")
    assert cli.main(["check", str(MNIST), "--against", "keras"]) == 0
    out, rows = _table(capsys)
    assert len(rows) == 9 and all(r.endswith("✓") for r in rows)


def test_convention_follows_against_by_default(tmp_path, capsys):
    need_module("torch")
    arch = tmp_path / "bn.arch"
    arch.write_text(BN)
    assert cli.main(["check", str(arch), "--against", "pytorch"]) == 0
    out, rows = _table(capsys)
    assert "counted by" not in out
    batchnorm = next(r for r in rows if r.startswith("batchnorm_1")).split()
    assert batchnorm[2:4] == ["8", "8"]          # torch: weight + bias = 2*4


def test_check_counts_by_the_framework_rules_whatever_the_convention(tmp_path, capsys):
    """--convention keras against PyTorch: shapes are Keras' (strided 'same' allowed), counts
    PyTorch's (batch-norm statistics are buffers): 2*C, not Keras' 4*C. And the other way round."""
    need_module("torch")
    need_module("keras")
    arch = tmp_path / "bn.arch"
    arch.write_text(BN.replace("conv 4 3x3", "conv 4 3x3 stride=2 padding=same"))
    assert cli.main(["check", str(arch), "--against", "pytorch", "--convention", "keras"]) == 0
    out, rows = _table(capsys)
    assert "counted by pytorch's rules" in out and all(r.endswith("✓") for r in rows)
    batchnorm = next(r for r in rows if r.startswith("batchnorm_1")).split()
    assert batchnorm[2:4] == ["8", "8"] and batchnorm[4:7] == ["4", "x", "4"]     # ceil(8/2) = 4
    arch.write_text(BN.replace("conv 4 3x3", "maxpool 3 stride=2 padding=1\nconv 4 3x3"))
    assert cli.main(["check", str(arch), "--against", "keras", "--convention", "pytorch"]) == 0
    out, rows = _table(capsys)
    assert "counted by keras's rules" in out and all(r.endswith("✓") for r in rows)
    batchnorm = next(r for r in rows if r.startswith("batchnorm_1")).split()
    assert batchnorm[2:4] == ["16", "16"]        # gamma, beta, moving mean and variance: 4*4


def test_check_feeds_token_ids(tmp_path, capsys):
    need_module("torch")
    arch = tmp_path / "lm.arch"
    arch.write_text("input 6\nembedding 50 8\nposembed\nattention heads=2 causal=true\nlayernorm\nunembed\n")
    assert cli.main(["check", str(arch), "--against", "pytorch"]) == 0
    out, rows = _table(capsys)
    assert "6 x 50" in out and all(r.endswith("✓") for r in rows)


def test_check_reports_sequences_channels_last(tmp_path, capsys):
    need_module("torch")
    arch = tmp_path / "seq.arch"
    arch.write_text("input 10x4\nconv 6 3\nlstm 5 return_sequences=true bidirectional=true\ngru 3\n")
    assert cli.main(["check", str(arch), "--against", "pytorch"]) == 0
    out, _ = _table(capsys)
    assert "8 x 6" in out and "8 x 10" in out


def test_conventions_table_in_readme_is_current():
    import importlib.util
    from conftest import ROOT
    spec = importlib.util.spec_from_file_location("conventions_table", ROOT / "scripts" / "conventions_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    assert module.rewrite(text) == text, "run python scripts/conventions_table.py --write"
    table = module.table()
    assert "| batch norm on C channels | `4*C` | `2*C` |" in table
    assert "`4*U*(D + U + 1)` | `4*U*(D + U + 2)`" in table


def test_conventions_table_differences_hold_in_the_frameworks():
    """The differences the table documents, measured on the frameworks themselves."""
    torch = need_module("torch")
    keras = need_module("keras")
    from keras import layers
    nn = torch.nn
    # batch norm on 8 channels: Keras 4*8 weights (2*8 non-trainable), PyTorch 2*8 parameters + 2*8 buffers
    bn = keras.Sequential([keras.Input((4, 4, 8)), layers.BatchNormalization()])
    assert bn.count_params() == 32
    tbn = nn.BatchNorm2d(8)
    assert sum(p.numel() for p in tbn.parameters()) == 16
    assert tbn.running_mean.numel() + tbn.running_var.numel() == 16
    # LSTM, U=3 on D=5: 4*3*(5+3+1) = 108 vs 4*3*(5+3+2) = 120
    lstm = keras.Sequential([keras.Input((7, 5)), layers.LSTM(3)])
    assert lstm.count_params() == 108
    assert sum(p.numel() for p in nn.LSTM(5, 3).parameters()) == 120
    # transposed conv 'valid', n=5, K=1, s=2: Keras 5*2 + max(1-2, 0) = 10, PyTorch (5-1)*2 + 1 = 9
    up = keras.Sequential([keras.Input((5, 1)), layers.Conv1DTranspose(1, 1, strides=2)])
    assert tuple(up.output_shape) == (None, 10, 1)
    assert nn.ConvTranspose1d(1, 1, 1, stride=2)(torch.zeros(1, 1, 5)).shape[-1] == 9


def test_groupnorm_on_one_value_per_group_runs(tmp_path, capsys):
    """Regression (found by 2,000 differential examples): GroupNorm rejects a batch of one here."""
    need_module("torch")
    arch = tmp_path / "gn.arch"
    arch.write_text("input 3x3x1\nmaxpool 3\ngroupnorm 1\n")
    assert cli.main(["check", str(arch), "--against", "pytorch"]) == 0


def test_mobilenet_v2_checks_in_pytorch_under_keras_padding(capsys):
    """Regression: the zoo's MobileNetV2 (Keras' strided padding='same' in Conv1) was skipped in
    PyTorch. Now every row agrees, and the total is torchvision's published 3,504,872."""
    need_module("torch")
    path = EXAMPLES / "zoo" / "mobilenet_v2.arch"
    assert cli.main(["check", str(path), "--against", "pytorch", "--convention", "keras"]) == 0
    out, rows = _table(capsys)
    assert all(r.endswith("✓") for r in rows) and rows[-1].split()[1:3] == ["3,504,872", "3,504,872"]


def test_resnet18_checks_in_keras(capsys):
    """Regression: the zoo's ResNet-18 (max pool padding=1) was refused under the Keras convention.
    Keras counts the 9,600 batch-norm moving statistics too: 11,689,512 + 9,600."""
    need_module("keras")
    assert cli.main(["check", str(EXAMPLES / "zoo" / "resnet18.arch"), "--against", "keras"]) == 0
    out, rows = _table(capsys)
    assert all(r.endswith("✓") for r in rows) and rows[-1].split()[1:3] == ["11,699,112", "11,699,112"]
