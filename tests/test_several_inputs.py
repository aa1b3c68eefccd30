"""Networks with several inputs ('input S as NAME', issue 26): exported to PyTorch (forward(self, x, NAME, ...))
and Keras (one keras.Input each), the built model counted by the framework itself and compared layer by layer
with `check`; the zoo's BERT-base, T5-small and Whisper-tiny among them, with the layer a framework lacks named."""

from __future__ import annotations

import ast

import pytest

import symparams
from conftest import EXAMPLES, need_module
from symparams.errors import SymparamsError
from symparams.frameworks import keras_export, torch_export
from symparams.frameworks.check import check, render, run_source

ZOO = EXAMPLES / "zoo"
# (zoo file, framework) -> None (exported and checked) or the words naming the layer the framework lacks
ZOO_CASES = {
    ("bert_base", "pytorch"): None, ("bert_base", "keras"): None,
    ("t5_small", "pytorch"): None, ("t5_small", "keras"): "relative position bias (relbias=)",
    ("whisper_tiny", "pytorch"): None, ("whisper_tiny", "keras"): "bias=qkv / bias=qvo",
}

# a decoder reading an encoder of another input (cross-attention), a siamese tower run on two inputs
# (reuse=: its weights once) and two inputs merged side by side
NETWORKS = {
    "cross": """
input 10 x 16 as source
dense 24 gelu
layernorm
save memory
input 7 as target
embedding 50 24
residual { layernorm; attention heads=4 causal }
residual { layernorm; attention heads=4 context=memory bias=false }
dense 5
""",
    "siamese": """
input 8 x 8 x 3 as left
conv 4 3x3 name=tower relu
globalavgpool
save a
input 8 x 8 x 3 as right
conv 4 3x3 reuse=tower relu
globalavgpool
add with a
dense 2
""",
    "merged": """
input 6 x 5 as first
dense 4 relu
save left
input 6 x 3 as second
dense 4
concat with left
dense 2
""",
}


def _net(text):
    return symparams.parse(text, convention="pytorch")


@pytest.mark.parametrize("name, framework", sorted(ZOO_CASES), ids=lambda v: v)
def test_zoo_files_with_several_inputs_export(name, framework):
    need_module("torch" if framework == "pytorch" else "keras")
    net = symparams.load(ZOO / f"{name}.arch", convention="pytorch")
    refusal = ZOO_CASES[(name, framework)]
    if refusal is not None:
        with pytest.raises(SymparamsError) as info:
            check(net, framework)
        assert refusal in str(info.value)
        return
    report = check(net, framework)
    assert report.ok, render(report)
    assert report.their_total == int(net.evaluate().params)
    # every input row is compared with the framework's input of that position
    inputs = [r for r in report.rows if r.kind == "input"]
    assert len(inputs) >= 2 and all(r.ok for r in inputs)


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_hand_built_networks_with_two_inputs_agree_with_the_framework(name, framework):
    need_module("torch" if framework == "pytorch" else "keras")
    net = _net(NETWORKS[name])
    if framework == "keras" and name == "siamese":
        with pytest.raises(SymparamsError, match="reuse=tower"):
            check(net, framework)       # Keras has no second call of a layer here; the refusal says which
        return
    report = check(net, framework)
    assert report.ok, render(report)
    assert report.their_total == int(net.evaluate().params)


def test_forward_takes_each_input_by_its_name_in_the_files_order():
    need_module("torch")
    text = torch_export.export(_net(NETWORKS["cross"]))
    tree = ast.parse(text)
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model")
    forward = next(f for f in model.body if isinstance(f, ast.FunctionDef) and f.name == "forward")
    assert [a.arg for a in forward.args.args] == ["self", "source", "target"]
    ns = run_source(text)
    names = [name for name, _, _ in ns["INPUTS"]]
    assert names == ["source", "target"]
    torch = need_module("torch")
    assert [d for _, _, d in ns["INPUTS"]] == [torch.float32, torch.long]      # token ids for the embedding
    model = ns["build"]()
    out = model(*ns["example_inputs"](3))
    assert tuple(out.shape) == (3, 7, 5)


def test_keras_model_has_one_input_per_input_line():
    need_module("keras")
    ns = run_source(keras_export.export(_net(NETWORKS["merged"])))
    model = ns["build"]()
    assert [tuple(t.shape) for t in model.inputs] == [(None, 6, 5), (None, 6, 3)]
    assert [name for name, _, _ in ns["INPUTS"]] == ["first", "second"]


def test_an_input_named_like_a_forward_variable_is_renamed():
    """x1, x2 ... are the forward code's own variables: an input of that name gets another."""
    need_module("torch")
    net = _net("input 4 as x\ndense 3\nsave h\ninput 4 as x2\ndense 3\nadd with h\n")
    ns = run_source(torch_export.export(net))
    names = [name for name, _, _ in ns["INPUTS"]]
    assert len(set(names)) == 2 and not any(n == "x2" for n in names)
    model = ns["build"]()
    assert sum(p.numel() for p in model.parameters()) == int(net.evaluate().params)
    model(*ns["example_inputs"](2))


def test_an_input_inside_a_repeat_is_refused_by_name():
    net = _net("input 4\ndense 3\nrepeat 2 { input 4 as b\n dense 3 }\n")
    with pytest.raises(SymparamsError, match="input ... as b"):
        torch_export.export(net)
