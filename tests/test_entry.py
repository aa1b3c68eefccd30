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


def test_the_collector_is_held_while_importing_then_frozen_and_on():
    """The script holds the garbage collector while a command imports and loads its network, then freezes
    what is alive and turns it on again (collector.py): the render, and anything after, is collected as
    usual. A library user's load leaves the collector alone."""
    probe = (
        "import gc, sys, json\n"
        "from symparams.commands import summary\n"
        "seen = {}\n"
        "def render(net, args, *rest):\n"
        "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(), sympy='sympy' in sys.modules)\n"
        "    return json.dumps(seen) + '\\n'\n"
        "summary._render = render\n"
        "sys.argv = ['symparams', 'summary', sys.argv[1]]\n"
        "from symparams.cli import entry\n"
        "entry()\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(EXAMPLES / "seed002_mnist.arch")], capture_output=True,
                          text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json
    seen = json.loads(proc.stdout.splitlines()[-1])
    # SymPy and Lark were imported with the collector held: hundreds of thousands of objects frozen
    assert seen == {"enabled": True, "frozen": seen["frozen"], "sympy": True} and seen["frozen"] > 100_000, seen
    library = subprocess.run([sys.executable, "-c", "import gc, symparams; symparams.load(sys.argv[1]).params; "
                              "print(gc.isenabled(), gc.get_freeze_count())".replace("gc,", "gc, sys,"),
                              str(EXAMPLES / "seed002_mnist.arch")], capture_output=True, text=True, env=ENV,
                             timeout=120)
    assert library.stdout.split() == ["True", "0"], library.stderr


def test_sympy_tensors_are_deferred_in_the_script_and_real_when_asked():
    """The script's process gets a stand-in for sympy.tensor.tensor (SymPy's Add asks it two questions at
    the first sum; the real module imports sympy.combinatorics): a summary never imports the real one,
    and asking the stand-in for anything else gives the real module, in sys.modules from then on."""
    probe = (
        "import sys\n"
        "from symparams.commands import summary\n"
        "seen = []\n"
        "real_render = summary._render\n"
        "def render(*a):\n"
        "    text = real_render(*a)\n"
        "    seen.append('sympy.combinatorics' in sys.modules)\n"
        "    import sympy\n"
        "    from sympy.tensor.tensor import TensorIndexType, tensor_indices, tensor_heads\n"
        "    L = TensorIndexType('L'); i, j = tensor_indices('i j', L); A, B = tensor_heads('A B', [L])\n"
        "    total = A(i) + B(i)           # a real tensor sum: Add's questions answered by the real classes\n"
        "    seen.append(type(total).__name__)\n"
        "    seen.append(type(sys.modules['sympy.tensor.tensor']).__name__)\n"
        "    return text + repr(seen) + '\\n'\n"
        "summary._render = render\n"
        "sys.argv = ['symparams', 'summary', sys.argv[1]]\n"
        "from symparams.cli import entry\n"
        "entry()\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(EXAMPLES / "seed002_mnist.arch")], capture_output=True,
                          text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "217,706" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "[False, 'TensAdd', 'module']", proc.stdout[-300:]
