"""Composition: blocks, residual (with shortcut), concat, add, repeat (numeric, symbolic, `as i`),
their errors through the CLI, and property tests (symbolic then substitute = substitute then derive)."""

from __future__ import annotations

import re
import time

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cli
from symparams.errors import ShapeError, SymparamsError

D = sympy.Symbol("d", integer=True, positive=True)


def conv_params(filters, kernel_area, channels, bias=True):
    """Hand formula of a 2-D convolution: F*(k*k*C + 1)."""
    return filters * (kernel_area * channels + (1 if bias else 0))


def run_cli(tmp_path, capsys, text, *args, name="net.arch"):
    path = tmp_path / name
    path.write_text(text)
    code = cli.main(["summary", str(path), *args])
    out = capsys.readouterr()
    return code, out.out, out.err, str(path)


def assert_error_at(tmp_path, capsys, text, line, *needles):
    """The CLI exits 1 and prints file:line:col, a caret and every needle."""
    code, _, err, path = run_cli(tmp_path, capsys, text)
    assert code == 1, err
    assert re.search(rf"{re.escape(path)}:{line}:\d+:", err), err
    assert "^" in err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    return err


# ----------------------------------------------------------------------------- blocks

BLOCK = "block b(c, s) {\n  conv c 3x3 stride=s padding=same\n  relu\n}\n"


@pytest.mark.parametrize("call", ["b(8, 2)", "b(c=8, s=2)", "b(s=2, c=8)", "b(8, s=2)"])
def test_block_positional_and_keyword_arguments(call):
    net = symparams.parse(f"{BLOCK}input 32x32x3\n{call}")
    row = net.layers[1]
    assert row.kind == "block"
    assert row.output_shape == (16, 16, 8)
    assert net.params == conv_params(8, 9, 3)        # 8*(27 + 1) = 224
    inline = symparams.parse("input 32x32x3\nconv 8 3x3 stride=2 padding=same\nrelu")
    assert net.params == inline.params and net.output_shape == inline.output_shape


def test_block_arguments_are_expressions_of_symbols():
    net = symparams.parse(f"{BLOCK}input n x n x 3\nb(2*w, 1)")
    w = sympy.Symbol("w", integer=True, positive=True)
    assert sympy.expand(net.params - conv_params(2 * w, 9, 3)) == 0


def test_nested_blocks():
    text = ("block inner(c) { conv c 1x1 }\n"
            "block outer(c) {\n  inner(c)\n  inner(2*c)\n}\n"
            "input 8x8x4\nouter(3)\nouter(5)\n")
    net = symparams.parse(text)
    # 4 -> 3 -> 6 -> 5 -> 10 channels, 1x1 convs: C_out*(C_in + 1)
    assert net.params == 3 * 5 + 6 * 4 + 5 * 7 + 10 * 6
    assert net.output_shape == (8, 8, 10)
    depths = [depth for depth, _ in net.walk()]
    assert max(depths) == 2


def test_block_without_parameters_called_by_name():
    net = symparams.parse("block stem { conv 8 3x3; relu }\ninput 10x10x1\nstem\nstem")
    assert net.output_shape == (6, 6, 8)
    assert net.params == conv_params(8, 9, 1) + conv_params(8, 9, 8)


def test_block_recursion_is_an_error(tmp_path, capsys):
    assert_error_at(tmp_path, capsys, "block a(c) {\n  a(c)\n}\ninput 4x4x1\na(2)\n", 2, "recursion")
    err = assert_error_at(tmp_path, capsys,
                          "block a(c) { b(c) }\nblock b(c) { a(c) }\ninput 4x4x1\na(2)\n", 2, "recursion")
    assert "a -> b -> a" in err


def test_block_wrong_arity(tmp_path, capsys):
    assert_error_at(tmp_path, capsys, f"{BLOCK}input 8x8x1\nb(1, 2, 3)\n", 6, "takes 2 arguments")
    assert_error_at(tmp_path, capsys, f"{BLOCK}input 8x8x1\nb(1)\n", 6, "needs s")
    assert_error_at(tmp_path, capsys, f"{BLOCK}input 8x8x1\nb(1, t=2)\n", 6, "no parameter 't'")
    assert_error_at(tmp_path, capsys, f"{BLOCK}input 8x8x1\nb(1, c=2)\n", 6, "given twice")


