"""Checks written as numeric comparisons fire (SymPy's false is not Python's False)."""

import pytest

import symparams


@pytest.mark.parametrize("text, ok", [
    ("input 4x4x8\nchannelpad 16", True),
    ("input 4x4x8\nchannelpad 8", True),
    ("input 4x4x8\nchannelpad 4", False),       # fewer channels than the input: not a padding
    ("input 10x8\nposembed length=12", True),
    ("input 10x8\nposembed length=10", True),
    ("input 10x8\nposembed length=5", False),   # a table shorter than the sequence
])
def test_numeric_requirements(text, ok):
    if ok:
        symparams.parse(text)
    else:
        with pytest.raises(symparams.ShapeError):
            symparams.parse(text)
