"""The parser tables are cached per user, as JSON, and a cache another user could have written is
never loaded; nothing goes to the shared temporary directory (issue 17)."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import pickle
import stat
import subprocess
import sys
import tempfile

import pytest
from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

from conftest import EXAMPLES, ROOT
from symparams import parser_cache
from symparams.syntax import grammar_text

OPTIONS = dict(parser="lalr", propagate_positions=True, maybe_placeholders=True)
SOURCE = (EXAMPLES / "seed002_mnist.arch").read_text(encoding="utf-8")
OTHER_UID = 54321


def run_cli(env_extra, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    env.pop("SYMPARAMS_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "symparams.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cache_is_per_user_private_and_nothing_goes_to_the_temporary_directory(tmp_path):
    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    tmp.mkdir()
    for _ in range(2):                            # the first run writes the cache, the second reads it
        proc = run_cli({"XDG_CACHE_HOME": str(cache), "TMPDIR": str(tmp)},
                       "summary", str(EXAMPLES / "seed002_mnist.arch"))
        assert proc.returncode == 0, proc.stderr
        assert "217,706" in proc.stdout
    assert list(tmp.iterdir()) == []
    directory = cache / "symparams"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = list(directory.iterdir())
    assert len(files) == 1 and files[0].name.endswith(".json")
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    json.loads(files[0].read_text(encoding="utf-8"))          # data, not a pickle


def test_no_lark_pickle_is_loaded_from_the_temporary_directory(tmp_path):
    """Plant what Lark's own cache=True would load: a pickle that runs code. It must not run."""
    import lark
    marker = tmp_path / "pwned"
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    options = "".join(k + str(v) for k, v in OPTIONS.items())
    digest = hashlib.sha256((grammar_text() + options + lark.__version__ + str(sys.version_info[:2]))
                            .encode("utf-8")).hexdigest()
    for opts in (options, "".join(k + str(v) for k, v in {**OPTIONS, "cache": True}.items())):
        digest = hashlib.sha256((grammar_text() + opts + lark.__version__ + str(sys.version_info[:2]))
                                .encode("utf-8")).hexdigest()
        planted = tmp / (".lark_cache_%s_%s_%s_%s.tmp" % (getpass.getuser(), digest, *sys.version_info[:2]))
        planted.write_bytes(digest.encode() + b"\n" + pickle.dumps(Payload()))
    proc = run_cli({"XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp)},
                   "summary", str(EXAMPLES / "seed002_mnist.arch"))
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()


def plant(directory, mode=0o600):
    """A well-formed cache file of a DIFFERENT grammar under the real grammar's name: loading it
    would make every real program a syntax error, so a parse that works shows it was ignored."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    tiny = Lark('start: "tiny"', parser="lalr")
    data, memo = tiny.memo_serialize([TerminalDef, Rule])
    path = directory / f"{parser_cache.PREFIX}{parser_cache._key(grammar_text(), OPTIONS)}.json"
    path.write_text(json.dumps(parser_cache._encode({"data": data, "memo": memo})), encoding="utf-8")
    os.chmod(path, mode)
    return path


def loads_planted(monkeypatch, tmp_path) -> bool:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    parser = parser_cache.lark_parser(grammar_text(), **OPTIONS)
    try:
        parser.parse(SOURCE)
    except Exception:
        return True
    return False


def test_a_safe_planted_file_is_loaded_so_the_test_can_fail(monkeypatch, tmp_path):
    plant(tmp_path / "symparams")
    assert loads_planted(monkeypatch, tmp_path)


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_cache_file_writable_by_others_is_ignored(monkeypatch, tmp_path, mode):
    path = plant(tmp_path / "symparams", mode)
    assert not loads_planted(monkeypatch, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600         # replaced by our own tables (our directory)


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_cache_directory_writable_by_others_is_ignored(monkeypatch, tmp_path, mode):
    plant(tmp_path / "symparams")
    os.chmod(tmp_path / "symparams", mode)
    assert not loads_planted(monkeypatch, tmp_path)


def test_a_cache_file_owned_by_another_user_is_ignored(monkeypatch, tmp_path):
    path = plant(tmp_path / "symparams")
    if os.getuid() == 0:
        os.chown(path, OTHER_UID, -1)
    else:                       # not root: the same check, seen as another uid over a trusted directory
        monkeypatch.setattr(parser_cache.os, "getuid", lambda: OTHER_UID)
        monkeypatch.setattr(parser_cache, "_safe_dir", lambda path, create: True)
    assert not loads_planted(monkeypatch, tmp_path)


def test_a_cache_directory_owned_by_another_user_is_ignored(monkeypatch, tmp_path):
    if os.getuid() != 0:
        pytest.skip("needs root to give a directory to another user (the uid check is tested above)")
    plant(tmp_path / "symparams")
    os.chown(tmp_path / "symparams", OTHER_UID, -1)
    assert not loads_planted(monkeypatch, tmp_path)


def test_a_symbolic_link_is_not_followed(monkeypatch, tmp_path):
    real = plant(tmp_path / "elsewhere")
    directory = tmp_path / "symparams"
    directory.mkdir(mode=0o700)
    (directory / real.name).symlink_to(real)
    assert not loads_planted(monkeypatch, tmp_path)


def test_a_damaged_cache_file_is_rebuilt(monkeypatch, tmp_path):
    directory = tmp_path / "symparams"
    path = plant(directory)
    path.write_text('{"data": ', encoding="utf-8")
    assert not loads_planted(monkeypatch, tmp_path)
    json.loads(path.read_text(encoding="utf-8"))              # replaced by good tables


def test_round_trip_keeps_tuples_and_integer_keys():
    data = {"a": (1, (2, "x")), 3: [None, True], "__d": {(1, 2): "y"}}
    assert json.loads(json.dumps(parser_cache._encode(data)), object_hook=parser_cache._hook) == data


def test_temporary_directory_untouched_in_process(monkeypatch, tmp_path):
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    for _ in range(2):
        parser_cache.lark_parser(grammar_text(), **OPTIONS).parse(SOURCE)
    assert list(shared.iterdir()) == []
