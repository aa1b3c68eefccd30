"""Tied weights: 'embedding V D name=N' names a table, 'embedding tied=N' and 'dense V tied=N' reuse it
(0 new weights; the dense keeps its own bias). Against the real frameworks, and their errors."""

from __future__ import annotations

import pytest

import symparams
from harness import agree, round_trip

HEAD = "input 6\nembedding 20 8 name=table\ndense 8 relu\n"


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("head", ["dense 20 tied=table", "dense 20 bias=false tied=table"])
def test_a_tied_output_head_agrees_and_comes_back(head, framework):
    text = HEAD + head
    net = symparams.parse(text, convention=framework)
    assert net.layers[-1].params == (20 if "bias=false" not in head else 0)
    agree(text, framework)
    assert "tied=table" in round_trip(text, framework)


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_a_tied_embedding_adds_no_weights(framework):
    text = "input 6\nembedding 20 8 name=table\ndense 8\nsave enc\ninput 5 as dec\nembedding tied=table\ndense 3"
    net = symparams.parse(text, convention=framework)
    assert net.params == 20 * 8 + (8 * 8 + 8) + (8 * 3 + 3)
    assert net.layers[-2].output_shape == (5, 8)


@pytest.mark.parametrize("text, message", [
    (HEAD + "dense 21 tied=table", "the table is 20 x 8"),
    ("input 6\nembedding 20 8 name=table\ndense 5\ndense 20 tied=table", "needs 8 -> 20"),
    (HEAD + "dense 20 tied=tabel", "no embedding named 'tabel'"),
    ("input 6\nembedding 20 8 name=table\nsave e\ninput 4 as d\nembedding 21 8 tied=table", "does not match"),
    ("input 6\nembedding", "needs its vocabulary and width"),
])
def test_tied_mismatches_are_located_errors_with_both_shapes(text, message):
    with pytest.raises(symparams.SymparamsError) as info:
        symparams.parse(text, convention="pytorch")
    assert message in str(info.value)
    assert info.value.line == text.count("\n") + 1
    if "tabel" in text:
        assert "did you mean 'table'" in str(info.value)
