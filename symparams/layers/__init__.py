"""Every layer kind, one small spec each, registered by DSL keyword in REGISTRY.

Every module of this package but base and text holds kinds and registers them when imported, so a
new kind is a new module here (or a class in its family's module) and nothing else."""

import importlib
import pkgutil

from .base import REGISTRY, Context, LayerSpec, Weight

for _module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
    if _module not in ("base", "text"):
        importlib.import_module(f"{__name__}.{_module}")



def spec_and_context(row, convention: str):
    """A leaf row's kind (its spec; None for a row that has none) and the Context its methods take."""
    keyword = (row.config or {}).get("keyword")
    return (REGISTRY.get(keyword) if keyword else None), Context(convention=convention)


__all__ = ["REGISTRY", "LayerSpec", "Weight", "spec_and_context"]