def test_unknown_block_suggests_a_name(tmp_path, capsys):
    text = "block basic(c) { conv c 3x3 }\ninput 8x8x1\nbasik(4)\n"
    assert_error_at(tmp_path, capsys, text, 3, "unknown block 'basik'", "did you mean 'basic'")


def test_block_defined_inside_a_block_is_an_error(tmp_path, capsys):
    assert_error_at(tmp_path, capsys, "block a(c) {\n  block b(x) { conv x 1x1 }\n}\ninput 4x4x1\na(2)\n", 2,
                    "top level")


def test_error_inside_block_names_the_call(tmp_path, capsys):
    text = "block b(c) {\n  conv c 9x9\n}\ninput 4x4x1\nb(2)\n"
    err = assert_error_at(tmp_path, capsys, text, 2, "does not fit")
    assert "called on line 5" in err


# ----------------------------------------------------------------------------- residual, concat, add

def test_residual_counts_body_and_shortcut():
    net = symparams.parse("input 16x16x8\nresidual {\n  conv 16 3x3 stride=2 padding=same\n} shortcut {\n"
                          "  conv 16 1x1 stride=2\n}\n")
    assert net.output_shape == (8, 8, 16)
    assert net.params == conv_params(16, 9, 8) + conv_params(16, 1, 8)
    body, shortcut = net.layers[1].children
    assert (body.role, shortcut.role) == ("body", "shortcut")


def test_residual_identity_shortcut():
    net = symparams.parse("input 16x16x8\nresidual { conv 8 3x3 padding=same; batchnorm }")
    assert net.output_shape == (16, 16, 8)
    assert net.params == conv_params(8, 9, 8) + 4 * 8


def test_residual_mismatch_names_both_shapes(tmp_path, capsys):
    err = assert_error_at(tmp_path, capsys, "input 8x8x3\n\nresidual { conv 8 3x3 }\n", 3, "residual")
    assert "6 x 6 x 8" in err and "8 x 8 x 3" in err
    err = assert_error_at(tmp_path, capsys,
                          "input 8x8x3\nresidual { conv 8 1x1 } shortcut { conv 4 1x1 }\n", 2, "residual")
    assert "8 x 8 x 8" in err and "8 x 8 x 4" in err


def test_concat_and_add():
    net = symparams.parse("input 8x8x4\nconcat { } { conv 6 1x1 } { conv 2 3x3 padding=same }\n"
                          "add { conv 5 1x1 } { conv 5 1x1 bias=false }")
    assert net.layers[1].output_shape == (8, 8, 12)
    assert net.output_shape == (8, 8, 5)
    assert net.params == conv_params(6, 1, 4) + conv_params(2, 9, 4) + conv_params(5, 1, 12) + 5 * 12


def test_concat_and_add_mismatch(tmp_path, capsys):
    err = assert_error_at(tmp_path, capsys, "input 8x8x3\nconcat { conv 8 1x1 } { conv 4 3x3 }\n", 2, "concat")
    assert "8 x 8" in err and "6 x 6" in err
    err = assert_error_at(tmp_path, capsys, "input 8x8x3\n\n\nadd { conv 8 1x1 } { conv 4 1x1 }\n", 4, "add")
    assert "8 x 8 x 8" in err and "8 x 8 x 4" in err


# ----------------------------------------------------------------------------- repeat

def test_numeric_repeat_equals_unrolled():
    text = "input 32x32x3\nrepeat 5 as i {\n  conv 4*(i+1) 3x3 padding=same\n  batchnorm\n}\nrepeat 3 { conv 7 1x1 }"
    net = symparams.parse(text)
    unrolled = net.unrolled()
    assert net.params == unrolled.params
    assert net.output_shape == unrolled.output_shape == (32, 32, 7)
    assert len([r for r in unrolled.leaves() if r.kind == "conv2d"]) == 8
    written = "input 32x32x3\n" + "".join(f"conv {4 * (k + 1)} 3x3 padding=same\nbatchnorm\n" for k in range(5))
    written += "conv 7 1x1\n" * 3
    assert symparams.parse(written).params == net.params


