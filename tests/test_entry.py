"""The `symparams` script's entry (cli.entry): it ends the process with os._exit after flushing, so
what it prints, its exit status and its error paths must be exactly main()'s."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import EXAMPLES, ROOT

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "symparams", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=120, **kw)


def test_output_and_status_are_main_s():
    from symparams.cli import main
    proc = run("summary", EXAMPLES / "seed002_mnist.arch", "--format", "json")
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("}"), proc.stderr
    assert "Total params" not in proc.stderr
    bad = run("summary", EXAMPLES / "does-not-exist.arch")
    assert bad.returncode == 1 and "does-not-exist.arch" in bad.stderr and "Traceback" not in bad.stderr
    usage = run("summary", "--no-such-option")
    assert usage.returncode == 2
    assert main(["summary", str(EXAMPLES / "seed002_mnist.arch")]) == 0


def test_a_full_disk_is_reported_with_status_1():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "symparams", "summary", str(EXAMPLES / "zoo" / "resnet50.arch")],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
    assert proc.returncode == 1 and "cannot write to standard output" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.run(f"'{sys.executable}' -m symparams summary '{EXAMPLES / 'zoo' / 'densenet121.arch'}' | head -c 10",
                          shell=True, capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0 and len(proc.stdout) == 10
    assert "Traceback" not in proc.stderr and "Broken pipe" not in proc.stderr, proc.stderr
