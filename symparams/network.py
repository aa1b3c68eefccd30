"""The engine's public names where they were before the split (symparams/engine/ holds them)."""

from .engine.network import Network, load, parse
from .engine.rows import COMPOSITE_KINDS, Layer

__all__ = ["Network", "Layer", "COMPOSITE_KINDS", "parse", "load"]
