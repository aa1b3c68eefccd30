"""The `symparams` script's garbage collector: held while a command imports, then those objects frozen.

A cold command imports SymPy and Lark (about a million long-lived objects: modules, classes,
functions, SymPy's singletons and caches) and then derives. With the collector running during the
imports, every young collection walks the new objects and the older generations walk them again;
after the imports, each later collection of an older generation walks them once more. None of them
is ever garbage. So the script holds the collector (gc.disable) from its start, and a command
releases it once its network is loaded (imports done, the derive made): gc.freeze() moves every
object alive then into the permanent generation, which no collection walks, and the collector runs
again for what the command makes after that (measured on a wheel install, CIFAR ResNet-20's
`summary`: 30 ms of CPU less, 10% of the process; docs/performance.md).

A library user's process is untouched: only the script calls hold(). Frozen objects are never
unfrozen, which is right for a process that ends after one command (a long-running process, as the
playground's, never holds the collector: its cycles must stay collectable).
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """The collector off until release() (the script, before the command's imports)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """What is alive now kept out of every later collection, and the collector on again (once)."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
