"""The wheel must carry every subpackage and the grammar: a non-editable install works."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "symparams").rglob("__init__.py")}
    assert on_disk <= listed, f"add to pyproject's packages: {sorted(on_disk - listed)}"
    assert config["tool"]["setuptools"]["package-dir"]["symparams.grammar"] == "grammar"
    assert "*.lark" in config["tool"]["setuptools"]["package-data"]["symparams.grammar"]
    assert (ROOT / "grammar" / "symparams.lark").is_file()
