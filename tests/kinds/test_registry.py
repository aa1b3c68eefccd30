"""Every registered kind has every capability, or says on its spec why not (LayerSpec.unsupported).

Walks symparams.layers.REGISTRY and fails naming the kind and the capability: its one-line docs
(summary, parameter formula, op count), a generator in tests/kinds/ (so the harness tests its shape,
weights and costs against the real frameworks), a shape, weights that agree with its documented
formula, MACs/ops and a receptive-field answer, PyTorch and Keras emission, import recognition in
both, LaTeX letters for its general formula, and a diagram category.
"""

from __future__ import annotations

import re

import pytest
import sympy

import symparams
from conftest import need_module
from harness import generators_of, kind_architecture, load_kind_modules
from symparams.layers.base import DIAGRAM_CATEGORIES, Context, LayerSpec, kinds

load_kind_modules()

FRAMEWORK_METHODS = ("emit_torch", "emit_keras", "import_torch", "import_keras")
CATEGORIES = DIAGRAM_CATEGORIES
RECEPTIVE_STATES = (None, "start", "global", "unknown")


def _name(spec) -> str:
    return spec.keywords[0]


def _implements(spec, method: str) -> bool:
    """Whether the kind's class (not LayerSpec's fallback) defines `method`."""
    return getattr(type(spec), method) is not getattr(LayerSpec, method)


def missing_capabilities(spec) -> list[str]:
    """What `spec` lacks and does not declare unsupported (an empty list: complete)."""
    missing = []
    if not spec.summary.strip():
        missing.append("doc line (summary)")
    if not spec.formula.strip():
        missing.append("doc line (parameter formula)")
    if not spec.ops_line():
        missing.append("doc line (the op count: other_ops' docstring)")
    for method in FRAMEWORK_METHODS:
        if not _implements(spec, method) and not spec.unsupported_reason(method):
            missing.append(method)
    for attribute in ("pytorch_classes", "keras_classes"):
        classes = getattr(spec, attribute)
        if classes is None:
            missing.append(f"{attribute} (the framework's class names for this kind; {{}} when it has none)")
        elif any(keyword not in spec.keywords for keyword in classes.values()):
            missing.append(f"{attribute} (each class maps to one of the kind's keywords, got {dict(classes)})")
    if spec.diagram not in CATEGORIES:
        missing.append(f"diagram category (got {spec.diagram!r}; one of {', '.join(CATEGORIES)})")
    for framework, helpers in (("torch", spec.torch_helpers), ("keras", spec.keras_helpers)):
        for name, source in helpers.items():
            if not re.search(rf"^class {name}\(", source, re.M):
                missing.append(f"{framework} helper {name} (its source defines no class {name})")
    if spec.is_input:
        return missing
    if not generators_of(spec):
        missing.append("a generator in tests/kinds/test_<family>.py (@kind), so the harness tests it")
        return missing
    for convention in ("keras", "pytorch"):
        try:
            text = kind_architecture(spec, 0, convention)
        except AssertionError as exc:
            missing.append(f"shape under {convention} ({exc})")
            continue
        net = symparams.parse(text, convention=convention)
        row = net.layers[-1]
        cfg, shape, out, ctx = row.config, row.input_shape, row.output_shape, Context(convention=convention)
        if not all(sympy.sympify(d).is_Integer and d >= 1 for d in out):
            missing.append(f"shape (got {out} for\n{text})")
        weightless = spec.formula.strip().startswith("0")
        if weightless != (not row.weights):
            missing.append(f"weights under {convention}: formula '{spec.formula}' but weights {row.weights}")
        for cost in ("macs", "bias_adds", "other_ops"):
            value = sympy.sympify(getattr(spec, cost)(cfg, shape, out, ctx))
            if not (value.is_Integer and value >= 0):
                missing.append(f"{cost} (got {value})")
        state = spec.receptive(cfg, shape, out, ctx)
        if state not in RECEPTIVE_STATES and not (isinstance(state, tuple) and len(state) == len(shape) - 1
                                                  and all(len(axis) == 3 for axis in state)):
            missing.append(f"receptive (got {state!r})")
        if row.weights and not spec.letters and not spec.unsupported_reason("letters"):
            missing.append("letters (the LaTeX derivation's general formula needs them)")
        if row.weights:
            # LayerSpec's answers (None: position by position; (): keeps nothing) are right for a
            # reshape, wrong for most kinds with weights: such a kind says which holds for it
            for method, what in (("receptive", "its receptive field"), ("saved_activations", "what autograd keeps")):
                if not _implements(spec, method):
                    missing.append(f"{method} (a kind with weights states {what}; LayerSpec's default is a guess)")
    return sorted(set(missing))


@pytest.mark.parametrize("spec", kinds(), ids=_name)
def test_every_kind_has_every_capability(spec):
    missing = missing_capabilities(spec)
    assert not missing, f"layer kind '{_name(spec)}' lacks: " + "; ".join(missing)


