"""The package docstring's example runs; impossible defaults are an error, not a table of zeros."""

import doctest

import pytest

import symparams
from symparams.cli import main


def test_package_docstring_example():
    result = doctest.testmod(symparams, verbose=False)
    assert result.attempted >= 1 and result.failed == 0


def test_summary_rejects_defaults_that_make_an_impossible_network(tmp_path, capsys):
    path = tmp_path / "small.arch"
    path.write_text("let n = 4\ninput n x n x 1\nconv 8 5x5\n")
    assert main(["summary", str(path)]) == 1
    err = capsys.readouterr().err
    assert "with the defaults (n = 4)" in err and ":3:" in err and "5x5 does not fit" in err
    # the symbolic network itself is fine, and other values work
    net = symparams.load(path)
    assert int(net.subs(n=5).params) == 8 * (5 * 5 * 1 + 1)
    with pytest.raises(symparams.ShapeError):
        net.at_defaults()
