"""symparams solve: answers checked by direct substitution, by hand arithmetic and by PyTorch."""

from __future__ import annotations

from math import isqrt

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams.cli import main
from symparams.errors import DefinitionError, UsageError
from symparams.integers import parse_number

from conftest import EXAMPLES, need_module

WIDTH = EXAMPLES / "seed002_width.arch"


def seed_by_hand(f: int) -> int:
    """Seed 002 with both conv widths f, counted by hand: conv 5x5 on 1 channel (25f + f),
    conv 3x3 on f channels (9f*f + f), 28 -> 24 -> 12 -> 10 -> 5, so 5*5*f features into
    dense 256 (25f*256 + 256), then dense 10 (2560 + 10)."""
    return (25 * f + f) + (9 * f * f + f) + (25 * f * 256 + 256) + (256 * 10 + 10)


def params_at(net, **values) -> int:
    return int(net.subs(values).params)


# ----------------------------------------------------------------------------- the done criterion

def test_seed002_width_budget_cli(capsys):
    assert seed_by_hand(32) == 217_706          # the published total of seed 002
    code = main(["solve", str(WIDTH), "--for", "f", "--max-params", "100000"])
    out = capsys.readouterr().out
    assert code == 0
    # largest f with 9f^2 + 6427f + 2826 <= 100000, by integer square root of the discriminant
    disc = 6427 ** 2 + 4 * 9 * (100_000 - 2826)
    best = (isqrt(disc) - 6427) // 18
    assert seed_by_hand(best) <= 100_000 < seed_by_hand(best + 1)
    assert f"f = {best}  (params = {seed_by_hand(best):,})" in out
    assert f"f = {best + 1}  (params = {seed_by_hand(best + 1):,})" in out
    assert f"(√({disc:,}) − 6,427)/18" in out    # the closed-form boundary, written as a person writes it
    assert "params(f) = 9f² + 6,427f + 2,826" in out and "*" not in out


