"""Named tensors (save, use, concat with, add with, mul with, crop to): the harness's generators.
The exporters write them as variables of the forward code (no layer of their own); import reads a
framework's graph edges as branches, so their specs declare import unsupported; the language tests
are tests/test_language_modern.py."""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import agree, kind


def _saved(b, fits):
    """A saved tensor whose shape `fits`, else a fresh 'save' of the current tensor first."""
    names = [name for name, shape in b.saved.items() if fits(shape)]
    if names:
        return [], b.pick(names)
    name = f"t{len(b.saved)}"
    b.saved[name] = b.shape
    return [f"save {name}"], name


@kind("save")
def save(b):
    name = f"t{len(b.saved)}"
    b.saved[name] = b.shape
    return f"save {name}"


@kind("use")
def use(b):
    """Continue from a saved tensor of the current shape, and add the current one back in (a tensor no
    later layer reads would be dropped from a framework's graph)."""
    lines, name = _saved(b, lambda shape: shape == b.shape)
    here = f"t{len(b.saved)}"
    b.saved[here] = b.shape
    return lines + [f"save {here}", f"use {name}", f"add with {here}"]


@kind("concat with", ranks=(2, 3, 4))
def concat_with(b):
    lines, name = _saved(b, lambda shape: shape[:-1] == b.shape[:-1])
    return lines + [f"concat with {name}"]


@kind("add with")
def add_with(b):
    lines, name = _saved(b, lambda shape: shape == b.shape)
    return lines + [f"add with {name}"]


@kind("mul with")
def mul_with(b):
    lines, name = _saved(b, lambda shape: shape == b.shape)
    return lines + [f"mul with {name}"]


@kind("sub with")
def sub_with(b):
    lines, name = _saved(b, lambda shape: shape == b.shape)
    return lines + [f"sub with {name}"]


@kind("crop to", ranks=(2, 3, 4))
def crop_to(b):
    lines, name = _saved(b, lambda shape: len(shape) == len(b.shape) and all(
        s <= t for s, t in zip(shape[:-1], b.shape[:-1])))
    return lines + [f"crop to={name}"]


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("text", [
    "input 9 x 9 x 3\nsave a\nconv 5 3x3\nconcat with a crop\nconv 4 1x1",
    "input 8 x 8 x 3\nsave a\nconv 3 3x3 padding=same\nadd with a\nsave b\nconv 3 1x1\nmul with b",
    "input 20 x 20 x 3\nconv 2 5x5\nsave small\nconv 2 1x1\nzeropad 3\ncrop to=small",
    "input 6 x 8\nsave x\ndense 4\nsave y\nuse x\ndense 4\nadd with y",
    "input 6 x 8\nsave x\ndense 4\nsave y\nuse x\ndense 4\nsub with y",
])
def test_exported_named_tensors_agree_with_the_framework(text, framework):
    """Written as variables of the forward code: the layers around them agree in count and shape."""
    agree(text, framework)


def test_a_difference_and_its_absolute_value_export_to_pytorch():
    """|a - b| (a siamese network's distance): 'sub with' and the abs activation, alone and fused; Keras has no
    abs activation, which its export says by name."""
    text = "input 6 x 8\nsave x\ndense 4 abs\nsave y\nuse x\ndense 4\nsub with y\nabs\ndense 2"
    agree(text, "pytorch")
    need_module("keras")
    from symparams.errors import SymparamsError
    with pytest.raises(SymparamsError, match="abs has no Keras name"):
        agree(text, "keras")


def test_importers_say_why_they_cannot_read_them():
    from symparams.layers import REGISTRY
    for keyword in ("save", "use", "concat with", "add with", "mul with", "sub with", "crop to"):
        assert "edge" in REGISTRY[keyword].unsupported_reason("import_torch")


# ----------------------------------------------------------------------------- broadcasting products and sums
# The language broadcasts channels-last shapes (NumPy rules on H x W x C); the PyTorch export works
# channels first, so an operand of lower rank gets its missing axes after the batch axis and its channels
# moved to axis 1. These check the exported values against NumPy on the channels-last shapes.

from hypothesis import example, given, settings, strategies as st  # noqa: E402  (kept next to its tests)


