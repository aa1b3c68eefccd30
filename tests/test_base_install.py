"""The base install is complete (issue 17): in a fresh virtual environment holding only
`pip install .` and its runtime dependencies (no torch, keras, matplotlib, hypothesis), every
subcommand works or explains itself — exit 0, 1 or 2, a message naming the extra to install,
never a traceback.

No network: the runtime dependencies are repacked into wheels from this interpreter's installed
copies (their files and dist-info, as pip installed them), symparams is built from a copy of the
checkout, and pip installs with --no-index from that folder alone."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT

RUNTIME = ("sympy", "mpmath", "lark", "numpy")       # pyproject's dependencies, and sympy's own
SKIP_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def repack(name: str, out: Path) -> Path:
    """A wheel of an installed distribution, from the files its RECORD lists."""
    dist = importlib.metadata.distribution(name)
    tags = [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    tag = tags[0] if tags else "py3-none-any"
    info = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info"
    path = out / f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}-{tag}.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as whl:        # stored: built and read at once
        for entry in dist.files or ():
            rel = str(entry)
            parts = Path(rel).parts
            if rel.startswith("..") or "__pycache__" in parts or rel.endswith(".pyc"):
                continue
            if parts[0].endswith(".dist-info") and parts[-1] in SKIP_INFO:
                continue
            source = Path(dist.locate_file(entry))
            if not source.is_file():
                continue
            data = source.read_bytes()
            arcname = rel if not parts[0].endswith(".dist-info") else f"{info}/{'/'.join(parts[1:])}"
            whl.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arcname},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture(scope="module")
def base_env(tmp_path_factory):
    if shutil.which("git") is None and not (ROOT / "pyproject.toml").is_file():
        pytest.skip("no checkout to build")
    work = tmp_path_factory.mktemp("base-install")
    wheels = work / "wheels"
    wheels.mkdir()
    for name in RUNTIME:
        repack(name, wheels)
    source = work / "src"                     # build from a copy: no build/ or egg-info in the checkout
    source.mkdir()
    for item in ("pyproject.toml", "README.md", "LICENSE", "symparams", "grammar"):
        if (ROOT / item).is_dir():
            shutil.copytree(ROOT / item, source / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif (ROOT / item).exists():
            shutil.copy2(ROOT / item, source / item)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env.update(PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(wheels), str(source)], check=True, env=env, timeout=300,
                   capture_output=True)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
                           "--find-links", str(wheels), "--no-compile", "-q", "symparams"], env=env, timeout=600,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    home = work / "home"
    home.mkdir()
    run_env = dict(env, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), TMPDIR=str(work))
    yield venv, run_env, work
    shutil.rmtree(work, ignore_errors=True)        # ~200 MB of wheels and venv, not kept to the session's end


def test_only_the_runtime_dependencies_are_installed(base_env):
    venv, env, _ = base_env
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import importlib.metadata as m; print(sorted(d.metadata['Name'].lower() "
                          "for d in m.distributions()))"], capture_output=True, text=True, env=env, timeout=120)
    names = set(json.loads(out.stdout.replace("'", '"')))
    assert names == {"symparams", *RUNTIME}, names


CASES = [          # (arguments, the extra whose absence a non-zero exit must name, or None)
    (["summary", "{mnist}"], None),
    (["summary", "{lecture}", "--format", "json", "--columns", "params,macs"], None),
    (["layers"], None),
    (["solve", "{lecture}", "--for", "f", "--max-params", "1M"], None),
    (["sweep", "{lecture}", "--vary", "n=16:64:16", "--vary", "f=8,16"], None),
    (["plot", "{lecture}", "--vary", "n=16:64", "-o", "{work}/p.png"], "plot"),
    (["sweep", "{lecture}", "--vary", "n=16:64", "--plot", "{work}/p.png"], "plot"),
    (["latex", "{mnist}", "--all"], None),
    (["diagram", "{mnist}"], None),
    (["diagram", "{mnist}", "-o", "{work}/d.svg"], None),
    (["export", "{mnist}", "--to", "pytorch"], None),
    (["export", "{mnist}", "--to", "keras"], None),
    (["check", "{mnist}", "--against", "pytorch"], "pytorch"),
    (["check", "{mnist}", "--against", "keras"], "keras"),
    (["memory", "{mnist}"], None),
    (["plan", "{mnist}", "--gpus", "2", "--gpu", "h100-sxm"], None),
    (["import", "{work}/model.keras"], "keras"),
    (["import", "torchvision.models:resnet18", "--input-shape", "224x224x3"], "pytorch"),
    (["serve", "--build", "{work}/site"], None),
    ([], None),
]


def test_every_subcommand_works_or_explains_itself(base_env):
    from concurrent.futures import ThreadPoolExecutor

    venv, env, work = base_env
    # a saved Keras model's architecture (config.json): symparams reads it, then needs Keras to build it
    layers = [{"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input_layer"}},
              {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 3}}]
    with zipfile.ZipFile(work / "model.keras", "w") as archive:
        archive.writestr("config.json", json.dumps({"module": "keras", "class_name": "Sequential",
                                                    "config": {"name": "s", "layers": layers}}))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3"}))
    script = venv / "bin" / "symparams"

    def run(args):
        argv = [a.format(mnist=EXAMPLES / "seed002_mnist.arch", lecture=EXAMPLES / "lecture_symbolic.arch",
                         work=work) for a in args]
        return argv, subprocess.run([str(script), *argv], capture_output=True, text=True, env=env, timeout=120,
                                    cwd=work)

    run(["layers"])                           # the first run writes the bytecode the others read
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, [args for args, _ in CASES]))
    for (args, extra), (argv, proc) in zip(CASES, results):
        assert proc.returncode in (0, 1, 2), (argv, proc.returncode, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, (argv, proc.stderr[-2000:])
        if proc.returncode:
            assert proc.stderr.strip(), argv
            if extra is not None:
                assert f"symparams[{extra}]" in proc.stderr, (argv, proc.stderr)
        elif extra is not None:
            pytest.fail(f"{argv} succeeded without its extra '{extra}'")
    # every registered subcommand was tried
    from symparams.cli import COMMANDS
    assert {c.rstrip("_") for c in COMMANDS} <= {args[0] for args, _ in CASES if args}
