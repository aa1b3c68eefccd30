"""symparams: symbolic shapes, parameter counts and costs of neural-network architectures.

    >>> import symparams
    >>> net = symparams.parse("input 28x28x1\\nconv 32 5x5\\nflatten\\ndense 10")
    >>> int(net.params)
    185162
"""

from .errors import (DefinitionError, DSLSyntaxError, MissingDependencyError, ShapeError, SymparamsError,
                     UsageError)
from .engine import Layer, Network, load, parse

__version__ = "0.1.0"

__all__ = ["parse", "load", "Network", "Layer", "SymparamsError", "DSLSyntaxError", "DefinitionError",
           "ShapeError", "UsageError", "MissingDependencyError", "from_torch", "from_keras"]


def from_torch(module, input_shape, **kwargs):
    """DSL text for a PyTorch module (needs the 'pytorch' extra)."""
    from .frameworks.importer import from_torch as _from_torch
    return _from_torch(module, input_shape, **kwargs)


def from_keras(model, **kwargs):
    """DSL text for a Keras model (needs the 'keras' extra)."""
    from .frameworks.importer import from_keras as _from_keras
    return _from_keras(model, **kwargs)
