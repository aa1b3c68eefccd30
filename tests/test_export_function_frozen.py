"""Frozen weights survive the trip to a framework and back, weight by weight: a small network whose last line is a
kind (tests/test_roundtrip_kinds.py places it) is written with `frozen=W` for each of that line's trained weights W
in turn, exported to PyTorch (or Keras) and built; the framework's total and trainable counts are symparams', the
weight the framework holds frozen is W's (PyTorch: by its name or position in the module, as the export pairs them;
checked by size), and the import of the built model (symparams.from_torch / from_keras) reads back with the same
counts and W alone frozen on that line. A separable convolution's two Conv2d call their kernels 0.weight and
1.weight, a weight-normed layer's are parametrizations.weight.original0/1, a standardised conv's wrapper holds
module.conv.weight: each must come back as the line's own weight name.

By default the default lines of the kinds whose modules hold their weights under other names (TORCH_DEFAULT,
KERAS_DEFAULT) and a handful of option values that do (NAMED_OTHERWISE); SYMPARAMS_EXPORT_FROZEN=all: every kind and
every option value test_roundtrip_kinds enumerates, in both frameworks."""

from __future__ import annotations

import os
import re
import warnings

import pytest

import symparams
from conftest import need_module
from symparams.errors import SymparamsError
from test_roundtrip_kinds import MAY_REFUSE, NOT_UNDER, REFUSED, _place, _with_option, registered, variants

ALL = os.environ.get("SYMPARAMS_EXPORT_FROZEN", "").lower() == "all"
# option values whose framework module names or orders its weights otherwise than the line (run by default)
NAMED_OTHERWISE = {("conv", "weight_norm=true"), ("dense", "weight_norm=true"), ("conv", "weight_std=scaled"),
                   ("lstm", "state_activation=relu"), ("sepconv", "bias=false")}
KERAS_DEFAULT = {"sepconv", "dwconv", "attention", "lstm", "batchnorm"}
# kinds whose default line runs by default in PyTorch: the ones whose module holds its weights under other names or in
# helper modules (the rest: SYMPARAMS_EXPORT_FROZEN=all)
TORCH_DEFAULT = {"conv", "sepconv", "dwconv", "dense", "attention", "lstm", "gru", "mamba", "mla", "windowattention",
                 "attentionpool", "batchnorm", "embedding", "layerscale", "prelu", "grn"}


def _cases():
    for spec in registered():
        kw = spec.keywords[0]
        for variant in variants(spec):
            if variant == "frozen":
                continue
            for fw in ("pytorch", "keras"):
                if (kw, variant, fw) in REFUSED or (kw, "*", fw) in REFUSED or (kw, variant, fw) in NOT_UNDER:
                    continue
                chosen = (kw, variant) in NAMED_OTHERWISE and fw == "pytorch" or not variant and kw in (
                    TORCH_DEFAULT if fw == "pytorch" else KERAS_DEFAULT)
                if ALL or chosen:
                    yield pytest.param(spec, variant, fw, id=f"{kw}-{variant or 'default'}-{fw}")


def _frozen_of(net, name) -> list[str]:
    [row] = [r for r in net.unrolled().leaves() if r.name == name]
    return sorted(w.name for w in row.weights if not w.trainable and not w.buffer)


def _counts(model, framework):
    if framework == "pytorch":
        params = list(model.parameters())
        return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)
    import math
    return (int(model.count_params()), sum(math.prod(int(d) for d in w.shape) for w in model.trainable_weights))


def _frozen_sizes(model, framework, name) -> list[int]:
    """The sizes of the weights the framework holds frozen in the layer `name`."""
    import math
    if framework == "pytorch":
        return sorted(p.numel() for p in getattr(model, name).parameters() if not p.requires_grad)
    return sorted(math.prod(int(d) for d in w.shape) for w in model.get_layer(name).non_trainable_weights)


@pytest.mark.parametrize("spec, variant, framework", list(_cases()))
def test_each_frozen_weight_reads_back(spec, variant, framework):
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    text = _place(spec, variant, framework, seed=0)
    if text is None:
        return              # no small network takes this option value under this convention (roundtrip_kinds says)
    lines = text.splitlines()
    if not [w for w in symparams.parse(text, convention=framework).layers[-1].weights if w.trainable and not w.buffer]:
        return              # nothing to freeze (a merge, a saved tensor)
    last = re.sub(r"\s+name=\S+", "", lines[-1]) + " name=frozen_layer"
    net = symparams.parse("\n".join(lines[:-1] + [last]), convention=framework)
    row = net.layers[-1]
    weights = [w for w in row.weights if w.trainable and not w.buffer]
    shapes = [tuple(int(d) for d in r.output_shape) for r in net.unrolled().leaves() if r.kind == "input"]
    for weight in weights:
        frozen = f'frozen="{weight.name}"' if "." in weight.name else f"frozen={weight.name}"
        source = "\n".join(lines[:-1] + [_with_option(last.replace(" name=frozen_layer", ""), frozen)
                                         + " name=frozen_layer"])
        net = symparams.parse(source, convention=framework)
        try:
            code = (torch_export if framework == "pytorch" else keras_export).export(net)
        except SymparamsError as exc:
            refusal = MAY_REFUSE.get((spec.keywords[0], "frozen", framework))
            assert refusal is not None and refusal[1] in str(exc), (source, exc)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = run_source(code)["build"]()
            counts = _counts(model, framework)
            assert counts == (int(net.params), int(net.trainable_params)), (source, counts)
            held = [w for w in net.layers[-1].weights if not w.trainable and not w.buffer]   # Keras' statistics too
            assert _frozen_sizes(model, framework, "frozen_layer") == sorted(int(w.size) for w in held), source
            if framework == "pytorch":
                back = symparams.from_torch(model, shapes[0] if len(shapes) == 1 else shapes)
            else:
                back = symparams.from_keras(model)
        again = symparams.parse(back, convention=framework)
        assert (int(again.params), int(again.trainable_params)) == counts, (source, back)
        assert _frozen_of(again, "frozen_layer") == _frozen_of(net, "frozen_layer"), (source, back)
        assert weight.name in _frozen_of(again, "frozen_layer"), (source, back)