def test_huge_numeric_repeat_is_fast():
    start = time.perf_counter()
    net = symparams.parse("input 8\nrepeat 10**9 { dense 64 }")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert net.params == 64 * 9 + (10**9 - 1) * 64 * 65


def test_symbolic_depth_closed_form_matches_substitution():
    net = symparams.parse("input 32x32x3\nrepeat d { conv 16 3x3 padding=same; batchnorm }")
    assert net.params.free_symbols == {D}
    for depth in (1, 2, 3, 7, 20):
        numeric = net.subs(d=depth)
        assert net.params.subs(D, depth) == numeric.params
        # by hand: the first pass sees 3 channels, the others 16
        assert numeric.params == conv_params(16, 9, 3) + 64 + (depth - 1) * (conv_params(16, 9, 16) + 64)


def test_repeat_as_i_doubling_closed_form_matches_explicit_repeats():
    net = symparams.parse("input 64x64x3\nrepeat d as i {\n  conv 8*2^i 3x3 padding=same\n  maxpool 2\n}")
    assert not net.params.has(sympy.Sum)
    for depth in range(1, 6):
        explicit = "input 64x64x3\n" + "".join(f"conv {8 * 2 ** k} 3x3 padding=same\nmaxpool 2\n"
                                               for k in range(depth))
        expected = symparams.parse(explicit)
        assert net.params.subs(D, depth) == expected.params
        assert tuple(s.subs(D, depth) for s in net.output_shape) == expected.output_shape


def test_repeat_of_a_block_with_the_index():
    text = "block stage(c) { conv c 3x3 padding=same; relu; maxpool 2 }\ninput 64x64x3\nrepeat d as i { stage(4*2^i) }"
    net = symparams.parse(text)
    for depth in (1, 2, 4):
        explicit = "input 64x64x3\n" + "".join(f"conv {4 * 2 ** k} 3x3 padding=same\nmaxpool 2\n"
                                               for k in range(depth))
        assert net.params.subs(D, depth) == symparams.parse(explicit).params


def test_nested_symbolic_repeats():
    net = symparams.parse("input 16x16x3\nrepeat a as i { repeat b { conv 8*(i+1) 1x1 } }")
    a, b = sympy.symbols("a b", integer=True, positive=True)
    for av in (1, 2, 3):
        for bv in (1, 2, 4):
            written = "input 16x16x3\n" + "".join(f"conv {8 * (k + 1)} 1x1\n" for k in range(av) for _ in range(bv))
            assert net.params.subs({a: av, b: bv}) == symparams.parse(written).params, (av, bv)


def test_repeat_whose_channels_change_only_on_the_first_pass():
    net = symparams.parse("input 16x16x3\nrepeat d { concat { conv 8 1x1 } { conv 8 3x3 padding=same } }")
    for depth in (1, 2, 5):
        written = "input 16x16x3\n" + "concat { conv 8 1x1 } { conv 8 3x3 padding=same }\n" * depth
        assert net.params.subs(D, depth) == symparams.parse(written).params
    assert net.output_shape == (16, 16, 16)


def test_repeat_without_closed_form_is_a_clear_error(tmp_path, capsys):
    # floor((x - 4)/3) + 1 per pass: no closed form; a number works
    text = "input 100x100x3\n\nrepeat d {\n  conv 8 4x4 stride=3\n}\n"
    assert_error_at(tmp_path, capsys, text, 3, "no closed form", "--set")
    code, out, _, _ = run_cli(tmp_path, capsys, text, "--set", "d=2")
    assert code == 0
    # 100 -> 33 -> 10; params 8*(16*3+1) + 8*(16*8+1)
    assert f"{8 * 49 + 8 * 129:,}" in out


def test_repeat_count_must_be_whole(tmp_path, capsys):
    assert_error_at(tmp_path, capsys, "input 8\n\nrepeat 3/2 { dense 4 }\n", 3, "whole number")


# ----------------------------------------------------------------------------- properties

CHANNELS = ["w", "2*w", "8", "w + 4"]


