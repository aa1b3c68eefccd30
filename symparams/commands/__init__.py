"""One module per CLI subcommand; see symparams/cli.py."""
