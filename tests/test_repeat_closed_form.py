"""A repeat with a symbolic count whose body shrinks the input: the closed form the engine
solves for must equal the layers written out one by one, for every count and size tried."""

from hypothesis import given, settings, strategies as st

import symparams
from symparams.errors import SymparamsError


@st.composite
def shrinking_body(draw):
    kind = draw(st.sampled_from(["conv", "maxpool", "avgpool"]))
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same", "explicit"]))
    convention = "keras"
    if padding == "explicit":
        p = draw(st.integers(0, k // 2))
        pad = f"padding={p}"
        convention = "pytorch"
    elif padding == "same":
        pad = "padding=same"
        if kind != "conv":
            convention = "keras"
        elif s > 1:
            convention = "keras"
    else:
        pad = ""
    layer = f"conv 4 {k}x{k} stride={s} {pad}" if kind == "conv" else f"{kind} {k} stride={s} {pad}"
    return layer.strip(), convention


@settings(max_examples=60, deadline=None, derandomize=True)
@given(shrinking_body(), st.integers(1, 4), st.integers(6, 80))
def test_symbolic_repeat_equals_written_out_layers(body, d, n):
    layer, convention = body
    try:
        symbolic = symparams.parse(f"input n x n x 3\nrepeat d {{ {layer} }}\nflatten", convention=convention)
    except SymparamsError:
        return          # e.g. a stride-1 valid body: every count is fine, but nothing to compare
    text = f"input {n}x{n}x3\n" + f"{layer}\n" * d + "flatten"
    try:
        written = symparams.parse(text, convention=convention)
    except SymparamsError:
        # too many passes for this size: the symbolic network must refuse these values too
        try:
            symbolic.subs(n=n, d=d)
        except SymparamsError:
            return
        raise AssertionError(f"symbolic repeat accepted n={n}, d={d} that the written-out layers reject")
    numeric = symbolic.subs(n=n, d=d)
    assert numeric.output_shape == written.output_shape
    assert numeric.params == written.params
    values = {s: {"n": n, "d": d}[s.name] for s in symbolic.params.free_symbols}
    assert symbolic.params.subs(values) == written.params
    assert tuple(dim.subs({s: {"n": n, "d": d}[s.name] for s in dim.free_symbols})
                 for dim in symbolic.output_shape) == written.output_shape
