"""serve (issue 24): its file read bounded, its --build target checked before any work, and a request
path the file system cannot name (%00) answered 404 without a traceback."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from symparams import cli
from symparams.commands import serve


def test_build_into_a_file_or_a_missing_parent_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the build started")
    monkeypatch.setattr(serve, "node_modules", never)
    target = tmp_path / "a_file"
    target.write_text("x", encoding="utf-8")
    for where, words in ((target, "it is a file"), (tmp_path / "missing" / "site", "does not exist")):
        # refused before any work: the build's first step (finding web/node_modules) never runs
        assert cli.main(["serve", "--build", str(where)]) == 2
        assert words in capsys.readouterr().err


def test_serve_reads_its_file_bounded(tmp_path, capsys):
    link = tmp_path / "zero.arch"
    link.symlink_to("/dev/zero")
    assert cli.main(["serve", str(link), "--no-open", "--port", "0"]) == 2
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize("path", ["/%00", "/a%00b.js", "/..%2f..%2fetc%2fpasswd", "/%ff%fe"])
def test_a_request_path_with_a_nul_byte_is_not_found(tmp_path, capfd, path):
    (tmp_path / "index.html").write_text("hello", encoding="utf-8")
    with serve.background(tmp_path) as url:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url.rstrip("/") + path, timeout=10)
        assert info.value.code == 404
        assert urllib.request.urlopen(url, timeout=10).read() == b"hello"
    assert "Traceback" not in capfd.readouterr().err


def _derived_vgg():
    import json
    from pathlib import Path

    from symparams import web
    web.SESSION = web.Session()
    text = (Path(__file__).resolve().parent.parent / "examples" / "vgg_depth.arch").read_text(encoding="utf-8")
    assert json.loads(web.call("derive", json.dumps([text])))["ok"]
    return web


@pytest.mark.parametrize("value, words", [(10_000_000_000, "100,000 bits"), ("10000000000", "100,000 bits"),
                                          (10 ** 6, "100,000 bits"), ("10**6", "digits 0-9"),
                                          ("9" * 5000, "digits are accepted"), (2.5, "whole numbers"),
                                          (True, "whole numbers"), (None, "whole numbers")])
def test_share_link_values_go_through_the_set_parser_and_bit_limit(value, words):
    """d:10000000000 on vgg_depth overflowed BigInt and ran Python with no limit for 26 s before a
    MemoryError; d=10**6 raised a bare ValueError out of Session.evaluate."""
    import json
    web = _derived_vgg()
    start = time.process_time()
    answer = json.loads(web.call("evaluate", json.dumps([{"d": value}])))
    assert time.process_time() - start < 2
    assert answer["ok"] is False and words in answer["error"]["text"], answer
    assert json.loads(web.call("evaluate", json.dumps([{"d": 3}])))["ok"]


def test_every_exception_in_the_pages_python_is_an_error_message(monkeypatch):
    import json
    web = _derived_vgg()
    for method, args in (("plot", [1, 2]), ("evaluate", ["not a dict"]), ("solve", [None, None, None]),
                         ("latex", [5, 6, 7, 8])):
        answer = json.loads(web.call(method, json.dumps(args)))
        assert answer["ok"] is False and answer["error"]["text"], answer
    monkeypatch.setattr(web.Session, "evaluate", lambda self, *a: 1 / 0)
    answer = json.loads(web.call("evaluate", "[]"))
    assert answer["ok"] is False and "ZeroDivisionError" in answer["error"]["text"]
    assert json.loads(web.call("derive", "not json"))["ok"] is False


def test_the_page_bounds_its_worker():
    """Pyodide has no interval timers: the page ends a call that runs past CALL_SECONDS by ending the
    worker and starting a new one, and values past a slider are left to Python's checks."""
    from pathlib import Path
    app = (Path(__file__).resolve().parent.parent / "web" / "src" / "app.js").read_text(encoding="utf-8")
    assert "const CALL_SECONDS = 20;" in app and "worker.terminate()" in app
    assert "setTimeout(restartWorker, CALL_SECONDS * 1000)" in app
    assert "values[s.name] <= s.max" in app and "Number.isSafeInteger" in app
