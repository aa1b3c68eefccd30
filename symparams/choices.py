"""The vocabularies of the cost, memory and serving options (summary's, memory's, plan's --dtype,
--precision, --optimizer, --flops ...): names and the small tables that decide them, in a module that
imports nothing, so that a command's argument parser lists its choices without importing the cost
model, the memory model and the layer kinds (about 5 ms of every cold command). cost.py, memory.py and
serving.py use these very objects."""

# ---------------------------------------------------------------- cost.py

FLOP_CONVENTIONS = ("torch", "kaplan", "palm", "chinchilla")
INPUT_GRAD = ("needed", "all")
ACT_STYLES = ("pytorch", "megatron")
# the attention kernel whose saved tensors count (--attention): eager keeps the T x T' probabilities,
# sdpa (scaled_dot_product_attention, Hugging Face's default; the flash kernel on CPU) and flash keep
# the softmax statistics instead (layers/attention.py states each; docs/cost.md has the measurements)
ATTENTION_KERNELS = ("eager", "sdpa", "flash")
DEFAULT_ATTENTION = "sdpa"
# the training loss (--loss): cross-entropy keeps float32 log-probabilities of every logit and the int64
# targets (memory.loss_bytes); the default is cross-entropy when the network ends in logits
LOSSES = ("cross-entropy", "none")
DEVICES = ("cuda", "cpu")
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}

# ---------------------------------------------------------------- memory.py

PRECISIONS = {
    "fp32": {"weight": 4, "grad": 4, "master": 0, "state": 4, "act": 4},
    "bf16-mixed": {"weight": 2, "grad": 2, "master": 4, "state": 4, "act": 2},
    "fp16-mixed": {"weight": 2, "grad": 2, "master": 4, "state": 4, "act": 2},
    "bf16": {"weight": 2, "grad": 2, "master": 0, "state": 2, "act": 2},
}
OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2, "adafactor": "factored"}
RECOMPUTE = ("none", "selective", "full")

# ---------------------------------------------------------------- serving.py

WEIGHT_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "nf4")
KV_DTYPES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1}
