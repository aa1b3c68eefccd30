"""`python -m symparams`: the same command line as the `symparams` script."""

from .cli import entry

entry()
