"""``tinygrad-mlp check``: scalar autodiff, tensor autodiff and the δ formulas, side by side."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands.common import emit_json
from tinygrad_mlp.commands.inputs import add_arguments, load_problem
from tinygrad_mlp.crosscheck import cross_check, hessian_check


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "check",
        help="compare every gradient from scalar autodiff, tensor autodiff and the δ formulas",
        description="Compute the loss gradient of every weight and bias three independent ways "
        "and print them side by side. Exit status 1 if any two differ by more than the "
        "tolerance or any value is NaN or infinite (the report names the parameter and the "
        "road). Runs on the cheat sheet's example unless --model and --data are given.",
    )
    add_arguments(p, rows=True)
    p.add_argument("--tolerance", type=float, default=1e-10, help="relative tolerance (1e-10)")
    p.add_argument(
        "--finite-differences",
        action="store_true",
        help="add central finite differences as a fourth witness",
    )
    p.add_argument(
        "--sweep",
        action="store_true",
        help="show the finite-difference error for steps h = 1e-1 ... 1e-12",
    )
    p.add_argument(
        "--hessian",
        action="store_true",
        help="also compare every second derivative: double autodiff on both engines against "
        "central differences of the δ formulas' gradient",
    )
    p.add_argument(
        "--road",
        metavar="FILE.py:FUNCTION",
        help="your own δ's: FUNCTION(net, x, y) in FILE.py returning each parameter's "
        "gradient (layers.0.weight or the sheet's wh[0], ...), run beside the three roads on "
        "this problem and on random networks, activations and losses; the first failing "
        "parameter gets the grader's diagnosis",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Cross-check the gradients (and with ``--hessian`` the Hessian) of the chosen problem.

    Prints the report table, or its JSON with ``--json``. A network too large for the
    Hessian is refused before any other work.

    Returns:
        0 when every road agrees within the tolerance and every value is finite, else 1.
    """
    road = None
    if args.road is not None:  # first: a bad file is one sentence before any other work
        from tinygrad_mlp.crosscheck.person import load_road

        road = load_road(args.road)
    problem = load_problem(args)
    if road is not None:
        return _run_road(args, problem, road)
    hessian = None
    if args.hessian:  # first: it refuses a network too large before any other work
        hessian = hessian_check(
            problem.net, problem.x, problem.z, loss=problem.loss, tolerance=args.tolerance
        )
    report = cross_check(
        problem.net,
        problem.x,
        problem.z,
        loss=problem.loss,
        tolerance=args.tolerance,
        finite_differences=args.finite_differences,
        sweep=args.sweep,
    )
    if args.json:
        data = {"problem": problem.title, "samples": len(problem.x), **report.to_dict()}
        if hessian is not None:
            data["hessian"] = hessian.to_dict()
        emit_json(data)
    else:
        print(f"Gradient check: {problem.title}, {len(problem.x)} samples, loss {report.loss}")
        print(report.table())
        if hessian is not None:
            print(f"\nHessian check: {problem.title}, {len(problem.x)} samples, loss {report.loss}")
            print(hessian.table(max_rows=200))
    passed = report.passed and (hessian is None or hessian.passed)
    return 0 if passed else 1


def _run_road(args: argparse.Namespace, problem, road) -> int:
    """Run a person's road on the problem and on random cases; 0 if it passes them all."""
    from tinygrad_mlp.crosscheck.cases import RoadCase, check_road, road_cases
    from tinygrad_mlp.crosscheck.person import takes_loss

    first = RoadCase(problem.title, problem.net, problem.x, problem.z, problem.loss)
    cases = road_cases(first, losses=takes_loss(road))
    tolerance = max(args.tolerance, 1e-8)  # NOTE: a person's numpy sums in its own order
    result = check_road(road, cases, name="mine", tolerance=tolerance)
    if args.json:
        emit_json(
            {
                "road": args.road,
                "passed": result.ok,
                "cases": result.lines,
                "failure": result.failure,
                "skipped": result.skipped,
            }
        )
    else:
        print(f"Your road {args.road} beside the scalar, tensor and δ roads:")
        if not takes_loss(road):
            print("  (your function takes no loss keyword, so it runs on the loss mse only)")
        print(result.text())
    return 0 if result.ok else 1
