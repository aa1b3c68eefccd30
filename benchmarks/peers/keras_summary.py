"""The Keras peer of `symparams summary`, run cold by benchmarks/run.py (KERAS_BACKEND=torch): build
the model and print `model.summary()`, as a user with the model's code would.

    python benchmarks/peers/keras_summary.py MODEL.py          # code from `symparams export --to keras`
    python benchmarks/peers/keras_summary.py --application NAME   # keras.applications.NAME(weights=None)
"""

import importlib.util
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402  (after the backend is chosen)


def main(argv) -> None:
    if argv[0] == "--application":
        model = getattr(keras.applications, argv[1])(weights=None)
    else:
        spec = importlib.util.spec_from_file_location("exported_model", argv[0])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.build()
    model.summary(line_length=120)


if __name__ == "__main__":
    main(sys.argv[1:])
