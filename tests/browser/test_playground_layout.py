"""Issue 22 item 4: the playground holds big models. In Chromium, the imported Llama-2-7B and
DenseNet-121 (examples/zoo): no table cell's content spills out of its cell (formulas wrap inside
it, names whole), slider labels beside their sliders, plot tick labels inside the plot with SI
prefixes, validity conditions in the CLI's math notation, the short-name legend for the config's
long names. Screenshots of each case are kept in the test's artifacts (SYMPARAMS_ARTIFACTS, else
the test's temporary directory)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, need_program

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def layout(site_url, hf_files, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layout")
    artifacts = Path(os.environ.get("SYMPARAMS_ARTIFACTS", tmp)) / "playground-layout"
    artifacts.mkdir(parents=True, exist_ok=True)
    cases = {"llama2_7b": hf_files["llama"].read_text(encoding="utf-8"),
             "densenet121": (EXAMPLES / "zoo" / "densenet121.arch").read_text(encoding="utf-8")}
    (tmp / "cases.json").write_text(json.dumps(cases))
    node = need_program("node")
    need_program("chromium")
    proc = subprocess.run([node, str(HERE / "layout.mjs"), site_url, str(tmp / "cases.json"), str(artifacts)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "failure" not in out, out["failure"]
    out["artifacts"] = artifacts
    return out


@pytest.mark.parametrize("case", ["llama2_7b", "densenet121"])
def test_big_models_lay_out_without_overlaps(layout, case):
    seen = layout["cases"][case]
    assert seen["rows"] > 10
    assert not seen["spills"], seen["spills"][:5]
    assert not seen["sliderOverlaps"], seen["sliderOverlaps"]
    assert not seen["ticksOutside"], seen["ticksOutside"]
    assert seen["tableInside"]
    assert all("…" not in label for label in seen["labels"])
    assert (layout["artifacts"] / f"{case}.png").stat().st_size > 10_000
    assert layout["outside"] == [] and layout["pageErrors"] == []


def test_llama_shows_short_names_and_si_ticks(layout):
    seen = layout["cases"]["llama2_7b"]
    assert seen["total"] == "6,738,415,616"
    assert "num_hidden_layers" in seen["legend"] and "max_position_embeddings" in seen["legend"]
    assert "num_hidden_layers" in seen["sliderTitles"]
    assert any(re.fullmatch(r"\d+(\.\d+)? [KMBT]", t) for t in seen["ticks"]), seen["ticks"]
    assert not any(re.search(r"\d{1,3}(,\d{3}){2,}", t) for t in seen["ticks"])


def test_densenet_conditions_in_math_notation(layout):
    seen = layout["cases"]["densenet121"]
    assert seen["constraints"], "DenseNet-121 has validity conditions"
    text = " ".join(seen["constraints"])
    assert "floor(" not in text and ">=" not in text and ("≥" in text or "⌈" in text or "⌊" in text), text
