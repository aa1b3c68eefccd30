"""Export to and import from PyTorch and Keras; checks against them."""
