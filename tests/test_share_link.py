"""serve's share link names the convention only when it is not the default one (conventions.DEFAULT)."""

from __future__ import annotations

from symparams import conventions
from symparams.commands.serve import share_fragment


def test_share_link_names_only_a_convention_other_than_the_default():
    other = conventions.PYTORCH if conventions.DEFAULT == conventions.KERAS else conventions.KERAS
    assert "c=" not in share_fragment("input 4", convention=conventions.DEFAULT)
    assert "c=" not in share_fragment("input 4") and "c=" not in share_fragment("input 4", convention="")
    assert share_fragment("input 4", convention=other).endswith("&c=" + other)
