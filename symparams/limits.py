"""Every resource limit of the parser and the derive, stated once. A file past one of them gets a
located error naming the construct and the limit, reached in well under a second (tests/test_limits.py);
none of them is near what a real architecture needs."""

# the text
MAX_SOURCE_BYTES = 20_000_000     # characters of one architecture file
MAX_STATEMENTS = 150_000          # statements written in one file (a 100,000-layer file is fine)
MAX_NESTING = 100                 # '{' ... '}' and '(' ... ')' nested inside each other
MAX_LITERAL_DIGITS = 4_000        # digits of one integer literal (Python's int() stops at 4,300)
MAX_DECIMAL_EXPONENT = 400        # |e| of a decimal such as 1e-400 (dropout rates are near 0.1)

# numbers and expressions
MAX_INTEGER_BITS = 100_000        # bits of any number a file computes (10**30000 is allowed)
MAX_PRINTED_DIGITS = 20_000      # digits of a result printed exactly (Python's own int-to-text limit is
                                 # 4,300; 10,000 digits print in about a second, the layout is quadratic)
MAX_SYMBOLIC_EXPONENT = 10_000    # the exponent of a symbolic base: n**10000
MAX_EXPANDED_TERMS = 20_000       # terms of an expression multiplied out: (n + k + 1)**200 has 20,301
EXPAND_AT_MOST = 400              # terms the engine multiplies out (totals, equality); larger stays as written

# the derive
MAX_ROWS = 150_000                # rows of one network, composites and repeat passes included
MAX_BLOCK_DEPTH = 64              # blocks calling blocks
MAX_EXPLICIT_ITERATIONS = 64      # a numeric repeat is iterated pass by pass only this far
MAX_UNROLL = 100_000              # passes of one repeat written out (for export and check)
MAX_SEARCHED_BITS = 1_024         # validity bounds: a symbol in an exponent (2**d) is tried while 2**d has this many bits

# files other than the architecture text (each read is bounded; a path that is not a regular file,
# /dev/zero or a pipe, is refused before reading)
MAX_CONFIG_BYTES = 20_000_000     # a Hugging Face config.json, and config.json inside a .keras archive
MAX_KERAS_BYTES = 2_000_000_000   # a .keras archive on disk (only its config.json member is read)
MAX_ONNX_BYTES = 600_000_000      # an .onnx file, read whole (VGG-16 with its weights is 528 MB)

# ONNX import: only shape arithmetic of the graph is evaluated, by symparams itself
MAX_FOLDED_ELEMENTS = 10_000      # elements of any tensor folded (a shape, a padding, an index list)
MAX_FOLD_WORK = 1_000_000         # elements folded in total over one graph
MAX_CHECKED_ELEMENTS = 2_000_000  # a constant whose values a pattern checks (a gathered window position bias)
MAX_ONNX_NODES = 500_000          # nodes of one graph (validation runs in onnx's C++, which no time limit interrupts)

# time: CPU seconds of this process (not wall time, so a loaded machine does not trip it)
CPU_SECONDS = 7.0                 # every command (SYMPARAMS_CPU_LIMIT=SECONDS changes it; serve's server has none)
API_CPU_SECONDS = 60.0            # each parse/load of the Python API: a caller may raise it (None: no limit);
                                  # a 100,000-layer file takes about 20 s

# check: the model is built on the meta device (no memory); a real build, only when a forward cannot
# run there, is refused past this many bytes of weights and activations (batch 2, 4 bytes each)
MAX_CHECK_BYTES = 1_000_000_000
