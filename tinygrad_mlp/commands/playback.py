"""``tinygrad-mlp playback``: watch one forward and backward pass, node by node, in a browser."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_mlp.commands.common import add_json_flag, emit_json, stderr
from tinygrad_mlp.commands.inputs import add_arguments, load_problem
from tinygrad_mlp.io import load_model

#: The most boxes (frames × boxes per frame) a page is drawn with by default: above it
#: playback draws one box per layer. NOTE: the CLI's default network on digits
#: (64-100-10), one box per neuron, was 400 frames × 115 boxes: 46 s, 1 GB and a 125 MB page.
BUDGET = 20_000

#: The default of ``--max-nodes``.
MAX_NODES = 150


def estimate(sizes: list[int], engine: str, max_nodes: int, max_frames: int) -> dict:
    """How big a playback of a network of ``sizes`` will be, before recording it.

    Returns ``nodes`` (values in the graph), ``boxes`` (drawn per frame: values,
    neurons or layers), ``frames`` and ``drawn`` (frames × boxes), from the layer
    sizes alone: the scalar engine makes 2·fan-in + 2 values per neuron (products,
    sums, bias, activation), the tensor engine about five per layer.

    >>> estimate([2, 3, 1], "scalar", 150, 400)["boxes"] <= 150
    True
    >>> estimate([64, 100, 10], "scalar", 150, 400)["drawn"] > BUDGET
    True
    """
    layers = list(zip(sizes[:-1], sizes[1:], strict=True))
    neurons = sum(nout for _, nout in layers)
    if engine == "tensor":
        nodes = 5 * len(layers) + 6
    else:
        nodes = sum(nout * (2 * nin + 2) for nin, nout in layers) + 3 * sizes[-1] + 3
    if nodes <= max_nodes:
        boxes, frames = nodes, 2 * nodes + 2
    else:
        boxes = (neurons if neurons <= max_nodes else len(layers)) + 3
        frames = min(max_frames, 2 * nodes + 2)
    return {
        "nodes": nodes,
        "neurons": neurons,
        "boxes": boxes,
        "frames": frames,
        "drawn": boxes * frames,
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``playback`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "playback",
        help="step through the forward and backward pass in a browser page (the seed example "
        "by default)",
        description="Record one forward and backward pass and write a self-contained HTML page "
        "that plays it back: each value as it is computed, then each gradient as the backward "
        "sweep passes it on, with the rule and its numbers, and at every neuron the error "
        "signal δ of the hand-derived formulas beside autodiff's. Optionally also numbered "
        "frames (--frames) and an animated GIF (--gif).",
    )
    add_arguments(p, rows=False)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("playback.html"),
        help="the HTML page to write (default playback.html)",
    )
    p.add_argument(
        "--engine",
        choices=["scalar", "tensor"],
        default="scalar",
        help="scalar: one node per multiply and add (default); tensor: one node per layer op",
    )
    p.add_argument("--gif", type=Path, help="also write an animated GIF (needs Pillow)")
    p.add_argument("--frames", type=Path, help="also write numbered frames into this folder")
    p.add_argument(
        "--frame-format",
        choices=["svg", "png"],
        default="svg",
        help="format of --frames (png needs Pillow; default svg)",
    )
    p.add_argument(
        "--max-nodes",
        type=int,
        help="past this many values, draw one box per neuron, and past this many neurons "
        "one per layer (default 150; lowered to draw one box per layer when the page "
        f"would hold more than {BUDGET:,} drawn boxes, frames × boxes)",
    )
    add_json_flag(p, "the written files and their sizes")
    p.add_argument(
        "--max-frames",
        type=int,
        default=400,
        help="join a collapsed network's frames, in order, to stay under this many (400)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Record one forward and backward pass and write it as a self-playing HTML page.

    With ``--frames`` it also writes numbered frames, with ``--gif`` an animated GIF;
    every option and output folder is checked before the recording starts.

    Returns:
        0; bad options raise ValueError.
    """
    from tinygrad_mlp.viz.playback import playback_network

    if args.max_nodes is not None and args.max_nodes < 1:
        raise ValueError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    if args.max_frames < 4:
        raise ValueError(f"--max-frames must be at least 4, got {args.max_frames}")
    if args.output.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{args.output}: the page is HTML; name it .html")
    if args.gif is not None and args.gif.suffix.lower() != ".gif":
        raise ValueError(f"{args.gif}: --gif needs a .gif file name")
    for path in (args.output, args.gif):
        if path is not None and not path.parent.is_dir():
            raise ValueError(f"{path}: the folder {path.parent} does not exist")
    if args.frames is not None and args.frames.exists() and not args.frames.is_dir():
        raise ValueError(f"--frames {args.frames} exists and is not a folder")
    if (args.gif is not None or args.frame_format == "png") and not _has_pillow():
        raise ValueError("PNG frames and GIFs need Pillow: pip install 'tinygrad-mlp[playback]'")
    problem = load_problem(args)
    target_names: list[str] = []
    output_names: list[str] = []
    if args.model is not None:
        model = load_model(args.model)
        target_names = list(model.target_names)
        output_names = list(model.classes or [])
    elif problem.is_seed:
        target_names = ["Z0"]
    max_nodes = _max_nodes(problem.net.sizes, args)
    title = f"Backprop playback: {problem.title}, row {args.row} ({args.engine} engine)"
    pb = playback_network(
        problem.net,
        problem.x,
        problem.z,
        engine=args.engine,
        loss=problem.loss,
        input_names=problem.input_names,
        target_names=target_names,
        output_names=output_names,
        max_nodes=max_nodes,
        max_frames=args.max_frames,
        title=title,
    )
    pb.save_html(args.output)
    written = [Path(args.output)]
    if args.frames is not None:
        written += [Path(path) for path in pb.save_frames(args.frames, args.frame_format)]
    if args.gif is not None:
        pb.save_gif(args.gif)
        written.append(Path(args.gif))
    if args.json:
        files = [{"path": str(path), "bytes": path.stat().st_size} for path in written]
        emit_json({"frames": len(pb.frames), "files": files})
        return 0
    print(f"wrote {args.output} ({len(pb.frames)} frames)")
    if args.frames is not None:
        print(f"wrote {len(written) - 1 - (args.gif is not None)} frames to {args.frames}")
    if args.gif is not None:
        print(f"wrote {args.gif}")
    return 0


