"""`summary --numbers` (issue 23 item 2) against the symbolic engine, differentially.

--numbers derives once on the numbers (Network.at_values) and prints numbers only. For every file in
examples/ and examples/zoo/ under both conventions, and for random architectures from the kinds
harness (numeric, with a symbolic input size, and symbolic ones with repeats in closed form), the
command's JSON must give:
- every total equal to the symbolic summary's total at the defaults (the formula evaluated);
- every row equal to the row the symbolic summary prints at the defaults when both list the same rows,
  and always equal to what the full summary prints with every default given by --set (a symbolic
  repeat in closed form lists its passes as a segment, the numeric one pass by pass);
and its text the same totals, with no formula anywhere in it. What it cannot print as numbers
(a symbol without a default) it refuses with a usage error, printing nothing.

The derive on Python ints without SymPy (engine/numbers.py, what the command runs where it can) is
compared with the SymPy derive directly as well: the same text and JSON, or a fall back to SymPy,
never a different answer; the zoo files it covers are listed, and a fresh process that prints them
all never imports SymPy.

SYMPARAMS_NUMBERS_EXAMPLES (default 8) random architectures of each sort run in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES
from harness import architecture, load_kind_modules
from symparams import cli
from symparams.errors import SymparamsError

load_kind_modules()

FILES = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.glob("*.arch")) + \
    sorted(p.relative_to(EXAMPLES).as_posix() for p in (EXAMPLES / "zoo").glob("*.arch"))
RANDOM = int(os.environ.get("SYMPARAMS_NUMBERS_EXAMPLES", "8"))
SETTINGS = settings(max_examples=RANDOM, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def _run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _rows(layers: list[dict]) -> list[tuple]:
    """(name, depth, shape, count) of each row; a residual's or a concat's path ('body:') has no count
    of its own in the table, so none is compared."""
    return [(r["name"], r["depth"], r["output_shape_value"], None if r["kind"] == "path" else r["params_value"])
            for r in layers]


def _totals(data: dict) -> dict:
    return {k: v for k, v in data["total"].items() if k.endswith("_value") and v is not None
            and not (k == "buffers_value" and v == 0)}


def _agree(capsys, path: str, convention: str):
    """The differential check of one file under one convention (skipped: a file the summary refuses)."""
    code, full, _ = _run(capsys, "summary", path, "--format", "json", "--convention", convention)
    if code != 0:
        code_n, out_n, err_n = _run(capsys, "summary", path, "--numbers", "--convention", convention)
        assert code_n != 0 and not out_n and err_n, "--numbers printed where the summary refused"
        return None
    symbolic = json.loads(full)
    code, out, err = _run(capsys, "summary", path, "--numbers", "--format", "json", "--convention", convention)
    defaults = {k: v for k, v in symbolic["symbols"].items() if v is not None}
    if any(v is None for v in symbolic["symbols"].values()):
        assert code == 2 and not out and "--numbers" in err and "no value" in err, err
        return None
    assert code == 0, err
    numbers = json.loads(out)
    assert numbers["numbers"] is True
    # totals: the symbolic formulas at the defaults
    assert numbers["total"] == _totals(symbolic), path
    # rows: those of the symbolic summary at the defaults (when it lists the same rows) ...
    code, expanded, _ = _run(capsys, "summary", path, "--numbers", "--format", "json", "--expand",
                             "--convention", convention)
    fast = _rows(json.loads(expanded)["layers"])
    slow = _rows(symbolic["layers"])
    if [r[:2] for r in fast] == [r[:2] for r in slow]:
        assert fast == slow, path
    # ... and always those the full summary prints with every default given
    sets = ",".join(f"{k}={v}" for k, v in defaults.items())
    code, given_json, err = _run(capsys, "summary", path, "--format", "json", "--convention", convention,
                                 *(["--set", sets] if sets else []))
    assert code == 0, err
    assert fast == _rows(json.loads(given_json)["layers"]), path
    # the text: the same totals, numbers only
    code, text, err = _run(capsys, "summary", path, "--numbers", "--convention", convention)
    assert code == 0, err
    _numbers_only(text, numbers["total"])
    return numbers


def _numbers_only(text: str, totals: dict):
    lines = text.splitlines()
    printed = {}
    for line in lines:
        m = re.match(r"^(Total|Trainable|Non-trainable|Active|Buffers)[^:]*: (.*)$", line)
        if m:
            assert re.fullmatch(r"\d[\d,]*", m.group(2)), f"not a number: {line}"
            printed[m.group(1)] = int(m.group(2).replace(",", ""))
    assert printed["Total"] == totals["params_value"]
    assert printed["Trainable"] == totals["trainable_value"]
    for line in lines:
        if "│" in line and not line.startswith("Layer"):
            cells = [c.strip() for c in line.split("│")]
            assert re.fullmatch(r"[\d,]*", cells[-1]), f"a count that is not a number: {line}"
            assert re.fullmatch(r"[\d, ×]*", cells[1]), f"a shape that is not numbers: {line}"


@pytest.mark.parametrize("file", FILES)
def test_numbers_agree_with_the_symbolic_engine(file, capsys):
    path = str(EXAMPLES / file)
    ran = [_agree(capsys, path, convention) for convention in ("keras", "pytorch")]
    assert any(r is not None for r in ran) or "width" in file, f"{file}: neither convention compared"


def test_a_symbol_without_a_default_is_refused_with_nothing_printed(capsys):
    code, out, err = _run(capsys, "summary", str(EXAMPLES / "seed002_width.arch"), "--numbers")
    assert code == 2 and out == ""
    assert "f has no value" in err and "--set f=" in err
    code, out, err = _run(capsys, "summary", str(EXAMPLES / "seed002_width.arch"), "--numbers", "--set", "f=8")
    assert code == 0 and "Total params:" in out


@pytest.mark.parametrize("option", [["--columns", "flops"], ["--explain"], ["--format", "markdown"],
                                    ["--batch", "4"], ["--ascii"]])
def test_options_that_need_formulas_are_refused(option, capsys):
    code, out, err = _run(capsys, "summary", str(EXAMPLES / "zoo" / "lenet5.arch"), "--numbers", *option)
    assert code == 2 and out == "" and "--numbers" in err


def _agree_text(tmp_path, capsys, text: str, convention: str):
    path = tmp_path / "random.arch"
    path.write_text(text, encoding="utf-8")
    _agree(capsys, str(path), convention)


def _symbolic_input(text: str) -> str:
    first, _, rest = text.partition("\n")
    dims = first.split()[1].split("x")
    return f"let s = {dims[0]}\ninput " + " x ".join(["s"] + dims[1:]) + "\n" + rest


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from(["pytorch", "keras"]), st.booleans())
def test_numbers_agree_on_random_architectures(tmp_path_factory, capsys, seed, framework, symbolic):
    text = architecture(seed, framework)
    _agree_text(tmp_path_factory.mktemp("n"), capsys, _symbolic_input(text) if symbolic else text, framework)


from test_properties import symbolic_architecture  # noqa: E402  (the fold's generator, every symbol defaulted)


@SETTINGS
@given(symbolic_architecture())
def test_numbers_agree_on_random_symbolic_architectures(tmp_path_factory, capsys, text):
    import symparams
    try:
        symparams.parse(text).at_defaults()
    except SymparamsError:
        assume(False)
    _agree_text(tmp_path_factory.mktemp("s"), capsys, text, "keras")


# ----------------------------------------------------------------------------- the derive on ints

# zoo files the derive on ints covers under (keras, pytorch): a file listed here that falls back to
# SymPy fails the test (the others' pytorch convention refuses them: the engine's error, from SymPy)
COVERED = {"alexnet": "kp", "bert_base": "kp", "cifar_resnet": "kp", "convnext_tiny": "kp",
           "deepseek_v2_lite": "kp", "densenet121": "kp", "efficientnet_b0": "k", "gpt2_small": "kp",
           "inception_v3": "k", "lenet5": "kp", "llama_tinyllama": "kp", "mamba_130m": "kp",
           "mixtral_moe": "kp", "mobilenet_v2": "k", "mobilenet_v3_small": "k", "resnet18": "kp",
           "resnet50": "kp", "shufflenet_v2": "kp", "swin_t": "kp", "t5_small": "kp", "unet": "kp",
           "vgg16": "kp", "vit_b16": "kp", "whisper_tiny": "kp"}


def _both(text: str | bytes, convention: str | None, values=None, name="random.arch"):
    """(derived on ints or None, the SymPy Network.at_values or the error it raised)."""
    from symparams.engine import numbers as engine_numbers
    from symparams.engine.network import Network
    from symparams.syntax import parse_program
    program = parse_program(text, name)
    fast = engine_numbers.at_values(program, convention, values)
    try:
        slow = Network.at_values(program, convention, values)
    except SymparamsError as exc:
        slow = exc
    return fast, slow


def _same_output(fast, slow, where: str):
    """The derive on ints prints what the SymPy derive prints (text, JSON, expanded), or fell back."""
    from symparams.engine import numbers as engine_numbers
    from symparams.errors import UsageError
    from symparams.printers import numbers
    if fast is None:
        return engine_numbers.last_reason
    assert not isinstance(slow, SymparamsError), f"{where}: on ints it derived, with SymPy: {slow}"
    for expand in (False, True):
        try:
            want = numbers.text(slow, width=100, expand=expand), numbers.json_text(slow, expand)
        except UsageError:          # a total that is not a whole number: on ints it cannot be either
            raise AssertionError(f"{where}: on ints it derived what SymPy cannot print as numbers") from None
        assert numbers.text(fast, width=100, expand=expand) == want[0], where
        assert numbers.json_text(fast, expand) == want[1], where
    return None


@pytest.mark.parametrize("file", FILES)
def test_the_derive_on_ints_prints_what_sympy_prints(file):
    data = (EXAMPLES / file).read_bytes()
    for convention in ("keras", "pytorch"):
        fast, slow = _both(data, convention, name=file)
        reason = _same_output(fast, slow, f"{file} {convention}")
        stem = Path(file).stem
        if file.startswith("zoo/") and convention[0] in COVERED.get(stem, ""):
            assert reason is None, f"{file} ({convention}) fell back to SymPy: {reason}"


def test_every_zoo_file_is_listed():
    zoo = {p.stem for p in (EXAMPLES / "zoo").glob("*.arch")}
    assert zoo == set(COVERED), "list each zoo file in COVERED with the conventions the derive on ints covers"


def test_a_numbers_process_never_imports_sympy():
    """`summary --numbers` (text and JSON) on every covered zoo file, in one fresh process: SymPy is
    never imported (python -X importtime shows the same)."""
    runs = [(f"zoo/{stem}.arch", {"k": "keras", "p": "pytorch"}[c], fmt)
            for stem, conventions in sorted(COVERED.items()) for c in conventions for fmt in ("text", "json")]
    script = f"""