def test_seed002_width_against_torch():
    torch = need_module("torch")
    net = symparams.load(WIDTH)
    r = net.solve("f", at_most=100_000)

    def torch_count(f):
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, f, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(f, f, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(25 * f, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        return sum(p.numel() for p in model.parameters())

    assert torch_count(r.value) == r.count <= 100_000 < torch_count(r.value + 1) == r.next.count
    lo = sympy.floor(r.boundary)
    assert lo == r.value                         # the real boundary lies between the answer and the next value
    assert sympy.simplify(r.expr.subs(sympy.Symbol("f", integer=True, positive=True), r.boundary) - 100_000) == 0


@given(st.integers(min_value=9_262, max_value=10 ** 40))
@settings(max_examples=60, deadline=None)
def test_budget_property_seed(budget):
    """For any budget the answer fits and one more does not (hand formula)."""
    net = symparams.load(WIDTH)
    r = net.solve("f", at_most=budget)
    assert seed_by_hand(r.value) <= budget < seed_by_hand(r.value + 1)
    assert r.count == seed_by_hand(r.value)


@given(st.integers(min_value=1, max_value=3000))
@settings(max_examples=40, deadline=None)
def test_exact_target_property(f):
    net = symparams.load(WIDTH)
    hit = net.solve("f", exactly=seed_by_hand(f))
    assert hit.solutions == [f]
    miss = net.solve("f", exactly=seed_by_hand(f) + 1)
    assert miss.solutions == [] and miss.solution_range is None
    assert miss.below.value == f and miss.above.value == f + 1


# ----------------------------------------------------------------------------- floors

STRIDED = "input n x n x 3\nconv 16 3x3 stride=2\nconv 16 3x3 stride=2\nflatten\ndense 10\n"


def strided_by_hand(n: int) -> int:
    s1 = (n - 3) // 2 + 1
    s2 = (s1 - 3) // 2 + 1
    return (27 * 16 + 16) + (9 * 16 * 16 + 16) + (s2 * s2 * 16 * 10 + 10)


@pytest.mark.parametrize("budget", [2_778 + 160, 50_000, 123_457, 10 ** 7, 10 ** 12 + 3])
def test_budget_with_floors(budget):
    net = symparams.parse(STRIDED)
    r = net.solve("n", at_most=budget)
    assert r.lowest == 7                         # 7 -> 3 -> 1: the smallest input both convs fit
    assert strided_by_hand(r.value) <= budget < strided_by_hand(r.value + 1)
    assert params_at(net, n=r.value) == r.count
    assert r.boundary is None and any("piecewise" in n for n in r.notes)


def test_exact_target_with_floor_plateau():
    net = symparams.parse(STRIDED)
    target = strided_by_hand(64)
    r = net.solve("n", exactly=target)
    expected = [n for n in range(7, 200) if strided_by_hand(n) == target]
    assert r.solutions == expected and len(expected) == 4     # floor makes four inputs alike
    for n in r.solutions:
        assert params_at(net, n=n) == target


def test_exact_target_none_gives_neighbours():
    net = symparams.parse(STRIDED)
    r = net.solve("n", exactly=strided_by_hand(64) + 1)
    assert not r.solutions
    assert r.below.count < strided_by_hand(64) + 1 < r.above.count
    assert r.below.count == strided_by_hand(r.below.value) and r.above.count == strided_by_hand(r.above.value)


def test_smallest_value_over_a_floor():
    net = symparams.parse(STRIDED)
    r = net.solve("n", at_least=1_000_000)
    assert strided_by_hand(r.value) >= 1_000_000 > strided_by_hand(r.value - 1)


def test_repeat_depth_exponential():
    net = symparams.parse("input 8x8x3\nrepeat d as i { conv 4*2^i 3x3 padding=same }\nflatten\ndense 10")

    def by_hand(d):
        total, c = 0, 3
        for i in range(d):
            out = 4 * 2 ** i
            total += 9 * c * out + out
            c = out
        return total + 64 * c * 10 + 10

    r = net.solve("d", at_most=10 ** 9)
    assert by_hand(r.value) <= 10 ** 9 < by_hand(r.value + 1)


# ----------------------------------------------------------------------------- monotonicity and ranges

def test_not_monotone_is_said_and_scanned():
    # a larger kernel: more conv weights but a smaller map into the dense layer
    net = symparams.parse("input 32x32x3\nconv 8 k x k\nflatten\ndense 10")
    r = net.solve("k", at_most=30_000)

    def by_hand(k):
        return 3 * 8 * k * k + 8 + (33 - k) ** 2 * 8 * 10 + 10

    assert r.highest == 32                       # the kernel must fit the 32x32 input
    fits = [k for k in range(1, 33) if by_hand(k) <= 30_000]
    assert r.value == max(fits)
    assert "scanned" in " ".join(r.notes)


def test_decreasing_metric_reports_not_monotone(capsys):
    text = "input 64x64x3\nconv 8 3x3\nmaxpool p\nflatten\ndense 10\n"
    net = symparams.parse(text)
    r = net.solve("p", at_least=10_000)
    assert not r.monotone
    assert any("does not always grow" in n for n in r.notes)

    def by_hand(p):
        return 9 * 3 * 8 + 8 + (62 // p) ** 2 * 8 * 10 + 10

    assert r.value == min(p for p in range(1, 63) if by_hand(p) >= 10_000)


def test_polynomial_kernel_sweet_spot():
    # kernel weights grow with k, the map into the dense layer shrinks: a U-shaped total
    net = symparams.parse("input 40x40x1\nconv 1 k x k\nflatten\ndense 1")
    r = net.solve("k", at_most=1000)

    def by_hand(k):
        return k * k + 1 + (41 - k) ** 2 + 1

    assert r.value == max(k for k in range(1, 41) if by_hand(k) <= 1000)
    with pytest.raises(DefinitionError, match="the smallest in k = 1 .. 40 is 843 at k = 20"):
        net.solve("k", at_most=800)


def test_monotone_from_polynomial_root():
    from symparams.solve import _monotone_from
    x = sympy.Symbol("x", integer=True, positive=True)
    assert _monotone_from(x ** 2 - 10 * x, x, 1) == 5       # differences 2x - 9 >= 0 from x = 5
    assert _monotone_from(3 * x ** 2 + x, x, 1) == 1
    assert _monotone_from(100 - x, x, 1) is None
    assert _monotone_from(sympy.floor((x - 3) / 2) ** 2 * 7 + 1, x, 3) == 3


# ----------------------------------------------------------------------------- several symbols

def test_formula_in_other_symbols():
    net = symparams.parse("input n x n x 3\nconv f 3x3\nflatten\ndense 10")
    r = net.solve("f", at_most=100_000)
    assert len(r.formulas) == 1
    n = sympy.Symbol("n", integer=True, positive=True)
    for nv in (5, 9, 30):
        bound = r.formulas[0].subs(n, nv)
        best = int(sympy.floor(bound))
        by_hand = lambda f: 27 * f + f + (nv - 2) ** 2 * f * 10 + 10  # noqa: E731
        assert by_hand(best) <= 100_000 < by_hand(best + 1)


def test_set_values_fix_other_symbols(capsys):
    path = EXAMPLES / "seed002_width.arch"
    assert main(["solve", str(path), "--max-params", "2.5K"]) == 1     # below the smallest f
    assert "even the smallest valid f = 1" in capsys.readouterr().err


def test_non_polynomial_with_free_symbols_asks_for_set():
    net = symparams.parse("input n x n x 3\nconv 8 3x3 stride=2\nconv f 3x3\nflatten\ndense 10")
    with pytest.raises(UsageError, match="--set"):
        net.solve("n", at_most=10 ** 6)


# ----------------------------------------------------------------------------- errors

def test_errors(tmp_path, capsys):
    path = tmp_path / "w.arch"
    path.write_text("input n x n x 3\nconv f 3x3\nflatten\ndense 10\n")
    assert main(["solve", str(path), "--for", "g", "--max-params", "1M", "--set", "n=32"]) == 1
    assert "no symbol 'g'" in capsys.readouterr().err
    assert main(["solve", str(path), "--for", "f", "--max-params", "1M", "--set", "n=32,f=3"]) == 2
    assert "leave the unknown without a value" in capsys.readouterr().err
    assert main(["solve", str(path), "--for", "f", "--set", "n=32"]) == 2
    assert "--max-params" in capsys.readouterr().err
    assert main(["solve", str(path), "--for", "f", "--max-params", "12", "--set", "n=32"]) == 1
    assert "no f gives params <= 12" in capsys.readouterr().err
    assert main(["solve", str(path), "--for", "f", "--max-params", "1.5.2", "--set", "n=32"]) == 2
    assert main(["solve", str(path), "--for", "f", "--max-params", "10.5", "--set", "n=32"]) == 2
    assert "whole number" in capsys.readouterr().err
    assert main(["solve", str(path), "--for", "f", "--max-params", "1M", "--set", "n=32", "--metric", "nope"]) != 0
    with pytest.raises(SystemExit):
        main(["solve", str(path), "--for", "f", "--max-params", "1", "--params", "2"])


def test_metric_independent_of_unknown():
    net = symparams.parse("input n x n x 3\nglobalavgpool\ndense 10")
    with pytest.raises(DefinitionError, match="does not depend"):
        net.solve("n", at_most=100)


def test_trainable_metric():
    net = symparams.parse("input 32\ndense f\nbatchnorm\ndense 10")
    r = net.solve("f", at_most=10_000, metric="trainable")

    def by_hand(f):          # batchnorm: gamma, beta trainable; moving mean/var are not
        return 32 * f + f + 2 * f + 10 * f + 10

    assert by_hand(r.value) <= 10_000 < by_hand(r.value + 1)


@pytest.mark.parametrize("text,value", [("100000", 100_000), ("1_000_000", 10 ** 6), ("1e6", 10 ** 6),
                                        ("2.5K", 2_500), ("1M", 10 ** 6), ("1G", 10 ** 9), ("1.5e9", 1_500_000_000),
                                        ("123456789012345678901234567890", 123456789012345678901234567890),
                                        ("1.2345678901234567890123e22", 12345678901234567890123)])
def test_parse_number_exact(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1.5", "2.5.3", "1e-3", "--5", "1KK"])
def test_parse_number_rejects(text):
    with pytest.raises(UsageError):
        parse_number(text)


def test_solve_ascii_and_json_forms(capsys):
    """--ascii writes the same result in plain ASCII; --format json keeps exact numbers and SymPy formulas."""
    import json

    import sympy
    assert main(["solve", str(WIDTH), "--for", "f", "--max-params", "100000", "--ascii"]) == 0
    out = capsys.readouterr().out
    assert "params(f) = 9f^2 + 6,427f + 2,826" in out and "sqrt(44,804,593)" in out
    assert all(ord(ch) < 128 for ch in out)
    assert main(["solve", str(WIDTH), "--for", "f", "--max-params", "100000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    f = sympy.Symbol("f")
    assert sympy.sympify(data["formula"]) == 9 * f ** 2 + 6427 * f + 2826
    assert data["value"] == 14 and data["count"] == 94_568 and data["next"]["value"] == 15
