"""Differential property tests over every registered kind: random valid architectures (the harness
grows them from each kind's generator), exported and built in PyTorch and in Keras; every layer's
parameter count and output shape must equal symparams' under the framework's convention. A third
property derives under Keras rules (strided and pooling padding='same', explicit pooling padding as
zeros then a pool) and builds in PyTorch: shapes follow Keras, counts PyTorch. And export -> build ->
import gives back the same network.

CI runs 300 examples per framework with a fixed seed (150 Keras-rules-in-PyTorch, 100 round trips
each); SYMPARAMS_DIFF_EXAMPLES=10000 (and SYMPARAMS_ROUNDTRIP_EXAMPLES) run more.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from harness import EXAMPLES, ROUND_TRIPS, agree, architecture, exportable, load_kind_modules, round_trip
from symparams.layers import REGISTRY

load_kind_modules()

SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
ROUND_TRIP_SETTINGS = settings(SETTINGS, max_examples=ROUND_TRIPS)


def architectures(framework, target=None, importable=False):
    """Hypothesis draws the seed; the seed fixes the architecture (so examples stay diverse)."""
    return st.integers(0, 2**32 - 1).map(lambda seed: architecture(seed, framework, target, importable))


@SETTINGS
@given(st.data())
def test_pytorch_agrees_on_random_architectures(data):
    agree(data.draw(architectures("pytorch")), "pytorch")


@SETTINGS
@given(st.data())
def test_keras_agrees_on_random_architectures(data):
    agree(data.draw(architectures("keras")), "keras")


@settings(SETTINGS, max_examples=max(EXAMPLES // 2, 1))
@given(st.data())
def test_keras_rules_built_in_pytorch_agree_on_random_architectures(data):
    """Keras-convention networks (strided 'same', 'same' pooling, explicit pooling padding) built in
    PyTorch with explicit padding: Keras' shapes, PyTorch's parameter counts."""
    agree(data.draw(architectures("keras", "pytorch")), "pytorch", convention="keras")


@ROUND_TRIP_SETTINGS
@given(st.data())
def test_round_trip_pytorch(data):
    round_trip(data.draw(architectures("pytorch", importable=True)), "pytorch")


@ROUND_TRIP_SETTINGS
@given(st.data())
def test_round_trip_keras(data):
    round_trip(data.draw(architectures("keras", importable=True)), "keras")


def test_generator_covers_every_registered_kind():
    """The random architectures reach every kind both frameworks can build, and the options that matter
    (so the properties above test them all)."""
    seen_specs, words, texts, keras_lines = set(), set(), [], []
    for seed in range(400):
        fw = ("keras", "pytorch")[seed % 2]
        text = architecture(seed, fw)
        texts.append(text)
        if fw == "keras":
            keras_lines.extend(text.replace("{", ";").replace("}", ";").replace(";", "\n").splitlines())
        for line in text.splitlines():
            words.update(w.strip("{};") for w in line.replace(";", " ").split())
        net = symparams.parse(text, convention=fw)
        seen_specs.update(REGISTRY[r.config["keyword"]] for _, r in net.walk() if r.is_leaf and r.kind != "input")
    missing = [spec.keywords[0] for spec in exportable() if spec not in seen_specs]
    assert not missing, f"the random architectures never produced {missing}"
    for word in ("residual", "concat", "add", "mul", "shortcut", "repeat", "bidirectional=true", "return_sequences=true",
                 "bias=false", "padding=same", "causal=true"):
        assert word in words, f"the generator never produced {word}"
    assert any("dilation=" in t for t in texts) and any("groups=" in t for t in texts)
    assert any(t.splitlines()[0].count("x") == 3 for t in texts)      # volumes
    # the Keras-only cases that the PyTorch export writes as explicit padding, and Keras as ZeroPadding
    assert any(re.match(r"\s*(maxpool|avgpool) .*padding=\d", line) for line in keras_lines)
    assert any(re.match(r"\s*(maxpool|avgpool) .*padding=same", line) for line in keras_lines)
    assert any(re.match(r"\s*(conv|dwconv|sepconv) .*stride=\S*2.* padding=same", line) for line in keras_lines)
