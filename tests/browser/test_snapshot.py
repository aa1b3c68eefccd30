"""The playground's memory snapshot (issue 23 item 3): `serve --build` writes a snapshot of the page's Python
with SymPy and symparams.web imported (web/snapshot.mjs), and the page's worker restores it instead of starting
Python. The snapshot is checked before it is used, and the page starts Python the normal way when it is absent,
stale or fails (tests/browser/snapshot.mjs); tests/browser/test_playground.py checks the page with it."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess

import pytest

from conftest import ROOT, need_program
from symparams.commands import serve

HERE = ROOT / "tests" / "browser"


def test_the_build_writes_a_snapshot_for_its_archives(site):
    info = json.loads((site / "site.json").read_text())
    snap = info["snapshot"]
    assert snap is not None, "the build made no memory snapshot"
    data = (site / snap["file"]).read_bytes()
    assert len(data) == snap["size"] > 10_000_000
    # made for exactly these archives (the key is their hash, and it names the file) ...
    digest = hashlib.sha256(b"".join((site / name).read_bytes() for name in info["archives"])).hexdigest()
    assert snap["key"] == digest and snap["file"] == f"python/snapshot-{digest[:16]}.bin"
    assert [m["archive"] for m in snap["mounts"]] == info["archives"]
    # ... by the Pyodide build the site ships (the build id in its header is the runtime's)
    runtime = (site / "pyodide" / "pyodide.js").read_text()
    assert snap["build_id"] in re.findall(r'BUILD_ID:"([0-9a-f]{64})"', runtime)
    assert serve._snapshot_header(data)["build_id"] == snap["build_id"]
    # each archive is named by its contents
    for name in info["archives"]:
        assert hashlib.sha256((site / name).read_bytes()).hexdigest()[:16] in name


def test_a_snapshot_header_is_read_or_refused():
    assert serve._snapshot_header(b"") is None
    assert serve._snapshot_header(bytes(1 << 16)) is None                 # no magic number
    words = [serve.SNAPSHOT_MAGIC, 64, 2, 0] + [0xabcdef01] * 8
    head = b"".join(w.to_bytes(4, "little") for w in words) + b"{}".ljust(16, b" ")
    assert serve._snapshot_header(head + bytes(65536)) == {"offset": 64, "build_id": "abcdef01" * 8}
    assert serve._snapshot_header(head + bytes(65535)) is None             # memory not whole pages


def test_the_snapshot_is_not_committed():
    # it is built into the site (serve's default site folder) and cached in web/.cache, both ignored by git
    for path in ("web/site/python/snapshot-0.bin", "web/.cache/python/snapshot-0.bin"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path


@pytest.fixture(scope="module")
def fallbacks(site_url):
    need_program("chromium")
    node = need_program("node")
    proc = subprocess.run([node, str(HERE / "snapshot.mjs"), site_url], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "failure" not in out, out["failure"]
    return out


@pytest.mark.parametrize("case", ["absent", "stale", "failed"])
def test_without_a_usable_snapshot_python_starts_the_normal_way(fallbacks, case):
    seen = fallbacks["cases"][case]
    assert seen["boot"]["snapshot"] is False
    assert seen["boot"]["fallback"].startswith(case + ":"), seen["boot"]["fallback"]
    # and the page works: its first live derive is the pre-rendered view
    assert seen["result"]["ok"] is True
    assert seen["result"] == seen["prerendered"]
    assert seen["total"] == "217,706"
    assert fallbacks["outside"] == [] and fallbacks["pageErrors"] == []