import contextlib, io, sys
from symparams import cli
for file, convention, fmt in {runs!r}:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli.main(["summary", {str(EXAMPLES)!r} + "/" + file, "--numbers", "--convention", convention,
                         "--format", fmt])
    assert code == 0 and ("Total params" in out.getvalue() or "params_value" in out.getvalue()), (file, code)
    assert "sympy" not in sys.modules, f"{{file}} {{convention}} {{fmt}} imported SymPy"
print("ok", len({runs!r}))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and done.stdout.startswith("ok"), done.stderr[-3000:]


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from(["pytorch", "keras"]), st.booleans())
def test_the_derive_on_ints_agrees_on_random_architectures(seed, framework, symbolic):
    text = architecture(seed, framework)
    fast, slow = _both(_symbolic_input(text) if symbolic else text, framework)
    _same_output(fast, slow, text)


@SETTINGS
@given(symbolic_architecture())
def test_the_derive_on_ints_agrees_on_random_symbolic_architectures(text):
    fast, slow = _both(text, "keras")
    _same_output(fast, slow, text)


@pytest.mark.parametrize("text, values", [
    ("let d = 10\ninput 4 x d\ndense d / 3\n", {}),                        # not whole: SymPy's located error
    ("let d = 12\ninput 4 x d\ndense d / 3\n", {}),                        # whole: 4 units
    ("let n = 10**40\ninput n x 3\ndense 10**30\n", {}),                 # exact past 64 bits
    ("let n = 7\ninput n x n x 3\nconv2d 8 3 stride=2 padding=same\nmaxpool2d 2\n"
     "conv2d 4 3 stride=3 padding=1\n", {"n": 101}),                     # floors and ceilings
    ("let d = 64\nlet h = d * 4\ninput 16 x d\ndropout 0.25\ndense h // 3\n", {}),   # an alias, a rate
])
def test_the_derive_on_ints_is_exact(text, values):
    fast, slow = _both(text, None, values)
    if isinstance(slow, SymparamsError):
        assert fast is None          # the command then raises the SymPy derive's error, located
    else:
        assert fast is not None
        _same_output(fast, slow, text)


