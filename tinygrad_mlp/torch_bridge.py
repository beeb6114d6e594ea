"""Carry a network to PyTorch and back, and keep a whole model in a torch file.

:func:`to_torch` turns an :class:`~tinygrad_mlp.nn.MLP` into a
``torch.nn.Sequential`` that computes the same function with the same numbers:
layer ``l`` becomes ``Linear`` (module ``2l``, weight nodes × inputs as ours) and
its activation (module ``2l + 1``: ``Sigmoid``, ``Tanh``, ``ReLU``,
``LeakyReLU(0.01)``, ``ELU(1.0)``, ``CELU(1.0)``, ``GELU("none")``, ``GELU("tanh")``,
``SiLU``, ``Softplus(beta=1, threshold=20)``, ``Softsign``, ``Hardtanh(-1, 1)``,
``Hardsigmoid``, or ``Identity`` for a linear layer), in the network's dtype; a module
whose parameters differ from these computes another function and is refused. :func:`from_torch`
reads such a module back, from any PyTorch code that trained it (plain, or
wrapped in ``DistributedDataParallel``).

:func:`save_torch` and :func:`load_torch` keep a whole saved model (the network
plus its scalers, loss, column names and settings) in one file that
``torch.load(path, weights_only=True)`` reads: the ``Sequential``'s state dict
beside plain strings, numbers, lists, dicts and tensors, never pickled code.

PyTorch is an optional extra (``pip install 'tinygrad-mlp[torch]'``); it is
imported when one of these functions runs, not when this module is imported.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_mlp.data import checked_file
from tinygrad_mlp.files import atomic_write_bytes
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.record import PER_COLUMN, SavedModel, describe, read_fields

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["from_torch", "load_torch", "save_torch", "to_torch"]

#: The torch module of each activation: its class name and the parameters that make it
#: compute our function (linear layers get ``Identity``). ``from_torch`` reads a module
#: only when these attributes hold exactly these values.
TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("ReLU", {}),
    "linear": ("Identity", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
    "elu": ("ELU", {"alpha": 1.0}),
    "celu": ("CELU", {"alpha": 1.0}),
    "gelu": ("GELU", {"approximate": "none"}),
    "gelu_tanh": ("GELU", {"approximate": "tanh"}),
    "silu": ("SiLU", {}),
    "softplus": ("Softplus", {"beta": 1.0, "threshold": 20.0}),
    "softsign": ("Softsign", {}),
    "hardtanh": ("Hardtanh", {"min_val": -1.0, "max_val": 1.0}),
    "hardsigmoid": ("Hardsigmoid", {}),
}
_missing = sorted(set(ACTIVATIONS) - set(TORCH_ACTIVATIONS))
if _missing:  # NOTE: not an assert: it must fail under python -O too
    raise ImportError(f"activations {_missing} have no torch module in TORCH_ACTIVATIONS")

#: The torch classes of the table, for messages.
_TORCH_CLASSES = ", ".join(dict.fromkeys(cls for cls, _ in TORCH_ACTIVATIONS.values()))

FORMAT = "tinygrad-mlp-torch"
VERSION = 1
#: Torch files larger than this are refused before reading.
MAX_TORCH_BYTES = 1024 * 1024 * 1024


def torch_activation(name: str) -> tuple[str, dict[str, Any]]:
    """The torch module (class name, parameters) of activation ``name``, or one ValueError.

    >>> torch_activation("leaky_relu")
    ('LeakyReLU', {'negative_slope': 0.01})
    """
    if name not in TORCH_ACTIVATIONS:
        raise ValueError(
            f"activation {name!r} has no torch module; add its class and parameters to "
            "TORCH_ACTIVATIONS in tinygrad_mlp/torch_bridge.py"
        )
    return TORCH_ACTIVATIONS[name]


def require_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "this needs PyTorch: pip install 'tinygrad-mlp[torch]' (torch 2.13.0)"
        ) from None
    return torch


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    table = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}
    if np.dtype(dtype) not in table:
        raise TypeError(f"to_torch takes float32 or float64 networks, got {dtype}")
    return table[np.dtype(dtype)]


def _sequential(torch: Any, sizes: list[int], activations: list[str], dtype: Any) -> Any:
    """An untrained ``Sequential`` of the given shape (Linear, activation, Linear, ...)."""
    modules = []
    for l, name in enumerate(activations):  # noqa: E741 -- the sheet's layer index
        modules.append(torch.nn.Linear(sizes[l], sizes[l + 1], dtype=dtype))
        cls, parameters = torch_activation(name)
        modules.append(getattr(torch.nn, cls)(**parameters))
    return torch.nn.Sequential(*modules)


def to_torch(net: MLP) -> torch.nn.Sequential:
    """The network as a ``torch.nn.Sequential`` with the same weights, dtype and activations.

    Layer ``l`` becomes module ``2l`` (``Linear``, weight copied from
    ``net.layers[l].weight``) and module ``2l + 1`` (its activation; ``Identity``
    for a linear layer), so ``seq(x)`` equals ``net(x)`` and the torch gradients
    equal ours. The copy shares no memory with ``net``.

    Args:
        net: an MLP in float32 or float64.

    Returns:
        ``torch.nn.Sequential`` in training mode, parameters requiring grad.

    >>> import numpy as np
    >>> net = MLP(2, [3, 1], activation="tanh", seed=0)
    >>> seq = to_torch(net)
    >>> seq
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1, bias=True)
      (3): Tanh()
    )
    >>> x = np.array([[0.5, -1.0]])
    >>> bool(np.allclose(seq(__import__("torch").from_numpy(x)).detach().numpy(), net(x).data))
    True
    """
    torch = require_torch()
    if not isinstance(net, MLP):
        raise TypeError(f"to_torch takes an MLP, got {type(net).__name__}")
    dtype = _torch_dtype(torch, net.layers[0].weight.data.dtype)
    seq = _sequential(torch, net.sizes, [layer.activation for layer in net.layers], dtype)
    with torch.no_grad():
        for l, layer in enumerate(net.layers):  # noqa: E741 -- the sheet's layer index
            seq[2 * l].weight.copy_(torch.from_numpy(np.array(layer.weight.data)))
            seq[2 * l].bias.copy_(torch.from_numpy(np.array(layer.bias.data)))
    return seq


def _flat_children(torch: Any, module: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted name, module) of a Sequential's children, nested Sequentials opened."""
    out = []
    for name, child in module.named_children():
        key = f"{prefix}{name}"
        if isinstance(child, torch.nn.Sequential):
            out.extend(_flat_children(torch, child, key + "."))
        else:
            out.append((key, child))
    return out


