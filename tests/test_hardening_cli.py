"""Issue 17 (and the command-line edges of issue 15), run as a user runs them: the real
`python -m symparams.cli` in a subprocess. Each case ends with exit 0, 1 or 2, a message on
failure, no traceback, in under 10 s of CPU time (wall-clock time on a shared 2-core machine
measures the neighbours) and under 2 GB (the child's peak resident memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from symparams.errors import install_command

from conftest import EXAMPLES, ROOT

TIME_BOUND = 10.0
MEMORY_BOUND = 2 * 1024 ** 3
LECTURE = str(EXAMPLES / "lecture_symbolic.arch")
MNIST = str(EXAMPLES / "seed002_mnist.arch")
VGG = str(EXAMPLES / "vgg_depth.arch")


class Run:
    def __init__(self, code, out, err, seconds, peak):
        self.code, self.out, self.err, self.seconds, self.peak = code, out, err, seconds, peak


def cli(*args, stdin=None, stdout=None, cwd=None, env=None, input_bytes=None) -> Run:
    """Run the command; peak memory from wait4's rusage of that child alone."""
    environ = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    environ.pop("SYMPARAMS_DEBUG", None)
    environ.pop("SYMPARAMS_TIME_LIMIT", None)
    import tempfile
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "symparams.cli", *[str(a) for a in args]],
                                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                stdout=stdout if stdout is not None else out_file, stderr=err_file,
                                cwd=cwd, env=environ)
        killer = threading.Timer(60, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        seconds = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        run = Run(proc.returncode, out_file.read().decode("utf-8", "replace"),
                  err_file.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss * 1024)
    assert run.code in (0, 1, 2), (args, run.code, run.err[-2000:])
    assert "Traceback" not in run.err, (args, run.err[-2000:])
    assert "internal error" not in run.err, (args, run.err)
    if run.code:
        assert run.err.strip(), (args, "failed without a message")
    assert run.seconds < TIME_BOUND, (args, f"{run.seconds:.1f} s of CPU time")
    assert run.peak < MEMORY_BOUND, (args, f"{run.peak / 2**20:.0f} MB")
    return run


# ----------------------------------------------------------------------------- output files

def test_plot_into_a_missing_folder(tmp_path):
    r = cli("plot", LECTURE, "--vary", "n=16:64", "-o", tmp_path / "missing" / "x.png")
    assert r.code == 1 and "cannot write" in r.err and "does not exist" in r.err


def test_plot_onto_a_directory(tmp_path):
    (tmp_path / "dir.png").mkdir()
    r = cli("plot", LECTURE, "--vary", "n=16:64", "-o", tmp_path / "dir.png")
    assert r.code == 1 and "directory" in r.err


def test_sweep_plot_into_a_missing_folder_fails_before_the_table(tmp_path):
    r = cli("sweep", LECTURE, "--vary", "n=16:64", "--plot", tmp_path / "missing" / "p.png")
    assert r.code == 1 and "cannot write" in r.err
    assert r.out == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["summary", MNIST], ["summary", LECTURE, "--format", "json"],
                                  ["layers"], ["sweep", LECTURE, "--vary", "n=16:256"]])
def test_standard_output_on_a_full_disk(args):
    with open("/dev/full", "wb") as full:
        r = cli(*args, stdout=full)
    assert r.code == 1 and "cannot write to standard output" in r.err and "No space left" in r.err