@SETTINGS
@given(st.integers(1, 10**6), st.integers(1, 9), st.integers(1, 5), st.integers(0, 4), st.integers(1, 3))
def test_output_sizes_on_ints_are_sympys(n, k, s, p, d):
    """conv_length, floor_div and ceil_div on Python ints equal SymPy's for every positive size."""
    import sympy

    from symparams.algebra import ceil_div, floor_div
    from symparams.numeric import on_ints
    from symparams.shapes import conv_length, same_padding_total, transposed_conv_length
    calls = [lambda n, k, s, p, d: conv_length(n, k, s, p, d), lambda n, k, s, p, d: conv_length(n, k, s, "same", d),
             lambda n, k, s, p, d: floor_div(n, s), lambda n, k, s, p, d: ceil_div(n, s),
             lambda n, k, s, p, d: same_padding_total(n, k, s, d),
             lambda n, k, s, p, d: transposed_conv_length(n, k, s, "valid", None, d, keras_rules=True)]
    for call in calls:
        with on_ints():
            fast = call(n, k, s, p, d)
        slow = call(*map(sympy.Integer, (n, k, s, p, d)))
        assert type(fast) is int and isinstance(slow, sympy.Integer) and fast == int(slow)


@pytest.mark.parametrize("file", ["zoo/resnet50.arch", "zoo/mobilenet_v2.arch", "zoo/gpt2_small.arch",
                                  "seed000_same_convs.arch"])
def test_the_playgrounds_check_on_ints_agrees_with_sympy(file):
    """The playground's check of its sliders' values (web.Session.check) derives on ints first: it says
    possible exactly where the SymPy derive does, and an impossible point gives the SymPy derive's error."""
    from symparams import web
    from symparams.engine import numbers as engine_numbers
    session = web.Session()
    assert session.derive((EXAMPLES / file).read_text(encoding="utf-8"), None, file)["ok"]
    on_ints = 0
    for name in session.names:
        for v in (1, 2, 5, 33, 100):
            given = {name: v}
            point = [v if n == name else session.net.defaults[n] for n in session.names]
            try:
                session.net.subs(dict(zip(session.names, point)))
                want = {"ok": True}
            except SymparamsError as exc:
                want = {"ok": False, "error": web.error_dict(exc)}
            assert session.check(given) == want, (file, given)
            on_ints += engine_numbers.derives(session.net.program, session.net.convention,
                                              {**session.net.values, **dict(zip(session.names, point))})
    assert on_ints, f"{file}: no point checked on ints ({engine_numbers.last_reason})"
