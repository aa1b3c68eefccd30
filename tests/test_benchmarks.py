"""The benchmark script keeps working: `python benchmarks/run.py --quick` runs end to end and what it
measures is right. Timings are reported by the script, never asserted here (a loaded CI machine would
make such a test flaky); the checks are on counts that come from published sources or hand arithmetic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, need_module

# Published totals (Keras applications documentation / the original papers), not symparams output.
PUBLISHED = {"VGG16": 138_357_544, "ResNet-50": 25_636_712, "MobileNetV2": 3_538_984,
             "DenseNet121": 8_062_504, "ViT-B/16": 86_567_656}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    need_module("numpy")          # the sweep rows
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    markdown = (out / "RESULTS.md").read_text(encoding="utf-8")
    return data, markdown


def _rows(data, section):
    return [r for r in data["rows"] if r["section"] == section]


def test_every_section_has_rows_with_target_and_verdict(quick_run):
    data, markdown = quick_run
    assert data["meta"]["quick"] is True
    for section in ("CLI", "Scaling", "Zoo", "Render", "End to end", "Sweep", "Solve", "Plan"):
        assert _rows(data, section), f"no {section} rows"
    for row in data["rows"]:
        assert set(row) == {"section", "measurement", "target", "measured", "ok", "note"}
        assert row["ok"] in (True, False, None)
        if row["ok"] is False:
            assert row["note"], f"a missed target needs a reason: {row}"
    # one table line per row, each with its verdict mark
    table = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| Section")]
    assert len(table) == len(data["rows"])
    assert all(any(mark in line for mark in ("✓", "✗", "—")) for line in table)


def test_cold_start_runs_the_real_cli_on_the_seed(quick_run):
    data, _ = quick_run
    rows = [r for r in _rows(data, "CLI") if r["measurement"].startswith("cold start:")]
    assert rows
    for row in rows:
        # the seed file's published total (the hand-worked MNIST network), printed by the command measured
        assert row["note"].startswith("prints the published 217,706"), row
    for key, raw in data["raw"].items():
        if key.startswith("cold_start/"):
            assert all(t > 0 for t in raw["runs_s"]) and raw["median_s"] > 0


def test_zoo_rows_count_the_published_totals(quick_run):
    data, _ = quick_run
    found = 0
    for label, published in PUBLISHED.items():
        raw = data["raw"].get(f"zoo/{label}/symparams")
        if raw is None:      # zoo file not present: the row must say so
            assert any(r["measurement"] == label and "not yet available" in r["measured"] for r in data["rows"])
            continue
        assert "error" not in raw, raw
        assert raw["params"] == published, (label, raw["params"], published)
        assert raw["cold_s"] > 0 and raw["warm_s"] > 0 and raw["maxrss_mb"] > 0
        found += 1
    assert found >= 1


def test_scaling_rows_have_one_row_per_layer(quick_run):
    data, _ = quick_run
    for layers in (10, 100):
        plain = data["raw"][f"scaling/plain/{layers}"]
        residual = data["raw"][f"scaling/residual/{layers}"]
        # hand count: the input row plus one row per conv
        assert plain["rows"] == layers + 1
        # each residual unit: residual, its body path, conv, batchnorm, relu
        assert residual["rows"] == 5 * layers + 1
        # plain: each conv k contributes f_k*(9*c_prev) and f_k (bias), all different monomials
        assert plain["terms"] == 2 * layers


def test_sweep_and_solve_rows_use_the_width_parameterised_resnet(quick_run):
    data, _ = quick_run
    sweep, solve = data["raw"].get("sweep"), data["raw"].get("solve")
    assert sweep is not None and "error" not in sweep and "missing" not in sweep, sweep
    assert sweep["at_defaults"] == PUBLISHED["ResNet-50"]       # w = 64 is the published network
    assert sweep["grid_points"] == 100 * 100 and sweep["values"] == sweep["points"]
    assert "error" not in solve, solve
    # largest w with at most 10M parameters: checked against the total at w and w + 1 by direct counting
    import symparams
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    net = symparams.parse(bench.resnet50_width_text(bench.find_zoo_file("resnet50")))
    w = solve["value"]
    assert int(net.subs(w=w).evaluate().params) <= 10_000_000 < int(net.subs(w=w + 1).evaluate().params)


LENET5 = 156 + 2_416 + 48_120 + 10_164 + 850       # LeCun et al. 1998, layer by layer (the zoo file's header)


def _bench_module():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    return bench


def test_render_rows_time_derive_and_render_of_the_summary(quick_run):
    data, _ = quick_run
    published = {"LeNet-5": LENET5, "VGG16": PUBLISHED["VGG16"]}
    for label, total in published.items():
        raw = data["raw"][f"render/{label}"]
        assert "error" not in raw, raw
        assert raw["params"] == total                      # read back from the printed table
        assert raw["derive_s"] > 0 and raw["render_s"] > 0 and raw["first_render_s"] > 0
        row = next(r for r in _rows(data, "Render") if r["measurement"].startswith(label + ":"))
        assert row["ok"] is (raw["render_s"] <= raw["derive_s"])


def test_end_to_end_rows_run_the_cli_cold_and_read_its_total(quick_run):
    data, _ = quick_run
    raw = data["raw"]["e2e/LeNet-5"]
    assert raw["keras-side"]["rc"] == 0 and raw["keras-side"]["total"] == LENET5
    assert raw["torch-side"]["total"] == LENET5            # the convention makes no difference on LeNet-5
    assert raw["keras-side"]["cpu_s"] > 0
    floor = data["raw"]["imports"]
    assert floor["floor_cpu_s"]["symparams"] >= floor["floor_cpu_s"]["python"]
    assert "sympy" in floor["median_ms_by_package"]        # -X importtime was read


def test_printed_count_reads_each_summary_format():
    bench = _bench_module()
    symbolic = "Total params: 4097*classes + 1048576*(floor(n/32 - 63/32) + 1)**2 + 19255104 = 61,100,840\n"
    assert bench.printed_count(symbolic) == 61_100_840
    keras = " Total params: 138,357,544 (527.79 MB)\n Trainable params: 138,357,544 (527.79 MB)\n"
    assert bench.printed_count(keras) == 138_357_544
    assert bench.printed_count(keras, "Trainable params") == 138_357_544
    torchinfo = "====\nTotal params: 7,978,856\nTrainable params: 7,978,856\nNon-trainable params: 0\n"
    assert bench.printed_count(torchinfo) == 7_978_856
    assert bench.printed_count("Non-trainable params: 0\n") is None
