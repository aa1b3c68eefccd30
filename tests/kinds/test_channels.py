"""slice and shuffle (channel rearrangements): the harness's generators, and both kinds against PyTorch's
own channel shuffle and torch.chunk, and exported to both frameworks with the same values."""

from __future__ import annotations

import symparams
from conftest import need_module
from harness import kind


@kind("slice")
def channel_slice(b):
    c = b.channels
    size = b.integer(1, c)
    start = b.integer(0, c - size)
    return f"slice {size}" + (f" start={start}" if start else "")


@kind("shuffle")
def shuffle(b):
    c = b.channels
    return f"shuffle {b.pick([g for g in range(1, min(c, 6) + 1) if c % g == 0])}"


def test_slice_and_shuffle_shapes_and_symbolic_conditions():
    net = symparams.parse("input 8 x 8 x c\nconcat { slice c/2 } { slice c/2 start=c/2 }\nshuffle 2")
    assert tuple(net.output_shape)[-1] == net.layers[0].output_shape[-1] and net.params == 0
    try:
        symparams.parse("input 4 x 4 x 6\nslice 4 start=3").evaluate()
    except symparams.SymparamsError as exc:
        assert "past the 6 channels" in str(exc)
    else:
        raise AssertionError("a slice past the channels was accepted")


def test_exports_give_torchs_channel_shuffle_and_chunk_values():
    torch = need_module("torch")
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    text = "input 5 x 5 x 12\nslice 6 start=6\nshuffle 3\n"
    model = run_source(export(symparams.parse(text, convention="pytorch")))["build"]()
    x = torch.randn(2, 12, 5, 5)
    expected = torch.nn.ChannelShuffle(3)(x.chunk(2, dim=1)[1])
    assert torch.equal(model(x), expected)
    keras = need_module("keras")
    from symparams.frameworks import keras_export
    kmodel = run_source(keras_export.export(symparams.parse(text, convention="keras")))["build"]()
    out = keras.ops.convert_to_numpy(kmodel(x.movedim(1, -1).numpy()))
    assert (abs(out - expected.movedim(1, -1).numpy()) < 1e-6).all()
