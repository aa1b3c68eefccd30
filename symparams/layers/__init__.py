"""Every layer kind, one small spec each, registered by DSL keyword in REGISTRY.

Every module of this package but base and text holds kinds and registers them when imported, so a
new kind is a new module here (or a class in its family's module) and nothing else."""

import importlib
import pkgutil

from .base import REGISTRY, LayerSpec, Weight

for _module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
    if _module not in ("base", "text"):
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["REGISTRY", "LayerSpec", "Weight"]
