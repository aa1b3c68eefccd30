"""solve, memory --budget --for and sweep over the set the validity conditions define.

The oracle is the engine itself: a value is valid when the network derives at it (what `summary
--set` does), and its count is that network's count. Random small files put one symbol x where
divisibility matters (attention heads | width, kv_heads | heads, grouped conv groups | channels,
groupnorm groups | channels, moe top_k <= experts); solve's answers (largest under a budget,
smallest over a floor, every exact hit) are compared with a brute-force scan over x = 1 .. SCAN.
SYMPARAMS_SOLVE_EXAMPLES raises the example count (CI runs a modest one)."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symparams
from symparams import cost, memory_report
from symparams.cli import main
from symparams.errors import DefinitionError, ShapeError, SymparamsError
from symparams.printers import sweep as sweep_printer

from conftest import EXAMPLES

ZOO = EXAMPLES / "zoo"
SCAN = 48                   # the brute force derives the network at x = 1 .. SCAN
N_EXAMPLES = int(os.environ.get("SYMPARAMS_SOLVE_EXAMPLES", "30"))
SETTINGS = settings(max_examples=N_EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ----------------------------------------------------------------------------- the reproducers

def test_tinyllama_width_under_7g():
    net = symparams.load(ZOO / "llama_tinyllama.arch")
    r = net.solve("width", at_most="7G")
    assert (r.value, r.count) == (8_256, 6_971_605_824)
    assert (r.next.value, r.next.count, r.next.valid) == (8_288, 7_011_755_744, True)
    # the engine's own counts at both values (summary --set width=...; the other symbols at their defaults)
    assert int(net.evaluate(width=8_256).params) == 6_971_605_824
    assert int(net.evaluate(width=8_288).params) == 7_011_755_744
    # every width in between is refused by the engine: 32 heads must divide it
    for w in range(8_257, 8_288):
        with pytest.raises(ShapeError):
            net.evaluate(width=w)
    assert r.valid["modulus"] == 32 and r.valid["residues"] == [0]


def test_tinyllama_cli_text(capsys):
    assert main(["solve", str(ZOO / "llama_tinyllama.arch"), "--for", "width", "--max-params", "7G"]) == 0
    out = capsys.readouterr().out
    assert "width = 8256  (params = 6,971,605,824)" in out
    assert "next valid value above: width = 8288  (params = 7,011,755,744)" in out
    assert "multiples of 32" in out and "heads (32) must divide the width" in out


EXACT = "input 10 x d\nattention heads=4 bias=false\ndense 104 bias=false\n"    # 4d² + 104d


def test_exact_target_through_divisibility():
    net = symparams.parse(EXACT)
    assert int(net.subs(d=128).params) == 78_848
    r = net.solve("d", exactly=78_848)
    assert r.solutions == [128]
    miss = net.solve("d", exactly=78_849)
    assert miss.solutions == [] and (miss.below.value, miss.above.value) == (128, 132)
    assert miss.below.count == 78_848 and miss.above.count == int(net.subs(d=132).params)


def test_no_valid_value_names_the_conditions():
    net = symparams.parse("input 10 x 64\nattention heads=h kv_heads=3\n")
    with pytest.raises(DefinitionError) as err:
        net.solve("h", at_most=10 ** 9)
    message = str(err.value)
    assert "no h makes a valid network" in message
    assert "heads (h) must divide the width (64)" in message and "kv_heads (3) must divide heads (h)" in message


def test_divisor_of_a_number_is_a_finite_set():
    net = symparams.parse("input 10 x 2048\nattention heads=32 kv_heads=k\n")
    r = net.solve("k", at_most=10 ** 7)
    assert r.valid["members"] == [1, 2, 4, 8, 16, 32]
    assert r.value == 4 and r.next.value == 8


def test_memory_budget_for_width_steps_over_the_divisibility():
    net = symparams.load(ZOO / "llama_tinyllama.arch")
    options = cost.Options()
    solved = memory_report.largest_fitting(net, options, 200 * 10 ** 9, "width")
    w = solved["value"]
    assert w % 32 == 0

    def train_bytes(width):
        rep = memory_report.report(net.evaluate(width=width), options)
        return next(p.value for p in rep.parts if p.metric == "train_bytes")

    assert train_bytes(w) == solved["at_value"] <= 200 * 10 ** 9 < train_bytes(w + 32)


def test_sweep_d_121_with_four_heads_has_no_count(capsys):
    text = "input 8 x d\nattention heads=4\n"
    net = symparams.parse(text)
    rows = net.sweep({"d": range(120, 125)})
    assert [r["params"] is None for r in rows] == [False, True, True, True, False]
    assert all("heads (4) must divide the width" in r["invalid"] for r in rows if r["params"] is None)
    with pytest.raises(ShapeError):
        net.subs(d=121)


# ----------------------------------------------------------------------------- random files

SIZE = st.sampled_from(["x", "2*x", "x+4", "3*x", "12", "24", "8"])
FEW = st.sampled_from(["x", "2", "3", "4", "x+1", "1"])


@st.composite
def sequence_files(draw):
    """A sequence network with x in widths, heads, kv_heads and the experts of a mixture."""
    width = draw(SIZE)
    lines = [f"input 4 x {width}"]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["attention", "attention_kv", "dense", "moe", "layernorm"]))
        if kind == "attention":
            lines.append(f"attention heads={draw(FEW)}")
        elif kind == "attention_kv":
            lines.append(f"attention heads={draw(st.sampled_from(['x', '4', '6', '2*x']))} kv_heads={draw(FEW)}")
        elif kind == "dense":
            width = draw(SIZE)
            lines.append(f"dense {width}")
        elif kind == "moe":
            lines.append(f"moe experts={draw(st.sampled_from(['x', '4', 'x+2']))} top_k={draw(FEW)} "
                         f"{{ dense {width} }}")
        else:
            lines.append("layernorm")
    return "\n".join(lines) + "\n"


@st.composite
def image_files(draw):
    """An image network with x in channels, filters and the groups of convolutions and groupnorm."""
    channels = draw(SIZE)
    lines = [f"input 5 x 5 x {channels}"]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "groupnorm", "dense"]))
        if kind == "conv":
            channels = draw(SIZE)
            lines.append(f"conv {channels} 3x3 padding=same groups={draw(FEW)}")
        elif kind == "groupnorm":
            lines.append(f"groupnorm {draw(st.sampled_from(['x', '2', '4', '3']))}")
        else:
            channels = draw(SIZE)
            lines.append(f"dense {channels}")
    return "\n".join(lines) + "\n"


FILES = st.one_of(sequence_files(), image_files())


def _network(text):
    try:
        net = symparams.parse(text)
    except SymparamsError:
        assume(False)
    assume("x" in {s.name for s in net.symbols})
    return net


def brute(net, metric: str, top: int = SCAN) -> dict[int, int]:
    """{x: count} at every x in 1 .. top where the engine derives the network (summary --set x=...)."""
    out = {}
    for v in range(1, top + 1):
        try:
            there = net.subs(x=v)
        except (ShapeError, DefinitionError):
            continue
        out[v] = int(there.metric(metric))
    return out


def _solve(net, metric, **goal):
    try:
        return net.solve("x", metric=metric, **goal)
    except DefinitionError as exc:
        return exc


def _check_point(net, metric, point):
    """A point solve reports is valid for the engine and carries the engine's count."""
    there = net.subs(x=point.value)           # raises (fails the test) if the engine refuses it
    assert int(there.metric(metric)) == point.count


