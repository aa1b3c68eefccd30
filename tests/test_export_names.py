"""Exported code never breaks on a layer's name: identifiers are valid, unique, never a Module attribute
or a generated name, user text never becomes code, and `check` pairs each row with what was built from it."""

from __future__ import annotations

import ast
import keyword
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import symparams
from symparams import cli
from symparams.errors import SymparamsError
from symparams.frameworks import check, keras_export, torch_export
from symparams.frameworks.plan import RESERVED, make_plan
from conftest import need_module

EXAMPLES = int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "30")) // 3 or 1

# names that broke the exporters (issue 17) or collide with what they write
HOSTILE = ["forward", "training", "class", "self", "super", "def", "None", "__init__", "_modules", "to", "float",
           "eval", "parameters", "x", "x1", "x2", "inputs", "nn", "torch", "layers", "keras", "ops", "F", "os",
           "INPUT_SHAPE", "INPUT_DTYPE", "INPUTS", "example_inputs", "LAYERS", "Model", "build", "ChannelsFirst", "ConstantPadding",
           "stem_pad", "stem", "1x1", "a-b", "a b", "a_b", "café", "cafe", "ﬁ", "层", "a\\b", "\\", "'", "''' + '",
           "'); import os; os.system('x", "# comment", "\t", "x\r", " ", "match", "type"]

# every row has a name, a padded convolution writes '<name>_pad' (Keras), a named embedding is reused
TEMPLATES = [
    ("input 8x8x3", "conv 4 3x3 padding=1 relu", "batchnorm", "maxpool 2", "conv 6 3x3 padding=1",
     "flatten", "dense 5", "dropout 0.5", "dense 3"),
    ("input 6", "embedding 11 4", "conv1d 4 3 padding=1", "layernorm", "globalavgpool1d", "dense 5"),
]


def network(template, names):
    lines = [f'{line} name="{name}"' for line, name in zip(template, names)]
    return symparams.parse("\n".join(lines) + "\n", convention="pytorch")


def _exec(path):
    """Run a file the exporter wrote, in a fresh namespace (our own generated code)."""
    namespace = {"__name__": "exported"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def _assert_names_safe(net):
    plan = make_plan(net)
    idents = [plan.name(row) for row in plan.leaves]
    assert len(set(idents)) == len(idents)
    for name in idents:
        assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name), name
        assert name not in RESERVED and not name.startswith("_"), name
        assert not any(name + "_pad" == other for other in idents), name


def _export_and_check(net, tmp_path, framework):
    """Export to a file, build it from that file, then `check` every row against what was built from it."""
    path = tmp_path / f"model_{framework}.py"
    text = (torch_export if framework == "pytorch" else keras_export).export(net)
    path.write_text(text, encoding="utf-8")
    ns = _exec(path)
    model = ns["build"]()
    if framework == "pytorch":
        total = sum(p.numel() for p in model.parameters())
    else:
        total = model.count_params()
    assert total == int(net.params) or net.convention != framework
    report = check.check(net, framework)
    plan = make_plan(net)
    assert [r.line for r in report.rows] == [row.line for row in plan.leaves]
    assert report.ok, check.render(report)
    return text


def _settings():
    return settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


name_text = st.one_of(st.sampled_from(HOSTILE),
                      st.text(st.characters(blacklist_characters='"\n', blacklist_categories=("Cs",)),
                              min_size=0, max_size=12))


@_settings()
@given(template=st.sampled_from(TEMPLATES), data=st.data())
def test_hostile_names_export_build_and_check_in_both_frameworks(tmp_path_factory, template, data):
    need_module("torch")
    need_module("keras")
    names = data.draw(st.lists(name_text, min_size=len(template), max_size=len(template)))
    try:
        net = network(template, names)
    except SymparamsError:
        assume(False)            # a name the language itself refuses (e.g. one it reads as a line break)
    _assert_names_safe(net)
    tmp = tmp_path_factory.mktemp("names")
    for framework in ("pytorch", "keras"):
        _export_and_check(net, tmp, framework)


@pytest.mark.parametrize("name", HOSTILE)
def test_each_hostile_name_on_every_row(tmp_path, name):
    """The same name on every row: all clean to one identifier, which must be made unique each time."""
    need_module("torch")
    need_module("keras")
    net = network(TEMPLATES[0], [name] * len(TEMPLATES[0]))
    _assert_names_safe(net)
    for framework in ("pytorch", "keras"):
        _export_and_check(net, tmp_path, framework)


