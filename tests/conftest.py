"""Shared test helpers. In CI (CI=true) a missing framework or tool is a failure, never a skip."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