# statement templates: {c} a width, {cur} the current channels, {k} a kernel, {r} a repeat count;
# the second item is the channels afterwards (None: unchanged)
STATEMENTS = {
    "conv": ("conv {c} {k}x{k} padding=same", "{c}"),
    "bn": ("batchnorm", None),
    "pool": ("maxpool 2", None),
    "residual": ("residual {{ conv {cur} 3x3 padding=same; batchnorm }}", None),
    "projection": ("residual {{ conv {c} 3x3 padding=same }} shortcut {{ conv {c} 1x1 }}", "{c}"),
    "concat": ("concat {{ }} {{ conv {c} 1x1 }}", "({cur}) + ({c})"),
    "add": ("add {{ conv {c} 1x1 }} {{ conv {c} 3x3 padding=same }}", "{c}"),
    "repeat": ("repeat {r} {{ conv {c} 3x3 padding=same; batchnorm }}", "{c}"),
    # ({c}) in parentheses: with c = "w + 4", "{c}*(i + 1)" read w + 4*(i + 1), not the tracked (w + 4)*d
    "repeat_i": ("repeat d as i {{ conv ({c})*(i + 1) 1x1 }}", "({c})*d"),
    "block": ("unit({c})", "{c}"),
}


@st.composite
def programs(draw):
    """A small random composition on an n x n x 3 image, tracking the channels so every
    residual and add is well formed."""
    lines = ["block unit(c) { conv c 3x3 padding=same; relu }", "input n x n x 3"]
    current, pools = "3", 0
    for _ in range(draw(st.integers(1, 5))):
        choice = draw(st.sampled_from(sorted(STATEMENTS)))
        if choice == "pool":
            if pools == 2:          # keep n = 16 large enough
                continue
            pools += 1
        fields = dict(c=draw(st.sampled_from(CHANNELS)), cur=current, k=draw(st.sampled_from([1, 3])),
                      r=draw(st.sampled_from(["d", "2", "d + 1"])))
        template, channels = STATEMENTS[choice]
        lines.append(template.format(**fields))
        if channels is not None:
            current = channels.format(**fields)
    lines += ["globalavgpool", "dense 10"]
    return "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=programs(), w=st.integers(1, 6), d=st.integers(1, 4), convention=st.sampled_from(["keras", "pytorch"]))
def test_symbolic_then_substitute_equals_substitute_then_derive(text, w, d, convention):
    symbolic_then_numeric(text, w, d, convention)


def symbolic_then_numeric(text, w, d, convention):
    values = {k: v for k, v in {"n": 16, "w": w, "d": d}.items() if re.search(rf"\b{k}\b", text)}
    symbolic = symparams.parse(text, convention=convention)
    try:
        numeric = symbolic.subs(values)
    except ShapeError:
        # both orders agree on the error: the symbolic network holds only under a condition it
        # recorded (shapes equal, said in words), which these numbers break
        assert any(not isinstance(expr, sympy.Expr) for expr, _ in symbolic.requirements), text
        raise
    subs = {s: values[s.name] for s in symbolic.params.free_symbols}
    for metric in ("params", "trainable_params", "non_trainable_params", "buffers"):
        assert sympy.simplify(getattr(symbolic, metric).subs(subs)) == getattr(numeric, metric), (metric, text)
    out = tuple(sympy.simplify(s.subs({sym: values[sym.name] for sym in s.free_symbols}))
                for s in symbolic.output_shape)
    assert out == numeric.output_shape
    assert numeric.unrolled().params == numeric.params


def test_regression_mismatched_residual_fails_in_both_orders():
    """Found by hypothesis (w=1, d=2): the channels 1 + 4*2 = 9 after the repeat, 10 in the residual body.
    Symbolically the residual holds only where (w + 4)*d = w + 4*d (a recorded condition); substituting
    first is the same error, located at the residual."""
    text = ("input n x n x 3\nrepeat d as i { conv w + 4*(i + 1) 1x1 }\n"
            "residual { conv (w + 4)*d 3x3 padding=same; batchnorm }\nglobalavgpool\ndense 10")
    symbolic = symparams.parse(text)
    assert any("residual" in text and "=" in text for text in symbolic.constraints)
    with pytest.raises(ShapeError, match="16 x 16 x 10 but the shortcut gives 16 x 16 x 9"):
        symbolic_then_numeric(text, 1, 2, "keras")
    symbolic_then_numeric(text, 1, 1, "keras")      # d = 1: the condition holds, both orders agree


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 12), stride=st.sampled_from([1, 2]), width=st.integers(1, 16))
def test_symbolic_repeat_matches_written_out(depth, stride, width):
    """repeat d { conv w 3x3 stride=s padding=same } against the same line written d times."""
    text = f"input 4096x4096x3\nrepeat d {{ conv {width} 3x3 stride={stride} padding=same }}"
    net = symparams.parse(text)
    written = symparams.parse("input 4096x4096x3\n" + f"conv {width} 3x3 stride={stride} padding=same\n" * depth)
    assert net.params.subs(D, depth) == written.params
    assert tuple(sympy.sympify(s).subs(D, depth) for s in net.output_shape) == written.output_shape


