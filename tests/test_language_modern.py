"""The language forms of today's architectures: mul, moe, named tensors (save / use / with / crop),
a second named input; their meaning and their located errors."""

from __future__ import annotations

import pytest
import sympy

import symparams
from symparams import ir
from symparams.errors import DSLSyntaxError, SymparamsError
from symparams.syntax import parse_program


def _err(text, convention="pytorch", **values):
    with pytest.raises(SymparamsError) as info:
        symparams.parse(text, convention=convention, values=values or None)
    return info.value


# ----------------------------------------------------------------------------- parsing

def test_every_contract_form_parses_into_its_node():
    program = parse_program("""input 16 x 64
input 16 as dec
mul { dense 8 bias=false silu } { dense 8 bias=false }
moe experts=E top_k=2 shared=1 router_bias { dense 8 silu; dense 64 }
save skip1
save skip[i + 1]
use enc
use enc[d - 1]
concat with skip1 crop
add with skip1
mul with g[i]
crop to=skip1
crop to=skip[i]
attention heads=8 context=enc relbias=32
""")
    s = program.statements
    assert s[1].alias == "dec" and s[0].alias is None
    assert isinstance(s[2], ir.Branches) and s[2].mode == "mul"
    assert isinstance(s[3], ir.Moe) and [o.name for o in s[3].options] == ["experts", "top_k", "shared"]
    assert s[3].args[0].word == "router_bias"
    assert isinstance(s[4], ir.Save) and s[4].ref == ir.Ref("skip1", None, s[4].ref.pos)
    assert isinstance(s[5].ref.index, ir.BinOp)
    assert isinstance(s[6], ir.Use) and isinstance(s[7].ref.index, ir.BinOp)
    assert isinstance(s[8], ir.Merge) and (s[8].mode, s[8].crop) == ("concat", True)
    assert (s[9].mode, s[9].crop, s[10].mode) == ("add", False, "mul")
    assert isinstance(s[11], ir.CropTo) and s[12].ref.index is not None
    context = [o for o in s[13].options if o.name == "context"][0]
    assert context.value.ref.name == "enc"


def test_existing_words_stay_names_where_they_were_names():
    """'mul', 'with', 'as', 'save' are keywords only where the new forms stand."""
    program = parse_program("let mul = 3\nlet save = 2\ninput 8\ndense mul\ndense save relu\n")
    dense = program.statements[3]
    assert dense.keyword == "dense" and dense.args[0].word == "mul"


@pytest.mark.parametrize("text, message, column", [
    ("input 3\nconcat with a pad", "'concat with' takes only the word crop", 15),
    ("input 3\nadd with a crop", "'add with' takes no words", 12),
    ("input 3\ndense 3 as x", "only 'input' takes 'as NAME'", 12),
    ("input 3\nsave", "'save' takes one name", 1),
    ("input 3\nsave a b", "'save' takes one name", 8),
    ("input 3\nuse 3", "'use' takes one name", 5),
    ("input 3\ncrop 3", "crop takes to=NAME", 6),
    ("input 3\ncrop to=3", "crop to= takes the name of a saved tensor", 9),
    ("input 3\ncrop too=a", "crop has no option 'too'", 6),
    ("input 3\nconv a[1]", "names a saved tensor", 6),
])
def test_malformed_forms_are_located_syntax_errors(text, message, column):
    with pytest.raises(DSLSyntaxError) as info:
        parse_program(text)
    assert message in info.value.message
    assert (info.value.line, info.value.column) == (2, column)


def test_crop_option_typo_has_a_did_you_mean():
    with pytest.raises(DSLSyntaxError) as info:
        parse_program("input 3\ncrop tto=a")
    assert "did you mean 'to'" in str(info.value)


# ----------------------------------------------------------------------------- named tensors

def test_save_use_and_merges():
    net = symparams.parse("""input 8 x 8 x 3
save a
conv 4 3x3 padding=same
concat with a
save b
dense 2
use b
add with b
""", convention="pytorch")
    shapes = [row.output_shape for row in net.layers]
    assert shapes[3] == (8, 8, 7)                 # concat with a: 4 + 3 channels
    assert shapes[6] == (8, 8, 7)                 # use b
    assert net.output_shape == (8, 8, 7)
    assert net.params == 4 * (27 + 1) + 2 * (7 + 1)


def test_mul_broadcasts_a_channel_gate_over_an_image():
    """Squeeze-and-excite: (H, W, C) times (1, 1, C) is (H, W, C)."""
    net = symparams.parse("input 9 x 9 x 16\n"
                          "mul { } { globalavgpool; reshape 1 x 1 x 16; conv 4 1x1 relu; conv 16 1x1 sigmoid }",
                          convention="keras")
    assert net.output_shape == (9, 9, 16)
    assert net.params == (16 * 4 + 4) + (4 * 16 + 16)