def test_mul_of_a_channel_vector_and_an_image_exports():
    """architecture(5534, 'pytorch') of the training-cost test: (2,) times 5 x 10 x 2 in both frameworks."""
    text = "input 5x10x1\nlayernorm bias=false\nmul { globalavgpool } { channelpad 2 }"
    for framework in ("pytorch", "keras"):
        agree(text, framework)


@st.composite
def broadcast_pairs(draw):
    """Two shapes NumPy broadcasts: trailing axes of one result shape, some of them 1."""
    out = draw(st.lists(st.integers(2, 4), min_size=1, max_size=4))
    def operand():
        rank = draw(st.integers(1, len(out)))
        return tuple(draw(st.sampled_from([d, 1])) for d in out[len(out) - rank:])
    return operand(), operand()


def _forms(a, b):
    """The three broadcasting statements, each fed by dense layers reshaped to `a` and `b` from a vector."""
    def made(shape):
        size = 1
        for d in shape:
            size *= d
        return f"dense {size} ; reshape {'x'.join(map(str, shape))}"
    def lines(shape):
        return made(shape).split(" ; ")
    named = ["input 5", "save x", *lines(b), "save b", "use x", *lines(a)]
    return {"mul with": "\n".join(named + ["mul with b"]),
            "add with": "\n".join(named + ["add with b"]),
            "mul {}{}": f"input 5\nmul {{ {made(a)} }} {{ {made(b)} }}"}


def _reference(model, form, a, b, x):
    """The channels-last result NumPy gives, from the exported model's own dense weights."""
    import numpy as np
    from torch import nn
    dense = [m for m in model.modules() if isinstance(m, nn.Linear)]
    first, second = (dense[1], dense[0]) if form != "mul {}{}" else (dense[0], dense[1])
    def through(m, shape):
        y = x @ m.weight.detach().numpy().T + m.bias.detach().numpy()
        return y.reshape((len(x),) + shape)
    ya, yb = through(first, a), through(second, b)
    rank = max(len(a), len(b))
    ya = ya.reshape((len(x),) + (1,) * (rank - len(a)) + a)     # NumPy's rule with a batch axis in front
    yb = yb.reshape((len(x),) + (1,) * (rank - len(b)) + b)
    return ya + yb if form == "add with" else ya * yb


@settings(max_examples=int(__import__("os").environ.get("SYMPARAMS_DIFF_EXAMPLES", "30")), deadline=None)
@given(broadcast_pairs(), st.sampled_from(["mul with", "add with", "mul {}{}"]))
@example(((1, 2), (2,)), "mul {}{}")    # a leading axis filled in by broadcasting (was a bare int in the shape)
def test_broadcasting_exports_compute_numpys_result(pair, form):
    """Random broadcastable shape pairs: both exports build with our counts and shapes, and the PyTorch
    model's values are NumPy's broadcast on the channels-last shapes."""
    torch = need_module("torch")
    import numpy as np
    from symparams.frameworks import torch_export
    from symparams.frameworks.check import run_source
    a, b = pair
    text = _forms(a, b)[form]
    for framework in ("pytorch", "keras"):
        agree(text, framework)
    net = symparams.parse(text, convention="pytorch")
    model = run_source(torch_export.export(net))["build"]()
    x = np.random.default_rng(0).standard_normal((3, 5)).astype("float32")
    with torch.no_grad():
        y = model(torch.from_numpy(x))
    if y.dim() >= 4:                # channels first back to channels last
        y = y.movedim(1, -1)
    expected = _reference(model, form, a, b, x)
    assert tuple(y.shape) == expected.shape, (text, tuple(y.shape), expected.shape)
    assert np.allclose(y.numpy(), expected, atol=1e-5), text


@pytest.mark.parametrize("text", [
    "input 5x5\nsave t1\nclstoken\ncrop to=t1\ndense 3",                 # a sequence: crop the time axis
    "input 9x4\nsave a\nconv 4 3\nconcat with a crop\ndense 2",
    "input 5x5\nzeropad 0\nlayernorm bias=false\nadd {  } { save t0; save t1; use t0; add with t1 }\n"
    "rmsnorm\nmul { clstoken; crop to=t1 } {  }",                             # architecture(2839, 'pytorch')
])
@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_crops_of_sequences_cut_the_time_axis(text, framework):
    """Sequences stay (N, T, D) in the PyTorch forward (images go channels-first): a crop of a
    sequence slices axis 1 there, not the channels."""
    from harness import agree
    agree(text, framework)
