"""Properties of the symbolic fold over random architectures:

* substituting values first (parse(text, values=...)) and substituting them into the symbolic
  result last (net.params.subs(...)) give the same numbers, for parameter counts and shapes;
* the reported lower bound "n >= m" is exactly the smallest n for which numeric derivation succeeds.
"""

from __future__ import annotations

import re

import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symparams
from symparams.errors import SymparamsError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.filter_too_much])

# a size may be a number or a small expression in the symbols n (image side), f (width)
channel_expr = st.sampled_from(["8", "f", "2*f", "f + 3", "16"])
kernel = st.sampled_from(["1", "2", "3", "5", "3x1", "1x3", "(2, 3)"])


@st.composite
def conv_layer(draw):
    stride = draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same", "1", "0"]))
    dilation = draw(st.integers(1, 2)) if stride == 1 else 1
    bias = draw(st.sampled_from(["", " bias=false"]))
    return f"conv {draw(channel_expr)} {draw(kernel)} stride={stride} padding={padding} dilation={dilation}{bias}"


@st.composite
def pool_layer(draw):
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    stride = draw(st.sampled_from(["", " stride=1", " stride=2", " stride=3"]))
    return f"{kind} {draw(st.integers(1, 3))}{stride} padding={draw(st.sampled_from(['valid', 'same']))}"


@st.composite
def composite_layer(draw):
    """residual / concat / repeat (numeric or symbolic count d, with or without an index) around small bodies."""
    inner = st.sampled_from(["conv f 3 padding=same", "conv 8 1", "batchnorm", "relu", "maxpool 2 padding=same",
                             "conv f 3 stride=2 padding=same", "dwconv 3 padding=same", "conv 4 3", "upsample 2"])
    kind = draw(st.sampled_from(["residual", "projection", "concat", "repeat", "indexed"]))
    body = "; ".join(draw(st.lists(inner, min_size=1, max_size=2)))
    if kind == "residual":
        return "residual { conv 8 3 padding=same; relu }"
    if kind == "projection":
        return f"residual {{ {body} }} shortcut {{ {body} }}"
    if kind == "concat":
        return f"concat {{ }} {{ {body} }}"
    count = draw(st.sampled_from(["2", "d", "d + 1"]))
    if kind == "indexed":
        return f"repeat {count} as i {{ conv 4*(i + 1) 3 padding=same; {body} }}"
    return f"repeat {count} {{ {body} }}"


@st.composite
def architecture(draw):
    body = draw(st.lists(st.one_of(conv_layer(), pool_layer(), st.just("batchnorm"), st.just("relu"),
                                   st.builds(lambda c: f"dwconv 3 padding=same multiplier={c}",
                                             st.sampled_from(["1", "2"])), composite_layer()),
                         min_size=1, max_size=6))
    tail = draw(st.sampled_from([[], ["flatten", "dense u"], ["globalavgpool", "dense 10"], ["flatten", "dense 2*u"]]))
    lines = ["input n x n x c"] + body + tail
    return "\n".join(lines)


# the same architectures with a default for every symbol (the surfaces' and the numbers path's property tests)
SYMBOLIC_DEFAULTS = "let n = 32\nlet c = 3\nlet f = 8\nlet u = 10\nlet d = 3\n"


@st.composite
def symbolic_architecture(draw):
    return SYMBOLIC_DEFAULTS + draw(architecture())


values_st = st.fixed_dictionaries({"n": st.integers(1, 80), "c": st.integers(1, 5), "f": st.integers(1, 9),
                                   "u": st.integers(1, 20), "d": st.integers(1, 3)})


def sym(name):
    return sympy.Symbol(name, integer=True, positive=True)


@SETTINGS
@given(architecture(), values_st, st.sampled_from(["keras", "pytorch"]))
def test_substitute_first_or_last(text, values, convention):
    try:
        symbolic = symparams.parse(text, convention=convention)
    except SymparamsError:
        assume(False)
    used = {k: v for k, v in values.items() if sym(k) in symbolic.symbols}
    try:
        numeric = symparams.parse(text, convention=convention, values=used)
    except SymparamsError:
        # a numeric check failed: then a reported lower bound or a shape must rule these values out
        bound_broken = any(
            int(m.group(2)) > used.get(m.group(1), 10**9)
            for m in (re.fullmatch(r"(\w+) >= (\d+)", c) for c in symbolic.constraints) if m)
        shapes_bad = any(
            (v := d.subs({sym(k): x for k, x in used.items()})).is_number and v < 1
            for _, r in symbolic.walk() for d in r.output_shape)
        assert bound_broken or shapes_bad or any(not re.fullmatch(r"\w+ >= \d+", c) for c in symbolic.constraints)
        return
    subs = {sym(k): v for k, v in used.items()}
    for total in ("params", "trainable_params", "non_trainable_params", "buffers"):
        assert getattr(symbolic, total).subs(subs).doit() == getattr(numeric, total), text
    assert len(symbolic.layers) == len(numeric.layers)
    for a, b in zip(symbolic.layers, numeric.layers):
        assert tuple(d.subs(subs).doit() for d in a.output_shape) == tuple(b.output_shape), (a.name, text)
        assert a.params.subs(subs).doit() == b.params
    assert int(symbolic.subs(**used).params) == int(numeric.params)