def test_mul_of_two_projections_is_swiglu():
    net = symparams.parse("input T x D\nmul { dense F bias=false silu } { dense F bias=false }\ndense D bias=false",
                          convention="pytorch")
    names = {s.name: s for s in net.free_symbols}
    assert sympy.expand(net.params - 3 * names["D"] * names["F"]) == 0
    macs = net.metric("macs")
    assert sympy.expand(macs - 3 * names["T"] * names["D"] * names["F"]) == 0


def test_shapes_that_do_not_broadcast_are_located_with_both_shapes():
    err = _err("input 8 x 8 x 3\nsave a\nconv 4 1x1\nadd with a")
    assert err.line == 4
    assert "8 x 8 x 4" in err.message and "8 x 8 x 3" in err.message


def test_concat_with_outside_the_channels_names_both_shapes():
    err = _err("input 8 x 8 x 3\nsave a\nmaxpool 2\nconcat with a")
    assert err.line == 4 and "4 x 4 x 3" in err.message and "8 x 8 x 3" in err.message
    assert "crop" in (err.hint or "")


def test_concat_with_crop_centre_crops_the_saved_tensor():
    net = symparams.parse("input 9 x 9 x 3\nsave a\nconv 5 3x3\nconcat with a crop", convention="pytorch")
    assert net.output_shape == (7, 7, 8)


def test_crop_to_a_saved_size():
    net = symparams.parse("input 20 x 20 x 3\nconv 2 5x5\nsave small\nconv 2 1x1\nzeropad 3\ncrop to=small",
                          convention="pytorch")
    assert net.output_shape == (16, 16, 2)


def test_crop_larger_than_the_tensor_is_an_error():
    err = _err("input 8 x 8 x 3\nsave a\nzeropad 1\nsave big\nuse a\ncrop to=big")
    assert err.line == 6 and "8 x 8 x 3" in err.message and "10 x 10 x 3" in err.message


def test_use_before_save_has_a_did_you_mean():
    err = _err("input 8\nsave skip1\ndense 4\nadd with skipp1")
    assert err.line == 4 and err.column == 10
    assert "did you mean 'skip1'" in str(err)


def test_a_name_saved_in_a_repeat_is_that_passes_tensor():
    net = symparams.parse("input 8 x 8 x 4\nrepeat 3 { save x; conv 4 3x3 padding=same; add with x }",
                          convention="pytorch")
    assert net.params == 3 * (4 * 4 * 9 + 4)
    err = _err("input 8 x 8 x 4\nsave x\nrepeat 3 { add with x; save x }")
    assert err.line == 3 and "before this pass" in err.message


def test_indexed_names_hold_one_tensor_per_pass():
    net = symparams.parse("""input 32 x 32 x 1
repeat 3 as i { conv 4*2^i 3x3 padding=same; save s[i]; maxpool 2 }
repeat 3 as i { upsample 2; concat with s[2 - i] }
""", convention="pytorch")
    assert net.output_shape == (32, 32, 16 + 16 + 8 + 4)      # the last conv's 16, then s[2], s[1], s[0]
    err = _err("input 8 x 8 x 1\nrepeat 2 as i { save s[i] }\nuse s[5]")
    assert "s[5]" in err.message and "s[0]" in err.message


def test_a_second_input_is_named_and_current():
    net = symparams.parse("input 10 x 4\nsave enc\ninput 7 x 4 as dec\ndense 4\nadd with dec", convention="pytorch")
    assert net.output_shape == (7, 4)
    err = _err("input 10\ninput 7")
    assert "only one 'input'" in err.message


# ----------------------------------------------------------------------------- moe

def test_moe_total_and_active_are_closed_forms_in_experts_and_top_k():
    net = symparams.parse("input T x D\nmoe experts=E top_k=K { dense F bias=false; dense D bias=false }",
                          convention="pytorch")
    n = {s.name: s for s in net.metric("active").free_symbols | net.metric("macs").free_symbols}
    expert = 2 * n["D"] * n["F"]
    assert sympy.expand(net.params - (n["E"] * expert + n["D"] * n["E"])) == 0
    assert sympy.expand(net.metric("active") - (n["K"] * expert + n["D"] * n["E"])) == 0
    macs = net.metric("macs")
    assert sympy.expand(macs - n["T"] * (n["K"] * expert + n["D"] * n["E"])) == 0


def test_moe_shared_experts_and_router_bias():
    net = symparams.parse("input 4 x 6\nmoe experts=8 top_k=2 shared=1 router_bias { dense 6 }",
                          convention="pytorch")
    expert = 6 * 6 + 6
    assert net.params == 9 * expert + (6 * 8 + 8)
    assert net.metric("active") == 3 * expert + 6 * 8 + 8


def test_moe_errors():
    assert "top_k=9 is more than the 8 experts" in _err("input 4 x 6\nmoe experts=8 top_k=9 { dense 6 }").message
    assert "give back its input's shape" in _err("input 4 x 6\nmoe experts=8 top_k=2 { dense 5 }").message
    err = _err("input 4 x 6\nmoe experts=8 topk=2 { dense 6 }")
    assert err.line == 2 and "did you mean 'top_k'" in str(err)
    assert "needs top_k=" in _err("input 4 x 6\nmoe experts=8 { dense 6 }").message
