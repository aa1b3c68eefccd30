"""Every layer kind, one small spec each, registered by DSL keyword in REGISTRY."""

from . import attention, conv, core, norm, pool, recurrent, tensors  # noqa: F401  (registration)
from .base import REGISTRY, LayerSpec, Weight

__all__ = ["REGISTRY", "LayerSpec", "Weight"]