@SETTINGS
@given(text=FILES, metric=st.sampled_from(["params", "flops"]), pick=st.integers(0, 10 ** 6),
       delta=st.sampled_from([-1, 0, 1]))
def test_solve_agrees_with_brute_force(text, metric, pick, delta):
    net = _network(text)
    counts = brute(net, metric)
    probe = _solve(net, metric, at_most=10 ** 30)
    if isinstance(probe, DefinitionError) and "valid network" in str(probe):
        assert not counts, (text, counts)            # solve says no value is valid: none is, up to SCAN
        return
    if isinstance(probe, DefinitionError) and "does not depend" in str(probe):
        assert len(set(counts.values())) <= 1, (text, counts)     # the same count at every valid x
        return
    assume(counts)
    valid = sorted(counts)
    target = counts[valid[pick % len(valid)]] + delta
    assume(target >= 0)

    r = _solve(net, metric, at_most=target)
    fits = [v for v in valid if counts[v] <= target]
    if isinstance(r, DefinitionError):
        assert not fits, (text, target, str(r))
    else:
        _check_point(net, metric, r)
        assert r.count <= target
        if r.value <= SCAN:
            assert r.value == max(fits), (text, target, r.value, fits)
        else:
            assert all(counts[v] > target for v in valid if v > max(fits, default=0)) or fits
        if r.next is not None:
            _check_point(net, metric, r.next)
            later = [v for v in valid if v > r.value]
            if later:
                assert r.next.value == later[0], (text, r.next.value, later[:3])

    r = _solve(net, metric, at_least=target)
    over = [v for v in valid if counts[v] >= target]
    if isinstance(r, DefinitionError):
        assert not over, (text, target, str(r))
    else:
        _check_point(net, metric, r)
        assert r.count >= target
        if over:
            assert r.value == over[0], (text, target, r.value, over[:3])
        else:
            assert r.value > SCAN

    r = _solve(net, metric, exactly=target)
    hits = [v for v in valid if counts[v] == target]
    if isinstance(r, DefinitionError):
        assert "every valid" in str(r)           # equal for every valid value past some x: none to list
        return
    found = list(r.solutions)
    if r.solution_range:
        a, b = r.solution_range
        found = [v for v in valid if a <= v <= b]
    assert [v for v in found if v <= SCAN] == hits, (text, target, found[:5], hits[:5])
    for v in r.solutions[:5]:
        assert int(net.subs(x=v).metric(metric)) == target
    if not hits and not found:
        for p in (r.below, r.above):
            if p is not None:
                _check_point(net, metric, p)


