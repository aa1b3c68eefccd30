"""Shared test helpers. In CI (CI=true) a missing framework or tool is a failure, never a skip."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = Path(__file__).resolve().parent.parent
# the kinds' harness (tests/kinds/harness.py) and its random architectures, importable from any test
sys.path.insert(0, str(ROOT / "tests" / "kinds"))
EXAMPLES = ROOT / "examples"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Free space where the tests write, watched through the run and printed at its end: a disk that fills
# shows as errors at the setup of `tmp_path` in unrelated tests, and the summary says so.
_DISK = {"start": 0, "least": 0, "after": "the start"}
_LOW_DISK = 1 << 30


def _free_bytes() -> int:
    return shutil.disk_usage(tempfile.gettempdir()).free


def pytest_sessionstart(session):
    _DISK["start"] = _DISK["least"] = _free_bytes()


def pytest_runtest_logreport(report):
    if report.when == "call":          # the test's own files are still there; tmp_path goes at teardown
        free = _free_bytes()
        if free < _DISK["least"]:
            _DISK.update(least=free, after=report.nodeid)


def pytest_terminal_summary(terminalreporter):
    gb = 1e9
    terminalreporter.write_line(
        f"disk free in {tempfile.gettempdir()}: {_DISK['start'] / gb:.1f} GB at the start, "
        f"{_DISK['least'] / gb:.1f} GB at the least (after {_DISK['after']})")
    if _DISK["least"] < _LOW_DISK:
        terminalreporter.write_line("the disk nearly filled during the run: errors at the setup of tmp_path "
                                    "or 'No space left on device' come from that, not from the tests", red=True)


def need_module(name: str):
    """Import an optional module; skip locally when it is missing, fail in CI."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"{name} is not installed ({exc}); install the extras: pip install -e '.[test,plot,pytorch,keras]'"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def need_program(name: str) -> str:
    """Path of an external program; skip locally when it is missing, fail in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not on PATH (Debian: texlive-latex-recommended, poppler-utils)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def pdflatex(tmp_path):
    """compile(source, name) -> the text of the PDF (pdftotext). Runs pdflatex in tmp_path with a
    private TEXMFVAR, and fails when LaTeX fails or has to generate bitmap fonts."""
    import subprocess

    latex, totext = need_program("pdflatex"), need_program("pdftotext")
    env = dict(os.environ, TEXMFVAR=str(tmp_path / "texmf-var"))

    def compile_(source: str, name: str = "doc") -> str:
        (tmp_path / f"{name}.tex").write_text(source, encoding="utf-8")
        proc = subprocess.run([latex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", f"{name}.tex"],
                              cwd=tmp_path, capture_output=True, text=True, errors="replace", env=env, timeout=600)
        if proc.returncode != 0:
            errors = [line for line in proc.stdout.splitlines() if line.startswith("!") or line.startswith("l.")]
            pytest.fail(f"pdflatex failed on {name}.tex: {' | '.join(errors[:6]) or proc.stdout[-800:]}")
        assert "mktexpk" not in proc.stdout + proc.stderr, f"{name}.tex needs bitmap fonts generated"
        out = subprocess.run([totext, f"{name}.pdf", "-"], cwd=tmp_path, capture_output=True, text=True,
                             errors="replace", timeout=120, check=True)
        return out.stdout

    return compile_


def load_example(path):
    """An example under its own convention, else the first it derives in;
    skipped when it derives in neither (test_zoo checks the examples themselves)."""
    import symparams
    from symparams.errors import SymparamsError

    for convention in (None, "keras", "pytorch"):      # None: the file's own 'convention', else Keras
        try:
            return symparams.load(path, convention=convention)
        except SymparamsError:
            continue
    pytest.skip(f"{path} derives under neither convention")


@pytest.fixture(scope="session")
def hf_files(tmp_path_factory):
    """{family: .arch} imported from tests/hf_families.py's eight hand-written Hugging Face configs."""
    from hf_families import import_all
    return import_all(tmp_path_factory.mktemp("hf"))


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The playground built once per session by `symparams serve --build` (tests/browser)."""
    for program in ("node", "npm", "chromium"):
        need_program(program)
    from symparams.commands.serve import build
    return build(tmp_path_factory.mktemp("playground") / "site")


@pytest.fixture(scope="session")
def site_url(site):
    """The built playground served from 127.0.0.1 for the session."""
    from symparams.commands.serve import background
    with background(site) as url:
        yield url
