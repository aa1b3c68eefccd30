"""Run by tests/test_parallel.py: real distributed steps on CPU (gloo, loopback only) with 2 ranks,
printing each engine's per-rank bytes as JSON ({engine: {rank: ...}}); `all` runs every engine in one
process group (one start-up of torch per rank). The engines, each one optimiser step:

  fsdp  FSDP2's fully_shard on each product of input 16 / dense 32 gelu / dense 16 (AdamW): the
        local shards' parameter, gradient and optimiser-state bytes; the bytes sent by the
        all-gathers and reduce-scatters it calls (wrapped)
  pipeline  two stages of an embedding, four residual MLP blocks and a head under 1F1B: each stage's
        parameter bytes and the bytes its point-to-point sends carry
  tp    a transformer block under DTensor tensor parallelism (a fused q/k/v product and the MLP's
        first product column-parallel, the attention output and the MLP's second row-parallel,
        norms replicated): the local parameter bytes, and the bytes the all-reduces send (counted
        by a dispatch mode around the functional collectives)

Bytes sent follow the ring algorithms: an all-gather sends (n-1) x its shard, a reduce-scatter and
each half of an all-reduce (n-1)/n x the buffer.
"""

import json
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn


def _local(t):
    return t.to_local() if hasattr(t, "to_local") else t


def _bytes(tensors):
    return sum(_local(t).numel() * _local(t).element_size() for t in tensors)


def fsdp(rank, world, out):
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.device_mesh import init_device_mesh
    sent = [0]
    gather, scatter = dist.all_gather_single, dist.reduce_scatter_single

    def counted_gather(output, input, *args, **kwargs):
        sent[0] += (world - 1) * input.numel() * input.element_size()
        return gather(output, input, *args, **kwargs)

    def counted_scatter(output, input, *args, **kwargs):
        sent[0] += (world - 1) * input.numel() * input.element_size() // world
        return scatter(output, input, *args, **kwargs)

    dist.all_gather_single, dist.reduce_scatter_single = counted_gather, counted_scatter
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))
    mesh = init_device_mesh("cpu", (world,))
    for layer in (model[0], model[2]):
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(4, 16)
    model(x).square().mean().backward()
    opt.step()
    params = list(model.parameters())
    state = [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
    out[rank] = {"weight_bytes": _bytes(params), "grad_bytes": _bytes([p.grad for p in params]),
                 "optim_bytes": _bytes(state), "sent": sent[0]}


class Block(nn.Module):
    def __init__(self, d=16, ffn=32):
        super().__init__()
        self.norm1, self.qkv, self.o = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.norm2, self.fc1, self.fc2 = nn.LayerNorm(d), nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)       # this rank's share of the heads
        a = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
        x = x + self.o(a)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


def tp(rank, world, out):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module
    from torch.utils._python_dispatch import TorchDispatchMode

    class Sent(TorchDispatchMode):
        """Bytes the functional collectives send (all-reduce: 2(n-1)/n of the buffer)."""
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = str(func)
            if "_c10d_functional" in name and "all_reduce" in name:
                t = args[0]
                Sent.total += 2 * (world - 1) * t.numel() * t.element_size() // world
            elif "_c10d_functional" in name and ("all_gather" in name or "reduce_scatter" in name):
                raise AssertionError(f"unexpected collective {name}")
            return func(*args, **(kwargs or {}))

    torch.manual_seed(0)
    block = Block()
    mesh = init_device_mesh("cpu", (world,))
    parallelize_module(block, mesh, {"qkv": ColwiseParallel(), "o": RowwiseParallel(),
                                     "fc1": ColwiseParallel(), "fc2": RowwiseParallel()})
    x = torch.randn(3, 8, 16, requires_grad=False)
    with Sent():
        block(x).sum().backward()
    out[rank] = {"weight_bytes": _bytes(block.parameters()), "sent": Sent.total}


class Block2(nn.Module):
    """A residual MLP block (layernorm, dense 32 gelu, dense 16)."""
    def __init__(self, d=16, ffn=32):
        super().__init__()
        self.norm, self.fc1, self.fc2 = nn.LayerNorm(d), nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm(x))))


def pipeline(rank, world, out):
    """Two stages split as Megatron-LM does by default (equal passes; embedding first, head last),
    run by torch.distributed.pipelining's 1F1B schedule over 4 micro-batches; the point-to-point
    sends counted by wrapping isend."""
    from torch.distributed.pipelining import PipelineStage, Schedule1F1B
    import torch.distributed.distributed_c10d as c10d
    sent = [0]
    isend = c10d.isend

    def counted(tensor, *args, **kwargs):
        if tensor.is_floating_point() and tensor.numel() > 1:     # activations, not shape metadata or handshakes
            sent[0] += tensor.numel() * tensor.element_size()
        return isend(tensor, *args, **kwargs)

    dist.isend = c10d.isend = counted          # before the stage builds its P2POps
    torch.manual_seed(0)
    if rank == 0:
        module = nn.Sequential(nn.Embedding(32, 16), Block2(), Block2())
    else:
        module = nn.Sequential(Block2(), Block2(), nn.LayerNorm(16), nn.Linear(16, 32))
    stage = PipelineStage(module, rank, world, torch.device("cpu"))
    loss = lambda logits, target: nn.functional.cross_entropy(logits.reshape(-1, 32), target.reshape(-1))
    schedule = Schedule1F1B(stage, n_microbatches=4, loss_fn=loss)
    tokens = torch.randint(0, 32, (8, 8))            # 4 micro-batches of 2 sequences of 8 tokens
    if rank == 0:
        schedule.step(tokens)
    else:
        schedule.step(target=torch.randint(0, 32, (8, 8)))
    out[rank] = {"weight_bytes": _bytes(module.parameters()), "sent": sent[0]}


ENGINES = {"fsdp": fsdp, "tp": tp, "pipeline": pipeline}


def run(rank, world, port, which, queue):
    """One rank: each engine asked for (comma-separated, or all) in turn, in one process group."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        results = {}
        for name in (ENGINES if which == "all" else which.split(",")):
            out = {}
            ENGINES[name](rank, world, out)
            results[name] = out[rank]
        queue.put((rank, results))
    finally:
        dist.destroy_process_group()


def main():
    which, world, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=run, args=(r, world, port, which, queue)) for r in range(world)]
    for p in procs:
        p.start()
    by_engine = {}
    for _ in procs:
        rank, results = queue.get(timeout=180)
        for name, data in results.items():
            by_engine.setdefault(name, {})[str(rank)] = data
    for p in procs:
        p.join(timeout=60)
    print(json.dumps(by_engine))


if __name__ == "__main__":
    main()