def _unsupported(key: str, child: Any, why: str) -> ValueError:
    return ValueError(
        f"from_torch cannot read module {key} ({type(child).__name__}): {why}; it reads a "
        f"Sequential of Linear layers, each followed by at most one activation module "
        f"({_TORCH_CLASSES}) with the parameters in TORCH_ACTIVATIONS"
    )


def _activation_of(key: str, child: Any, names: list[str]) -> str:
    """Which of ``names`` the torch activation ``child`` computes, by its parameters."""
    for name in names:
        expected = TORCH_ACTIVATIONS[name][1]
        if all(getattr(child, k, None) == v for k, v in expected.items()):
            return name
    wanted = " or ".join(
        ", ".join(f"{k}={v!r}" for k, v in TORCH_ACTIVATIONS[n][1].items()) for n in names
    )
    got = ", ".join(f"{k}={getattr(child, k, None)!r}" for k in TORCH_ACTIVATIONS[names[0]][1])
    raise _unsupported(key, child, f"its parameters {got} differ from ours ({wanted})")


def from_torch(module: torch.nn.Module) -> MLP:
    """Read back an MLP-shaped ``torch.nn.Sequential`` (as :func:`to_torch` makes).

    Each ``Linear`` (with bias) starts a layer; the activation module after it
    (one of :data:`TORCH_ACTIVATIONS`, with its parameters; ``Identity`` or none for
    linear) is the layer's activation. A ``DistributedDataParallel`` wrapper is opened, nested
    ``Sequential`` s are read in order. Anything else is refused with one
    sentence naming the first module that does not fit.

    Args:
        module: the torch module.

    Returns:
        An ``MLP`` with copies of the weights, in the module's dtype (float32/float64).

    >>> net = MLP(3, [4, 2], activation="relu", output_activation="linear", seed=1)
    >>> back = from_torch(to_torch(net))
    >>> back.activations, bool((back.layers[1].weight.data == net.layers[1].weight.data).all())
    (['relu', 'linear'], True)
    """
    torch = require_torch()
    if isinstance(module, torch.nn.parallel.DistributedDataParallel):
        module = module.module
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            f"from_torch reads a torch.nn.Sequential of Linear and activation modules, "
            f"got {type(module).__name__}"
        )
    kinds: dict[Any, list[str]] = {}
    for name, (cls, _) in TORCH_ACTIVATIONS.items():
        kinds.setdefault(getattr(torch.nn, cls), []).append(name)
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    activations: list[str] = []
    dtype = None
    open_layer = False  # a Linear layer waits for its activation
    for key, child in _flat_children(torch, module):
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise _unsupported(key, child, "a Linear layer without a bias")
            if dtype is None:
                dtype = child.weight.dtype
            if child.weight.dtype != dtype or child.bias.dtype != dtype:
                raise _unsupported(key, child, f"its dtype differs from the first layer's {dtype}")
            if dtype not in (torch.float32, torch.float64):
                raise _unsupported(key, child, f"dtype {dtype} (float32 or float64 only)")
            if weights and child.in_features != weights[-1].shape[0]:
                raise _unsupported(
                    key,
                    child,
                    f"it takes {child.in_features} inputs after a layer of "
                    f"{weights[-1].shape[0]} nodes",
                )
            weights.append(child.weight.detach().cpu().numpy().copy())
            biases.append(child.bias.detach().cpu().numpy().copy())
            activations.append("linear")
            open_layer = True
        elif type(child) in kinds:
            if not open_layer:
                why = (
                    "a second activation after one Linear layer"
                    if weights
                    else ("an activation with no Linear layer before it")
                )
                raise _unsupported(key, child, why)
            activations[-1] = _activation_of(key, child, kinds[type(child)])
            open_layer = False
        else:
            raise _unsupported(key, child, "not a Linear layer or a supported activation")
    if not weights:
        raise ValueError("from_torch found no Linear layer in the Sequential")
    net = MLP(
        weights[0].shape[1],
        [w.shape[0] for w in weights],
        activation=activations,
        seed=0,
        dtype=np.float64 if dtype == torch.float64 else np.float32,
    )
    net.set_weights(weights, biases)
    return net


