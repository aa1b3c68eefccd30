"""Accelerators: peak dense FLOP/s, memory bandwidth, memory size and link bandwidth, from the vendors'
data sheets (dense figures: the sheets' sparse numbers halved). One table; `--gpu NAME` picks a row,
`--gpu custom:flops=…,bw=…,mem=…[,link=…,fp8=…]` states one.

To add a device: one entry below, with its source. Units: FLOP/s, bytes/s, bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError, did_you_mean

T, G = 10 ** 12, 10 ** 9


@dataclass(frozen=True)
class GPU:
    name: str
    bf16: int            # peak dense bf16 FLOP/s
    fp8: int | None      # peak dense fp8 FLOP/s (None: no fp8 tensor cores)
    bandwidth: int       # memory bandwidth, bytes/s
    memory: int          # memory, bytes
    link: int            # per-GPU bandwidth to the other GPUs of a node, bytes/s, one direction
    source: str


TABLE = {g.name: g for g in (
    GPU("h100-sxm", 989 * T, 1979 * T, 3350 * G, 80 * G, 450 * G,
        "NVIDIA H100 Tensor Core GPU datasheet (SXM5): 1,979 TFLOPS bf16 / 3,958 fp8 with sparsity, "
        "3.35 TB/s HBM3, 80 GB, NVLink 900 GB/s (bidirectional)"),
    GPU("h100-pcie", 756 * T, 1513 * T, 2000 * G, 80 * G, 300 * G,
        "NVIDIA H100 datasheet (PCIe): 1,513 TFLOPS bf16 / 3,026 fp8 with sparsity, 2.0 TB/s HBM2e, 80 GB, "
        "NVLink bridge 600 GB/s"),
    GPU("h200", 989 * T, 1979 * T, 4800 * G, 141 * G, 450 * G,
        "NVIDIA H200 Tensor Core GPU datasheet (SXM): as H100 SXM compute, 4.8 TB/s HBM3e, 141 GB, NVLink 900 GB/s"),
    GPU("a100-40gb", 312 * T, None, 1555 * G, 40 * G, 300 * G,
        "NVIDIA A100 Tensor Core GPU datasheet (SXM 40 GB): 312 TFLOPS bf16 dense, 1,555 GB/s HBM2, "
        "NVLink 600 GB/s"),
    GPU("a100-80gb", 312 * T, None, 2039 * G, 80 * G, 300 * G,
        "NVIDIA A100 datasheet (SXM 80 GB): 312 TFLOPS bf16 dense, 2,039 GB/s HBM2e, NVLink 600 GB/s"),
    GPU("l40s", 362 * T, 733 * T, 864 * G, 48 * G, 32 * G,
        "NVIDIA L40S datasheet: 733 TFLOPS bf16 / 1,466 fp8 with sparsity, 864 GB/s GDDR6, 48 GB, "
        "PCIe Gen4 x16 64 GB/s (bidirectional)"),
    GPU("rtx-4090", 165 * T, 330 * T, 1008 * G, 24 * G, 32 * G,
        "NVIDIA Ada Lovelace architecture whitepaper (RTX 4090): 165.2 TFLOPS bf16 / 330.3 fp8 dense "
        "(fp32 accumulate on GeForce: half), 1,008 GB/s GDDR6X, 24 GB, PCIe Gen4 x16"),
    GPU("mi300x", 1307 * T, 2615 * T, 5300 * G, 192 * G, 448 * G,
        "AMD Instinct MI300X datasheet: 1,307.4 TFLOPS bf16 / 2,614.9 fp8 dense, 5.3 TB/s HBM3, 192 GB, "
        "Infinity Fabric 7 x 64 GB/s"),
    GPU("tpu-v5e", 197 * T, None, 819 * G, 16 * G, 200 * G,
        "Google Cloud TPU v5e documentation: 197 TFLOPS bf16 (394 int8), 819 GB/s HBM2, 16 GB, "
        "ICI 1,600 Gbps"),
)}


def _amount(text: str, key: str) -> int:
    from .integers import parse_number
    t = text.strip().lower().replace("_", "")
    units = {"t": T, "g": G, "p": 10 ** 15, "m": 10 ** 6, "k": 10 ** 3}
    for suffix in ("tb/s", "gb/s", "tb", "gb"):
        if t.endswith(suffix):
            t = t[: -len(suffix)] + suffix[0]
    if t and t[-1] in units:
        return parse_number(t[:-1], f"--gpu custom {key}", unit=units[t[-1]])
    return parse_number(t, f"--gpu custom {key}")


def find(name: str) -> GPU:
    """A GPU by table name (case-insensitive) or `custom:flops=989e12,bw=3.35e12,mem=80e9[,link=…,fp8=…]`."""
    text = str(name).strip()
    if text.lower().startswith("custom:"):
        given = {}
        for piece in text[7:].split(","):
            key, eq, value = piece.partition("=")
            key = key.strip().lower()
            if not eq or key not in ("flops", "bw", "mem", "link", "fp8"):
                raise UsageError(f"--gpu custom: '{piece}' is not one of flops=, bw=, mem=, link=, fp8=")
            given[key] = _amount(value, key)
        missing = [k for k in ("flops", "bw", "mem") if k not in given]
        if missing:
            raise UsageError(f"--gpu custom: give {', '.join(k + '=' for k in missing)}")
        return GPU("custom", given["flops"], given.get("fp8"), given["bw"], given["mem"],
                   given.get("link", 100 * G), "given on the command line")
    key = text.lower().replace("_", "-").replace(" ", "-")
    if key not in TABLE:
        raise UsageError(f"unknown GPU '{text}'; the table has {', '.join(TABLE)} (or custom:flops=…,bw=…,mem=…)",
                         hint=did_you_mean(key, list(TABLE)))
    return TABLE[key]
