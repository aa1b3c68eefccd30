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
    capsys.readouterr()
    # Keras counting (4*C for batch norm) against PyTorch (2*C parameters): the batchnorm row disagrees
    assert cli.main(["check", str(arch), "--against", "pytorch", "--convention", "keras"]) == 1
    out, rows = _table(capsys)
    bad = [r for r in rows if r.endswith("✗")]
    assert len(bad) == 2 and bad[0].startswith("batchnorm_1") and bad[1].startswith("total")
    assert "16" in bad[0] and "8" in bad[0]      # keras 4*4 vs torch 2*4
    assert "2 disagreements" in out


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