@SETTINGS
@given(text=FILES, pick=st.integers(0, 10 ** 6))
def test_memory_budget_for_agrees_with_brute_force(text, pick):
    net = _network(text)
    # no loss: the default loss depends on the numbers (a network ending in 'dense x' is a regression
    # at x = 1, with no loss, and classification above), which the symbolic total does not follow
    options = cost.Options(loss="none")

    def train_bytes(v):
        rep = memory_report.report(net.subs(x=v), options)
        return next(p.value for p in rep.parts if p.metric == "train_bytes")

    valid = []
    for v in range(1, SCAN + 1):
        try:
            net.subs(x=v)
            valid.append(v)
        except (ShapeError, DefinitionError):
            continue
    assume(valid)
    bytes_at = {v: train_bytes(v) for v in valid}
    budget = bytes_at[valid[pick % len(valid)]]
    try:
        solved = memory_report.largest_fitting(net, options, budget, "x")
    except DefinitionError as exc:
        assert not [v for v in valid if bytes_at[v] <= budget], (text, budget, str(exc))
        return
    w = solved["value"]
    assert train_bytes(w) == solved["at_value"] <= budget       # valid (derives) and fits
    fits = [v for v in valid if bytes_at[v] <= budget]
    if w <= SCAN:
        assert w == max(fits), (text, budget, w, fits)


