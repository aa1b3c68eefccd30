"""Every entry point bounded and every message printable (issue 24): control characters from any
source never reach the terminal raw; every command runs under the CPU limit of symparams/limits.py,
the Python API under its own documented default; reads are bounded; malformed input is a located
message with exit 1 (2 for usage), never an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import symparams
from symparams import cli, limits
from symparams.cpu import cpu_limit
from symparams.errors import SymparamsError, UsageError, printable

ROOT = Path(__file__).resolve().parent.parent
RAW = ("\x1b", "\x07", "\x9b", "\r")


def _cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "symparams.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=cwd, timeout=120)


def _clean(result):
    text = result.stdout + result.stderr
    assert result.returncode in (0, 1, 2), text
    assert "Traceback" not in text and "internal error" not in text, text
    assert not any(c in text for c in RAW), repr(text)


def test_printable_escapes_controls_and_keeps_newlines_and_tabs():
    assert printable("a\x1b]0;title\x07b\n\tc\u202ed\x9be\r") == "a\\x1b]0;title\\x07b\n\tc\\u202ed\\x9be\\x0d"
    assert printable("plain, é and ✓") == "plain, é and ✓"


def test_a_dsl_name_and_its_echoed_line_are_escaped_with_the_caret_in_place(tmp_path):
    path = tmp_path / "names.arch"
    path.write_text('input 8\ndense 10 name="a\x1b[2Jb" paddin=3\n', encoding="utf-8")
    result = _cli("summary", path)
    _clean(result)
    lines = result.stderr.splitlines()
    echoed = next(line for line in lines if "paddin=3" in line)
    caret = lines[lines.index(echoed) + 1]
    assert echoed.index("paddin") == caret.index("^")


def test_a_file_name_and_argparse_echo_are_escaped(tmp_path):
    _clean(_cli("summary", tmp_path / "x\x1b]0;owned\x07.arch"))
    result = _cli("summary", tmp_path / "y.arch", "--format", "\x1b[2J")
    _clean(result)
    assert result.returncode == 2 and "\\x1b[2J" in result.stderr


def test_onnx_node_and_input_names_are_escaped(tmp_path):
    onnx = pytest.importorskip("onnx") if not os.environ.get("CI") else __import__("onnx")
    from onnx import TensorProto as T
    from onnx import helper as h
    graph = h.make_graph([h.make_node("Foo\x1b]0;owned\x07", ["x\x1b[2J"], ["y"], name="n\x1b[2J")], "g",
                         [h.make_tensor_value_info("x\x1b[2J", T.FLOAT, [1, 8])],
                         [h.make_tensor_value_info("y", T.FLOAT, [1, 8])])
    path = tmp_path / "names.onnx"
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), str(path))
    result = _cli("import", path)
    _clean(result)
    assert result.returncode == 1 and "Foo\\x1b]0;owned\\x07" in result.stderr


def test_a_framework_error_text_is_escaped(tmp_path):
    """A factory's own exception text (any framework's message) reaches the terminal escaped."""
    (tmp_path / "evil_factory.py").write_text("def make():\n    raise ValueError('bad \\x1b]0;owned\\x07 class')\n")
    result = _cli("import", "evil_factory:make", "--input-shape", "8", env={"PYTHONPATH": f"{ROOT}:{tmp_path}"})
    _clean(result)
    assert result.returncode == 1 and "\\x1b]0;owned" in result.stderr


def test_cpu_limits_nest_and_each_reports_its_own_bound():
    def spin(seconds):
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass

    with cpu_limit(5, "outer"):
        with pytest.raises(SymparamsError, match="inner took more than 0.3 s"):
            with cpu_limit(0.3, "inner"):
                spin(3)
        spin(0.2)                               # the outer limit still runs after the inner one ended
    with pytest.raises(SymparamsError, match="outer took more than 0.4 s"):
        with cpu_limit(0.4, "outer"):
            with cpu_limit(10, "inner"):
                spin(3)


def test_a_limit_whose_alarm_is_swallowed_is_still_reported():
    """The alarm's exception raised inside a garbage-collector callback is only printed by Python
    (hypothesis installs such callbacks): the work then returns, and the limit must still say so."""
    import gc
    import warnings

    def spin(phase, info):
        if phase == "start":
            end = time.process_time() + 0.3
            while time.process_time() < end:
                pass

    gc.callbacks.append(spin)           # the gc module holds this very list: it cannot be monkeypatched
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # pytest's note of the unraisable exception
            with pytest.raises(SymparamsError, match="took more than 0.05 s of CPU time"):
                with cpu_limit(0.05, "the work"):
                    gc.collect()                # the alarm fires inside `spin`, where it is lost
    finally:
        gc.callbacks.remove(spin)


def test_every_command_runs_under_the_cpu_limit_memory_included(tmp_path):
    path = tmp_path / "long.arch"
    path.write_text("input 64\n" + "dense 64 relu\nlayernorm\n" * 1500, encoding="utf-8")
    for command in (["memory", path], ["summary", path], ["latex", path]):
        start = time.monotonic()
        result = _cli(*command, env={"SYMPARAMS_CPU_LIMIT": "0.2"})
        _clean(result)
        assert result.returncode == 1 and "took more than 0.2 s of CPU time" in result.stderr, result.stderr
        assert "SYMPARAMS_CPU_LIMIT" in result.stderr
        assert time.monotonic() - start < 60


def test_the_api_has_a_documented_default_a_caller_may_raise(monkeypatch):
    assert limits.API_CPU_SECONDS and limits.CPU_SECONDS < 10
    monkeypatch.setattr(limits, "API_CPU_SECONDS", 0.2)
    with pytest.raises(SymparamsError, match="raise symparams.limits.API_CPU_SECONDS"):
        symparams.parse("input 64\n" + "dense 64 relu\n" * 3000)
    monkeypatch.setattr(limits, "API_CPU_SECONDS", None)
    assert symparams.parse("input 8\ndense 4").params == 36


@pytest.mark.parametrize("value", [None, 5, ["input 8"], 3.5])
def test_parse_of_something_not_text_is_a_usage_error(value):
    with pytest.raises(UsageError, match="parse takes the architecture as text"):
        symparams.parse(value)


def test_load_reads_bounded_and_only_regular_files(tmp_path):
    link = tmp_path / "zero.arch"
    link.symlink_to("/dev/zero")
    start = time.process_time()
    with pytest.raises(UsageError, match="not a regular file"):
        symparams.load(link)
    assert time.process_time() - start < 1


def test_a_numeric_repeat_count_with_the_index_in_an_exponent_stays_within_the_bit_limit():
    """vgg_depth with d = 10**10 computed 2**(10**10) in one C call (26 s, 1 GB) before any limit could
    stop it; now the count is checked against limits.MAX_INTEGER_BITS first."""
    start = time.process_time()
    with pytest.raises(SymparamsError, match="100,000 bits"):
        symparams.load(ROOT / "examples" / "vgg_depth.arch", values={"d": 10 ** 10})
    assert time.process_time() - start < 3
    assert symparams.load(ROOT / "examples" / "vgg_depth.arch", values={"d": 5}).params > 0


def test_memory_of_a_byte_count_past_a_float_prints(tmp_path, capsys):
    path = tmp_path / "big.arch"
    path.write_text("input 8\ndense 10**170\ndense 10**170\n", encoding="utf-8")
    for fmt in ("text", "json"):
        assert cli.main(["memory", str(path), "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "Infinity" not in out and "40,000,000,000" in out.replace("\n", "") or '"bytes": 4' in out


def test_memory_budget_for_a_symbol_other_than_the_batch_is_refused_before_any_analysis(tmp_path, capsys):
    path = tmp_path / "slow.arch"
    path.write_text("input 64\n" + "dense 64 relu\n" * 3000, encoding="utf-8")
    start = time.process_time()
    assert cli.main(["memory", str(path), "--batch", "b", "--budget", "80GB", "--for", "w"]) == 2
    assert time.process_time() - start < 0.5
    assert "--for w" in capsys.readouterr().err


@pytest.mark.parametrize("text, word", [("input 8\nmoe experts=4 top_k=2 shared=-3 { dense 8 }\n", "shared"),
                                        ("input 16x8\nattention heads=2 relbias=-5\n", "relbias")])
def test_negative_counts_are_refused_by_summary_export_and_check(tmp_path, text, word):
    path = tmp_path / "negative.arch"
    path.write_text(text, encoding="utf-8")
    for command in (["summary", path], ["export", path, "--to", "pytorch"], ["check", path, "--against", "pytorch"]):
        result = _cli(*command)
        _clean(result)
        assert result.returncode in (1, 2) and f"{word} cannot be negative" in result.stderr, result.stderr


def test_a_symbolic_shared_count_gets_its_validity_condition():
    net = symparams.parse("input 8\nmoe experts=4 top_k=2 shared=s-3 { dense 8 }\n")
    assert any("s ≥ 3" in c or "s >= 3" in c for c in net.constraints), net.constraints
    with pytest.raises(SymparamsError, match="shared cannot be negative"):
        net.subs({"s": 2})


def test_check_of_tinyllama_builds_on_the_meta_device(tmp_path):
    """check on examples/zoo/llama_tinyllama.arch counted 1.1 B parameters by allocating them (and ended in
    an internal error when memory ran out): now built on the meta device."""
    pytest.importorskip("torch") if not os.environ.get("CI") else None
    script = tmp_path / "peak.py"
    script.write_text("import resource, sys\nfrom symparams import cli\ncode = cli.main(sys.argv[1:])\n"
                      "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
                      "sys.exit(code)\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), "check", str(ROOT / "examples/zoo/llama_tinyllama.arch"),
                             "--against", "pytorch"], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0 and "all layers agree" in result.stdout, result.stderr
    peak_mb = int(result.stderr.rsplit("PEAK_KB", 1)[1].split()[0]) // 1024
    # the fp32 weights alone are 4.4 GB; torch and transformers' imports take about 1 GB of their own
    assert peak_mb < 2000, peak_mb


def test_a_real_build_check_needs_is_refused_past_the_size_guard(monkeypatch):
    pytest.importorskip("torch") if not os.environ.get("CI") else None
    from symparams.frameworks import check as check_module
    monkeypatch.setattr(check_module, "_meta_forward_runs", lambda *a: False)
    monkeypatch.setattr(limits, "MAX_CHECK_BYTES", 10_000)
    net = symparams.parse("input 64\ndense 4096\n", convention="pytorch")
    with pytest.raises(SymparamsError, match="MAX_CHECK_BYTES"):
        check_module.check(net, "pytorch")


def test_a_deeply_nested_parser_cache_file_is_ignored(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    path = tmp_path / "ok.arch"
    path.write_text("input 8\ndense 4\n", encoding="utf-8")
    assert _cli("summary", path, env=env).returncode == 0
    tables = list((tmp_path / "cache" / "symparams").glob("lalr-*.json"))
    assert tables
    for table in tables:
        table.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    for _ in range(2):                  # every later command works, not only the one that rewrites it
        result = _cli("summary", path, env=env)
        _clean(result)
        assert result.returncode == 0, result.stderr


def test_docs_state_every_limit_with_its_value():
    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for name in dir(limits):
        if not name.isupper():
            continue
        value = getattr(limits, name)
        shown = f"{value:g} s" if isinstance(value, float) else f"{value:,}"
        assert f"| `{name}` | {shown} |" in text, (name, shown)
    assert "limits.API_CPU_SECONDS = " in text and "SYMPARAMS_CPU_LIMIT" in text


def test_memory_for_a_name_the_file_never_mentions_is_refused_before_analysis(tmp_path, capsys):
    path = tmp_path / "slow.arch"
    path.write_text("input 64\n" + "dense 64 relu\n" * 3000, encoding="utf-8")
    start = time.process_time()
    assert cli.main(["memory", str(path), "--budget", "80GB", "--for", "b"]) == 2
    assert time.process_time() - start < 0.5
    assert "--batch b --for b" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["summary"], ["summary", "--format", "markdown"], ["summary", "--format", "json"],
                                     ["summary", "--explain"], ["latex", "--all", "--standalone"], ["diagram"],
                                     ["diagram", "--format", "svg"], ["export", "--to", "pytorch"],
                                     ["export", "--to", "keras"], ["memory"], ["memory", "--format", "json"]])
def test_no_output_format_carries_a_raw_control_character(tmp_path, capsys, command):
    path = tmp_path / "names.arch"
    path.write_text('input 8\ndense 10 name="a\x1b]0;owned\x07b\x85c\u202e" relu\ndense 4\n', encoding="utf-8")
    assert cli.main([command[0], str(path), *command[1:]]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert not any(c in text for c in ("\x1b", "\x07", "\x85", "\u202e")), repr(text[:400])


def test_the_api_bound_covers_solve_and_sweep(monkeypatch):
    """Network.solve and .sweep run under limits.API_CPU_SECONDS: work that outlasts the limit (here a
    solve and a sweep made to spin, so the test does not depend on how fast the real ones are on this
    machine) ends with the limit's message."""
    import symparams.solve
    import symparams.sweep

    def spin(*args, **kwargs):
        end = time.process_time() + 5
        while time.process_time() < end:
            pass
        raise AssertionError("the limit did not stop the work")

    monkeypatch.setattr(symparams.solve, "solve", spin)
    monkeypatch.setattr(symparams.sweep, "sweep", spin)
    net = symparams.parse("input 8\ndense f\ndense 4\n")
    monkeypatch.setattr(limits, "API_CPU_SECONDS", 0.2)
    for call in (lambda: net.solve("f", at_most=10_000), lambda: net.sweep({"f": range(1, 5000)})):
        with pytest.raises(SymparamsError, match="API_CPU_SECONDS"):
            call()
