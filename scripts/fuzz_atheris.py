"""Coverage-guided fuzzing of symparams with atheris (libFuzzer for Python). Runs locally, not in CI.

    pip install atheris
    python scripts/fuzz_atheris.py -max_total_time=300            # five minutes
    python scripts/fuzz_atheris.py CORPUS_DIR -max_total_time=3600 # keep and grow a corpus

Each input is split by the fuzzer into an architecture text and a choice of what to run on it: the
API (parse, totals, shapes, the numbers at the defaults, both conventions) or a command line
(summary in every format, sweep, solve, memory in text and JSON), or `import` of the input's bytes
as a config.json, an .onnx file and a .keras file (issue 24). A failure is what issue 17 calls one: any exception
other than SymparamsError, a command that exits with anything but 0, 1 or 2 or prints an internal
error, more than 10 s on one input (-timeout) or more than 2 GB (-rss_limit_mb). libFuzzer writes
the input to crash-*/timeout-*/oom-* in the current folder; `symparams summary crash-...` replays it.

The seeds are every file in examples/ and the inputs of issue 17 (tests/test_fuzz.py ISSUE_SEEDS).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

with atheris.instrument_imports(include=["symparams"]):
    import importlib
    import pkgutil

    import symparams
    from symparams import cli
    from symparams.errors import SymparamsError

    # the modules commands import lazily, imported now so that they are instrumented too
    # (frameworks/ would import torch and keras; the playground is not reachable from here)
    for module in pkgutil.walk_packages(symparams.__path__, "symparams."):
        if not module.name.startswith(("symparams.frameworks", "symparams.web", "symparams.commands.serve")):
            with contextlib.suppress(ImportError):
                importlib.import_module(module.name)

WORK = Path(tempfile.mkdtemp(prefix="symparams-atheris-"))
FILE = WORK / "input.arch"
COMMANDS = [
    ["summary", "{f}"], ["summary", "{f}", "--format", "json", "--explain"], ["summary", "{f}", "--format", "markdown"],
    ["summary", "{f}", "--columns", "macs,flops,act,rf"], ["sweep", "{f}", "--vary", "n=1:64"],
    ["solve", "{f}", "--max-params", "1M"], ["latex", "{f}", "--all"], ["diagram", "{f}", "--format", "svg"],
    ["memory", "{f}"], ["memory", "{f}", "--format", "json", "--inference"],
    ["memory", "{f}", "--batch", "b", "--budget", "80GB", "--for", "b"],
]
# `import` of the input's bytes as each source it reads (a config.json, an ONNX graph, a .keras archive)
IMPORTS = ("config.json", "model.onnx", "model.keras")


def seeds() -> list[bytes]:
    out = [p.read_bytes() for p in sorted((ROOT / "examples").rglob("*.arch"))]
    try:
        import test_fuzz                                   # the issue's inputs, kept in one place
        out += [t.encode("utf-8", "surrogatepass") for t in test_fuzz.ISSUE_SEEDS]
    except Exception:                                     # noqa: BLE001 - seeds are a convenience
        pass
    return out


def exercise(text: str, convention: str) -> None:
    try:
        net = symparams.parse(text, convention=convention)
        str(net.params), str(net.trainable_params), net.constraints
        for _, row in net.walk():
            str(row.output_shape)
        int(net.evaluate().params)
    except SymparamsError as exc:
        str(exc)


def run_command(argv: list[str]) -> None:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:            # argparse
            code = exc.code
    if code not in (0, 1, 2) or "internal error" in err.getvalue():
        raise RuntimeError(f"{argv}: exit {code}: {err.getvalue()[-2000:]}")


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, len(COMMANDS) + 1 + len(IMPORTS))
    if choice >= len(COMMANDS) + 2:
        source = WORK / IMPORTS[choice - len(COMMANDS) - 2]
        source.write_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()))
        run_command(["import", str(source)])
        return
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    if choice <= 1:
        exercise(text, ("keras", "pytorch")[choice])
        return
    FILE.write_text(text, encoding="utf-8")
    run_command([a.format(f=FILE) for a in COMMANDS[choice - 2]])


def main() -> None:
    args = list(sys.argv)
    defaults = {"-timeout=": "-timeout=10", "-rss_limit_mb=": "-rss_limit_mb=2048"}
    for prefix, flag in defaults.items():
        if not any(a.startswith(prefix) for a in args[1:]):
            args.append(flag)
    corpus = [a for a in args[1:] if not a.startswith("-")]
    if corpus:
        folder = Path(corpus[0])
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.iterdir()):
            for k, seed in enumerate(seeds()):
                # the first byte chooses what runs; 0: the API under the Keras convention
                (folder / f"seed-{k:03d}").write_bytes(b"\0" + seed)
    else:
        folder = WORK / "corpus"
        folder.mkdir()
        for k, seed in enumerate(seeds()):
            (folder / f"seed-{k:03d}").write_bytes(b"\0" + seed)
        args.insert(1, str(folder))
    os.environ.setdefault("SYMPARAMS_TIME_LIMIT", "8")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    atheris.Setup(args, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
