"""Named tensors (save, use, concat with, add with, mul with, crop to): the harness's generators.
The exporters write them as variables of the forward code (no layer of their own); import reads a
framework's graph edges as branches, so their specs declare import unsupported; the language tests
are tests/test_language_modern.py."""

from __future__ import annotations

import pytest

import symparams
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
])
def test_exported_named_tensors_agree_with_the_framework(text, framework):
    """Written as variables of the forward code: the layers around them agree in count and shape."""
    agree(text, framework)


def test_importers_say_why_they_cannot_read_them():
    from symparams.layers import REGISTRY
    for keyword in ("save", "use", "concat with", "add with", "mul with", "crop to"):
        assert "edge" in REGISTRY[keyword].unsupported_reason("import_torch")
