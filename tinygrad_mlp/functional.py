"""Functions as ``torch.nn.functional`` and ``torch.autograd.functional`` offer them.

- activations and losses by name (:func:`activation`); every loss of
  :mod:`tinygrad_mlp.losses` (one ``cross_entropy``, torch's signature) and every
  function of :mod:`tinygrad_mlp.ops_extra` (element-wise functions, activations,
  selection, constructors), the same function objects under the same names;
- derivatives of whole functions of Tensors: :func:`vjp`, :func:`jvp`,
  :func:`jacobian`, :func:`hessian`, :func:`hvp`, :func:`vhp`, with the
  signatures and return values of ``torch.autograd.functional``;
- :func:`gradcheck` and :func:`gradgradcheck`: first and second derivatives from
  autodiff against float64 central differences, with a readable report, so users
  can check their own ops.

Every helper builds its own leaves from the inputs' numbers (as torch does): no
``.grad`` of the caller's tensors is touched. With ``create_graph=True`` the
inputs themselves are used, so the results stay differentiable with respect to
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import losses, ops_extra
from tinygrad_mlp.autograd import enable_grad, grad
from tinygrad_mlp.losses import *  # noqa: F403 - the names of losses.__all__
from tinygrad_mlp.ops_extra import *  # noqa: F403 - the names of ops_extra.__all__
from tinygrad_mlp.tensor import Tensor, concatenate

__all__ = [
    "GradcheckError",
    "activation",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "vhp",
    "vjp",
]
# NOTE: the losses and the wider op set are written once, in their own modules; this
# module hands out the same function objects under torch.nn.functional's names.
__all__ += losses.__all__
__all__ += [name for name in ops_extra.__all__ if name not in losses.__all__]


def activation(x: Any, name: str) -> Any:
    """Apply the activation called ``name`` (see :mod:`tinygrad_mlp.names`) to a node.

    >>> activation(Tensor([0.0]), "sigmoid").tolist()
    [0.5]
    """
    from tinygrad_mlp.names import activation_name

    name = activation_name(name)
    return x if name == "linear" else getattr(x, name)()


# --------------------------------------------------------------------------- plumbing


def _as_tuple(x: Any) -> tuple[bool, tuple]:
    if isinstance(x, Tensor):
        return False, (x,)
    return True, tuple(x)


def _leaves(inputs: tuple, create_graph: bool) -> tuple:
    """Differentiable stand-ins for the inputs (the inputs themselves for create_graph)."""
    out = []
    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"input {k} is a {type(x).__name__}, not a Tensor")
        if create_graph and x.requires_grad:
            out.append(x)
        else:
            out.append(Tensor(x.data, requires_grad=True))
    return tuple(out)


def _call(func: Callable[..., Any], leaves: tuple) -> tuple[bool, tuple]:
    with enable_grad():
        result = func(*leaves)
    is_tuple, outputs = _as_tuple(result)
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"the function's output {k} is a {type(out).__name__}, not a Tensor")
    return is_tuple, outputs


def _grads(outputs, leaves, seeds, create_graph: bool) -> list:
    """d(outputs · seeds)/d(leaves), zeros where an input is unused (as Tensors)."""
    live = [(o, s) for o, s in zip(outputs, seeds, strict=True) if o.requires_grad]
    if not live:
        found = [None] * len(leaves)
    else:
        found = grad(
            [o for o, _ in live],
            leaves,
            grad_outputs=[s for _, s in live],
            create_graph=create_graph,
            allow_unused=True,
        )
    result = []
    for x, g in zip(leaves, found, strict=True):
        if g is None:
            g = np.zeros_like(x.data)
        result.append(g if isinstance(g, Tensor) else Tensor(g))
    return result


def _detached(outputs: tuple, create_graph: bool) -> tuple:
    return outputs if create_graph else tuple(o.detach() for o in outputs)


def _pack(is_tuple: bool, items: Sequence) -> Any:
    return tuple(items) if is_tuple else items[0]


def _vectors(v: Any, like: tuple, what: str) -> tuple:
    if v is None:
        for k, x in enumerate(like):
            if x.size != 1:
                raise ValueError(f"{what} is needed: output {k} has shape {x.shape}")
        return tuple(np.ones_like(x.data) for x in like)
    _, vs = _as_tuple(v) if isinstance(v, (Tensor, list, tuple)) else (False, (v,))
    if len(vs) != len(like):
        raise ValueError(f"{len(vs)} vectors in {what} for {len(like)} tensors")
    out = []
    for k, (vec, x) in enumerate(zip(vs, like, strict=True)):
        if np.shape(vec.data if isinstance(vec, Tensor) else vec) != x.shape:
            raise ValueError(f"{what}[{k}] has shape {np.shape(vec)}, expected {x.shape}")
        out.append(vec if isinstance(vec, Tensor) else np.asarray(vec, dtype=x.dtype))
    return tuple(out)


# --------------------------------------------------------------------------- products


def vjp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False
) -> tuple[Any, Any]:
    """The vector-Jacobian product vᵀ J of ``func`` at ``inputs``.

    Returns:
        ``(func_output, vjp)``, each a Tensor or a tuple as the function's output
        and inputs are.

    >>> out, g = vjp(lambda x: x**2, Tensor([1.0, 3.0]), Tensor([1.0, 1.0]))
    >>> g.tolist()
    [2.0, 6.0]
    """
    in_tuple, xs = _as_tuple(inputs)
    leaves = _leaves(xs, create_graph)
    out_tuple, outs = _call(func, leaves)
    seeds = _vectors(v, outs, "v")
    grads = _grads(outs, leaves, seeds, create_graph)
    return _pack(out_tuple, _detached(outs, create_graph)), _pack(in_tuple, grads)


def jvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False
) -> tuple[Any, Any]:
    """The Jacobian-vector product J v of ``func`` at ``inputs`` (the double-vjp trick).

    J v = d/du [uᵀ J v]... computed as the gradient, with respect to a dummy
    cotangent u, of (Jᵀ u) · v, so reverse mode twice gives the forward-mode
    product.

    >>> out, jv = jvp(lambda x: x**2, Tensor([1.0, 3.0]), Tensor([1.0, 0.5]))
    >>> jv.tolist()
    [2.0, 3.0]
    """
    in_tuple, xs = _as_tuple(inputs)
    leaves = _leaves(xs, True)
    out_tuple, outs = _call(func, leaves)
    vs = _vectors(v, leaves, "v")
    dummies = tuple(Tensor(np.zeros_like(o.data), requires_grad=True) for o in outs)
    jt_u = _grads(outs, leaves, dummies, create_graph=True)
    total = None
    for g, vec in zip(jt_u, vs, strict=True):
        term = (g * vec).sum()
        total = term if total is None else total + term
    jv = _grads((total,), dummies, (np.ones(()),), create_graph)
    return _pack(out_tuple, _detached(outs, create_graph)), _pack(out_tuple, jv)


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False) -> Any:
    """The Jacobian of ``func`` at ``inputs``: entry [i][j] has shape out_i.shape + in_j.shape.

    For one output and one input it is a single Tensor (as torch's).

    >>> jacobian(lambda x: x**2, Tensor([1.0, 3.0])).tolist()
    [[2.0, 0.0], [0.0, 6.0]]
    """
    in_tuple, xs = _as_tuple(inputs)
    leaves = _leaves(xs, create_graph)
    out_tuple, outs = _call(func, leaves)
    return _jacobian_of(outs, leaves, in_tuple, out_tuple, create_graph)


def _jacobian_of(outs, leaves, in_tuple: bool, out_tuple: bool, create_graph: bool) -> Any:
    rows_per_output = []
    for i, out in enumerate(outs):
        rows: list[list] = [[] for _ in leaves]
        for k in range(out.size):
            seeds = [np.zeros_like(o.data) for o in outs]
            seeds[i].reshape(-1)[k] = 1.0
            for j, g in enumerate(_grads(outs, leaves, seeds, create_graph)):
                rows[j].append(g.reshape(1, -1))
        blocks = []
        for j, x in enumerate(leaves):
            if rows[j]:
                block = (
                    concatenate(rows[j], axis=0)
                    if create_graph
                    else Tensor(np.concatenate([r.data for r in rows[j]], axis=0))
                )
            else:
                block = Tensor(np.zeros((0, x.size), dtype=x.dtype))
            blocks.append(block.reshape(out.shape + x.shape))
        rows_per_output.append(_pack(in_tuple, blocks))
    return _pack(out_tuple, rows_per_output)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False) -> Any:
    """The Hessian of a scalar ``func`` at ``inputs``: entry [i][j] has shape in_i + in_j.

    >>> hessian(lambda x: (x**3).sum(), Tensor([1.0, 2.0])).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    in_tuple, xs = _as_tuple(inputs)
    leaves = _leaves(xs, create_graph)
    _, outs = _call(func, leaves)
    if len(outs) != 1 or outs[0].size != 1:
        raise ValueError("hessian needs a function with a single one-element output")
    grads = _grads(outs, leaves, (np.ones_like(outs[0].data),), create_graph=True)
    # NOTE: the gradient's own Jacobian, one input block at a time.
    return _jacobian_of(tuple(grads), leaves, in_tuple, in_tuple, create_graph)


def hvp(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool = False
) -> tuple[Any, Any]:
    """The Hessian-vector product H v of a scalar ``func``: ``(func_output, hvp)`` as torch.

    Two reverse sweeps: g = ∇f with its graph, then ∇(g · v), the second one seeded
    with v at g itself (the cotangent of g in g · v), so that no product, sum or
    broadcast of g · v is built and swept.

    >>> out, hv = hvp(lambda x: (x**3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    >>> out.item(), hv.tolist()
    (9.0, [6.0, 12.0])
    """
    in_tuple, xs = _as_tuple(inputs)
    leaves = _leaves(xs, create_graph)
    _, outs = _call(func, leaves)
    if len(outs) != 1 or outs[0].size != 1:
        raise ValueError("hvp needs a function with a single one-element output")
    vs = _vectors(v, leaves, "v")
    grads = _grads(outs, leaves, (np.ones_like(outs[0].data),), create_graph=True)
    # NOTE: d(Σ g·v)/dg = v exactly (1 * v), so seeding the sweep with v gives the
    # numbers the composed g · v gave, bit for bit, with two to four fewer nodes per input.
    seeds = []
    for g, vec in zip(grads, vs, strict=True):
        if vec.dtype != g.dtype:
            vec = vec.astype(g.dtype)
        seeds.append(vec)
    hv = _grads(tuple(grads), leaves, tuple(seeds), create_graph)
    return _detached(outs, create_graph)[0], _pack(in_tuple, hv)


def vhp(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool = False
) -> tuple[Any, Any]:
    """vᵀ H of a scalar ``func``: ``(func_output, vhp)``; H is symmetric, so it is H v."""
    return hvp(func, inputs, v, create_graph)


# --------------------------------------------------------------------------- checks


class GradcheckError(ValueError):
    """Autodiff and central differences disagree; the message is the report."""


def _flat_outputs(func: Callable[..., Any], xs: tuple) -> np.ndarray:
    _, outs = _as_tuple(func(*[Tensor(x, requires_grad=True) for x in xs]))
    return np.concatenate([np.asarray(o.data, dtype=np.float64).reshape(-1) for o in outs])


def _numerical_jacobian(func, arrays: list[np.ndarray], eps: float) -> list[np.ndarray]:
    base = _flat_outputs(func, tuple(arrays))
    result = []
    for a in arrays:
        jac = np.zeros((base.size, a.size))
        flat = a.reshape(-1)
        for k in range(a.size):
            old = flat[k]
            flat[k] = old + eps
            plus = _flat_outputs(func, tuple(arrays))
            flat[k] = old - eps
            minus = _flat_outputs(func, tuple(arrays))
            flat[k] = old
            jac[:, k] = (plus - minus) / (2 * eps)
        result.append(jac)
    return result


def _analytical_jacobian(func, arrays: list[np.ndarray]) -> list[np.ndarray]:
    leaves = tuple(Tensor(a, requires_grad=True) for a in arrays)
    _, outs = _call(func, leaves)
    sizes = [o.size for o in outs]
    rows = [[] for _ in leaves]
    for i, out in enumerate(outs):
        for k in range(out.size):
            seeds = [np.zeros_like(o.data) for o in outs]
            seeds[i].reshape(-1)[k] = 1.0
            for j, g in enumerate(_grads(outs, leaves, seeds, False)):
                rows[j].append(np.asarray(g.data, dtype=np.float64).reshape(-1))
    total = sum(sizes)
    return [
        np.array(r).reshape(total, a.size) if r else np.zeros((total, a.size))
        for r, a in zip(rows, arrays, strict=True)
    ]


def _report(title: str, analytical, numerical, atol: float, rtol: float) -> str | None:
    lines = []
    for j, (an, nu) in enumerate(zip(analytical, numerical, strict=True)):
        diff = np.abs(an - nu)
        bad = ~(diff <= atol + rtol * np.abs(nu))  # NOTE: a nan anywhere is a failure
        for out_k, in_k in np.argwhere(bad)[:10]:
            lines.append(
                f"  input {j} element {in_k}, output element {out_k}: autodiff "
                f"{an[out_k, in_k]:.10g}, central differences {nu[out_k, in_k]:.10g}, "
                f"difference {diff[out_k, in_k]:.3g}"
            )
        if bad.sum() > 10:
            lines.append(f"  ... and {int(bad.sum()) - 10} more for input {j}")
    if not lines:
        return None
    return f"{title}: autodiff and central differences disagree (atol {atol}, rtol {rtol})\n" + (
        "\n".join(lines)
    )


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check ``func``'s first derivatives: autodiff against float64 central differences.

    Every element of every input is perturbed by ±eps; each entry of the Jacobian
    must satisfy |autodiff − numerical| <= atol + rtol·|numerical| (nan fails).

    Returns:
        True if all agree. Otherwise raises :class:`GradcheckError` whose message
        lists the worst entries (input, element, both values), or returns False
        when ``raise_exception`` is False.

    >>> gradcheck(lambda x: (x * x).sum(), Tensor([1.0, -2.0]))
    True
    """
    _, xs = _as_tuple(inputs)
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in xs]
    report = _report(
        "gradcheck",
        _analytical_jacobian(func, arrays),
        _numerical_jacobian(func, arrays, eps),
        atol,
        rtol,
    )
    if report is None:
        return True
    if raise_exception:
        raise GradcheckError(report)
    return False


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check ``func``'s second derivatives: gradcheck of x ↦ vᵀ J(x) (built with create_graph).

    ``grad_outputs`` (v) default to seeded random vectors, so every output matters.

    >>> gradgradcheck(lambda x: x.tanh(), Tensor([0.3, -1.2]))
    True
    """
    _, xs = _as_tuple(inputs)
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in xs]
    _, outs = _call(func, tuple(Tensor(a) for a in arrays))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        vs = tuple(rng.uniform(0.5, 1.5, o.shape) for o in outs)
    else:
        vs = tuple(
            np.asarray(v.data if isinstance(v, Tensor) else v, dtype=np.float64)
            for v in _as_tuple(grad_outputs)[1]
        )

    def first_derivative(*leaves):
        _, outputs = _call(func, leaves)
        return tuple(_grads(outputs, leaves, vs, create_graph=True))

    try:
        return gradcheck(first_derivative, arrays, eps, atol, rtol, raise_exception=True)
    except GradcheckError as error:
        if raise_exception:
            raise GradcheckError(str(error).replace("gradcheck", "gradgradcheck", 1)) from None
        return False
