"""The README's commands in a fresh `python -m venv` (issue 22): what a new user has is the venv's own
pip and setuptools (Python 3.11's venv: setuptools 65, no `wheel`), not this interpreter's packages,
so an install or build step that works only because something is already installed fails here.

It installs from the package index (the network CI has), as the README's first command does, then runs
that command and `symparams serve --build DIR` (the playground's build, which once needed `wheel`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import IN_CI, ROOT, need_program


def quick_start_command() -> str:
    """The README's first Quick start command (the install and the main job)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert len(blocks) == 2, "the Quick start has exactly two commands"
    return blocks[0].strip()


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    work = tmp_path_factory.mktemp("fresh-venv")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", VIRTUAL_ENV=str(venv),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    yield venv, env
    shutil.rmtree(work, ignore_errors=True)        # ~190 MB, not kept to the session's end


def test_readme_quick_start_in_a_fresh_venv(fresh_venv):
    venv, env = fresh_venv
    # the venv as a new user has it: no `wheel` (the cause of "invalid command 'bdist_wheel'")
    has_wheel = subprocess.run([str(venv / "bin" / "python"), "-c", "import wheel"], capture_output=True,
                               env=env, timeout=60).returncode == 0
    command = quick_start_command()
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-4000:])
    assert "Total params: 217,706" in proc.stdout, proc.stdout
    assert shutil.which("symparams", path=env["PATH"]) == str(venv / "bin" / "symparams")
    if not IN_CI:
        return
    assert not has_wheel, "the fresh venv should have no 'wheel' package, as Python 3.11's venv has none"


def test_serve_build_in_a_fresh_venv(fresh_venv, tmp_path):
    venv, env = fresh_venv
    need_program("node")
    if not (ROOT / "web" / "node_modules").is_dir():
        message = "web/node_modules is missing: run `npm ci` in web/ (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    if not (venv / "bin" / "symparams").exists():        # the Quick start test installs it first
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(ROOT)],
                       check=True, env=env, timeout=900)
    site = tmp_path / "site"
    proc = subprocess.run([str(venv / "bin" / "symparams"), "serve", "--build", str(site)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    manifest = json.loads((site / "site.json").read_text(encoding="utf-8"))
    own = [name for name in manifest["wheels"] if name.startswith("symparams-")]
    assert len(own) == 1
    with zipfile.ZipFile(site / "wheels" / own[0]) as wheel:
        names = set(wheel.namelist())
        assert wheel.testzip() is None
    # the wheel holds every module of the checkout and the grammar, where the package loads it from
    sources = {f"symparams/{p.relative_to(ROOT / 'symparams').as_posix()}"
               for p in (ROOT / "symparams").rglob("*.py") if "__pycache__" not in p.parts}
    assert sources <= names, sorted(sources - names)[:5]
    assert "symparams/grammar/symparams.lark" in names
    own_archive = [name for name in manifest["archives"] if name.startswith("python/symparams-")]
    assert len(own_archive) == 1 and (site / own_archive[0]).is_file()
    # and the memory snapshot of the page's Python, made by Node from the same archives
    assert manifest["snapshot"] is not None and (site / manifest["snapshot"]["file"]).is_file()
