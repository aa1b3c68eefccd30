"""The PyTorch peer of `symparams summary`, run cold by benchmarks/run.py: build the model and print
torchinfo's summary, as a user with the model's code would.

    python benchmarks/peers/torchinfo_summary.py MODEL.py

MODEL.py is the code `symparams export --to pytorch` wrote (its build() and INPUT_SHAPE / INPUT_DTYPE);
torchvision, which would hold most of these models, cannot be installed beside torch 2.13 here.
"""

import importlib.util
import sys

import torch
import torchinfo


def main(path: str) -> None:
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build()
    data = torch.zeros((1,) + tuple(module.INPUT_SHAPE), dtype=module.INPUT_DTYPE)
    # depth=10: every nested module gets its row, as symparams lists every row
    print(torchinfo.summary(model, input_data=[data], device="cpu", depth=10, verbose=0))


if __name__ == "__main__":
    main(sys.argv[1])
