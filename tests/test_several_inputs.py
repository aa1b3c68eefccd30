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


# --------------------------------------------------------------------------- import of several inputs

def _modules():
    """Hand-built modules whose forward takes two tensors: two branches added, two maps side by side, one
    encoder run on both (siamese: its weights counted once, as PyTorch counts them)."""
    torch = need_module("torch")
    nn, F = torch.nn, torch.nn.functional

    class Added(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.head = nn.Linear(8, 16), nn.Linear(4, 16), nn.Linear(16, 3)

        def forward(self, x, y):
            return self.head(F.relu(self.a(x) + self.b(y)))

    class SideBySide(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.head = nn.Conv2d(3, 8, 3), nn.Conv2d(1, 4, 3), nn.Conv2d(12, 2, 1)

        def forward(self, image, depth):
            return self.head(torch.cat([self.a(image), self.b(depth)], dim=1))

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
            self.encoder[0].requires_grad_(False)
            self.head = nn.Linear(5, 1)

        def forward(self, left, right, bias=None):       # bias: fixed at its default, no input
            return self.head(self.encoder(left) + self.encoder(right))

    return {"added": (Added(), [(8,), (4,)]), "side_by_side": (SideBySide(), ["16x16x3", "16x16x1"]),
            "shared": (Shared(), "10,10")}


@pytest.mark.parametrize("name", ["added", "side_by_side", "shared"])
def test_modules_with_two_inputs_import_exactly_and_export_back(name):
    torch = need_module("torch")
    module, shapes = _modules()[name]
    text = symparams.from_torch(module, shapes)
    net = symparams.parse(text, convention="pytorch").evaluate()
    total = sum(p.numel() for p in module.parameters())
    trained = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert (int(net.params), int(net.trainable_params)) == (total, trained), text
    second = {"added": "y", "side_by_side": "depth", "shared": "right"}[name]
    assert f" as {second}\n" in text, text            # forward's own argument name
    if name == "shared":
        assert "reuse=" in text
    # exported back to PyTorch: the same count, and a forward taking two tensors of the given shapes
    ns = run_source(torch_export.export(net))
    rebuilt = ns["build"]()
    assert sum(p.numel() for p in rebuilt.parameters()) == total
    assert len(ns["INPUTS"]) == 2
    with torch.no_grad():
        ours, theirs = rebuilt(*ns["example_inputs"](2)), module(*[torch.zeros((2,) + tuple(s)) for _, s, _ in
                                                                   ns["INPUTS"]])
    assert ours.shape == theirs.shape


@pytest.mark.parametrize("name", ["bert_base", "t5_small", "whisper_tiny"])
def test_zoo_exports_with_several_inputs_import_back_with_the_same_costs(name):
    """Exported, built on the meta device, imported back from forward's arguments: the same parameters and
    MACs (T5's and Whisper's cross-attention reads the encoder's output as its context again)."""
    torch = need_module("torch")
    net = symparams.load(ZOO / f"{name}.arch", convention="pytorch").evaluate()
    ns = run_source(torch_export.export(net))
    with torch.device("meta"):
        model = ns["build"]()
    shapes = [tuple(int(d) for d in row.output_shape) for row in net.unrolled().leaves() if row.kind == "input"]
    text = symparams.from_torch(model, shapes)
    back = symparams.parse(text, convention="pytorch").evaluate()
    assert int(back.params) == int(net.params) == sum(p.numel() for p in model.parameters())
    assert int(back.metric("macs")) == int(net.metric("macs"))
    assert text.count("\ninput ") == len(shapes)


def test_the_command_line_takes_one_shape_per_input(tmp_path, monkeypatch):
    need_module("torch")
    from symparams import cli
    import contextlib
    import io
    (tmp_path / "two_inputs_module.py").write_text(
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.a, self.b = torch.nn.Linear(6, 4), torch.nn.Linear(3, 4)\n"
        "    def forward(self, x, other):\n"
        "        return self.a(x) + self.b(other)\n"
        "def build():\n"
        "    return M()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    def run(*args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["import", "two_inputs_module:build", *args])
        return code, out.getvalue(), err.getvalue()

    repeated, commas = run("--input-shape", "6", "--input-shape", "3"), run("--input-shape", "6,3")
    assert repeated[0] == commas[0] == 0 and repeated[1] == commas[1]
    assert "input 3 as other" in repeated[1]
    assert int(symparams.parse(repeated[1]).evaluate().params) == 6 * 4 + 4 + 3 * 4 + 4
    code, _, err = run("--input-shape", "6")
    assert code != 0 and "'x', 'other'" in err and "once per input" in err and "Traceback" not in err
    code, _, err = run("--input-shape", "6,3,2")
    assert code != 0 and "3 input shapes given" in err and "Traceback" not in err


def test_a_module_called_with_a_second_tensor_is_refused_by_name():
    torch = need_module("torch")

    class Started(torch.nn.Module):
        """A GRU given its first state as forward's second argument: the line would not say so."""
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(4, 6, batch_first=True)

        def forward(self, x, h):
            return self.gru(x, h)[0]

    # named either as a state forward computes or as a module called with two tensors
    with pytest.raises(SymparamsError, match="'gru' \\(GRU\\) (is called with 2 tensors|starts from a state)"):
        symparams.from_torch(Started(), ["5x4", "1x6"])


def test_a_cat_on_the_batch_axis_of_vectors_reads_as_rows_per_example():
    """torch.cat((a, b), 0): k examples of one batch, read as the k vectors side by side seen as k x D (the same
    counts and costs); a map catted on the batch axis is refused by name."""
    torch = need_module("torch")
    nn = torch.nn

    class Rows(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.head = nn.Linear(4, 6), nn.Linear(3, 6), nn.Linear(6, 2)

        def forward(self, x, y):
            return torch.log_softmax(self.head(torch.cat([self.a(x), self.b(y)], 0)), dim=1)

    class Maps(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x, y):
            return torch.cat([self.conv(x), self.conv(y)], 0)

    module = Rows()
    text = symparams.from_torch(module, [(4,), (3,)])
    net = symparams.parse(text, convention="pytorch").evaluate()
    assert int(net.params) == sum(p.numel() for p in module.parameters())
    assert tuple(net.output_shape) == (2, 2) and "reshape 2 x 6" in text
    with pytest.raises(SymparamsError, match="concatenates on axis 0"):
        symparams.from_torch(Maps(), ["8x8x3", "8x8x3"])


# the zoo's networks with two inputs at sizes a test builds for real (their repeats kept: T5's and Whisper's
# decoder layers read the encoder's output as their context, once per layer)
SMALL = {"bert_base": dict(seq=16, positions=16, vocab=50, width=32, layers=3, heads=4, mlp_width=64),
         "t5_small": dict(seq=12, target=9, vocab=50, width=32, layers=4, heads=4, key_dim=8, mlp_width=64, buckets=8),
         "whisper_tiny": dict(frames=10, tokens=7, mels=8, vocab=50, width=24, layers=3, heads=4, mlp_width=48)}


@pytest.mark.parametrize("name", sorted(NETWORKS) + sorted(SMALL))
def test_saved_activations_of_two_input_networks_are_what_autograd_keeps(name):
    """The memory model against PyTorch's own saved tensors (tests/test_memory.py's oracle, fed every input): a
    siamese tower's second call on an input nothing trained reaches is recorded (its weights are trained), a
    table read through tied= on the decoder's tokens keeps their ids, and a context read by every decoder layer
    of a repeat is kept once."""
    need_module("torch")
    from test_memory import measured_saved_bytes, ours
    if name in SMALL:
        net = symparams.load(ZOO / f"{name}.arch", convention="pytorch", values=SMALL[name])
    else:
        net = _net(NETWORKS[name])
    assert ours(net) == measured_saved_bytes(net)


@pytest.mark.parametrize("name", ["cross", "merged"])
def test_keras_models_with_two_inputs_import_back_with_the_same_costs(name):
    """Exported to Keras (one keras.Input per input line) and read back by from_keras: each other keras.Input is
    'input S as NAME' with its name, MultiHeadAttention(query, value) on another tensor is context=NAME."""
    need_module("keras")
    net = symparams.parse(NETWORKS[name], convention="keras").evaluate()
    model = run_source(keras_export.export(net))["build"]()
    text = symparams.from_keras(model)
    back = symparams.parse(text, convention="keras").evaluate()
    assert int(back.params) == int(net.params) == int(model.count_params())
    assert int(back.metric("macs")) == int(net.metric("macs"))
    assert f" as {ast.literal_eval(repr(model.inputs[1].name))}\n" in text


@pytest.mark.parametrize("alias", ["forward", "self", "x", "x1", "inputs", "inputs_2", "torch", "F", "INPUTS",
                                   "example_inputs", "match", "layers", "Model"])
def test_an_input_named_like_generated_code_still_exports(alias):
    """A second input's name becomes forward's argument (PyTorch) and the keras.Input's name: a word the files
    use themselves is renamed, never shadowing it."""
    need_module("torch")
    try:
        net = _net(f"input 4\ndense 3 name=first\nsave h\ninput 5 as {alias}\ndense 3\nadd with h\n")
    except SymparamsError:
        return          # not a name the language takes
    for framework in ("pytorch", "keras"):
        need_module("torch" if framework == "pytorch" else "keras")
        report = check(net, framework)
        assert report.ok, render(report)