# --------------------------------------------------------------------------- torch files


def save_torch(model: SavedModel | MLP, path: str | Path) -> None:
    """Write a model as a torch file that ``torch.load(path, weights_only=True)`` reads.

    The file is a dict: ``format``, ``version``, ``state_dict`` (of
    :func:`to_torch`'s ``Sequential``: ``"0.weight"``, ``"0.bias"``, ``"2.weight"``,
    ...), ``activations`` (one name per layer), and the model's ``loss``,
    ``input_names``, ``target_names``, ``classes``, ``input_scaler`` /
    ``output_scaler`` (a min-max scaler as ``{"range": [low, high], "min": tensor,
    "max": tensor}``, a standard one as ``{"kind": "standard", "mean": tensor,
    "scale": tensor}``, or None; float64 tensors) and ``settings``. Written
    atomically.

    Args:
        model: a saved model, or a bare network (saved with no scalers, loss mse).
        path: the file to write.
    """
    torch = require_torch()
    if isinstance(model, MLP):
        model = SavedModel(model)
    record = describe(model)
    for key in ("input_scaler", "output_scaler"):
        scaler = record[key]
        for field in PER_COLUMN:
            if scaler is not None and field in scaler:
                scaler[field] = torch.tensor(scaler[field], dtype=torch.float64)
    record.update(
        format=FORMAT,
        version=VERSION,
        state_dict=to_torch(model.net).state_dict(),
        activations=list(model.net.activations),
    )
    buffer = io.BytesIO()
    torch.save(record, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_torch(path: str | Path) -> SavedModel:
    """Read a file written by :func:`save_torch` (or by PyTorch code in that layout).

    Only ``torch.load(..., weights_only=True)`` touches the file, so it can hold
    tensors and plain data, never code. Every field is checked; the first wrong
    one is named in one sentence.
    """
    torch = require_torch()
    path = checked_file(path, MAX_TORCH_BYTES)
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # NOTE: torch raises many kinds; the sentence says what matters
        raise ValueError(
            f"{path}: torch.load(weights_only=True) cannot read it (not a torch file, "
            "truncated, or holding objects other than tensors and plain data)"
        ) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path}: not a tinygrad-mlp torch file (no 'format': '{FORMAT}')")
    if record.get("version") != VERSION:
        raise ValueError(f"{path}: torch file version {record.get('version')} is not {VERSION}")
    activations = record.get("activations")
    if not isinstance(activations, list) or not activations:
        raise ValueError(f"{path}: activations must name one activation per layer")
    for name in activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"{path}: unknown activation {name!r}")
    state = record.get("state_dict")
    if not isinstance(state, dict):
        raise ValueError(f"{path}: state_dict must be a dict of tensors")
    expected = [f"{2 * l}.{p}" for l in range(len(activations)) for p in ("weight", "bias")]  # noqa: E741
    for key in expected:
        if key not in state:
            raise ValueError(f"{path}: state_dict has no {key!r} for its {len(activations)} layers")
    for key in state:
        if key not in expected:
            raise ValueError(f"{path}: state_dict has an unexpected key {key!r}")
    for key in expected:
        if not isinstance(state[key], torch.Tensor):
            raise ValueError(f"{path}: state_dict[{key!r}] is not a tensor")
    weights = [state[f"{2 * l}.weight"] for l in range(len(activations))]  # noqa: E741
    if any(w.ndim != 2 for w in weights):
        raise ValueError(f"{path}: every weight must be a (nodes x inputs) matrix")
    sizes = [weights[0].shape[1], *(w.shape[0] for w in weights)]
    dtype = weights[0].dtype
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"{path}: weights must be float32 or float64, got {dtype}")
    seq = _sequential(torch, sizes, activations, dtype)
    for key, value in seq.state_dict().items():
        if state[key].shape != value.shape:
            raise ValueError(
                f"{path}: state_dict[{key!r}] has shape {tuple(state[key].shape)}, "
                f"expected {tuple(value.shape)}"
            )
        if not bool(torch.isfinite(state[key]).all()):
            raise ValueError(f"{path}: state_dict[{key!r}] holds a value that is not finite")
    seq.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=True)
    net = from_torch(seq)
    fields = read_fields(str(path), record, sizes[0], sizes[-1])
    return SavedModel(net=net, **fields)
