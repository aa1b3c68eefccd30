"""Names vulture reports that something outside symparams uses (tests/test_dead_code.py passes this
file to vulture with the package)."""

rational  # noqa: F821  SymPy's printers call _print_Pow(expr, rational=...) by keyword (notation.py)