def test_closed_pipe_is_quiet():
    proc = subprocess.run(f"{sys.executable} -m symparams.cli layers | head -1", shell=True, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert proc.stdout.strip() and "Traceback" not in proc.stderr and "Exception" not in proc.stderr


@pytest.mark.parametrize("command, name", [(["export", "--to", "pytorch"], b"o\xff.py"),
                                           (["export", "--to", "keras"], b"o\xfe.py"),
                                           (["diagram"], b"d\xff.svg"), (["diagram"], b"d\xff.tex"),
                                           (["latex"], b"l\xff.tex")])
def test_non_utf8_output_names(tmp_path, command, name):
    source = tmp_path / "m.arch"
    source.write_text(Path(MNIST).read_text(encoding="utf-8"), encoding="utf-8")
    target = os.fsdecode(name)
    args = [command[0], os.fsdecode(b"m.arch")] + command[1:] + ["-o", target]
    # a non-UTF-8 input name too
    os.rename(source, tmp_path / os.fsdecode(b"m\xff.arch"))
    args[1] = os.fsdecode(b"m\xff.arch")
    r = cli(*args, cwd=tmp_path)
    assert r.code == 0, r.err
    written = tmp_path / target
    assert written.stat().st_size > 0
    written.read_bytes().decode("utf-8")                   # valid UTF-8 text


@pytest.mark.parametrize("command", [["export", "--to", "pytorch"], ["diagram"], ["latex"]])
def test_output_into_a_missing_folder_leaves_nothing(tmp_path, command):
    target = tmp_path / "missing" / ("out.py" if command[0] == "export" else "out.tex")
    r = cli(command[0], MNIST, *command[1:], "-o", target)
    assert r.code == 1 and "cannot write" in r.err and not target.exists()


def test_no_absolute_paths_in_outputs(tmp_path):
    absolute = str(EXAMPLES.resolve() / "seed002_mnist.arch")
    for args in (["diagram", absolute, "--format", "svg"], ["export", absolute, "--to", "pytorch"],
                 ["export", absolute, "--to", "keras"], ["summary", absolute], ["latex", absolute, "--standalone"]):
        r = cli(*args)
        assert r.code == 0, r.err
        assert str(EXAMPLES.resolve()) not in r.out, args
        assert "seed002_mnist.arch" in r.out or args[0] == "latex"


# ----------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("args, code, words", [
    (["--set", "n=²"], 1, ["n=²", "digits 0-9"]),
    (["--set", "n=٣"], 1, ["digits 0-9"]),
    (["--set", "n=１２"], 1, ["digits 0-9"]),
    (["--set", "n=" + "9" * 5000], 1, ["5,000 digits", "at most 100"]),
    (["--batch", "²", "--columns", "macs"], 2, ["--batch", "digits 0-9"]),
    (["--batch", "9" * 5000, "--columns", "macs"], 2, ["5,000 digits"]),
    (["--set", "n=32", "--set", "n=40"], 2, ["--set n is given twice"]),
    (["--set", "n=32,n=40"], 2, ["given twice"]),
])
def test_integer_options(args, code, words):
    r = cli("summary", LECTURE, *args)
    assert r.code == code, r.err
    for w in words:
        assert w in r.err, (w, r.err)


@pytest.mark.parametrize("vary", ["n=²", "n=1:" + "9" * 5000, "n=1e99999999", "f=16,٣2", "n=1:10000000"])
def test_vary_values(vary):
    r = cli("sweep", LECTURE, "--vary", vary)
    assert r.code == 2 and "--vary" in r.err


@pytest.mark.parametrize("target", ["²", "1e99999999", "9" * 5000, "1.5e-999999"])
def test_solve_targets(target):
    r = cli("solve", LECTURE, "--for", "f", "--max-params", target)
    assert r.code == 2 and "--max-params" in r.err


def test_a_grid_past_the_bound_is_refused_before_any_work():
    r = cli("sweep", LECTURE, "--vary", "n=1:2000", "--vary", "f=1:2000")
    assert r.code == 2 and "4,000,000 points" in r.err and "1,000,000" in r.err


def test_a_large_grid_within_the_bound_finishes():
    r = cli("sweep", LECTURE, "--vary", "n=1:1000", "--vary", "f=1:1000", "--format", "csv")
    assert r.code == 0 and r.out.count("\n") == 1_000_001


# ----------------------------------------------------------------------------- input

def test_dev_zero_is_refused_by_size():
    r = cli("summary", "/dev/zero")
    assert r.code == 1 and "20,000,000 bytes" in r.err


def test_endless_standard_input_is_refused_by_size():
    yes = subprocess.Popen(["yes", "dense 3"], stdout=subprocess.PIPE)
    try:
        r = cli("summary", "-", stdin=yes.stdout)
    finally:
        yes.kill()
        yes.wait()
    assert r.code == 1 and "bytes" in r.err


def test_missing_file_is_bad_input():
    r = cli("summary", "no/such/file.arch")
    assert r.code == 1 and "cannot read" in r.err and "no/such/file.arch" in r.err


def test_a_directory_as_input():
    r = cli("summary", EXAMPLES)
    assert r.code == 1 and "cannot read" in r.err


# ----------------------------------------------------------------------------- plots

def test_by_layer_names_matplotlib_would_read_as_math(tmp_path):
    arch = tmp_path / "names.arch"
    arch.write_text('input n\ndense 8 name="a$b"\ndense 8 name="$\\\\frac{x$"\ndense 4 name="_hidden"\n'
                    'dense 2 name="$x^{$"\n', encoding="utf-8")
    r = cli("plot", arch, "--vary", "n=1:20", "--by-layer", "-o", tmp_path / "p.png")
    assert r.code == 0, r.err
    assert (tmp_path / "p.png").stat().st_size > 0


def test_plot_values_beyond_float_range(tmp_path):
    arch = tmp_path / "huge.arch"
    arch.write_text("input 8\ndense n**150\n", encoding="utf-8")
    r = cli("plot", arch, "--vary", "n=1000:1010", "-o", tmp_path / "p.png")
    assert r.code == 2 and "1.8e308" in r.err and "sweep" in r.err
    r = cli("sweep", arch, "--vary", "n=1000:1002")
    assert r.code == 0 and str(9 * 1000 ** 150) in r.out.replace(",", "")        # exact in the sweep


