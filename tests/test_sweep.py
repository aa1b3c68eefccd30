"""symparams sweep / lambdify: compiled exact integer evaluation checked against SymPy
substitution, hand arithmetic and numbers beyond 2**63."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams.cli import main
from symparams.errors import ShapeError, SymparamsError, UsageError
from symparams.sweep import compile_expr, parse_values

from conftest import EXAMPLES, need_module

STRIDED = "input n x n x 3\nconv f 3x3 stride=2\nconv f 3x3 stride=2\nflatten\ndense 10\n"


def strided_by_hand(n: int, f: int) -> int:
    s1 = (n - 3) // 2 + 1
    s2 = (s1 - 3) // 2 + 1
    return (27 * f + f) + (9 * f * f + f) + (s2 * s2 * f * 10 + 10)


def test_floors_are_integer_division_and_invalid_points_marked():
    np = need_module("numpy")
    net = symparams.parse(STRIDED)
    rows = net.sweep({"n": range(1, 90), "f": [1, 7, 64]})
    assert len(rows) == 89 * 3
    for row in rows:
        if row["n"] < 7:                         # 7 -> 3 -> 1 is the smallest input both convs fit
            assert row["params"] is None
            with pytest.raises(ShapeError):
                net.subs(n=row["n"], f=row["f"])
        else:
            assert row["params"] == strided_by_hand(row["n"], row["f"])
    fn = net.lambdify()
    assert fn.names == ("f", "n")
    out = fn(f=np.arange(1, 50)[:, None], n=np.arange(7, 300)[None, :])
    assert out.dtype == np.int64 and out.shape == (49, 293)
    assert all(out[f - 1, n - 7] == strided_by_hand(n, f) for f in (1, 13, 49) for n in (7, 8, 9, 10, 299))


def test_beyond_int64_is_exact():
    np = need_module("numpy")
    net = symparams.parse("input n\ndense 10^12\ndense m\n")

    def by_hand(n, m):
        return (n * 10 ** 12 + 10 ** 12) + (10 ** 12 * m + m)

    ns = [1, 3, 9_223_372, 10 ** 9 + 7, 2 ** 40 + 1]
    ms = [1, 2 ** 31 - 1, 10 ** 10 + 3]
    rows = net.sweep({"n": ns, "m": ms})
    assert [r["params"] for r in rows] == [by_hand(n, m) for n in ns for m in ms]
    assert max(r["params"] for r in rows) > 2 ** 63
    fn = net.lambdify()
    arr = fn(m=np.array(ms)[None, :], n=np.array(ns)[:, None])
    assert arr.dtype == object                    # the bound check refused int64
    assert [int(v) for v in arr.ravel()] == [by_hand(n, m) for n in ns for m in ms]
    small = fn(m=np.array([1, 2]), n=np.array([3, 4]))
    assert small.dtype == np.int64 and list(small) == [by_hand(3, 1), by_hand(4, 2)]
    assert fn(n=10 ** 30, m=10 ** 25) == by_hand(10 ** 30, 10 ** 25)       # scalars: Python ints


def test_overflow_guard_on_the_edge():
    """Values around 2**63: int64 where every intermediate fits, exact objects beyond."""
    np = need_module("numpy")
    x = sympy.Symbol("x", integer=True, positive=True)
    fn = compile_expr(x ** 3 + sympy.floor(x / 3), [x])
    edge = 2 ** 21                                 # (2^21)^3 = 2^63 overflows int64
    xs = np.array([edge - 1, edge, edge + 1])
    out = fn(xs)
    assert [int(v) for v in out] == [v ** 3 + v // 3 for v in (edge - 1, edge, edge + 1)]
    below = fn(np.array([2 ** 20, 5]))
    assert below.dtype == np.int64 and list(below) == [2 ** 60 + 2 ** 20 // 3, 126]


# ----------------------------------------------------------------------------- property tests

_x = sympy.Symbol("x", integer=True, positive=True)
_y = sympy.Symbol("y", integer=True, positive=True)
_leaves = st.sampled_from([_x, _y, sympy.Integer(1), sympy.Integer(2), sympy.Integer(7), sympy.Integer(-3)])


def _grow(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda p: p[0] + p[1]),
        pair.map(lambda p: p[0] * p[1]),
        pair.map(lambda p: p[0] - p[1]),
        st.tuples(children, st.integers(1, 9)).map(lambda p: sympy.floor(p[0] / p[1])),
        st.tuples(children, st.integers(1, 9)).map(lambda p: sympy.ceiling(p[0] / p[1])),
        st.tuples(children, st.integers(0, 3)).map(lambda p: p[0] ** p[1]),
        st.tuples(children, st.integers(2, 5), st.integers(-4, 4)).map(
            lambda p: sympy.floor((p[0] * p[1] + p[2]) / (p[1] + 1)) * (p[1] + 1)),
        pair.map(lambda p: sympy.Max(p[0], p[1])),
        pair.map(lambda p: sympy.Min(p[0], p[1])),
    )


_exprs = st.recursive(_leaves, _grow, max_leaves=12)


@given(_exprs, st.lists(st.integers(1, 10 ** 6), min_size=1, max_size=6),
       st.lists(st.integers(1, 10 ** 12), min_size=1, max_size=4))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_compiled_equals_subs_on_random_expressions(expr, xs, ys):
    np = need_module("numpy")
    if not expr.is_integer:
        return
    fn = compile_expr(expr, [_x, _y])
    grid = fn(np.array(xs)[:, None], np.array(ys)[None, :])
    for i, xv in enumerate(xs):
        for j, yv in enumerate(ys):
            want = expr.subs({_x: xv, _y: yv})
            assert int(grid[i, j]) == want
            assert fn.exact(xv, yv) == want


_LAYERS = st.one_of(
    st.tuples(st.sampled_from(["f", "2*f", "8", "f+1"]), st.integers(1, 5), st.integers(1, 3),
              st.sampled_from(["valid", "same"])).map(
        lambda p: f"conv {p[0]} {p[1]}x{p[1]} stride={p[2]} padding={p[3]}"),
    st.integers(2, 3).map(lambda p: f"maxpool {p}"),
    st.tuples(st.integers(2, 4), st.integers(1, 3)).map(lambda p: f"avgpool {p[0]} stride={p[1]}"),
    st.just("batchnorm"),
    st.just("relu"),
)


@given(st.lists(_LAYERS, min_size=1, max_size=4), st.sampled_from(["10", "f", "3*f"]),
       st.lists(st.integers(1, 70), min_size=1, max_size=5, unique=True),
       st.lists(st.integers(1, 40), min_size=1, max_size=3, unique=True),
       st.sampled_from(["keras", "pytorch"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_sweep_equals_subs_on_random_networks(layers, units, ns, fs, convention):
    text = "input n x n x 3\n" + "\n".join(layers) + f"\nflatten\ndense {units}\n"
    try:
        net = symparams.parse(text, convention=convention)
    except SymparamsError:
        return
    names = {s.name for s in net.symbols}
    vary = {k: v for k, v in (("n", ns), ("f", fs)) if k in names}
    rows = net.sweep(vary, ["params", "non_trainable"])
    for row in rows:
        try:
            there = net.subs({k: row[k] for k in vary})
        except ShapeError:
            assert row["params"] is None, (text, row)
            continue
        assert row["params"] == int(there.params), (text, row)
        assert row["non_trainable"] == int(there.non_trainable_params), (text, row)


# ----------------------------------------------------------------------------- speed

def test_million_points_are_fast():
    np = need_module("numpy")
    net = symparams.load(EXAMPLES / "seed002_width.arch")
    text = "input n x n x 3\nconv f 3x3 stride=2\nconv 2*f 3x3 stride=2\nconv 4*f 3x3 stride=2\nflatten\ndense 10\n"
    net = symparams.parse(text)
    fn = net.lambdify()
    f = np.arange(1, 1001)[:, None]
    n = np.arange(15, 1015)[None, :]
    start = time.perf_counter()
    out = fn(f=f, n=n)
    elapsed = time.perf_counter() - start
    assert out.shape == (1000, 1000) and out.dtype == np.int64
    assert int(out[31, 17]) == int(net.subs(f=32, n=32).params)
    assert elapsed < 5.0          # typically ~0.05 s; generous for a loaded CI machine


# ----------------------------------------------------------------------------- command line

def test_cli_formats(capsys, tmp_path):
    path = tmp_path / "s.arch"
    path.write_text(STRIDED)
    assert main(["sweep", str(path), "--vary", "n=5:11:2", "--vary", "f=16,32", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # n = 5 is too small for the second conv: no count, and the condition it breaks in 'invalid'
    assert len(table) == 8 and table[0]["params"] == "" and "does not fit" in table[0]["invalid"]
    assert table[-1]["params"] == str(strided_by_hand(11, 32)) and table[-1]["invalid"] == ""
    assert main(["sweep", str(path), "--vary", "n=64", "--vary", "f=1K", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 64, "f": 1000, "params": strided_by_hand(64, 1000)}]
    assert main(["sweep", str(path), "--vary", "n=9", "--set", "f=3", "--vary", "n=9", "--format", "markdown"]) == 2
    capsys.readouterr()
    assert main(["sweep", str(path), "--vary", "n=9", "--set", "f=3", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "| n | params |" and f"{strided_by_hand(9, 3):,}" in out
    assert main(["sweep", str(path), "--vary", "n=9,10"]) == 2          # f has no value
    assert "f" in capsys.readouterr().err
    assert main(["sweep", str(path), "--vary", "q=1:3", "--set", "f=3"]) == 2
    assert "no symbol 'q'" in capsys.readouterr().err
    assert main(["sweep", str(path), "--vary", "n=9:3", "--set", "f=3"]) == 2
    assert main(["sweep", str(path), "--vary", "n=9:x", "--set", "f=3"]) == 2


def test_parse_values():
    assert parse_values("16:256:16") == list(range(16, 257, 16))
    assert parse_values("8:12") == [8, 9, 10, 11, 12]
    assert parse_values("16, 32,64") == [16, 32, 64]
    assert parse_values("1K:3K:1K") == [1000, 2000, 3000]
    for bad in ("1:2:0", "5:1", "a", "1:2:3:4", ""):
        with pytest.raises(UsageError):
            parse_values(bad)


def test_defaults_fill_unvaried_symbols():
    net = symparams.parse("let n = 28\ninput n x n x 1\nconv f 3x3\nflatten\ndense 10\n")
    rows = net.sweep({"f": [1, 2]})
    assert [r["params"] for r in rows] == [(9 + 1) * f + 26 * 26 * f * 10 + 10 for f in (1, 2)]
