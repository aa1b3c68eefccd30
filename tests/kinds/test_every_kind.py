"""Every registered kind, by name, through the same checks: small random architectures holding it
(from its generator in tests/kinds/test_<family>.py) agree with the real PyTorch and Keras layer by
layer, come back the same through export -> build -> import, derive a LaTeX document pdflatex
compiles (with the general formula of its weights in the kind's letters), and draw as a diagram in
the kind's category colour. A new kind is picked up here without a line changed.
"""

from __future__ import annotations

import pytest

import symparams
from conftest import need_module
from harness import PER_KIND, agree, exportable, kind_architecture, load_kind_modules, registered, round_trip
from symparams import cli
from symparams.layers import REGISTRY

load_kind_modules()

KINDS = registered()
IDS = [spec.keywords[0] for spec in KINDS]
EXPORTED = exportable()        # the others declare why on their spec (LayerSpec.unsupported)
EXPORTED_IDS = [spec.keywords[0] for spec in EXPORTED]
# import back: every exported kind but those whose spec says why not (named tensors are graph edges there)
IMPORTED = {fw: [spec for spec in EXPORTED if not spec.unsupported_reason(f"import_{fw}")] for fw in ("torch", "keras")}
ROUND_TRIPS = [pytest.param(spec, framework, id=f"{spec.keywords[0]}-{framework}")
               for framework, key in (("pytorch", "torch"), ("keras", "keras")) for spec in IMPORTED[key]]


def _examples(spec, framework, importable=False):
    return [kind_architecture(spec, seed, framework, importable=importable) for seed in range(PER_KIND)]


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("spec", EXPORTED, ids=EXPORTED_IDS)
def test_counts_and_shapes_match_the_framework(spec, framework):
    for text in _examples(spec, framework):
        agree(text, framework)


@pytest.mark.parametrize("spec, framework", ROUND_TRIPS)
def test_export_build_import_round_trip(spec, framework):
    for text in _examples(spec, framework, importable=True):
        round_trip(text, framework)


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("spec", EXPORTED, ids=EXPORTED_IDS)
def test_exactly_one_kind_recognises_each_exported_layer(spec, framework):
    """The importer asks every kind; two answering for one module or layer would make the reading
    depend on registration order."""
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    from symparams.frameworks.importer import LAYOUT_WRAPPERS, Numbers, Reader, recognisers
    for text in _examples(spec, framework):
        net = symparams.parse(text, convention=framework)
        importable = not any(REGISTRY[r.config["keyword"]].unsupported_reason("import_keras")
                             for _, r in net.walk() if r.is_leaf and r.kind != "input")
        if framework == "pytorch":
            import torch
            model = run_source(torch_export.export(net))["build"]()
            reader = Reader(Numbers(None), "", torch.nn)
            objects = []
            for module in model.children():
                while type(module).__name__ in LAYOUT_WRAPPERS:
                    module = module.module
                parts = list(module) if isinstance(module, torch.nn.Sequential) else []
                objects += [module] if not parts else [module] + parts
            method = "import_torch"
        else:
            model = run_source(keras_export.export(net))["build"]()
            reader = Reader(Numbers(None), "")
            objects = [layer for layer in model.layers if type(layer).__name__ not in ("InputLayer", "Add", "Concatenate")]
            method = "import_keras"
        for obj in objects:
            found = [s.keywords[0] for s, _ in recognisers(method, obj, reader)]
            assert len(found) <= 1, f"{type(obj).__name__} is recognised by {found} in\n{text}"
            if framework == "keras" and importable:
                assert found, f"no kind recognises the Keras layer {type(obj).__name__} in\n{text}"


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_latex_compiles_and_diagram_renders(spec, tmp_path, pdflatex, capsys):
    from symparams.printers import latex
    text = kind_architecture(spec, 0, "keras")
    path = tmp_path / "kind.arch"
    path.write_text(text + "\n", encoding="utf-8")
    net = symparams.load(path)
    row = net.layers[-1]
    if row.weights and not spec.unsupported_reason("letters"):
        assert latex.general_weights(row, net.convention) is not None, (
            f"{spec.keywords[0]}: its letters give no general formula for\n{text}")
    assert cli.main(["latex", str(path), "--all", "--standalone", "-o", str(tmp_path / "doc.tex")]) == 0
    pdflatex((tmp_path / "doc.tex").read_text(encoding="utf-8"), "doc")
    assert cli.main(["diagram", str(path), "--format", "svg", "-o", str(tmp_path / "d.svg")]) == 0
    svg = (tmp_path / "d.svg").read_text(encoding="utf-8")
    assert svg.count("<rect") >= len(net.layers)
    from symparams.printers import diagram
    assert diagram._SVG_FILL.get(diagram._fill(spec.diagram), "#ffffff") in svg
    capsys.readouterr()