@st.composite
def shrinking_stack(draw):
    """Only the image side n is symbolic, so the constraint is a lower bound on n."""
    layers = draw(st.lists(st.one_of(
        st.builds(lambda k, s, p: f"conv 4 {k} stride={s} padding={p}", st.integers(1, 5), st.integers(1, 3),
                  st.sampled_from(["valid", "same", "1"])),
        st.builds(lambda k, s: f"maxpool {k} stride={s}", st.integers(1, 3), st.integers(1, 3)),
        st.builds(lambda k, s: f"avgpool {k} stride={s} padding=same", st.integers(1, 3), st.integers(1, 3))),
        min_size=1, max_size=6))
    return "\n".join(["input n x n x 3"] + layers)


def succeeds(text, n):
    try:
        symparams.parse(text, convention="keras", values={"n": n})
        return True
    except SymparamsError:
        return False


@SETTINGS
@given(shrinking_stack())
def test_reported_minimum_is_exact(text):
    net = symparams.parse(text)
    bounds = [int(m.group(1)) for m in (re.fullmatch(r"n >= (\d+)", c) for c in net.constraints) if m]
    others = [c for c in net.constraints if not re.fullmatch(r"n >= (\d+)", c)]
    assert not others, (text, net.constraints)
    minimum = max(bounds) if bounds else 1
    assert minimum < 10_000
    assert succeeds(text, minimum), (text, minimum)
    if minimum > 1:
        assert not succeeds(text, minimum - 1), (text, minimum)
    # and it keeps working above the bound (sizes grow with n)
    for n in (minimum + 1, minimum + 7, 2 * minimum + 3):
        assert succeeds(text, n), (text, n)


@st.composite
def symbol_anywhere(draw):
    """One symbol n that may sit where a larger n shrinks the output (kernel, stride, 20 - n)."""
    def layer():
        return st.sampled_from(["conv 4 3", "conv 4 n", "conv 4 3 stride=n", "maxpool 2", "maxpool n",
                                "conv 4 (n, 1)", "conv 4 3 padding=same stride=2", "avgpool 2 stride=n"])
    first = draw(st.sampled_from(["input 30 x 30 x 1", "input n x n x 1", "input (40 - n) x 30 x 1",
                                  "input (n + 5) x (60 - 2*n) x 1"]))
    return "\n".join([first] + draw(st.lists(layer(), min_size=1, max_size=4)))


def reported_hold(net, n):
    """Whether every reported condition (a SymPy relation) holds at n."""
    for relation, _text in net.conditions:
        if relation is not None and not bool(relation.subs(sym("n"), n)):
            return False
    return True


@SETTINGS
@given(symbol_anywhere())
def test_constraints_are_exact_wherever_the_symbol_sits(text):
    """Numeric derivation succeeds at n exactly when every reported condition holds at n:
    no condition is dropped (e.g. 31 - n >= 1 for 'conv 4 n' on 30x30) and none is too strict."""
    try:
        net = symparams.parse(text, convention="keras")
    except SymparamsError:       # invalid for every n (e.g. maxpool n after maxpool 2 on n x n)
        assert not any(succeeds(text, n) for n in range(1, 45))
        return
    if sym("n") not in net.symbols:
        assert net.constraints == []
        return
    for n in range(1, 45):
        assert succeeds(text, n) == reported_hold(net, n), (text, n, net.constraints)


def test_nested_symbolic_repeats_are_fast_and_exact():
    """Used to hang: checking the closed form tried d in the thousands inside 2**(d*i)."""
    import time
    start = time.perf_counter()
    net = symparams.parse("input n x n x 4\nrepeat d { repeat e { maxpool 2 padding=same } }")
    assert time.perf_counter() - start < 30
    n, d, e = sym("n"), sym("d"), sym("e")
    assert tuple(net.output_shape) == (sympy.ceiling(n / 2 ** (d * e)),) * 2 + (4,)
    for values in ({"n": 100, "d": 2, "e": 3}, {"n": 7, "d": 1, "e": 1}, {"n": 1000, "d": 3, "e": 2}):
        side = values["n"]
        for _ in range(values["d"] * values["e"]):
            side = -(-side // 2)
        assert symparams.parse("input n x n x 4\nrepeat d { repeat e { maxpool 2 padding=same } }",
                               values=values).output_shape == (side, side, 4)
