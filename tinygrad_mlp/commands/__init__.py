"""Subcommands of ``tinygrad-mlp``: one module each, with ``register(subparsers)``.

:data:`COMMANDS` is the table the command line is built from: each command's
name, the module that holds it, and its one-line help. ``tinygrad-mlp --help``
lists them from this table alone; a command's module (and what it imports:
training, pictures, ONNX, torch) is imported only when that command runs or its
own ``--help`` is asked for. This module imports nothing.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "module_of", "summary"]

#: (command, module under tinygrad_mlp.commands, one-line help), in ``--help`` order.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("demo", "demo", "run the cheat sheet's worked example (forward, backward, golden numbers)"),
    ("train", "train", "train a network on a CSV file and save the model"),
    ("test", "evaluate", "report a saved model's loss and metrics on a CSV file"),
    ("predict", "predict", "predict outputs for a CSV file of inputs"),
    ("info", "info", "print a saved network: layers, nodes, weights, biases, scalers"),
    (
        "import-seed",
        "seedfiles",
        "turn the seed system's weights and min-max JSON files into a model file",
    ),
    (
        "export-seed",
        "seedfiles",
        "write a model in the seed system's weights and min-max JSON files",
    ),
    (
        "check",
        "check",
        "compare every gradient from scalar autodiff, tensor autodiff and the δ formulas",
    ),
    (
        "explain",
        "explain",
        "print one sample's forward and backward pass, step by step, with numbers",
    ),
    (
        "graph",
        "graph",
        "draw the computation graph or the network diagram (the seed example by default)",
    ),
    (
        "playback",
        "playback",
        "step through the forward and backward pass in a browser page (the seed example by "
        "default)",
    ),
    (
        "studio",
        "studio",
        "watch a network learn, live, in a local browser page (needs the studio extra)",
    ),
    (
        "export",
        "export",
        "write a saved model as ONNX (for serving) or as a torch file (to train on)",
    ),
    (
        "import",
        "import_model",
        "read an ONNX or torch file (e.g. after training in PyTorch) as a model JSON",
    ),
)


def summary(command: str) -> str:
    """The one-line help of ``command`` (what ``tinygrad-mlp --help`` lists).

    >>> summary("train")
    'train a network on a CSV file and save the model'
    """
    return next(text for name, _, text in COMMANDS if name == command)


def module_of(command: str) -> str | None:
    """The module (under :mod:`tinygrad_mlp.commands`) holding ``command``, or None.

    >>> module_of("test")
    'evaluate'
    """
    return next((module for name, module, _ in COMMANDS if name == command), None)
