"""A person's own δ's as a road of the cross-check, and the grader's word on its mistakes.

A person's road is a function ``fn(net, x, y)`` returning a dict from parameter name to
gradient array: the names of ``net.named_parameters()`` (``layers.0.weight``, ...) or the
sheet's layer names (``wh[0]``, ``bh[0]``, ``wo``, ``bo``). A function that takes a
``loss`` keyword is told the loss's name (and is then run on every loss of the
vocabulary); otherwise it is run on the sheet's loss, ``mse``, only. The person's code
runs in this process: :func:`load_road` imports it from its file.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp import labels
from tinygrad_mlp.crosscheck.roads import tensor_loss
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.tensor import Tensor

__all__ = ["diagnose_road", "load_road", "parameter_keys", "run_road", "takes_loss"]

Road = Callable[..., dict]


def load_road(spec: str) -> Road:
    """The function ``FUNC`` of ``FILE.py``, from ``"FILE.py:FUNC"``, imported in-process.

    Raises ValueError (one sentence) for a spec without ``:``, a missing file, a file
    that does not import, or a name it does not define as a function.
    """
    path, sep, name = str(spec).rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"--road takes FILE.py:FUNCTION, not {spec!r}")
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{path}: no such file")
    module_name = f"_tinygrad_mlp_road_{abs(hash(str(file.resolve())))}"
    loader = importlib.util.spec_from_file_location(module_name, file)
    if loader is None or loader.loader is None:
        raise ValueError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(loader)
    try:
        loader.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 -- the person's file: any failure is one sentence
        raise ValueError(f"{path} does not import: {type(error).__name__}: {error}") from error
    finally:
        sys.modules.pop(module_name, None)
    fn = getattr(module, name, None)
    if fn is None:
        raise ValueError(f"{path} defines no function {name!r}")
    if not callable(fn):
        raise ValueError(f"{path}: {name!r} is a {type(fn).__name__}, not a function")
    return fn


def parameter_keys(net: MLP) -> list[tuple[str, str, np.ndarray]]:
    """(``named_parameters`` name, the sheet's name, the parameter's data), in order."""
    sheet = []
    for l in range(len(net.layers)):  # noqa: E741 -- the sheet's layer index
        heads = labels.layer_names(l, len(net.layers))
        sheet += [heads.weight, heads.bias]
    named = list(net.named_parameters())
    return [(n, s, p.data) for (n, p), s in zip(named, sheet, strict=True)]


def takes_loss(fn: Road) -> bool:
    """True when ``fn`` accepts a ``loss`` keyword."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "loss" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def run_road(fn: Road, net: MLP, x: np.ndarray, z: np.ndarray, loss: str, name: str = "mine"):
    """The person's gradients in ``net.parameters()`` order, checked; one sentence if not.

    Returns:
        A list of arrays, one per parameter.

    Raises:
        NotImplementedError: passed on from the person's function (a case it does not do).
        ValueError: the function raised, or returned the wrong kind, keys or shapes.
    """
    try:
        out = fn(net, x, z, loss=loss) if takes_loss(fn) else fn(net, x, z)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 -- the person's code: any failure is one sentence
        raise ValueError(f"your road {name!r} raised {type(error).__name__}: {error}") from error
    if not isinstance(out, dict):
        raise ValueError(
            f"your road {name!r} returned a {type(out).__name__}, not a dict from parameter "
            "name to gradient"
        )
    keys = parameter_keys(net)
    known = {n for n, _, _ in keys} | {s for _, s, _ in keys}
    unknown = [k for k in out if k not in known]
    if unknown:
        names = ", ".join(f"{n} ({s})" for n, s, _ in keys)
        raise ValueError(
            f"your road {name!r} returned a gradient for {unknown[0]!r}, which is not a "
            f"parameter name; the names are {names}"
        )
    grads = []
    for dotted, sheet, data in keys:
        if dotted in out and sheet in out:
            raise ValueError(f"your road {name!r} returned both {dotted!r} and {sheet!r}")
        value = out.get(dotted, out.get(sheet))
        if value is None:
            raise ValueError(f"your road {name!r} returned no gradient for {sheet} ({dotted})")
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"your road {name!r} returned something that is not numbers for {sheet}"
            ) from error
        if array.shape != data.shape:
            hint = "; is it transposed?" if array.shape == data.shape[::-1] else ""
            raise ValueError(
                f"your road {name!r} returned shape {array.shape} for {sheet} ({dotted}), "
                f"whose shape is {data.shape}{hint}"
            )
        grads.append(array)
    return grads


def diagnose_road(net: MLP, x: np.ndarray, z: np.ndarray, loss: str, grads: list) -> Any:
    """The grader's report on a person's parameter gradients (:func:`tinygrad_mlp.grade`).

    The network runs on the ``Tensor`` engine, each layer's nodes named as the sheet names
    them (``sh[0]``, ``ah[0]``, ..., ``so``, ``yo``), so the chain rule step reads as the
    sheet does.
    """
    from tinygrad_mlp.grade import grade

    a = Tensor(x)
    for l, layer in enumerate(net.layers):  # noqa: E741 -- the sheet's layer index
        heads = labels.layer_names(l, len(net.layers))
        s = (a @ layer.weight.T + layer.bias).named(heads.sum)
        a = s if layer.activation == "linear" else getattr(s, layer.activation)()
        a = a if a is s else a.named(heads.output)
    out = tensor_loss(a, z, loss)
    given = {sheet: g for (_, sheet, _), g in zip(parameter_keys(net), grads, strict=True)}
    return grade(out, given)