def test_vgg_depth_sweeps_and_plots_over_its_depth(tmp_path):
    r = cli("sweep", VGG, "--vary", "d=1:8")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[4].split() == ["4", "390,986"]
    # past d = 6 the image is smaller than the pool: no count, the condition that fails instead
    assert lines[-2].split()[:2] == ["7", "invalid:"] and lines[-1].split()[:2] == ["8", "invalid:"]
    assert "does not fit" in lines[-1]
    r = cli("plot", VGG, "--vary", "d=1:8", "-o", tmp_path / "d.png")
    assert r.code == 0, r.err


def test_missing_matplotlib_names_the_extra(tmp_path):
    """matplotlib hidden (as in a base install): plot and sweep --plot explain themselves."""
    code = ("import sys; sys.modules['matplotlib'] = None; from symparams.cli import main; "
            f"sys.exit(main(sys.argv[1:]))")
    for args in (["plot", LECTURE, "--vary", "n=16:32", "-o", str(tmp_path / "p.png")],
                 ["sweep", LECTURE, "--vary", "n=16:32", "--plot", str(tmp_path / "p.png")]):
        proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert proc.returncode == 1 and install_command("plot") in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""


# ----------------------------------------------------------------------------- bounded work

def test_cost_columns_on_a_symbolic_repeat_end_within_the_bound(tmp_path):
    arch = tmp_path / "att.arch"
    arch.write_text("input s x 64\nrepeat d as i {\n maxpool1d 2\n attention heads=4\n}\n", encoding="utf-8")
    r = cli("summary", arch, "--columns", "macs,flops,act")
    assert r.code in (0, 1)
    if r.code == 1:
        assert "the limit" in r.err and "--set" in r.err


def test_solve_exact_target_is_bounded():
    r = cli("solve", VGG, "--for", "d", "--params", "390986")
    assert r.code == 0 and "d = 4" in r.out
    r = cli("solve", VGG, "--for", "w", "--params", "12345678901234567890123")
    assert r.code in (0, 1)


# ----------------------------------------------------------------------------- issue 15 edges

def test_bare_command_prints_help():
    r = cli()
    assert r.code == 0 and "usage: symparams" in r.out and "summary" in r.out and "sweep" in r.out


def test_explain_with_json_has_the_arithmetic():
    import json
    r = cli("summary", MNIST, "--explain", "--format", "json")
    data = json.loads(r.out)
    assert any(line.startswith("conv2d_1:") and "832" in line for line in data["arithmetic"])
    r = cli("summary", MNIST, "--format", "json")
    assert "arithmetic" not in json.loads(r.out)


@pytest.mark.parametrize("framework, module", [("pytorch", "torch"), ("keras", "keras")])
def test_export_without_the_framework_installed(tmp_path, framework, module):
    code = (f"import sys; sys.modules[{module!r}] = None; from symparams.cli import main; "
            f"sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "export", MNIST, "--to", framework, "-o",
                           str(tmp_path / "m.py")], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert f"import {module}" in (tmp_path / "m.py").read_text(encoding="utf-8")


def test_no_progress_when_stderr_is_not_a_terminal():
    r = cli("sweep", LECTURE, "--vary", "n=16:256")
    assert r.err == ""


def test_progress_when_stderr_is_a_terminal():
    """Long work says what it does on a terminal (issue 15), and clears the line when done."""
    import pty
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "symparams.cli", "sweep", LECTURE, "--vary", "n=16:256"],
                              stdout=subprocess.PIPE, stderr=slave, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        os.close(slave)
        slave = None
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0
    assert b"evaluating 241 points" in seen and seen.endswith(b"\r\x1b[K")
    assert b"evaluating" not in proc.stdout


# ----------------------------------------------------------------------------- the issue's programs

def _issue_seeds():
    import test_fuzz
    return test_fuzz.ISSUE_SEEDS


@pytest.mark.parametrize("index", range(len(_issue_seeds())))
def test_issue_programs_through_the_command_line(tmp_path, index):
    arch = tmp_path / "case.arch"
    arch.write_text(_issue_seeds()[index], encoding="utf-8")
    r = cli("summary", arch)
    if r.code == 1:
        assert r.err.startswith(str(arch)), r.err                 # located
    r = cli("summary", arch, "--format", "json", "--columns", "params,macs")


@pytest.mark.parametrize("args", [
    ["summary", VGG, "--set", "n=64"],
    ["sweep", VGG, "--set", "n=64", "--vary", "d=1:10"],
    ["plot", VGG, "--set", "n=64", "--vary", "d=1:10", "-o", "{tmp}/v.png"],
    ["solve", VGG, "--set", "n=64", "--for", "d", "--max-params", "1M"],
])
def test_vgg_depth_at_a_given_size(tmp_path, args):
    r = cli(*[a.format(tmp=tmp_path) for a in args])
    assert r.code == 0, r.err
