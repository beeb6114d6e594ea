"""Subcommands of ``tinygrad-mlp``: one module each, with ``register(subparsers)``."""
