"""No dead code: vulture finds nothing in symparams at 80 % confidence or more (unused imports,
variables, unreachable code). Lower-confidence findings (a function nobody calls, which a caller
outside the package might) are left to review: `vulture symparams --min-confidence 60`."""

import subprocess
import sys
from pathlib import Path

from conftest import need_module

ROOT = Path(__file__).resolve().parent.parent


def _vulture(*paths: str) -> subprocess.CompletedProcess:
    need_module("vulture")
    return subprocess.run([sys.executable, "-m", "vulture", *paths, "--min-confidence", "80"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_vulture_finds_no_dead_code():
    result = _vulture("symparams", "tests/vulture_whitelist.py")
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_vulture_finds_planted_dead_code(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("import os\n\n\ndef f():\n    return 1\n    print('never')\n", encoding="utf-8")
    result = _vulture(str(planted))
    assert "unused import 'os'" in result.stdout and "unreachable code" in result.stdout, result.stdout
