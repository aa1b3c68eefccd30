"""The terminal table fits the terminal (COLUMNS), keeps its columns aligned, right-aligns the
counts, folds repeated passes unless --expand, and writes formulas as a person does."""

from pathlib import Path

import pytest

from symparams import cli

ROOT = Path(__file__).resolve().parents[2]
ZOO = sorted((ROOT / "examples" / "zoo").glob("*.arch"))
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


def _summary(capsys, monkeypatch, path, *extra, columns="100"):
    monkeypatch.setenv("COLUMNS", columns)
    assert cli.main(["summary", str(path), *extra]) == 0
    return capsys.readouterr().out


def _table_lines(out):
    return [line for line in out.splitlines() if "│" in line]


@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_zoo_summary_fits_100_columns_and_stays_aligned(capsys, monkeypatch, path):
    out = _summary(capsys, monkeypatch, path)
    too_long = [line for line in out.splitlines() if len(line) > 100]
    assert not too_long, too_long[:3]
    lines = _table_lines(out)
    bars = {tuple(k for k, ch in enumerate(line) if ch == "│") for line in lines}
    header = lines[0]
    full = tuple(k for k, ch in enumerate(header) if ch == "│")
    # every line has its separators where the header has them (a line may end early: rstrip)
    assert all(b == full[:len(b)] for b in bars), sorted(bars)[:4]
    # counts are right-aligned: the last column's non-empty cells end at one place
    ends = {len(line) for line in lines[1:] if len(line) > full[-1] + 2 and line.rstrip()[-1].isdigit()}
    assert len(ends) == 1, ends


@pytest.mark.parametrize("path", EXAMPLES + ZOO, ids=lambda p: p.stem)
def test_formulas_read_as_a_person_writes_them(capsys, monkeypatch, path):
    out = _summary(capsys, monkeypatch, path, columns="200")
    table = "\n".join(_table_lines(out)) + "\n".join(l for l in out.splitlines() if l.startswith(("Total", "Trainable")))
    assert "**" not in table and "*" not in table and "floor(" not in table and "ceiling(" not in table


def test_narrow_terminal_wraps_formulas(capsys, monkeypatch):
    out = _summary(capsys, monkeypatch, ROOT / "examples" / "lecture_symbolic.arch", columns="72")
    assert max(len(line) for line in out.splitlines()) <= 72
    assert "2f²k² + 3fk² + 20f⌈(n − 3k)/4⌉² + 3f + 10" in out.replace("\n    ", " ")


def test_ascii_mode(capsys, monkeypatch):
    out = _summary(capsys, monkeypatch, ROOT / "examples" / "lecture_symbolic.arch", "--ascii", columns="200")
    assert "Total params: 2f^2k^2 + 3fk^2 + 20f*ceil((n - 3k)/4)^2 + 3f + 10 = 16,618" in out


@pytest.mark.parametrize("name", ["lecture_symbolic.arch", "vgg_depth.arch", "zoo/densenet121.arch"])
def test_ascii_mode_is_all_ascii(capsys, monkeypatch, name):
    """Rules, separators, formulas, shapes, pass labels and the conditions' messages: plain ASCII."""
    out = _summary(capsys, monkeypatch, ROOT / "examples" / name, "--ascii", "--explain")
    assert out.isascii(), [line for line in out.splitlines() if not line.isascii()][:3]
    assert max(len(line) for line in out.splitlines()) <= 100


def test_repeated_passes_fold_unless_expand(capsys, monkeypatch):
    path = ROOT / "examples" / "zoo" / "densenet121.arch"
    folded = _summary(capsys, monkeypatch, path)
    expanded = _summary(capsys, monkeypatch, path, "--expand")
    assert "pass 2 (as pass 1)" in folded
    assert "(as pass" not in expanded
    assert len(folded.splitlines()) * 3 < len(expanded.splitlines())
    # the same totals either way
    assert [l for l in folded.splitlines() if l.startswith("Total")] == \
        [l for l in expanded.splitlines() if l.startswith("Total")]
