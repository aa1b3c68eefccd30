"""The Python API and the meaning of every DSL form the issue lists."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symparams
from symparams.errors import DefinitionError, ShapeError, SymparamsError
from symparams.expressions import simple_lookup, to_sympy
from symparams.syntax import parse_program


def S(name):
    return sympy.Symbol(name, integer=True, positive=True)


n, f = S("n"), S("f")


def shape_of(text, **kw):
    return tuple(symparams.parse(text, **kw).layers[-1].output_shape)


# ----------------------------------------------------------------------------- sizes

@pytest.mark.parametrize("text, expected", [
    ("input 28x28x1", (28, 28, 1)),
    ("input 28 x 28 x 1", (28, 28, 1)),
    ("input n x n x 3", (n, n, 3)),
    ("input 2*n x 2*n x 3", (2 * n, 2 * n, 3)),
    ("input (n, n, 3)", (n, n, 3)),
    ("input (n,n,3)", (n, n, 3)),
    ("input n+1 x n-1 x 3", (n + 1, n - 1, 3)),
    ("input 2^3 x 2**3 x 3", (8, 8, 3)),
    ("input 7//2 x (7+1)/2 x 3", (3, 4, 3)),
    ("input floor(n/2) x ceil(n/2) x 3", (sympy.floor(n / 2), sympy.ceiling(n / 2), 3)),
    ("input min(4, 5) x max(4, 5) x 3", (4, 5, 3)),
    ("input 1_000", (1000,)),
    ("input 10 x 32", (10, 32)),
    ("input 4x8x8x2", (4, 8, 8, 2)),
])
def test_size_forms(text, expected):
    assert shape_of(text) == expected


@pytest.mark.parametrize("kernel, expected", [
    ("3", (6, 4)), ("3x3", (6, 4)), ("3 x 5", (6, 2)), ("3x5", (6, 2)), ("(3, 5)", (6, 2)), ("(3,5)", (6, 2)),
])
def test_window_forms(kernel, expected):
    assert shape_of(f"input 8x6x2\nconv 4 {kernel}")[:2] == expected


def test_scalar_window_applies_to_every_axis():
    assert shape_of("input 9x9x9x1\nconv 2 3") == (7, 7, 7, 2)
    assert shape_of("input 9x9x9x1\nmaxpool 3") == (3, 3, 3, 1)
    assert shape_of("input 9x1\nconv 2 3") == (7, 2)


def test_window_with_wrong_number_of_axes():
    with pytest.raises(DefinitionError, match="2 sizes but the input has 1 spatial axis"):
        symparams.parse("input 9x1\nconv 2 3x3")


def test_rank_decides_the_convolution():
    kinds = [symparams.parse(f"input {s}\nconv 2 1").layers[-1].kind for s in ("9x1", "9x9x1", "9x9x9x1")]
    assert kinds == ["conv1d", "conv2d", "conv3d"]
    assert symparams.parse("input 9x9x1\nconv2d 2 1").layers[-1].kind == "conv2d"
    for kw, shape in (("conv1d", "9x9x1"), ("conv2d", "9x1"), ("conv3d", "9x9x1")):
        with pytest.raises(ShapeError, match=f"{kw} needs"):
            symparams.parse(f"input {shape}\n{kw} 2 1")


def test_only_dropout_takes_a_decimal():
    symparams.parse("input 3\ndropout 0.5")
    symparams.parse("input 3\ndropout .25")
    for text in ("input 3\ndense 2.0", "input 3.5", "input 8x8x1\nconv 2 3 stride=1.0"):
        with pytest.raises(DefinitionError, match="only dropout takes a decimal"):
            symparams.parse(text)


def test_let_symbol_and_alias():
    net = symparams.parse("let n = 32\nlet m = 2*n\ninput m x m x 3")
    assert net.layers[0].output_shape == (2 * n, 2 * n, 3)
    assert net.symbols == {n: 32}
    assert net.aliases == {"m": 2 * n}
    assert net.evaluate().layers[0].output_shape == (64, 64, 3)
    with pytest.raises(DefinitionError, match="alias"):
        symparams.parse("let n = 32\nlet m = 2*n\ninput m", values={"m": 3})


def test_unknown_identifiers_are_free_symbols():
    net = symparams.parse("input n x n x c\nconv f 3")
    assert net.symbols == {S("c"): None, f: None, n: None}


def test_options():
    row = symparams.parse("input 32x32x3\nconv 8 3x3 stride=2 padding=same dilation=1 groups=1 bias=false "
                          "name=first activation=relu").layers[-1]
    assert row.name == "first" and row.activation == "relu"
    assert row.config["stride"] == (2, 2) and row.config["padding"] == "same" and row.config["bias"] is False
    assert row.output_shape == (16, 16, 8) and row.params == 3 * 3 * 3 * 8
    row = symparams.parse("input 32x32x3\nconv 8 3 padding=(1, 2)", convention="pytorch").layers[-1]
    assert row.output_shape == (32, 34, 8)
    row = symparams.parse("input 32x32x3\nconv 8 3 padding=n", convention="pytorch").layers[-1]
    assert row.output_shape == (30 + 2 * n, 30 + 2 * n, 8)
    row = symparams.parse("input 32x32x4\nconv 8 3 groups=2 dilation=2").layers[-1]
    assert row.output_shape == (28, 28, 8) and row.params == 3 * 3 * 2 * 8 + 8
    assert symparams.parse("input 3\ndense 4 softmax").layers[-1].activation == "softmax"
    assert symparams.parse('input 3\ndense 4 name="the head"').layers[-1].name == "the head"


def test_issue_formulas_symbolic():
    C, F, K, M, U, V, D, T, H = (S(x) for x in "CFKMUVDTH")
    cases = [
        ("input H x H x C\nconv F K", F * (K * K * C + 1)),
        ("input H x H x C\nconv F K bias=false", F * K * K * C),
        ("input H x H x C\ndwconv K multiplier=M", K * K * C * M + C * M),
        ("input H x H x C\nsepconv F K multiplier=M", K * K * C * M + C * M * F + F),
        ("input H x H x C\ndeconv F K", K * K * C * F + F),
        ("input D\ndense U", U * (D + 1)),
        ("input T x D\nlayernorm", 2 * D),
        ("input T\nembedding V D", V * D),
    ]
    for text, expected in cases:
        for convention in ("keras", "pytorch"):
            assert sympy.expand(symparams.parse(text, convention=convention).params - expected) == 0, text
    assert symparams.parse("input T\nembedding V D").output_shape == (T, D)
    assert symparams.parse("input H x H x C\nbatchnorm").params == 4 * C
    assert symparams.parse("input H x H x C\nbatchnorm").non_trainable_params == 2 * C
    assert symparams.parse("input H x H x C\nbatchnorm", convention="pytorch").params == 2 * C
    assert symparams.parse("input H x H x C\nbatchnorm", convention="pytorch").buffers == 2 * C
    for layer in ("maxpool 2", "avgpool 2", "flatten", "dropout 0.5", "zeropad 1", "upsample 2", "reshape -1",
                  "relu", "softmax", "globalavgpool"):
        assert symparams.parse(f"input H x H x C\n{layer}").params == 0, layer


def test_output_size_formulas():
    H, k, s, p, d = (S(x) for x in "Hkspd")
    row = symparams.parse("input H x H x 1\nconv 1 k stride=s padding=p dilation=d", convention="pytorch").layers[-1]
    expected = sympy.floor((H + 2 * p - d * (k - 1) - 1) / s) + 1
    for values in ({H: 30, k: 3, s: 2, p: 1, d: 2}, {H: 17, k: 5, s: 3, p: 0, d: 1}, {H: 9, k: 1, s: 4, p: 2, d: 3}):
        assert row.output_shape[0].subs(values) == expected.subs(values)
    row = symparams.parse("input H x H x 1\nconv 1 3 stride=s padding=same").layers[-1]
    assert row.output_shape[0] == sympy.ceiling(H / s)
    row = symparams.parse("input H x H x 1\ndeconv 1 k stride=s", convention="pytorch").layers[-1]
    assert sympy.expand(row.output_shape[0] - ((H - 1) * s + k)) == 0
    row = symparams.parse("input H x H x 1\ndeconv 1 3 stride=s padding=same").layers[-1]
    assert row.output_shape[0] == H * s


def test_api_names():
    net = symparams.parse("let n = 28\ninput n x n x 1\nconv f 5 relu\nflatten\ndense 10")
    assert [r.name for r in net.layers] == ["input_1", "conv2d_1", "flatten_1", "dense_1"]
    row = net.layers[1]
    assert (row.kind, row.line, row.output_shape) == ("conv2d", 3, (n - 4, n - 4, f))
    assert row.params == row.trainable_params == 26 * f and row.non_trainable_params == 0
    assert net.params == net.trainable_params and net.non_trainable_params == 0
    assert net.symbols == {f: None, n: 28}
    at = net.subs(n=32, f=64)
    assert int(at.params) == 26 * 64 + (28 * 28 * 64 + 1) * 10
    assert isinstance(int(at.params), int)
    assert int(net.subs({"f": 2}).evaluate().params) == 52 + (24 * 24 * 2 + 1) * 10
    with pytest.raises(SymparamsError, match="f"):
        net.evaluate()
    assert net.evaluate(f=1).params == 26 + (24 * 24 + 1) * 10
    assert net.input_shape == (n, n, 1) and net.output_shape == (10,)
    assert [r.name for r in net.leaves()] == ["input_1", "conv2d_1", "flatten_1", "dense_1"]


def test_load(tmp_path):
    path = tmp_path / "a.arch"
    path.write_text("input 4\ndense 2\n")
    assert symparams.load(path).params == 10
    assert symparams.load(str(path), convention="pytorch").params == 10
    with pytest.raises(SymparamsError):
        symparams.load(tmp_path / "missing.arch")


def test_composites_sum_their_children():
    net = symparams.parse("input 8x8x4\nresidual { conv 4 3 padding=same } shortcut { conv 4 1 }\n"
                          "concat { } { conv 2 1 }\nadd { conv 3 1 } { conv 3 1 }\nrepeat 3 { conv 3 3 padding=same }")
    assert [r.kind for r in net.layers] == ["input", "residual", "concat", "add", "repeat"]
    assert net.layers[1].params == (9 * 4 + 1) * 4 + (4 + 1) * 4
    assert net.layers[2].output_shape == (8, 8, 6)
    assert net.layers[3].params == 2 * (6 + 1) * 3
    assert net.layers[4].params == 3 * (9 * 3 + 1) * 3
    assert net.params == sum(r.params for r in net.layers)
    assert net.params == (9 * 4 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 2 + 2 * (6 + 1) * 3 + 3 * (9 * 3 + 1) * 3


# ----------------------------------------------------------------------------- expressions vs Python

def _expr_tree(depth):
    leaf = st.integers(0, 30).map(lambda v: (str(v), Fraction(v)))
    if depth == 0:
        return leaf

    def combine(op, a, b):
        (ta, va), (tb, vb) = a, b
        if op in ("/", "//") and vb == 0:
            return ta, va
        if op in ("**", "^"):
            if vb.denominator != 1 or not 0 <= vb <= 3 or (va == 0 and vb < 0):
                return ta, va
            return f"({ta}){op}({tb})", va ** int(vb)
        value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else va,
                 "//": Fraction(math.floor(va / vb)) if vb else va}[op]
        return f"({ta} {op} {tb})", value

    def func(name, a, b):
        (ta, va), (tb, vb) = a, b
        if name == "floor":
            return f"floor({ta})", Fraction(math.floor(va))
        if name == "ceil":
            return f"ceil({ta})", Fraction(math.ceil(va))
        return f"{name}({ta}, {tb})", (min if name == "min" else max)(va, vb)

    sub = _expr_tree(depth - 1)
    return st.one_of(leaf,
                     st.builds(combine, st.sampled_from(["+", "-", "*", "/", "//", "**", "^"]), sub, sub),
                     st.builds(func, st.sampled_from(["floor", "ceil", "min", "max"]), sub, sub),
                     sub.map(lambda a: (f"-({a[0]})", -a[1])))


@settings(max_examples=300, deadline=None)
@given(_expr_tree(3))
@example(("-((1/2)//1)", 0))            # a fraction floor-divided by 1 was kept whole (-1/2)
@example(("(7/2)//1", 3))
def test_expressions_follow_python_arithmetic(case):
    text, expected = case
    program = parse_program(f"input ({text}) x 1")
    node = program.statements[0].args[0].parts[0]
    value = to_sympy(node, simple_lookup({}))
    assert value == sympy.Rational(expected.numerator, expected.denominator), text


def test_operator_precedence():
    def ev(text):
        return to_sympy(parse_program(f"input ({text}) x 1").statements[0].args[0].parts[0], simple_lookup({}))
    assert ev("2 + 3 * 4") == 14
    assert ev("2 * 3 ^ 2") == 18 and ev("2 * 3 ** 2") == 18
    assert ev("2 ^ 3 ^ 2") == 2 ** 9               # right-associative, as in Python
    assert ev("-2 ^ 2") == -4                       # as in Python: -(2**2)
    assert ev("7 // 2 * 2") == 6 and ev("7 - 2 - 1") == 4 and ev("8 / 4 / 2") == 1
    assert shape_of("input 2*n x 2*n x 3") == (2 * n, 2 * n, 3)   # x binds loosest