def test_library_errors_are_symparams_errors():
    with pytest.raises(SymparamsError):
        symparams.parse("input 8x8x3\nrepeat d { conv 8 4x4 stride=3 }")
    with pytest.raises(ShapeError):
        symparams.parse("input 8x8x3\nadd { conv 8 1x1 } { conv 4 1x1 }")


# ----------------------------------------------------------------------------- engine fixes

def test_symbolic_repeat_may_run_zero_times():
    """repeat d - 1 of a shape-keeping body is right at d = 1 (zero passes): no 'd >= 2' condition."""
    net = symparams.parse("input 8x8x4\nrepeat d - 1 { conv 4 3x3 padding=same }")
    assert net.constraints == []
    for depth in (1, 2, 3):
        assert net.params.subs(D, depth) == net.subs(d=depth).params == (depth - 1) * conv_params(4, 9, 4)
    # a body whose first pass differs is peeled: then one pass is needed
    peeled = symparams.parse("input 8x8x3\nrepeat d - 1 { conv 4 3x3 padding=same }")
    assert peeled.constraints == ["d >= 2"]


def test_option_a_shortcut_shapes_match_symbolically():
    """floor((s + 2 - 3)/2) + 1 (the strided conv) and ceil(s/2) (the subsampled shortcut) are equal
    for every whole s; the residual must not leave that as an open condition."""
    net = symparams.parse("input s x s x 16\nresidual { conv 32 3x3 stride=2 padding=1 } "
                          "shortcut { subsample 2; channelpad 32 }")
    assert not any("residual" in c for c in net.constraints), net.constraints
    for size in (1, 2, 7, 32, 33):
        assert net.subs(s=size).output_shape[0] == -(-size // 2)


@settings(max_examples=200, deadline=None)
@given(c1=st.integers(-6, 6), c2=st.integers(-6, 6), a=st.integers(2, 5), k=st.integers(-3, 3),
       ceil_first=st.booleans())
def test_equal_of_roundings_agrees_with_numbers(c1, c2, a, k, ceil_first):
    """algebra.equal on floor/ceiling expressions: True only when equal for every s, False only when
    they differ for some s (checked over a full period of a)."""
    from symparams.algebra import equal, symbol
    s = symbol("s")
    left = (sympy.ceiling if ceil_first else sympy.floor)((s + c1) / a) + k
    right = sympy.floor((s + c2) / a)
    answer = equal(left, right)
    values = [(left.subs(s, v), right.subs(s, v)) for v in range(1, 3 * a + 8)]
    if answer is True:
        assert all(x == y for x, y in values)
    elif answer is False:
        assert any(x != y for x, y in values)


def test_closed_form_keeps_no_conditions_of_the_pass_it_replaces():
    """The first pass is peeled (3 input channels); the closed form starts at pass 1, so the pool of
    pass 1 must not demand n >= 4 when d may be 1. Conditions of the closed form name the last pass."""
    net = symparams.parse("input n x n x 3\nrepeat d as i { conv 8*2^i 3x3 padding=same; maxpool 2 }")
    assert "n >= 4" not in net.constraints
    assert "n >= 2" in net.constraints
    assert any("at the last pass (i = d − 1)" in c for c in net.constraints)
    assert net.subs(n=2, d=1).params == conv_params(8, 9, 3)
    names = [row.name for _, row in net.walk() if row.kind == "conv2d"]
    assert names == ["conv2d_1", "conv2d_2"]
