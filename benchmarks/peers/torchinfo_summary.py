"""The PyTorch peer of `symparams summary`, run cold by benchmarks/run.py: build the model and print
torchinfo's summary, as a user with the model's code would.

    python benchmarks/peers/torchinfo_summary.py MODEL.py [--meta]

MODEL.py is the code `symparams export --to pytorch` wrote (its build() and INPUTS: each of forward's inputs,
its shape and dtype — integer token ids where an embedding reads it; older exports: INPUT_SHAPE / INPUT_DTYPE).
--meta: the model built on PyTorch's meta device (`with torch.device("meta")`: every weight's shape,
no memory) and summarised there, as a user sizing a model too large for the machine would; torchinfo
counts the parameters from their shapes and runs the forward pass on shapes alone.
"""

import importlib.util
import sys

import torch
import torchinfo


def main(path: str, meta: bool = False) -> None:
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    device = "meta" if meta else "cpu"
    with torch.device(device):
        model = module.build()
    inputs = getattr(module, "INPUTS", None) or (("x", module.INPUT_SHAPE, module.INPUT_DTYPE),)
    # one tensor per forward argument, in its order (BERT: token types and tokens; T5, Whisper: the encoder's
    # and the decoder's inputs), as a torchinfo user passes several inputs: input_data=[...]
    data = [torch.zeros((1,) + tuple(shape), dtype=dtype, device=device) for _, shape, dtype in inputs]
    # depth=10: every nested module gets its row, as symparams lists every row
    print(torchinfo.summary(model, input_data=data, device=device, depth=10, verbose=0))


if __name__ == "__main__":
    main(sys.argv[1], "--meta" in sys.argv[2:])
