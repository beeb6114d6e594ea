"""A person's road run on many problems: the given one, then random networks of the vocabulary.

:func:`check_road` stops at the first case where the person's gradients and the three
roads part, and reports the grader's diagnosis of the first wrong parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinygrad_mlp.crosscheck.report import cross_check
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import MLP

__all__ = ["RoadCase", "RoadResult", "check_road", "road_cases"]

Road = Callable[..., dict]


@dataclass
class RoadCase:
    """One problem to run a person's road on."""

    title: str
    net: MLP
    x: np.ndarray
    z: np.ndarray
    loss: str


@dataclass
class RoadResult:
    """How a person's road did on each case: passed, failed (with the grader's word), skipped."""

    road: str
    lines: list[str] = field(default_factory=list)
    failure: str | None = None
    skipped: int = 0
    passed: int = 0

    @property
    def ok(self) -> bool:
        """True when no case failed and at least one case was checked."""
        return self.failure is None and self.passed > 0

    def text(self) -> str:
        """The cases, one a line, and the verdict."""
        verdict = (
            f"PASS ({self.passed} cases"
            + (f", {self.skipped} skipped: your function raised NotImplementedError" if
               self.skipped else "")
            + ")"
            if self.ok
            else f"FAIL: {self.failure}"
            if self.failure is not None
            else f"FAIL: no case was checked ({self.skipped} skipped: your function raised "
            "NotImplementedError on every one)"
        )  # fmt: skip
        return "\n".join([*self.lines, f"your road {self.road!r}: {verdict}"])


def road_cases(seed_case: RoadCase, losses: bool, count: int = 12, seed: int = 0) -> list[RoadCase]:
    """The given case, then ``count`` random networks, activations and losses of the vocabulary."""
    rng = np.random.default_rng(seed)
    cases = [seed_case]
    loss_words = ["mse", "mse_mean", "cross_entropy", "bce_with_logits"] if losses else ["mse"]
    for k in range(count):
        loss = loss_words[k % len(loss_words)]
        layers = int(rng.integers(1, 4))
        sizes = [int(v) for v in rng.integers(1, 5, layers + 1)]
        acts = [str(ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]) for _ in range(layers)]
        if k < len(ACTIVATIONS):  # every activation at least once, in a hidden layer or alone
            acts[0] = ACTIVATIONS[k]
        n = int(rng.integers(1, 6))
        if loss in ("cross_entropy", "bce_with_logits"):
            acts[-1] = "linear"
            if loss == "cross_entropy":
                sizes[-1] = max(sizes[-1], 2)
        weights = [rng.normal(0, 1, (o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        biases = [rng.normal(0, 0.5, o) for o in sizes[1:]]
        net = MLP.from_weights(weights, biases, activation=acts)
        x = rng.normal(0, 1, (n, sizes[0]))
        if loss == "cross_entropy":
            z = rng.integers(0, sizes[-1], n).astype(np.float64)
        elif loss == "bce_with_logits":
            z = rng.integers(0, 2, (n, sizes[-1])).astype(np.float64)
        else:
            z = rng.normal(0, 1, (n, sizes[-1]))
        shape = "-".join(map(str, sizes))
        cases.append(RoadCase(f"random {k + 1}: {shape} {'/'.join(acts)}, {loss}", net, x, z, loss))
    return cases


def check_road(fn: Road, cases: list[RoadCase], name: str = "mine", tolerance: float = 1e-8):
    """Run a person's road beside the three roads on each case; stop at the first failure.

    Returns:
        A :class:`RoadResult`; its ``failure`` names the case, the first failing
        parameter (the one nearest the output) and the grader's diagnosis.
    """
    result = RoadResult(name)
    for case in cases:
        try:
            report = cross_check(
                case.net, case.x, case.z, loss=case.loss, tolerance=tolerance, roads={name: fn}
            )
        except NotImplementedError:
            result.skipped += 1
            result.lines.append(f"  {case.title}: skipped (NotImplementedError)")
            continue
        if report.passed:
            result.passed += 1
            result.lines.append(f"  {case.title}: PASS")
            continue
        result.lines.append(f"  {case.title}: FAIL")
        detail = report.road_diagnosis.get(name) or report.summary()
        result.failure = f"{case.title}: {detail}"
        break
    return result
