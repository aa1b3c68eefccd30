"""Named tensors (save, use, concat with, add with, mul with, crop to): the harness's generators.
Neither exporter writes them yet (their specs say so), so the harness checks their shapes, LaTeX
and diagram, not the frameworks; the language tests are tests/test_language_modern.py."""

from __future__ import annotations

import pytest

import symparams
from harness import kind


def _saved(b, fits):
    """A saved tensor whose shape `fits`, else a fresh 'save' of the current tensor first."""
    names = [name for name, shape in b.saved.items() if fits(shape)]
    if names:
        return [], b.pick(names)
    name = f"t{len(b.saved)}"
    b.saved[name] = b.shape
    return [f"save {name}"], name


@kind("save", weight=0)
def save(b):
    name = f"t{len(b.saved)}"
    b.saved[name] = b.shape
    return f"save {name}"


@kind("use", weight=0)
def use(b):
    lines, name = _saved(b, lambda shape: True)
    return lines + [f"use {name}"]


@kind("concat with", ranks=(2, 3, 4), weight=0)
def concat_with(b):
    lines, name = _saved(b, lambda shape: shape[:-1] == b.shape[:-1])
    return lines + [f"concat with {name}"]


@kind("add with", weight=0)
def add_with(b):
    lines, name = _saved(b, lambda shape: shape == b.shape)
    return lines + [f"add with {name}"]


@kind("mul with", weight=0)
def mul_with(b):
    lines, name = _saved(b, lambda shape: shape == b.shape)
    return lines + [f"mul with {name}"]


@kind("crop to", ranks=(2, 3, 4), weight=0)
def crop_to(b):
    lines, name = _saved(b, lambda shape: len(shape) == len(b.shape) and all(
        s <= t for s, t in zip(shape[:-1], b.shape[:-1])))
    return lines + [f"crop to={name}"]


def test_exporters_say_why_they_cannot_write_them():
    from symparams.frameworks import keras_export, torch_export
    net = symparams.parse("input 4x4x3\nsave a\nconv 3 1\nadd with a")
    for export in (torch_export.export, keras_export.export):
        with pytest.raises(symparams.DefinitionError, match="not exported"):
            export(net)
