"""Newton's method beside gradient descent on the cheat sheet's f(x, y) = x² + y².

The sheet's gradient-descent example starts at (3, 4) with η = 0.1, so every step
multiplies the point by 1 − 2η = 0.8: it creeps toward the minimum at (0, 0).
Newton's method also uses the second derivatives: θ ← θ − H⁻¹ ∇f(θ). Here the
gradient and the Hessian H both come from the engine — the Hessian by
differentiating the gradient again (``grad(..., create_graph=True)``) — and on a
quadratic bowl one Newton step lands exactly on the minimum.

    python examples/newton.py           # 30 gradient-descent steps
    python examples/newton.py --quick   # 5
"""

from __future__ import annotations

import sys

import numpy as np
from _common import parser

from tinygrad_mlp import Value, grad


def f(x: Value, y: Value) -> Value:
    """The sheet's bowl, f(x, y) = x² + y²."""
    return x**2 + y**2


def gradient_and_hessian(point: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """f, ∇f and the Hessian at ``point``, all by autodiff (the Hessian by double autodiff)."""
    x, y = Value(float(point[0]), label="x"), Value(float(point[1]), label="y")
    value = f(x, y)
    first = grad(value, [x, y], create_graph=True)  # nodes: ∂f/∂x = 2x, ∂f/∂y = 2y
    hessian = np.zeros((2, 2))
    for i, g in enumerate(first):
        second = grad(g, [x, y], allow_unused=True)  # ∂²f/∂x², ∂²f/∂x∂y, ...
        # NOTE: without create_graph, grad returns plain numbers (or None if unused)
        hessian[i] = [0.0 if d is None else float(getattr(d, "data", d)) for d in second]
    return value.data, np.array([g.data for g in first]), hessian


def run(quick: bool = False, start=(3.0, 4.0), eta: float = 0.1) -> dict:
    """Both methods from ``start``: the gradient-descent rows and the Newton rows."""
    steps = 5 if quick else 30
    descent = []
    point = np.array(start, dtype=np.float64)
    for step in range(steps + 1):
        value, gradient, _ = gradient_and_hessian(point)
        descent.append((step, *point, value))
        point = point - eta * gradient  # the sheet's θ_new = θ_old − η ∇f(θ_old)
    newton = []
    point = np.array(start, dtype=np.float64)
    for step in range(3):
        value, gradient, hessian = gradient_and_hessian(point)
        newton.append((step, *point, value))
        point = point - np.linalg.solve(hessian, gradient)  # θ_new = θ_old − H⁻¹ ∇f(θ_old)
    _, _, hessian = gradient_and_hessian(np.array(start))
    return {"descent": descent, "newton": newton, "hessian": hessian, "eta": eta}


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__, quick="five gradient-descent steps").parse_args(argv)
    result = run(quick=args.quick)
    h = result["hessian"]
    print("f(x, y) = x² + y², from (3, 4)")
    print(f"Hessian by double autodiff: [[{h[0, 0]:g}, {h[0, 1]:g}], [{h[1, 0]:g}, {h[1, 1]:g}]]")
    print(f"\n{'step':>4}  {'gradient descent, η = ' + str(result['eta']):<40}  Newton")
    print(f"{'':>4}  {'x':>12} {'y':>12} {'f':>12}  {'x':>8} {'y':>8} {'f':>8}")
    for k, (step, x, y, value) in enumerate(result["descent"]):
        newton = result["newton"][k] if k < len(result["newton"]) else None
        right = f"  {newton[1]:8.4f} {newton[2]:8.4f} {newton[3]:8.4f}" if newton else ""
        print(f"{step:>4}  {x:12.6f} {y:12.6f} {value:12.6f}{right}")
    _, x, y, value = result["newton"][1]
    print(f"\nOne Newton step lands on ({x:g}, {y:g}), where f = {value:g}: the minimum.")
    last = result["descent"][-1]
    print(f"Gradient descent after {last[0]} steps: ({last[1]:.6f}, {last[2]:.6f}) = 0.8^k (3, 4).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
