"""The playground in a real browser: Debian's Chromium driven by playwright-core (Node), the site
built once per session by `symparams serve --build` and served from 127.0.0.1, every other host
unreachable. What the page shows is compared with what the CLI prints for the same input."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, need_program

HERE = Path(__file__).resolve().parent
F_MOVED = 24            # the f slider of the lecture example moves from 16 to this
BUDGET = 100_000


def cli(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symparams.cli", *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def total(summary_text: str) -> str:
    return re.search(r"^Total params: (?:.* = )?([\d,]+)$", summary_text, re.M).group(1)


@pytest.fixture(scope="module")
def seen(site_url, tmp_path_factory):
    """One browser session through every scenario (Pyodide boots twice: the page, then the shared link)."""
    tmp = tmp_path_factory.mktemp("browser")
    seed = "\n".join(line for line in (EXAMPLES / "seed002_mnist.arch").read_text().splitlines()
                     if line.strip() and not line.startswith("#"))
    cases = {"seed002": seed, "errorLine": 2, "errorSuffix": " foo=3", "lectureName": "lecture_symbolic.arch",
             "f": F_MOVED, "solveBudget": BUDGET, "badN": 5}
    (tmp / "cases.json").write_text(json.dumps(cases))
    need_program("chromium")
    node = need_program("node")
    proc = subprocess.run([node, str(HERE / "playground.mjs"), site_url, str(tmp / "cases.json")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "failure" not in out, out["failure"]
    out["cases"] = cases
    out["tmp"] = tmp
    return out


def test_offline_and_no_page_errors(seen):
    assert seen["outside"] == [], "the page asked for something outside 127.0.0.1"
    assert seen["pageErrors"] == []


def test_python_starts_from_the_snapshot_and_derives_what_was_prerendered(seen):
    """The page restores the site's memory snapshot (no fallback), shows the pre-rendered view first, and its
    first live derive (of the default example, by the snapshot's Python) is that view exactly."""
    assert seen["boot"]["snapshot"] is True, seen["boot"]
    assert seen["boot"]["fallback"] is None
    assert seen["showedPrerendered"] is True
    live = dict(seen["firstLiveResult"])
    live.pop("python_ms")
    assert live["ok"] is True and seen["prerendered"]["name"] == "seed002_mnist.arch"
    assert live == seen["prerendered"]["result"]


def test_default_page_is_seed002(seen):
    assert seen["defaultExample"] == "seed002_mnist.arch"
    assert seen["defaultTotal"] == total(cli("summary", EXAMPLES / "seed002_mnist.arch").stdout) == "217,706"


def test_typed_seed002(seen):
    seed = seen["cases"]["seed002"]
    assert seen["beforeTyping"] != "217,706"
    assert seen["typedText"] == seed
    assert seen["typedTotal"] == "217,706"
    rows = json.loads(cli("summary", "-", "--format", "json", stdin=seed).stdout)["layers"]
    assert seen["rowCounts"] == [f"{r['params_value']:,}" for r in rows]
    assert seen["katexFormulas"] >= 4        # the weight arithmetic of the conv and dense rows, typeset
    # before the formulas, the table at numbers only (the engine's derive on integers): the same total and rows
    numbers = seen["typedNumbers"]
    assert numbers["text"] == seed and numbers["total"] == "217,706" and numbers["rows"] == len(rows)


def test_error_marked_with_the_cli_message(seen):
    lines = seen["cases"]["seed002"].split("\n")
    lines[1] += seen["cases"]["errorSuffix"]
    proc = cli("summary", "-", stdin="\n".join(lines))
    assert proc.returncode == 1
    expected = proc.stderr.strip().removeprefix("<stdin>:")
    assert expected.startswith("2:")
    assert seen["errorVisible"]
    assert seen["errorText"] == expected
    column = int(expected.split(":")[1])
    assert seen["errorMarkedLines"] == [2]
    assert seen["errorMark"] == {"line": 2, "column": column}
    assert seen["errorMarkVisible"]


def test_slider_moves_the_total_to_the_cli_value(seen):
    lecture = EXAMPLES / "lecture_symbolic.arch"
    assert seen["lectureTotal"] == total(cli("summary", lecture).stdout)
    assert seen["sliders"] == ["slider-f", "slider-k", "slider-n"]
    assert seen["katexTotals"] == 2       # the two symbolic totals as closed forms
    assert seen["fValue"] == str(F_MOVED)
    expected = total(cli("summary", lecture, "--set", f"f={F_MOVED}").stdout)
    assert seen["movedTotal"] == expected != seen["lectureTotal"]
    assert seen["derivesDuringSlider"] == 0       # compiled formulas, no re-derive
    assert seen["evaluatedWhere"] == "page"       # their BigInt translation, on the page's thread
    assert seen["pageVsPython"] == {"same": True, "rows": 7}
    assert len(seen["updateMs"]) == F_MOVED - 16
    # the page updates within 50 ms (the benchmark measures it); loose here for a loaded CI machine
    assert statistics.median(seen["updateMs"]) < 250, seen["updateMs"]


def test_solve_plot_and_latex(seen):
    lecture = EXAMPLES / "lecture_symbolic.arch"
    solved = cli("solve", lecture, "--for", "f", "--max-params", BUDGET).stdout
    answer = next(line for line in solved.splitlines() if line.startswith("largest f"))
    assert answer in seen["solveText"]
    assert seen["plotPoints"] >= 10
    moved = seen["tmp"] / "lecture_symbolic.arch"
    moved.write_text(lecture.read_text().replace("let f = 16", f"let f = {F_MOVED}"))
    assert seen["latexTotals"] == cli("latex", moved, "--totals").stdout
    assert seen["clipboard"] == seen["latexTotals"]
    assert seen["slidesName"] == "lecture_symbolic_slides.tex"
    assert seen["slides"] == cli("latex", moved, "--beamer", "--all").stdout


def test_shared_link_restores_the_state(seen):
    assert "#z=" in seen["sharedUrl"]
    shared = seen["shared"]
    assert shared["sameText"]
    assert shared["fValue"] == str(F_MOVED)
    assert shared["total"] == seen["movedTotal"]
    assert shared["example"] == "lecture_symbolic.arch"


def test_impossible_values_are_flagged_with_the_engines_message(seen):
    assert "Not a possible network at these values" in seen["broken"] and "conv2d_2" in seen["broken"]
    proc = cli("summary", EXAMPLES / "lecture_symbolic.arch", "--set", f"f={F_MOVED},n=5")
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]               # ...:11:1: shape error: conv2d_2 (line 11): kernel ...
    where, message = re.match(r".*?:(\d+:\d+): shape error: (?:with the defaults \([^)]*\): )?(.*)", first).groups()
    assert seen["checkText"].startswith(f"At these values: {where}: shape error: {message}")


def test_build_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    proc = cli("serve", "--build", tmp_path)
    assert proc.returncode == 2 and "holds no playground build" in proc.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_serve_opens_a_file_in_the_page(site, tmp_path):
    """`symparams serve FILE --no-open` prints the URL; its fragment carries the file's text."""
    import base64
    import zlib
    from urllib.request import urlopen

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "symparams.cli", "serve", str(EXAMPLES / "vgg_depth.arch"),
                             "--port", "0", "--no-open", "--dir", str(site)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else url
        fragment = dict(p.split("=", 1) for p in url.split("#", 1)[1].split("&"))
        data = base64.urlsafe_b64decode(fragment["z"] + "=" * (-len(fragment["z"]) % 4))
        assert zlib.decompress(data, -15).decode() == (EXAMPLES / "vgg_depth.arch").read_text()
        assert fragment["n"] == "vgg_depth.arch"
        with urlopen(url.split("#")[0] + "pyodide/pyodide.asm.wasm", timeout=30) as response:
            assert response.headers["Content-Type"] == "application/wasm"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
