"""The README's generated sections (engine output pasted into it) are current, and the Quick start
commands are the ones CI runs."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_sections_are_current(monkeypatch):
    monkeypatch.chdir(ROOT)
    script = _load_script()
    pages = script.documents()
    assert ROOT / "docs" / "language.md" in pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert script.render(text) == text, f"{path.name} is stale: run python scripts/update_readme.py"


def test_readme_is_short_and_links_its_pages():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    for page in ("language", "cli", "api", "conventions", "cost", "performance", "contributing"):
        assert f"(docs/{page}.md)" in readme and (ROOT / "docs" / f"{page}.md").exists(), page


def test_docs_links_resolve():
    import re
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)", path.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (path.parent / target).exists(), f"{path.name}: broken link {target}"


def test_quick_start_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [block.split("```", 1)[0].strip() for block in quick.split("```sh\n")[1:]]
    assert len(commands) == 2
    assert commands[0].startswith("python -m pip install -e . && symparams summary ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci
