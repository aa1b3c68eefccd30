"""The playground's pre-rendered first view (issue 23 item 3): `serve --build` stores the default
example's derive in site.json, made by the page's own entry point with the page's arguments, and the
page shows it before Python has started. It must be what a live derive in the page gives."""

from __future__ import annotations

import json

from conftest import ROOT
from symparams import web
from symparams.commands import serve


def _live(text: str, name: str) -> dict:
    session = web.Session()           # a fresh page's Python
    result = json.loads(json.dumps(session.derive(text, "", name)))
    result.pop("python_ms", None)
    return result


def test_the_prerendered_view_is_a_live_derive_of_the_default_example():
    pre = serve.prerendered(ROOT)
    assert pre is not None and pre["name"] == serve.DEFAULT_EXAMPLE
    text = (ROOT / "examples" / serve.DEFAULT_EXAMPLE).read_text(encoding="utf-8")
    assert pre["text"] == text
    assert pre["result"]["ok"] is True
    assert pre["result"] == _live(text, serve.DEFAULT_EXAMPLE)
    # and through the page's entry point, after another network was derived in the same session
    web.call("derive", json.dumps(["input 8x8x1\nconv 4 3x3", "", "other.arch"]))
    again = json.loads(web.call("derive", json.dumps([text, "", serve.DEFAULT_EXAMPLE])))
    again.pop("python_ms", None)
    assert pre["result"] == again


def test_the_page_shows_the_prerendered_view_through_the_live_path():
    app = (ROOT / "web" / "src" / "app.js").read_text(encoding="utf-8")
    # one function lays out a derive, live or pre-rendered, so the two cannot be drawn differently
    assert app.count("async function showDerived(") == 1
    assert "await showDerived(d, text, seq, t0)" in app
    assert "await showDerived(pre.result, ex.text" in app
