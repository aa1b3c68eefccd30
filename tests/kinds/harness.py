"""The one harness every layer kind goes through.

Each tests/kinds/test_<family>.py registers, with @kind, how to write a random valid line of each of
its kinds (given the Builder, which knows the current shape). From those generators the harness
makes
  - random architectures over every registered kind (tests/kinds/test_differential.py: exported,
    built in PyTorch and Keras, every layer's count and shape equal to symparams'; and exported,
    built and imported back to the same network), and
  - per-kind architectures (tests/kinds/test_every_kind.py: the same checks, plus the LaTeX
    derivation compiles and the diagram renders, for each kind by name).
tests/kinds/test_registry.py fails when a registered kind has no generator here.

Adding a kind = its spec module + its test module with a @kind generator; nothing else.
"""

from __future__ import annotations

import importlib
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import symparams
from conftest import need_module
from symparams.layers import REGISTRY
from symparams.layers.base import LayerSpec, kinds

HERE = Path(__file__).resolve().parent
EXAMPLES = int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "300"))
ROUND_TRIPS = int(os.environ.get("SYMPARAMS_ROUNDTRIP_EXAMPLES", "100"))
PER_KIND = int(os.environ.get("SYMPARAMS_KIND_EXAMPLES", "3"))

ACTS = ("relu", "tanh", "sigmoid", "gelu", "elu", "selu", "softmax", "silu", "relu6", "softplus", "leaky_relu",
        "hard_sigmoid", "mish", "log_softmax", "softsign", "hard_swish", "swish", "linear", "exponential")
TOKENS = "tokens"          # a generator's rank for 'right after a token-id input'
COMPOSITES = ("residual", "concat", "add", "mul", "repeat")
# kinds the FLOP counter's oracle does not draw (the saved-memory oracle does: architecture(counted=False)):
NOT_COSTED = {  # a free tensor replaces the current one: the layers before it feed nothing, and autograd skips
              # their backward pass, which a cost per layer cannot know
              "parameter": "cuts the data path"}


@dataclass
class Generator:
    spec: LayerSpec
    make: Callable          # Builder -> a line, a tuple of candidate lines, a list of lines in order, or None
    ranks: tuple            # input ranks it writes lines for (1 vector, 2 sequence, 3 image, 4 volume, TOKENS)
    weight: int             # how often the random architectures pick it
    tail: Callable | None   # Builder -> a line that reduces the input to a vector (the end of a network), or None


GENERATORS: list[Generator] = []


def kind(keyword: str, ranks=(1, 2, 3, 4), weight: int = 1, tail: Callable | None = None):
    """Register a generator of random lines of the kind registered as `keyword`."""
    def register(make):
        GENERATORS.append(Generator(REGISTRY[keyword], make, tuple(ranks), weight, tail))
        return make
    return register


def load_kind_modules() -> None:
    """Import every tests/kinds/test_*.py (their @kind generators register on import)."""
    for path in sorted(HERE.glob("test_*.py")):
        importlib.import_module(path.stem)


def generators_of(spec) -> list[Generator]:
    return [g for g in GENERATORS if g.spec is spec]


# ----------------------------------------------------------------------------- building

