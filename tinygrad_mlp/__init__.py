"""tinygrad_mlp: a small, readable autograd framework for seeing how an MLP learns."""

from tinygrad_mlp.anomaly import AnomalyError, detect_anomaly
from tinygrad_mlp.autograd import Op, enable_grad, grad, no_grad
from tinygrad_mlp.compiled import compile  # noqa: A004 -- the issue's name, in this namespace only

# NOTE: this name is the function, not its package tinygrad_mlp/grade/
from tinygrad_mlp.grade import grade
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = [
    "Value",
    "Tensor",
    "Op",
    "grad",
    "no_grad",
    "enable_grad",
    "compile",
    "grade",
    "detect_anomaly",
    "AnomalyError",
]
__version__ = "0.1.0"
