"""symparams: symbolic shapes, parameter counts and costs of neural-network architectures.

    >>> import symparams
    >>> net = symparams.parse("input 28x28x1\\nconv 32 5x5\\nflatten\\ndense 10")
    >>> int(net.params)
    185162

The public functions live in symparams/api.py, at the top of the layers, and are looked up from
here on first use: importing a low module (symparams.layers, symparams.notation) runs this file
too, and must not pull in the engine, the printers or the frameworks with it.
"""

from .errors import (DefinitionError, DSLSyntaxError, MissingDependencyError, ShapeError, SymparamsError,
                     UsageError)

__version__ = "0.1.0"

__all__ = ["parse", "load", "Network", "Layer", "SymparamsError", "DSLSyntaxError", "DefinitionError",
           "ShapeError", "UsageError", "MissingDependencyError", "from_torch", "from_keras"]

_API = ("parse", "load", "Network", "from_torch", "from_keras")


def __getattr__(name: str):
    if name in _API:
        from . import api
        value = getattr(api, name)
    elif name == "Layer":
        from .engine.rows import Layer as value
    else:
        raise AttributeError(f"module 'symparams' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