def test_names_that_clean_alike_and_generated_names(tmp_path):
    need_module("torch")
    need_module("keras")
    names = ["a-b", "a b", "a_b", "a_b_pad", "forward_layer", "forward", "a_b_2"]
    template = ("input 8x8x3", "conv 4 3x3 padding=1", "conv 4 3x3 padding=1", "conv 4 3x3 padding=1",
                "conv 4 3x3 padding=1", "conv 4 3x3 padding=1", "conv 4 3x3 padding=1")
    net = network(template, ["input_1"] + names[:6])
    _assert_names_safe(net)
    plan = make_plan(net)
    idents = [plan.name(r) for r in plan.leaves]
    assert idents[1] == "a_b" and "a_b_pad" not in idents              # a_b's padding is called a_b_pad
    assert idents[5:7] == ["forward_layer", "forward_layer_2"]          # 'forward' is renamed, uniquely
    for framework in ("pytorch", "keras"):
        _export_and_check(net, tmp_path, framework)


INJECTIONS = ["'); import os; os.system('x", "'''; import os; os.system('x'); '''", "\\'); import os #",
              "\\\\'); __import__('os').system('x') #", "x\rimport os", "x\u2028import os", "x\x0bimport os"]


def _shape_of(tree):
    """The statements and calls of a module, with every name and constant left out."""
    out = []
    for node in ast.walk(tree):
        out.append(type(node).__name__)
    return out


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("planted", INJECTIONS)
def test_planted_code_in_a_name_stays_text(tmp_path, framework, planted):
    """A name that tries to close a string and call os.system: the module's AST is exactly the one the
    same network with plain names gives (no extra statement, call or import), and nothing runs."""
    template = TEMPLATES[0]
    exporter = torch_export if framework == "pytorch" else keras_export
    plain = exporter.export(network(template, [f"n{k}" for k in range(len(template))]))
    try:
        hostile = exporter.export(network(template, [planted] * len(template)))
    except SymparamsError:
        pytest.skip("the language refuses this name")
    assert _shape_of(ast.parse(hostile)) == _shape_of(ast.parse(plain))
    calls = {ast.unparse(n.func) for n in ast.walk(ast.parse(hostile)) if isinstance(n, ast.Call)}
    assert not calls & {"os.system", "__import__", "system", "eval", "exec"}
    assert "os.system" not in "".join(line for line in hostile.splitlines() if not line.lstrip().startswith("#"))


def test_cli_export_and_check_with_keyword_names(tmp_path, capsys):
    need_module("torch")
    need_module("keras")
    arch = tmp_path / "names.arch"
    arch.write_text('input 8x8x3\nconv 4 3x3 padding=1 name="forward"\nbatchnorm name="training"\n'
                    'conv 4 3x3 name="forward_pad"\nflatten name="class"\ndense 2 name="INPUT_SHAPE"\n')
    for framework in ("pytorch", "keras"):
        out = tmp_path / f"m_{framework}.py"
        assert cli.main(["export", str(arch), "--to", framework, "-o", str(out)]) == 0
        assert _exec(out)["build"]() is not None
        assert cli.main(["check", str(arch), "--against", framework]) == 0
        assert capsys.readouterr().out.rstrip().endswith("all layers agree")


def test_check_pairs_rows_by_position_not_by_name(tmp_path):
    """check reads the generated LAYERS (one entry per row, in order), not the row's name."""
    need_module("torch")
    net = network(TEMPLATES[0], ["forward"] * len(TEMPLATES[0]))
    ns = check.run_source(torch_export.export(net))
    plan = make_plan(net)
    assert len(ns["LAYERS"]) == len(plan.leaves) and ns["LAYERS"][0] is None
    model = ns["build"]()
    for row, name in zip(plan.leaves[1:], ns["LAYERS"][1:]):
        if name is not None:
            assert sum(p.numel() for p in model._modules[name].parameters()) == int(row.params)


def test_reserved_names_cover_the_installed_module_attributes():
    """RESERVED is written out (export needs no torch); it must hold every public nn.Module attribute."""
    need_module("torch")
    import torch.nn as nn
    public = {n for n in dir(nn.Module) if not n.startswith("_")} | set(nn.Module().__dict__)
    missing = {n for n in public if not n.startswith("_")} - RESERVED
    assert not missing, f"add to plan.MODULE_ATTRIBUTES: {sorted(missing)}"


def test_class_name_must_be_an_identifier():
    net = network(TEMPLATES[0], [f"n{k}" for k in range(len(TEMPLATES[0]))])
    with pytest.raises(SymparamsError):
        torch_export.export(net, class_name="Model(); import os")
    assert "class Net(nn.Module)" in torch_export.export(net, class_name="Net")