def test_framework_class_names_exist_and_mean_one_kind():
    """Each declared class is a real torch.nn / keras.layers class (keras.Input a function), and a class name means one keyword
    (a did-you-mean reads them: 'BatchNormalization' must lead to batchnorm, never to a look-alike)."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    nn = need_module("torch.nn")
    keras_layers = need_module("keras.layers")
    meaning = {}
    for spec in kinds():
        for attribute, module in (("pytorch_classes", nn), ("keras_classes", keras_layers)):
            for name, keyword in (getattr(spec, attribute) or {}).items():
                assert callable(getattr(module, name, None)), f"{_name(spec)}: {module.__name__}.{name}"
                assert meaning.setdefault(name, keyword) == keyword, (name, meaning[name], keyword)
    assert len(meaning) > 80
    for spec in kinds():
        for name, why in spec.unlike.items():       # a look-alike: a real class, declared by no kind
            assert callable(getattr(nn, name, None)) or callable(getattr(keras_layers, name, None)), name
            assert name not in meaning and len(why.split()) >= 6, (name, why)


def test_an_undeclared_class_table_is_named(monkeypatch):
    from symparams.layers.norm import GroupNorm
    monkeypatch.setattr(GroupNorm, "keras_classes", None)
    spec = symparams.layers.REGISTRY["groupnorm"]
    assert missing_capabilities(spec) == ["keras_classes (the framework's class names for this kind; {} when it "
                                          "has none)"]


def test_unsupported_reasons_are_sentences_users_can_read():
    for spec in kinds():
        for capability, reason in spec.unsupported.items():
            assert capability in FRAMEWORK_METHODS + ("letters", "pytorch", "keras"), (_name(spec), capability)
            assert len(reason.split()) >= 4, f"{_name(spec)}: say why '{capability}' is unsupported"


def test_a_kind_with_weights_that_inherits_a_default_is_named(monkeypatch):
    """Meaning, not presence: a dense layer that no longer states its receptive field or its saved
    tensors (it would inherit LayerSpec's) is reported."""
    from symparams.layers.core import Dense
    monkeypatch.delattr(Dense, "receptive")
    monkeypatch.delattr(Dense, "saved_activations")
    missing = missing_capabilities(symparams.layers.REGISTRY["dense"])
    assert [m.split(" (")[0] for m in missing] == ["receptive", "saved_activations"], missing


def test_the_harness_places_each_kind_first_and_after_a_trained_layer():
    from harness import TOKENS, generators_of
    for spec in kinds():
        gens = generators_of(spec)
        if spec.is_input or not gens:
            continue
        if all(TOKENS in g.ranks for g in gens):
            continue                # it reads token ids: only an input comes before it
        after = kind_architecture(spec, 1, "pytorch", after_trained=True).splitlines()
        assert any(line.startswith("dense") for line in after[1:]), after   # its own lines may be several
        # and first: seed 0's first try puts nothing but the input (a token input: its embedding) before it
        first = kind_architecture(spec, 0, "pytorch").splitlines()
        assert not any(line.startswith("dense") for line in first[1:-1]) or first[1].startswith("embedding"), first


def test_a_removed_capability_is_named(monkeypatch):
    """The check itself: take one capability away from a kind and it names the kind and the capability."""
    from symparams.layers.norm import GroupNorm
    monkeypatch.delattr(GroupNorm, "emit_keras")
    monkeypatch.setattr(GroupNorm, "letters", None)
    spec = symparams.layers.REGISTRY["groupnorm"]
    assert missing_capabilities(spec) == ["emit_keras", "letters (the LaTeX derivation's general formula needs them)"]


def test_unsupported_is_raised_with_its_reason(monkeypatch):
    """A consumer asked for what a kind declares unsupported raises the project's error with the reason."""
    from symparams.frameworks import keras_export
    from symparams.layers.norm import GroupNorm
    monkeypatch.setattr(GroupNorm, "unsupported", {"keras": "no reason at all, for this test"})
    net = symparams.parse("input 4x4x4\ngroupnorm 2")
    with pytest.raises(symparams.DefinitionError, match="no reason at all, for this test"):
        keras_export.export(net)


def _whole_number_options(spec):
    from symparams.layers.base import MINIMUM
    return [(name, opt) for name, opt in spec.options.items() if opt.kind in MINIMUM]


@pytest.mark.parametrize("spec", [s for s in kinds() if _whole_number_options(s)], ids=_name)
def test_every_whole_number_option_states_its_range_and_holds_it(spec):
    """Each whole-number option of each kind (layers/base.py MINIMUM: sizes and counts >= 1, relbias and
    shared >= 0): `symparams layers` states the range; a value below it is refused with the option named;
    a symbolic value gets the matching validity condition (refused where it drops below the range)."""
    from symparams.commands.layers import describe
    from symparams.layers.base import MINIMUM, range_text
    listed = {keyword: options for keyword, _, options, *_ in describe()}[_name(spec)]
    base = kind_architecture(spec, 0, "pytorch")
    *head, last = base.split("\n")
    for name, opt in _whole_number_options(spec):
        assert f"{name}= ({range_text(opt.kind)})" in listed, listed
        line = re.sub(rf"\s{name}=\S+", "", last)
        below = MINIMUM[opt.kind] - 1
        with pytest.raises(symparams.SymparamsError) as info:
            symparams.parse("\n".join(head + [f"{line} {name}={below}"]), convention="pytorch")
        assert name in str(info.value), str(info.value)
        # s - 3 is below the range at s = 2 + MINIMUM: the derive at that value refuses it
        text = "\n".join(head + [f"{line} {name}=s-3"])
        try:
            net = symparams.parse(text, convention="pytorch")
        except symparams.SymparamsError:
            continue                    # a symbolic value this option never takes (a refusal is also safe)
        with pytest.raises(symparams.SymparamsError):
            net.subs({"s": 2 + MINIMUM[opt.kind]})
