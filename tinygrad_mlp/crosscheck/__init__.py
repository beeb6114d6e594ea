"""The gradient cross-check: scalar autodiff, tensor autodiff and the δ formulas.

For one network, inputs and targets, the gradient of the loss with respect to
every parameter is computed three independent ways — the ``Value`` engine (one
node per multiply and add), the ``Tensor`` engine (one node per layer op) and
:mod:`tinygrad_mlp.backprop` (the cheat sheet's δ formulas in plain numpy) —
and, on request, a fourth: central finite differences of the loss. The report
lists every parameter in the sheet's notation with each road's value and their
differences.

The check cannot pass on a non-finite value: a NaN or an infinity on any road,
in any gradient or in the loss, is a failure named by parameter and road. Each
road is one function (``scalar_road``, ``tensor_road``, ``delta_road``,
``finite_difference_road``) returning the flattened gradient and the loss.

The package: :mod:`.roads` (each road, the kinks, the parameters' names),
:mod:`.report` (the gradient check and its report), :mod:`.hessian` (one order up),
:mod:`.person` (a person's own δ's as a road) and :mod:`.cases` (that road on random
networks of the vocabulary).
"""

from __future__ import annotations

from tinygrad_mlp.crosscheck.cases import RoadCase, RoadResult, check_road, road_cases
from tinygrad_mlp.crosscheck.hessian import (
    HESSIAN_PARAMETER_LIMIT,
    SCALAR_HESSIAN_LIMIT,
    HessianReport,
    delta_fd_hessian_road,
    hessian_check,
    scalar_hessian_road,
    tensor_hessian_road,
)
from tinygrad_mlp.crosscheck.person import load_road
from tinygrad_mlp.crosscheck.report import GradientReport, Problem, cross_check
from tinygrad_mlp.crosscheck.roads import (
    FD_STEP,
    HESSIAN_FD_STEP,
    KINKS,
    SCALAR_NODE_LIMIT,
    delta_road,
    finite_difference_road,
    kink_mask,
    parameter_names,
    scalar_loss,
    scalar_road,
    step_sweep,
    tensor_loss,
    tensor_road,
)

__all__ = [
    "FD_STEP",
    "HESSIAN_FD_STEP",
    "HESSIAN_PARAMETER_LIMIT",
    "KINKS",
    "SCALAR_HESSIAN_LIMIT",
    "SCALAR_NODE_LIMIT",
    "GradientReport",
    "HessianReport",
    "Problem",
    "RoadCase",
    "RoadResult",
    "check_road",
    "load_road",
    "road_cases",
    "cross_check",
    "delta_fd_hessian_road",
    "delta_road",
    "finite_difference_road",
    "hessian_check",
    "kink_mask",
    "parameter_names",
    "scalar_hessian_road",
    "scalar_loss",
    "scalar_road",
    "step_sweep",
    "tensor_hessian_road",
    "tensor_loss",
    "tensor_road",
]
