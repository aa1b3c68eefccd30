"""Differential property test: random valid architectures, exported and built in PyTorch and in
Keras; every layer's parameter count and output shape must equal symparams' under the
framework's convention. A third property derives under Keras rules (strided and pooling
padding='same', explicit pooling padding as zeros then a pool) and builds in PyTorch: shapes
follow Keras, counts PyTorch.

CI runs 300 examples per framework with a fixed seed; SYMPARAMS_DIFF_EXAMPLES=10000 runs more.
"""

from __future__ import annotations

import os
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import need_module

EXAMPLES = int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

ACTS = ("relu", "tanh", "sigmoid", "gelu", "elu", "selu", "softmax", "silu", "relu6", "softplus", "leaky_relu",
        "hard_sigmoid", "mish", "log_softmax", "softsign", "hard_swish", "swish", "linear", "exponential")


class Builder:
    """Grows an architecture line by line, keeping only lines the engine accepts."""

    def __init__(self, rng, framework, target=None):
        self.rng = rng
        self.fw = framework                 # the convention the lines must be valid under
        self.target = target or framework   # the framework that builds them
        self.lines: list[str] = []
        self.shape: tuple = ()
        self.embedding_dim = None

    def parse(self, lines):
        try:
            net = symparams.parse("\n".join(lines), convention=self.fw)
        except symparams.SymparamsError:
            return None
        return net

    def add(self, *candidates) -> bool:
        """Append the first candidate line the engine accepts (with these sizes)."""
        for line in candidates:
            if line is None:
                continue
            net = self.parse(self.lines + [line])
            if net is not None and all(int(d) >= 1 for d in net.output_shape):
                self.lines.append(line)
                self.shape = tuple(int(d) for d in net.output_shape)
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

    # -- spatial layers ------------------------------------------------------------------
    def padding_text(self, stride_one, pool=False):
        kinds = ["valid", "explicit"]
        if stride_one or self.fw == "keras":
            kinds.append("same")
        if pool and self.fw == "keras":
            kinds = ["valid", "same"]
        kind = self.pick(kinds)
        if kind == "explicit":
            return " padding=" + self.window(self.n, 0, 2)[0]
        return "" if kind == "valid" and self.coin() else f" padding={kind}"

    def conv_options(self, allow_groups=True):
        stride_text, stride = self.window(self.n, 1, 2)
        dilated = self.coin() and max(stride) == 1
        text = ""
        if max(stride) > 1 or self.coin():
            text += f" stride={stride_text}"
        if dilated:
            text += " dilation=" + self.window(self.n, 1, 2)[0]
        text += self.padding_text(max(stride) == 1)
        if not self.coin():
            text += " bias=false"
        return text

    def spatial_layer(self, depth=0):
        n, c = self.n, self.channels
        kind = self.pick(["conv", "conv", "conv", "dwconv", "sepconv", "deconv", "pool", "batchnorm", "groupnorm",
                          "layernorm", "zeropad", "upsample", "dropout", "activation", "residual", "concat", "add",
                          "subsample", "channelpad", "dense", "repeat"])
        if kind == "conv":
            groups = self.pick([g for g in (1, 2, 3) if c % g == 0])
            filters = groups * self.integer(1, 3)
            opts = self.conv_options() + (f" groups={groups}" if groups > 1 else "")
            return self.add(f"conv {filters} {self.window(n, 1, 3)[0]}{opts}{self.act()}")
        if kind == "dwconv":
            if self.fw == "keras" and n == 3:
                return False
            mult = self.integer(1, 2)
            return self.add(f"dwconv {self.window(n, 1, 3)[0]}{self.conv_options()} multiplier={mult}{self.act()}")
        if kind == "sepconv":
            if n == 3:
                return False
            mult = self.integer(1, 2)
            return self.add(f"sepconv {self.integer(1, 4)} {self.window(n, 1, 3)[0]}{self.conv_options()} "
                            f"multiplier={mult}{self.act()}")
        if kind == "deconv":
            stride_text, stride = self.window(n, 1, 2)
            dilation = [1] * n if max(stride) > 1 else self.window(n, 1, 2)[1]
            text = f"deconv {self.integer(1, 4)} {self.window(n, 1, 3)[0]} stride={stride_text}"
            if max(dilation) > 1:
                text += " dilation=" + "x".join(map(str, dilation))
            pad = self.pick(["valid", "same", "explicit"] if self.fw == "keras" else ["valid", "explicit"])
            if pad == "explicit" and self.fw == "keras":
                pad = "valid"
            if pad == "same" and self.target != self.fw and min(stride) == 1:
                pad = "valid"       # Keras' stride-1 'same' of an even kernel has no PyTorch sizes

            if pad == "explicit":
                text += " padding=" + self.window(n, 0, 1)[0]
            elif pad == "same":
                text += " padding=same"
            if max(stride) > 1 and self.coin():
                text += " output_padding=" + "x".join(str(self.integer(0, s - 1)) for s in stride)
            if not self.coin():
                text += " bias=false"
            return self.add(text + self.act())
        if kind == "pool":
            word = self.pick(["maxpool", "avgpool"])
            pool_text, pool = self.window(n, 1, 3)
            text = f"{word} {pool_text}"
            if self.coin():
                text += " stride=" + self.window(n, 1, 2)[0]
            if self.fw == "keras":       # explicit: zeros then a pool, any size (keras.applications style)
                text += self.pick(["", " padding=same", " padding=valid",
                                   " padding=" + "x".join(str(self.integer(0, p)) for p in pool)])
            elif self.coin():
                text += " padding=" + "x".join(str(self.integer(0, p // 2)) for p in pool)
            return self.add(text)
        if kind == "batchnorm":
            return self.add("batchnorm")
        if kind == "groupnorm":
            return self.add(f"groupnorm {self.pick([g for g in (1, 2, 3, 4) if c % g == 0])}")
        if kind == "layernorm":
            return self.add("layernorm")
        if kind == "zeropad":
            return self.add(f"zeropad {self.window(n, 0, 2)[0]}")
        if kind == "upsample":
            return self.add(f"upsample {self.window(n, 1, 2)[0]}")
        if kind == "dropout":
            return self.add("dropout 0.25")
        if kind == "activation":
            return self.add(self.pick(ACTS))
        if kind == "subsample":
            return self.add(f"subsample {self.window(n, 1, 2)[0]}")
        if kind == "channelpad":
            return self.add(f"channelpad {c + self.integer(0, 3)}")
        if kind == "dense":
            return self.add(f"dense {self.integer(1, 4)}{self.act()}" + ("" if self.coin() else " bias=false"))
        if depth > 0:
            return False
        return self.composite(kind, depth)

    def composite(self, kind, depth):
        """residual / concat / add with short random bodies (grown with the same engine check)."""
        saved_lines, saved_shape = list(self.lines), self.shape
        bodies = []
        count = {"residual": self.integer(1, 2), "repeat": 1}.get(kind, 2)
        for _ in range(count):
            self.lines, self.shape = list(saved_lines), saved_shape
            for _ in range(self.integer(1 if kind == "repeat" else 0, 2)):
                self.layer(depth + 1)
            bodies.append(self.lines[len(saved_lines):])
        self.lines, self.shape = saved_lines, saved_shape
        text = ["{ " + "; ".join(b) + " }" for b in bodies]
        if kind == "residual":
            line = "residual " + text[0] + (" shortcut " + text[1] if len(text) > 1 else "")
        elif kind == "repeat":
            line = f"repeat {self.integer(1, 3)} " + text[0]
        else:
            line = kind + " " + " ".join(text)
        same = "residual { conv %d 1 } shortcut { conv %d 1 }" % (self.channels, self.channels)
        if self.n == 1 and self.fw == "pytorch" and kind == "concat":
            same = "concat { } { dense 2 }"
        return self.add(line, same if self.coin() else None)

    # -- sequence layers ------------------------------------------------------------------
    def sequence_layer(self, depth=0):
        t, d = self.shape
        kind = self.pick(["rnn", "rnn", "attention", "attention", "dense", "layernorm", "batchnorm", "posembed",
                          "clstoken", "conv", "pool", "dropout", "residual", "concat", "add", "activation",
                          "upsample", "zeropad", "repeat"])
        if kind == "rnn":
            cell = self.pick(["rnn", "lstm", "gru"])
            text = f"{cell} {self.integer(1, 5)} return_sequences=true"
            if self.coin():
                text += " bidirectional=true"
            if not self.coin():
                text += " bias=false"
            if cell == "rnn" and self.coin():
                text += " " + self.pick(["tanh", "relu"])
            return self.add(text)
        if kind == "attention":
            heads = self.pick([h for h in (1, 2, 3, 4) if d % h == 0])
            text = f"attention heads={heads}"
            if self.fw == "keras" and self.target == "keras" and self.coin():
                text += f" key_dim={self.integer(1, 4)}"
            if not self.coin():
                text += " bias=false"
            if self.coin():
                text += " causal=true"
            return self.add(text)
        if kind == "dense":
            return self.add(f"dense {self.integer(1, 8)}{self.act()}" + ("" if self.coin() else " bias=false"))
        if kind in ("layernorm", "batchnorm"):
            return self.add(kind)
        if kind == "posembed":
            return self.add("posembed" + (f" length={t + self.integer(0, 3)}" if self.coin() else ""))
        if kind == "clstoken":
            return self.add("clstoken")
        if kind == "conv":
            return self.add(f"conv {self.integer(1, 6)} {self.integer(1, 3)}{self.conv_options()}{self.act()}")
        if kind == "pool":
            return self.add(f"{self.pick(['maxpool', 'avgpool'])} {self.integer(1, 2)}")
        if kind == "dropout":
            return self.add("dropout 0.1")
        if kind == "activation":
            return self.add(self.pick(ACTS))
        if kind == "upsample":
            return self.add("upsample 2")
        if kind == "zeropad":
            return self.add(f"zeropad {self.integer(0, 2)}")
        if depth > 0:
            return False
        return self.composite(kind, depth)

    def layer(self, depth=0):
        if len(self.shape) == 2:
            return self.sequence_layer(depth)
        if len(self.shape) >= 3:
            return self.spatial_layer(depth)
        return self.add(self.pick([f"dense {self.integer(1, 6)}{self.act()}", "batchnorm", "layernorm",
                                   "dropout 0.5", self.pick(ACTS)]))


def architecture(seed: int, framework: str, target: str | None = None) -> str:
    """One random architecture the engine accepts under `framework`'s convention (to be built in
    `target`, by default the same framework)."""
    b = Builder(random.Random(seed), framework, target)
    kind = b.pick((["image", "image", "image", "signal", "volume", "sequence", "sequence", "tokens",
                                 "vector"]))
    if kind == "image":
        b.add(f"input {b.integer(5, 10)}x{b.integer(5, 10)}x{b.integer(1, 4)}")
    elif kind == "signal":
        b.add(f"input {b.integer(5, 12)}x{b.integer(1, 4)}")
    elif kind == "volume":
        b.add(f"input {b.integer(3, 6)}x{b.integer(3, 6)}x{b.integer(3, 6)}x"
              f"{b.integer(1, 3)}")
    elif kind == "sequence":
        b.add(f"input {b.integer(2, 6)}x{b.integer(1, 8)}")
    elif kind == "tokens":
        b.add(f"input {b.integer(2, 6)}")
        b.add(f"embedding {b.integer(2, 20)} {b.integer(1, 8)}")
        b.embedding_dim = b.shape[-1]
    else:
        b.add(f"input {b.integer(1, 12)}")
        if b.coin():
            b.add("dense 12", None)
            b.add(b.pick((["reshape 2x6", "reshape 2x2x3", "reshape 3x2x2", "reshape -1x3"])))
    for _ in range(b.integer(1, 6)):
        b.layer()
    if len(b.shape) >= 2 and b.coin():
        if kind == "tokens" and b.shape[-1] == b.embedding_dim and b.coin():
            b.add("unembed")
        else:
            tails = ["globalavgpool", "globalmaxpool", "flatten"]
            if len(b.shape) == 2:
                tails += ["clspool", f"{b.pick((['rnn', 'lstm', 'gru']))} 3",
                          "gru 2 bidirectional=true"]
            b.add(b.pick((tails)))
            b.add(f"dense {b.integer(1, 5)}{b.act()}")
    return "\n".join(b.lines)



def architectures(framework, target=None):
    """Hypothesis draws the seed; the seed fixes the architecture (so examples stay diverse)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: architecture(seed, framework, target))


def _agree(text, framework, convention=None):
    from symparams.frameworks.check import check, render
    net = symparams.parse(text, convention=convention or framework)
    report = check(net, framework)
    assert report.ok, f"{framework} disagrees on\n{text}\n\n{render(report)}"
    return report


@SETTINGS
@given(st.data())
def test_pytorch_agrees_on_random_architectures(data):
    need_module("torch")
    _agree(data.draw(architectures("pytorch")), "pytorch")


@SETTINGS
@given(st.data())
def test_keras_agrees_on_random_architectures(data):
    need_module("keras")
    _agree(data.draw(architectures("keras")), "keras")


@settings(SETTINGS, max_examples=max(EXAMPLES // 2, 1))
@given(st.data())
def test_keras_rules_built_in_pytorch_agree_on_random_architectures(data):
    """Keras-convention networks (strided 'same', 'same' pooling, explicit pooling padding) built in
    PyTorch with explicit padding: Keras' shapes, PyTorch's parameter counts."""
    need_module("torch")
    _agree(data.draw(architectures("keras", "pytorch")), "pytorch", convention="keras")


def test_generator_covers_the_core_kinds():
    """The generator reaches every core layer kind (so the property above tests them all)."""
    seen = set()
    texts = []
    keras_lines = []

    @settings(max_examples=400, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def collect(data):
        fw = data.draw(st.sampled_from(["keras", "pytorch"]))
        text = data.draw(architectures(fw))
        texts.append(text)
        if fw == "keras":
            keras_lines.extend(text.replace("{", ";").replace("}", ";").replace(";", "\n").splitlines())
        for line in text.splitlines():
            seen.update(w.strip("{};") for w in line.replace(";", " ").split())

    collect()
    for word in ("conv", "dwconv", "sepconv", "deconv", "maxpool", "avgpool", "batchnorm", "layernorm", "groupnorm",
                 "rnn", "lstm", "gru", "bidirectional=true", "attention", "embedding", "residual", "concat", "add",
                 "dense", "posembed", "clstoken", "unembed", "flatten", "globalavgpool", "reshape", "zeropad",
                 "upsample", "subsample", "channelpad", "shortcut", "return_sequences=true", "bias=false", "repeat",
                 "padding=same"):
        assert word in seen, f"the generator never produced {word}"
    assert any("dilation=" in t for t in texts) and any("groups=" in t for t in texts)
    assert any("input" in t and t.splitlines()[0].count("x") == 3 for t in texts)      # volumes
    # the Keras-only cases that the PyTorch export writes as explicit padding, and Keras as ZeroPadding
    assert any(re.match(r"\s*(maxpool|avgpool) .*padding=\d", line) for line in keras_lines)
    assert any(re.match(r"\s*(maxpool|avgpool) .*padding=same", line) for line in keras_lines)
    assert any(re.match(r"\s*(conv|dwconv|sepconv) .*stride=\S*2.* padding=same", line) for line in keras_lines)


def test_keras_convention_refuses_explicit_transposed_padding():
    """Regression: under Keras rules an explicit deconv padding was silently ignored (17 x 17 for
    8 x 8, kernel 3, stride 2, padding 1). Keras has no such padding; PyTorch gives (8-1)*2 - 2 + 3 = 15."""
    text = "input 8x8x3\ndeconv 4 3 stride=2 padding=1"
    with pytest.raises(symparams.DefinitionError, match="Keras transposed convolutions"):
        symparams.parse(text, convention="keras")
    assert tuple(int(d) for d in symparams.parse(text, convention="pytorch").output_shape) == (15, 15, 4)


def test_pytorch_avgpool3d_needs_the_input_at_least_the_pool():
    """Regression (differential seed 2009): torch.nn.AvgPool3d((3, 1, 3), padding=(1, 0, 1)) rejects a
    1 x 7 x 3 input although the padded size fits; MaxPool3d and 2-D pools accept theirs."""
    torch = need_module("torch")
    pool = torch.nn.AvgPool3d((3, 1, 3), stride=(2, 2, 1), padding=(1, 0, 1))
    with pytest.raises(RuntimeError):
        pool(torch.zeros(1, 3, 1, 7, 3))
    text = "input 1x7x3x3\navgpool 3x1x3 stride=2x2x1 padding=1x0x1"
    with pytest.raises(symparams.ShapeError, match="AvgPool3d"):
        symparams.parse(text, convention="pytorch")
    ok = symparams.parse(text.replace("avgpool", "maxpool"), convention="pytorch")
    assert tuple(int(d) for d in ok.output_shape) == (1, 4, 3, 3)