class Builder:
    """Grows an architecture line by line, keeping only lines the engine accepts."""

    def __init__(self, rng, framework, target=None, importable=False, costed=False, counted=True):
        self.rng = rng
        self.importable = importable        # only kinds the importer reads back (for round trips)
        # for the training-cost oracles: no mixture of experts, whose export runs every expert on
        # every token (so check can compare each expert) while its costs count top_k experts per
        # token, as a real mixture runs (test_training_cost.py checks a mixture by hand)
        self.costed = costed
        self.counted = counted              # costed for the FLOP counter too (leaves NOT_COSTED out)
        self.fw = framework                 # the convention the lines must be valid under
        self.target = target or framework   # the framework that builds them
        self.lines: list[str] = []
        self.shape: tuple = ()
        self.embedding_dim = None
        self.tokens = False                 # the input holds token ids and nothing read them yet
        self.saved: dict[str, tuple] = {}   # named tensors (save NAME) and their shapes

    def write(self, line) -> bool:
        """Add a generator's answer: a line, candidate lines (the first accepted), or lines in order."""
        if line is None:
            return False
        if isinstance(line, list):
            return all(self.add(one) for one in line)
        return self.add(*(line if isinstance(line, tuple) else (line,)))

    def exportable(self, spec) -> bool:
        """Whether both the convention's and the target's framework can write this kind."""
        if self.importable and any(spec.unsupported_reason("import_torch" if fw == "pytorch" else "import_keras")
                                   for fw in {self.fw, self.target}):
            return False
        return not any(spec.unsupported_reason("emit_torch" if fw == "pytorch" else "emit_keras")
                       for fw in {self.fw, self.target})

    def parse(self, lines):
        try:
            return symparams.parse("\n".join(lines), convention=self.fw)
        except symparams.SymparamsError:
            return None

    def add(self, *candidates) -> bool:
        """Append the first candidate line the engine accepts (with these sizes)."""
        for line in candidates:
            if line is None:
                continue
            net = self.parse(self.lines + [line])
            if net is not None and all(int(d) >= 1 for d in net.output_shape):
                self.lines.append(line)
                self.shape = tuple(int(d) for d in net.output_shape)
                if len(self.lines) > 1:
                    self.tokens = False
                return True
        return False

    # -- small pieces ---------------------------------------------------------------
    def pick(self, values):
        return self.rng.choice(list(values))

    def integer(self, lo, hi):
        return self.rng.randint(lo, hi)

    def coin(self):
        return self.rng.random() < 0.5

    def window(self, n, lo, hi):
        values = [self.integer(lo, hi) for _ in range(n)]
        return "x".join(map(str, values)), values

    def act(self, p=0.4):
        if self.rng.random() < p:
            return " " + self.pick(ACTS)
        return ""

    @property
    def n(self):
        return len(self.shape) - 1

    @property
    def channels(self):
        return self.shape[-1]

    @property
    def rank(self):
        return TOKENS if self.tokens else len(self.shape)

    # -- inputs ---------------------------------------------------------------------------
    INPUTS = {"image": 3, "signal": 2, "volume": 4, "sequence": 2, "tokens": 2, "vector": 1}

    def start(self, ranks=None) -> str:
        """An input line (of a rank in `ranks` when given); a token input is followed by its embedding
        unless the wanted rank is TOKENS itself."""
        choices = ["image", "image", "image", "signal", "volume", "sequence", "sequence", "tokens", "vector"]
        if ranks is not None:
            choices = [c for c in choices if self.INPUTS[c] in ranks or (c == "tokens" and TOKENS in ranks)]
        kind_ = self.pick(choices)
        if kind_ == "image":
            self.add(f"input {self.integer(5, 10)}x{self.integer(5, 10)}x{self.integer(1, 4)}")
        elif kind_ == "signal":
            self.add(f"input {self.integer(5, 12)}x{self.integer(1, 4)}")
        elif kind_ == "volume":
            self.add(f"input {self.integer(3, 6)}x{self.integer(3, 6)}x{self.integer(3, 6)}x{self.integer(1, 3)}")
        elif kind_ == "sequence":
            self.add(f"input {self.integer(2, 6)}x{self.integer(1, 8)}")
        elif kind_ == "tokens":
            self.add(f"input {self.integer(2, 6)}")
            self.tokens = True
            if ranks is None or TOKENS not in ranks:
                self.layer()                # the token generator (an embedding)
        else:
            self.add(f"input {self.integer(1, 12)}")
        return kind_

    # -- layers ---------------------------------------------------------------------------
    def layer(self, depth=0) -> bool:
        """One random line: a registered kind's, or a composite of short random bodies."""
        rank = self.rank
        weighted = [g for g in GENERATORS for _ in range(g.weight) if rank in g.ranks and self.exportable(g.spec)
                    and not (self.costed and self.counted and g.spec.keyword in NOT_COSTED)]
        if rank != TOKENS and rank >= 2 and depth == 0:
            weighted += list(COMPOSITES)
            if rank == 2 and not self.importable and not self.costed:
                weighted.append("moe")      # exported on sequences; the importers do not read it back
        if not weighted:
            return False
        choice = self.pick(weighted)
        if isinstance(choice, str):
            return self.composite(choice, depth)
        line = choice.make(self)
        if line is None:
            return False
        if choice.spec.reads_tokens:
            self.embedding_dim = None
        ok = self.write(line)
        if ok and choice.spec.reads_tokens:
            self.embedding_dim = self.shape[-1]
        return ok

    def composite(self, kind_, depth):
        """residual / concat / add / repeat with short random bodies (grown with the same engine check)."""
        saved_lines, saved_shape = list(self.lines), self.shape
        bodies = []
        count = {"residual": self.integer(1, 2), "repeat": 1, "moe": 1}.get(kind_, 2)
        for _ in range(count):
            self.lines, self.shape = list(saved_lines), saved_shape
            for _ in range(self.integer(1 if kind_ in ("repeat", "moe") else 0, 2)):
                self.layer(depth + 1)
            bodies.append(self.lines[len(saved_lines):])
        self.lines, self.shape = saved_lines, saved_shape
        text = ["{ " + "; ".join(b) + " }" for b in bodies]
        if kind_ == "residual":
            line = "residual " + text[0] + (" shortcut " + text[1] if len(text) > 1 else "")
        elif kind_ == "repeat":
            line = f"repeat {self.integer(1, 3)} " + text[0]
        elif kind_ == "moe":
            experts = self.integer(1, 4)
            head = (f"moe experts={experts} top_k={self.integer(1, experts)}"
                    + (f" shared={self.integer(1, 2)}" if self.coin() else "") + (" router_bias" if self.coin() else ""))
            line, same = head + " " + text[0], head + " { dense %d }" % self.channels
            return self.add(line, same)
        else:
            line = kind_ + " " + " ".join(text)
        same = "residual { conv %d 1 } shortcut { conv %d 1 }" % (self.channels, self.channels)
        if self.n == 1 and self.fw == "pytorch" and kind_ == "concat":
            same = "concat { } { dense 2 }"
        return self.add(line, same if self.coin() else None)

    def tail(self) -> bool:
        """End on a vector: a random kind that reduces this rank (global pool, flatten, a last state...)."""
        tails = [g for g in GENERATORS if g.tail is not None and self.rank in g.ranks and self.exportable(g.spec)]
        if not tails:
            return False
        return self.write(self.pick(tails).tail(self))


