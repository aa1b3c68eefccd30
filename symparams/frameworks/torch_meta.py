"""Building a PyTorch model without memory for its weights: on the meta device.

A count needs shapes only. `with torch.device("meta")` makes every tensor a meta tensor, which
fails when the model's constructor computes a value from tensors (torchvision's RegNet rounds
its block widths with torch ops and `.tolist()`); such a factory runs again with ordinary
tensors, and each parameter and buffer is moved to the meta device as the module registers it,
so at most one layer's weights exist in memory at a time.
"""

from __future__ import annotations

import contextlib

from .plan import need


@contextlib.contextmanager
def _weights_on_meta(torch):
    """nn.Module.register_parameter / register_buffer put what they register on the meta device."""
    module = torch.nn.Module
    parameter, buffer = module.register_parameter, module.register_buffer

    def register_parameter(self, name, param):
        parameter(self, name, param)
        if param is not None and param.device.type != "meta":
            kind, extra = type(param), dict(param.__dict__)
            self._parameters[name] = kind(param.to("meta"), requires_grad=param.requires_grad)
            self._parameters[name].__dict__.update(extra)

    def register_buffer(self, name, tensor, persistent=True):
        buffer(self, name, tensor, persistent)
        if tensor is not None and tensor.device.type != "meta":
            self._buffers[name] = tensor.to("meta")

    module.register_parameter, module.register_buffer = register_parameter, register_buffer
    try:
        yield
    finally:
        module.register_parameter, module.register_buffer = parameter, buffer


def build_on_meta(factory):
    """factory() with its weights on the meta device: first with meta as the default device, and
    when the constructor needs values, with each weight moved there as it is registered. The
    second try's exception is the one raised."""
    torch = need("torch", "pytorch")
    try:
        with torch.device("meta"):
            return factory()
    except (Exception, SystemExit):        # noqa: BLE001 - it reads a value of a meta tensor
        pass
    with _weights_on_meta(torch):
        return factory()