def _max_nodes(sizes: list[int], args: argparse.Namespace) -> int:
    """``--max-nodes``, or by default 150 lowered to one box per layer above :data:`BUDGET`;
    says on stderr how big the page will be when that is large."""
    chosen = MAX_NODES if args.max_nodes is None else args.max_nodes
    size = estimate(sizes, args.engine, chosen, args.max_frames)
    if size["drawn"] <= BUDGET:
        return chosen
    network = "-".join(map(str, sizes))
    if args.max_nodes is not None:
        stderr(
            f"playback: {network} at --max-nodes {chosen} draws about {size['frames']} frames "
            f"× {size['boxes']} boxes; this can take minutes and a page of many megabytes"
        )
        return chosen
    smaller = max(1, size["neurons"] - 1)  # NOTE: fewer than the neurons: one box per layer
    after = estimate(sizes, args.engine, smaller, args.max_frames)
    stderr(
        f"playback: {network} would draw about {size['frames']} frames × {size['boxes']} "
        f"boxes ({size['drawn']:,}, over {BUDGET:,}); drawing one box per layer instead "
        f"(about {after['drawn']:,}); --max-nodes {max(chosen, size['neurons'])} keeps one "
        "box per neuron"
    )
    return smaller


def _has_pillow() -> bool:
    try:
        import PIL  # noqa: F401 -- only asking whether it is installed
    except ImportError:
        return False
    return True
