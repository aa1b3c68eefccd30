"""Regenerate docs/playground.png: the playground with examples/lecture_symbolic.arch, in Debian's
Chromium (headless, driven by playwright-core from web/node_modules).

    python scripts/make_playground_screenshot.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symparams.commands.serve import background, build, share_fragment  # noqa: E402


def main() -> int:
    example = ROOT / "examples" / "lecture_symbolic.arch"
    out = ROOT / "docs" / "playground.png"
    with tempfile.TemporaryDirectory() as tmp:
        site = build(Path(tmp) / "site", log=lambda m: print(m, file=sys.stderr))
        with background(site) as url:
            link = url + share_fragment(example.read_text(encoding="utf-8"), name=example.name)
            subprocess.run(["node", str(ROOT / "web" / "screenshot.mjs"), link, str(out)], check=True, timeout=300)
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