def architecture(seed: int, framework: str, target: str | None = None, importable: bool = False,
                 costed: bool = False, counted: bool = True) -> str:
    """One random architecture the engine accepts under `framework`'s convention (to be built in
    `target`, by default the same framework; `importable`: only kinds the importer reads back;
    `costed`: only what the exported model runs as the cost model counts it; `counted`: with `costed`, only
    what the FLOP counter's oracle checks, NOT_COSTED left out)."""
    b = Builder(random.Random(seed), framework, target, importable, costed, counted)
    b.start()
    for _ in range(b.integer(1, 6)):
        b.layer()
    if len(b.shape) >= 2 and b.coin() and b.tail():
        b.add(f"dense {b.integer(1, 5)}{b.act()}")
    return "\n".join(b.lines)


def kind_architecture(spec, seed: int, framework: str, target: str | None = None, importable: bool = False,
                      after_trained: bool = False) -> str:
    """A small random architecture that holds `spec`'s kind (its last line), valid under `framework`.
    after_trained: a trained layer (a dense keeping the shape) right before it, so that the kind's
    backward pass computes its input gradient (the training cost's "something before is trained"
    branch); a kind reading token ids has its embedding before it either way."""
    gens = generators_of(spec)
    assert gens, f"no generator for {spec.keywords[0]} in tests/kinds/ (add one with @kind)"
    ranks = {r for g in gens for r in g.ranks}
    for attempt in range(400):
        b = Builder(random.Random(seed * 1009 + attempt), framework, target, importable)
        b.start(ranks)
        for _ in range(b.integer(0, 2) if attempt % 2 else 0):
            if b.rank not in ranks or b.coin():
                b.layer(depth=1)
        if after_trained and b.rank != TOKENS and not b.add(f"dense {b.channels}"):
            continue
        for g in gens:
            if b.rank in g.ranks:
                if b.write(g.make(b)):
                    return "\n".join(b.lines)
    raise AssertionError(f"the harness could not place a {spec.keywords[0]} line in 400 tries")


# ----------------------------------------------------------------------------- the checks

def agree(text: str, framework: str, convention: str | None = None):
    """Export, build with the real framework, and require every layer's count and shape to be ours."""
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks.check import check, render
    net = symparams.parse(text, convention=convention or framework)
    report = check(net, framework)
    assert report.ok, f"{framework} disagrees on\n{text}\n\n{render(report)}"
    return report


def rows(net):
    return [(r.name, int(r.params), tuple(int(d) for d in r.output_shape)) for r in net.evaluate().unrolled().leaves()]


def round_trip(text: str, framework: str) -> str:
    """export -> build -> import gives back the same network (per-layer names, counts and shapes)."""
    need_module("torch" if framework == "pytorch" else "keras")
    from symparams.frameworks import keras_export, torch_export
    from symparams.frameworks.check import run_source
    net = symparams.parse(text, convention=framework)
    if framework == "pytorch":
        model = run_source(torch_export.export(net))["build"]()
        back = symparams.from_torch(model, tuple(int(d) for d in net.evaluate().input_shape))
    else:
        model = run_source(keras_export.export(net))["build"]()
        back = symparams.from_keras(model)
    again = symparams.parse(back, convention=framework)
    assert rows(again) == rows(net), f"round trip changed the network:\n{text}\n--- came back as ---\n{back}"
    assert int(again.evaluate().params) == int(net.evaluate().params)
    return back


# ----------------------------------------------------------------------------- one-layer oracles

def last(text: str, convention: str):
    """(params, output shape, network) of the last layer of `text`."""
    net = symparams.parse(text, convention=convention)
    row = net.layers[-1]
    return int(row.params), tuple(int(d) for d in row.output_shape), net


def torch_count(module):
    return sum(p.numel() for p in module.parameters())


def torch_out(module, shape_cl):
    """Run a channels-last shape through a channels-first torch module; channels-last output shape."""
    torch = need_module("torch")
    x = torch.zeros((1, shape_cl[-1]) + tuple(shape_cl[:-1]))
    with torch.no_grad():
        y = module(x)
    dims = tuple(y.shape[1:])
    return dims[1:] + dims[:1]


def exported_module(text: str, class_name: str):
    """(network, its PyTorch export built, the export's one module of that class)."""
    from symparams.frameworks.check import run_source
    from symparams.frameworks.torch_export import export
    net = symparams.parse(text, convention="pytorch")
    model = run_source(export(net))["build"]()
    [module] = [m for m in model.modules() if type(m).__name__ == class_name]
    return net, model, module


def assert_export_is_the_reference(line: str, reference, size, c: int, class_name: str, modes=(False,)):
    """The export of `line` on a size[0] x size[1] x c map against a framework module (timm's): the same parameter
    count; loaded with the reference's state dict (the same names), the same output in each training mode of `modes`;
    and both modules imported back as the same line."""
    torch = need_module("torch")
    net, model, module = exported_module(f"input {size[0]}x{size[1]}x{c}\n{line}", class_name)
    assert int(net.params) == torch_count(reference) == sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_()
        module.load_state_dict(reference.state_dict())
        x = torch.randn(2, c, *size)
        for mode in modes:
            assert torch.allclose(module.train(mode)(x), reference.train(mode)(x), atol=1e-4), mode
    for source in (model, reference):
        back = symparams.from_torch(source, (size[0], size[1], c))
        assert line + " name=" in back and int(symparams.parse(back, convention="pytorch").params) == int(net.params)


def assert_costs_are_what_torch_measures(net, model, shape_cl, batches=(1, 2)):
    """The engine's forward FLOPs, training FLOPs and saved-activation bytes of `net` equal what torch measures on
    its export `model` (training mode, no loss): FlopCounterMode forward and backward, and the tensors autograd
    keeps (saved_tensors_hooks; weights and buffers left out, each storage once). `shape_cl`: the input, channels
    last, without the batch."""
    torch = need_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    from symparams import cost
    model.train()
    shape = (shape_cl[-1], *shape_cl[:-1]) if len(shape_cl) >= 3 else tuple(shape_cl)
    weights = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    for batch in batches:
        seen: dict = {}

        def pack(tensor):
            if tensor.untyped_storage().data_ptr() not in weights:
                seen[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
            return tensor

        with FlopCounterMode(display=False) as forward, torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = model(torch.randn(batch, *shape))
        with FlopCounterMode(display=False) as backward:
            y.sum().backward()
        ours = cost.totals(net, ("flops", "train_flops", "act_train_bytes"),
                           cost.Options(batch=batch, device="cpu", loss="none"))
        assert int(ours["flops"]) == forward.get_total_flops(), batch
        assert int(ours["train_flops"]) == forward.get_total_flops() + backward.get_total_flops(), batch
        assert int(ours["act_train_bytes"]) == sum(seen.values()), (batch, sorted(seen.values()))


def keras_layer(layer, shape):
    """(count_params, output shape) of a Keras layer built on `shape`."""
    keras = need_module("keras")
    x = keras.Input(tuple(shape))
    y = layer(x)
    return layer.count_params(), tuple(int(d) for d in y.shape[1:])


def size_text(shape):
    return "x".join(map(str, shape))


def registered() -> list:
    """Every registered kind but the input (which every architecture starts with)."""
    return [spec for spec in kinds() if not spec.is_input]


def exportable() -> list:
    """The registered kinds both exporters write (the others say why on their spec)."""
    return [spec for spec in registered()
            if not spec.unsupported_reason("emit_torch") and not spec.unsupported_reason("emit_keras")]
