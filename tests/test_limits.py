"""Resource limits of the parser and the derive (symparams/limits.py), and inputs that used to hang,
blow up or end in a traceback: each ends with a located message and exit 0 or 1, quickly and within
2 GB. The cases run in one child process with its address space capped at 2 GB; the time bound per
case is generous for a loaded 2-core machine (each takes well under a second on an idle one)."""

import gc
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import symparams
from symparams import limits

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 10

_blocks = ["input 8", "block b0() { dense 8 }"] + [f"block b{k}() {{\n  b{k - 1}()\n  b{k - 1}()\n}}" for k in range(1, 30)]

CASES = {
    # name: (file text, extra arguments, exit code, words in the message, line of the message)
    "blocks calling blocks twice (2**29 rows)": ("\n".join(_blocks + ["b29()"]) + "\n", [], 1,
                                                 ["b29", "rows", f"{limits.MAX_ROWS:,}"], 119),
    "nested repeats using their indices (64**4 rows)": (
        "input 8\nrepeat 64 as a { repeat 64 as b { repeat 64 as c { repeat 64 as d { dense 1+a+b+c+d } } } }\n",
        [], 1, ["repeat", "rows", f"{limits.MAX_ROWS:,}"], 2),
    "a million layers": ("input 8\n" + "dense 8\n" * 1_000_000, [], 1,
                         ["statements", f"{limits.MAX_STATEMENTS:,}"], limits.MAX_STATEMENTS + 1),
    "a power of a sum": ("input 8\ndense (n+k+1)**200\n", [], 1, ["20,301 terms", "20,000"], 2),
    "a decimal with a huge exponent": ("input 8\ndropout 1e-999999999\n", [], 1, ["out of range"], 2),
    "an integer literal of 5,000 digits": ("input 8\ndense " + "9" * 5000 + "\n", [], 1, ["5,000 digits"], 2),
    "130 nested residuals": ("input 8\n" + "residual {\n" * 130 + "dense 8\n" + "}\n" * 130, [], 1,
                             ["nested too deeply", str(limits.MAX_NESTING)], 2 + limits.MAX_NESTING),
    "130 nested concats": ("input 8\n" + "concat { dense 1 } {\n" * 130 + "dense 8\n" + "}\n" * 130, [], 1,
                           ["nested too deeply"], 2 + limits.MAX_NESTING),
    "130 nested repeats": ("input 8\n" + "repeat 2 {\n" * 130 + "dense 8\n" + "}\n" * 130, [], 1,
                           ["nested too deeply"], 2 + limits.MAX_NESTING),
    "100 nested residuals are fine": ("input 8\n" + "residual {\n" * 99 + "dense 8\n" + "}\n" * 99, [], 0,
                                      ["Total params: 72"], None),
    "a symbolic repeat of max pools": ("input 32x32x3\nrepeat d {\n  maxpool 2\n}\n", [], 0, ["Valid for: d ≤ 5"],
                                       None),
    "vgg_depth with n = 64": (None, [str(ROOT / "examples" / "vgg_depth.arch"), "--set", "n=64"], 0,
                              ["Valid for: d ≤ 6"], None),
    "a size with a pole": ("input 8\ndense 4/(n-3)\n", [], 0, ["4/(n − 3) ≥ 1"], None),
    "a form feed and U+2028 in comments": ("input 8\n# form \x0c feed\n# line \u2028 separator\ndense 8 bogus\n",
                                           [], 1, ["dense 8 bogus"], 4),
}

_DRIVER = textwrap.dedent('''
    import contextlib, io, json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
    from symparams import cli
    results = {}
    for name, args in json.load(open(sys.argv[1])).items():
        err = io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(err), contextlib.redirect_stderr(err):
                code = cli.main(args)
        except BaseException as exc:        # a traceback: what these tests exist to rule out
            code = f"{type(exc).__name__}: {exc}"[:500]
        results[name] = {"code": code, "seconds": time.perf_counter() - start, "output": err.getvalue()[-3000:]}
    json.dump(results, open(sys.argv[2], "w"))
''')


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    runs = {}
    for k, (name, (text, extra, *_)) in enumerate(CASES.items()):
        args = ["summary"]
        if text is not None:
            path = folder / f"case{k}.arch"
            path.write_text(text, encoding="utf-8")
            args.append(str(path))
        runs[name] = args + extra
    (folder / "cases.json").write_text(json.dumps(runs))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "-c", _DRIVER, str(folder / "cases.json"), str(folder / "out.json")],
                   env=env, check=True, timeout=SECONDS * len(CASES) + 60)
    return json.loads((folder / "out.json").read_text())


@pytest.mark.parametrize("name", list(CASES))
def test_ends_with_a_message_quickly(results, name):
    _, _, code, words, line = CASES[name]
    got = results[name]
    assert got["code"] == code, got
    assert "Traceback" not in got["output"], got["output"]
    for word in words:
        assert word in got["output"], (word, got["output"])
    if line is not None:
        assert f":{line}:" in got["output"].splitlines()[0], got["output"]
    assert got["seconds"] < SECONDS, got["seconds"]
    print(f"{name}: {got['seconds']:.2f} s")


def test_unrolled_nested_repeats_are_bounded():
    # each repeat is under the unroll limit; together they would write out 10**6 passes
    net = symparams.parse("input 8\nrepeat 1000 {\n  repeat 1000 {\n    dense 8\n  }\n}\n")
    start = time.perf_counter()
    with pytest.raises(symparams.SymparamsError) as info:
        net.unrolled()
    assert "rows" in str(info.value) and f"{limits.MAX_ROWS:,}" in str(info.value)
    assert info.value.line == 2
    assert time.perf_counter() - start < SECONDS


def test_set_values_are_ascii_digits_within_the_limit():
    with pytest.raises(symparams.SymparamsError, match="whole number"):
        symparams.parse("input n\ndense 3", values={"n": "²"})
    with pytest.raises(symparams.SymparamsError, match="digits"):
        symparams.parse("input n\ndense 3", values={"n": "9" * 5000})


def test_memory_stays_flat_over_many_derives():
    # each derive used to leave its cycles where the collector never looked (gc.freeze/unfreeze):
    # about 230 objects a derive, 340,000 over this loop; now they are collected as they come
    def derive(k):
        net = symparams.parse(f"input n x n x 3\nconv {k % 50 + 1} 3x3\nrepeat d {{ dense k }}\n")
        return net.params, net.constraints

    for k in range(200):
        derive(k)
    before = len(gc.get_objects())
    for k in range(1500):
        derive(k)
    grown = len(gc.get_objects()) - before
    assert grown < 30_000, grown