@SETTINGS
@given(text=FILES)
def test_sweep_never_prints_a_count_at_an_invalid_point(text):
    net = _network(text)
    grid = net.sweep({"x": range(1, SCAN + 1)})
    counts = brute(net, "params")
    for row in grid:
        if row["params"] is None:
            assert row["invalid"], (text, row)
            assert row["x"] not in counts, (text, row)          # the engine refuses it too
        else:
            assert counts.get(row["x"]) == row["params"], (text, row)
    # what the command prints: every count in the text, CSV and JSON tables is at a valid point
    g = symparams.sweep.grid(net, {"x": list(range(1, SCAN + 1))}, ["params"])
    columns = g.columns()
    for line in sweep_printer.table(columns, g.names, ("params",), "text").splitlines()[1:]:
        cells = line.split()
        x = int(cells[0])
        if len(cells) > 1 and cells[1] != "invalid:":
            assert int(cells[1].replace(",", "")) == counts[x], (text, line)
        else:
            assert x not in counts and "invalid:" in line, (text, line)
    for row in csv.DictReader(io.StringIO(sweep_printer.table(columns, g.names, ("params",), "csv"))):
        assert (row["params"] == "") == (int(row["x"]) not in counts), (text, row)
    for row in json.loads(sweep_printer.table(columns, g.names, ("params",), "json")):
        assert row["params"] == counts.get(row["x"]), (text, row)


def test_playground_marks_divisibility_like_sweep():
    from symparams.web import Session
    session = Session()
    assert session.derive("let d = 120\ninput 8 x d\nattention heads=4\n")["ok"]
    assert session.evaluate({"d": 121})["broken"] == ["attention_1: heads (4) must divide the width (d)"]
    assert session.evaluate({"d": 124})["broken"] == []
    points = session.plot("params", "d", 118, 126)["points"]
    valid = {p["x"] for p in points if p["valid"]}
    assert valid == {120, 124}
    for p in points:        # the plot's validity is the engine's (summary --set d=...)
        net = symparams.parse(f"let d = {p['x']}\ninput 8 x d\nattention heads=4\n")
        try:
            net.evaluate()
            assert p["valid"]
        except ShapeError:
            assert not p["valid"]


@pytest.mark.parametrize("text,name", [
    # x + 4 divisible by 8 and 3x by 6: the residue class 4 (mod 8)
    ("input 4 x x\ndense x+4\nattention heads=8\ndense 3*x\nattention heads=6\n", "x"),
    # a whole number under a floor (3 | 8⌊n/2⌋): no period is derived, each value is tested
    ("input n x 8\nmaxpool 2\nreshape -1 x 3\nflatten\ndense 5\n", "n"),
])
def test_residue_classes_and_tested_values_against_brute_force(text, name):
    net = symparams.parse(text)
    counts = {}
    for v in range(1, 200):
        try:
            counts[v] = int(net.subs({name: v}).params)
        except (ShapeError, DefinitionError):
            pass
    valid = sorted(counts)
    for target in sorted({counts[v] + d for v in valid[3:-3:2] for d in (-1, 0, 1)}):
        r = net.solve(name, at_most=target)
        assert r.value == max(v for v in valid if counts[v] <= target) and r.count == counts[r.value]
        later = [v for v in valid if v > r.value]
        assert r.next.value == later[0] if later else r.next.value >= 200
        r = net.solve(name, at_least=target)
        assert r.value == min(v for v in valid if counts[v] >= target)
        r = net.solve(name, exactly=target)
        assert r.solutions == [v for v in valid if counts[v] == target]


def test_a_test_without_period_is_bounded():
    # 3 never divides 2^x: the whole-number test has no period, so values are tested one by one,
    # a bounded number of them, and the answer says so instead of running on
    net = symparams.parse("input 4 x 2^x\nattention heads=3\n")
    with pytest.raises(DefinitionError, match="no x makes a valid network among 20,000 values"):
        net.solve("x", at_most=10 ** 9)
    net = symparams.parse("input 4 x 2^x\nattention heads=4\n")
    r = net.solve("x", at_most=10 ** 9)
    assert (r.value, r.lowest) == (13, 2) and int(net.subs(x=13).params) == r.count <= 10 ** 9
