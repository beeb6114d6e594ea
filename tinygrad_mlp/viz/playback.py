"""Backprop playback: the forward and backward pass, one node at a time.

A still graph shows the result of backprop; playback shows the order. The core
reports what it does (:func:`tinygrad_mlp.autograd.recording`): every node in the
order the forward pass created it, then every node in the order the backward
driver swept it, with the gradient it passed to each parent. Each report
becomes a frame: the node at work highlighted, the edges carrying its inputs
(forward) or its gradient (backward) drawn bold, numbers appearing as they are
computed, and a caption with the rule and its numbers::

    ∂L/∂ah[0][1] = wo[0][1]·δo[0] = −1·−0.1242 = 0.1242

At each neuron's pre-activation (``sh[l][j]``, ``so[j]``; a layer's ``sh[l]`` on
the tensor engine) the caption puts the error signal δ of
:mod:`tinygrad_mlp.backprop`, the hand-derived witness, beside the autodiff value.
Which node is a pre-activation, and which neuron or layer a node belongs to, come
from the modules (:func:`tinygrad_mlp.viz.modules_of`, ``neuron.index``, the
network's layers), never from labels.

Output: one self-contained HTML page (SVG frames inline, play/pause, step, a
slider, arrow keys; ``window.playback`` exposes ``frames``, ``current`` and
``show(i)`` for scripts and tests), numbered SVG or PNG frames, and an animated
GIF (with the ``playback`` extra, Pillow). Every name from a user's file is text
everywhere: escaped in the page, in the SVG and in the DOT source.

This module records and draws; :mod:`.playback_captions` names the nodes and
writes each frame's caption, :mod:`.playback_page` builds the HTML page and
:mod:`.playback_export` the PNG frames and the GIF. The module is long because
recording and drawing a frame are one idea: a frame is the recorded event drawn, and
the two change together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from tinygrad_mlp import autograd, backprop
from tinygrad_mlp.names import loss_name
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.viz._text import lines
from tinygrad_mlp.viz.playback_captions import (
    Frame,
    _Captions,
    _delta_formulas,
    _is_tensor,
    _names,
    _runs,
    _show,
    _structure,
    _units,
    _witness,
)
from tinygrad_mlp.viz.playback_style import (
    CURRENT_BACKWARD,
    CURRENT_FORWARD,
    EDGE_BACKWARD,
    EDGE_FORWARD,
    FONT,
    FRAME_FILE,
    INPUT_BACKWARD,
    INPUT_FORWARD,
    KNOWN_FILL,
    LEAF_FILL,
    UNKNOWN_FILL,
)
from tinygrad_mlp.viz.render import render

__all__ = ["Frame", "Playback", "Recorder", "playback", "playback_network"]


# --------------------------------------------------------------------------- recording


class Recorder:
    """What the core reports while :func:`tinygrad_mlp.autograd.recording` is active.

    ``forward``: interior nodes in creation order. ``backward``: one
    ``(node, grad_out, parent_grads)`` per node the backward driver processed,
    in its sweep order, gradients copied at the moment they were reported.

    >>> from tinygrad_mlp import Value
    >>> from tinygrad_mlp.autograd import recording
    >>> rec = Recorder()
    >>> with recording(rec):
    ...     y = (Value(2.0) * Value(3.0)).tanh()
    ...     y.backward()
    >>> [n._op for n in rec.forward], [n._op for n, _, _ in rec.backward]
    (['*', 'tanh'], ['tanh', '*'])
    """

    def __init__(self) -> None:
        self.forward: list = []
        self.backward: list[tuple[Any, Any, tuple]] = []

    def on_forward(self, node: Any) -> None:
        """Note ``node``, an interior node the core has just created."""
        self.forward.append(node)

    def on_backward(self, node: Any, grad_out: Any, parent_grads: tuple) -> None:
        """Note one backward step: ``node``'s incoming gradient ∂L/∂node and the
        gradients it sends each parent (copies: later sweeps do not change them)."""
        self.backward.append((node, _copy(grad_out), tuple(_copy(g) for g in parent_grads)))


def _copy(value: Any) -> Any:
    return np.array(value) if isinstance(value, np.ndarray) else value


#: How an op's circle reads in the drawing, where the op's own symbol is long or bare.
OP_SHOWN = {"sigmoid": "σ", "*": "×", "**2": "( )²", "**2.0": "( )²", "ReLU": "relu"}


# --------------------------------------------------------------------------- playback


class Playback:
    """Frames of one recorded forward and backward pass, and their renderings.

    Made by :func:`playback` or :func:`playback_network`; see those.
    """

    def __init__(
        self,
        root: Any,
        order: list,
        frames: list[Frame],
        names: dict[int, str],
        notes: dict[int, str],
        units: dict[int, int],
        unit_titles: list[str],
        owners: dict[int, tuple],
        pre: dict[int, tuple],
        title: str,
        start_grads: dict[int, Any],
    ) -> None:
        self.root = root
        self.order = order
        self.frames = frames
        self.names = names
        self.notes = notes
        self.units = units
        self.unit_titles = unit_titles
        self.owners = owners
        #: id(pre-activation node) -> (layer, neuron or None, δ's name), from the modules.
        self.pre = pre
        self.title = title
        self.start_grads = start_grads
        self._sizes: dict[int, tuple[float, float]] | None = None
        self._members: dict[int, list] = {}
        for node in order:
            self._members.setdefault(units[id(node)], []).append(node)
        #: Graphviz's warnings while rendering frames, in :func:`viz.render`'s words.
        self.graphviz_notes: list[str] = []
        #: A line under the title of the page (column and class names, say).
        self.description = ""

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def collapsed(self) -> bool:
        """True when the frames draw one box per neuron or layer, not one per node."""
        return len(self.unit_titles) < len(self.order)

    def name(self, node: Any) -> str:
        """The name the captions give ``node`` (``wh[0][2][1]``, ``ah[0][1]``, ``L``...)."""
        return self.names[id(node)]

    # -- state ---------------------------------------------------------------------

    def states(self):
        """Yield ``(frame, known, grads)`` for every frame: node ids with a value, gradients."""
        known = {id(n) for n in self.order if n._fn is None}
        grads = dict(self.start_grads)
        for frame in self.frames:
            known.update(id(n) for n in frame.computed)
            grads.update(frame.grads)
            yield frame, known, grads

    def state(self, i: int) -> tuple[set[int], dict[int, Any]]:
        """Known values and gradients as frame ``i`` shows them."""
        if not -len(self.frames) <= i < len(self.frames):
            raise IndexError(f"frame {i} of a playback with {len(self.frames)} frames")
        i %= len(self.frames)
        for k, (_, known, grads) in enumerate(self.states()):
            if k == i:
                return set(known), dict(grads)
        raise AssertionError("unreachable")

    # -- drawing -------------------------------------------------------------------

    def _unit_lines(self, unit: int, known: set[int], grads: dict[int, Any]) -> list[str]:
        members = self._members[unit]
        interior = [n for n in members if n._fn is not None]
        if len(members) == 1 or (len(interior) == 1 and not self.owners.get(unit)):
            node = interior[0] if interior else members[0]
            lines = [self.name(node)]
            if id(node) in self.notes:
                lines.append(self.notes[id(node)])
            if _is_tensor(node):
                lines.append("×".join(map(str, node.data.shape)) or "scalar")
            lines.append("data " + (_show(node.data) if id(node) in known else "—"))
            lines.append("grad " + _show(grads.get(id(node))))
            return lines
        # a collapsed neuron or layer: its count, then its named values (a neuron's s and a)
        lines = [self.unit_titles[unit], f"{len(members)} values"]
        named = [n for n in members if n._fn is not None and n.label]
        if len(named) <= 2:
            for node in named:
                value = _show(node.data) if id(node) in known else "—"
                lines.append(f"{node.label} = {value}")
            for node in named:
                if id(node) in self.pre:
                    lines.append(f"δ {_show(grads.get(id(node)))}")
        return lines

    def _sizes_for(self) -> dict[int, tuple[float, float]]:
        """A fixed box per unit, wide enough for every frame, so the layout never moves."""
        if self._sizes is None:
            widest: dict[int, tuple[int, int]] = {}
            units = sorted(set(self.units.values()))
            for _, known, grads in self.states():
                for unit in units:
                    lines = self._unit_lines(unit, known, grads)
                    w, h = widest.get(unit, (0, 0))
                    widest[unit] = (max(w, max(len(s) for s in lines)), max(h, len(lines)))
            self._sizes = {u: (0.3 + 0.085 * w, 0.15 + 0.19 * h) for u, (w, h) in widest.items()}
        return self._sizes

    def dot(self, i: int) -> graphviz.Digraph:
        """Frame ``i`` as a Graphviz graph (the same layout in every frame)."""
        known, grads = self.state(i)
        return self._dot(self.frames[i], known, grads)

    def _dot(self, frame: Frame, known: set[int], grads: dict[int, Any]) -> graphviz.Digraph:
        sizes = self._sizes_for()
        dot = graphviz.Digraph(
            "playback",
            graph_attr={
                "rankdir": "LR",
                "fontname": FONT,
                "nodesep": "0.2",
                "ranksep": "0.35",
                "newrank": "true",
                "ordering": "in",
                "bgcolor": "white",
            },
            node_attr={"fontname": FONT, "fontsize": "11"},
            edge_attr={"arrowsize": "0.6", "color": "#555555"},
        )
        backward = frame.kind == "backward"
        colour = EDGE_BACKWARD if backward else EDGE_FORWARD
        at_work = {self.units[id(n)] for n in frame.nodes}
        touched = {
            self.units[id(p)]
            for n in frame.nodes
            for p in n._prev
            if self.units[id(p)] != self.units[id(n)]
        }
        groups: dict[tuple, list[str]] = {}
        edges: dict[str, list[tuple[str, str, bool]]] = {}
        for tail, head, hot in self._edge_list(frame, at_work):
            edges.setdefault(head if head.endswith("op") else tail, []).append((tail, head, hot))
        for unit in sorted(set(self.units.values())):
            members = self._members[unit]
            box = self._box(unit, members, known, grads, sizes[unit], at_work, touched, backward)
            dot.node(f"u{unit}", **box)
            names = [f"u{unit}"]
            if not self.collapsed and members[0]._fn is not None:
                names.append(f"u{unit}op")
                hot = unit in at_work
                dot.node(
                    f"u{unit}op",
                    label=lines(OP_SHOWN.get(members[0]._op, members[0]._op)),
                    shape="circle",
                    width="0.3",
                    fontsize="10",
                    style="filled",
                    fillcolor=(CURRENT_BACKWARD if backward else CURRENT_FORWARD)
                    if hot
                    else "#eeeeee",
                    penwidth="2" if hot else "1",
                )
            for name in names:
                for tail, head, hot in edges.pop(name, []):
                    attrs = {"color": colour, "penwidth": "2.5"} if hot else {}
                    if hot and backward:  # NOTE: the arrow turns round: the gradient flows back
                        attrs["dir"] = "back"
                    dot.edge(tail, head, **attrs)
            if unit in self.owners:
                groups.setdefault(self.owners[unit], []).extend(names)
        # NOTE: as in draw_graph, neuron clusters inside layer clusters, declared last,
        # keep the neurons in index order, top down.
        layers = sorted({group[0] for group in groups})
        for kind, layer in layers:
            with dot.subgraph(name=f"cluster_layer_{kind}_{layer}") as outer:
                outer.attr(
                    label="output layer" if kind else f"hidden layer {layer}",
                    style="rounded",
                    color="#999999",
                    fontname=FONT,
                    fontsize="11",
                    fontcolor="#555555",
                )
                for group in sorted(g for g in groups if g[0] == (kind, layer)):
                    with outer.subgraph(name=f"cluster_{groups[group][0]}") as sub:
                        sub.attr(
                            label=lines(group[1]),
                            style="rounded,dashed",
                            color="#bbbbbb",
                            fontsize="10",
                            fontcolor="#666666",
                        )
                        for name in groups[group]:
                            sub.node(name)
        return dot

    def _box(self, unit, members, known, grads, size, at_work, touched, backward) -> dict:
        """The attributes of one value's box (or one collapsed neuron's) in one frame."""
        is_leaf = len(members) == 1 and members[0]._fn is None
        computed = all(id(n) in known for n in members)
        attrs = {
            "label": lines("\n".join(self._unit_lines(unit, known, grads))),
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": LEAF_FILL if is_leaf else (KNOWN_FILL if computed else UNKNOWN_FILL),
            "width": f"{size[0]:.2f}",
            "height": f"{size[1]:.2f}",
            "fixedsize": "true",
            "penwidth": "1",
            "color": "#444444",
            "fontcolor": "black",
        }
        if not computed:
            attrs.update(color="#aaaaaa", fontcolor="#888888", style="rounded,dashed,filled")
        if unit in at_work:
            attrs.update(
                fillcolor=CURRENT_BACKWARD if backward else CURRENT_FORWARD,
                penwidth="3",
                color=EDGE_BACKWARD if backward else EDGE_FORWARD,
            )
            attrs["class"] = "current"
        elif unit in touched:
            attrs.update(
                fillcolor=INPUT_BACKWARD if backward else INPUT_FORWARD,
                penwidth="2",
                color=EDGE_BACKWARD if backward else EDGE_FORWARD,
            )
            attrs["class"] = "touched"
        return attrs

    def _edge_list(self, frame: Frame, at_work: set[int]) -> list[tuple[str, str, bool]]:
        """(tail, head, hot): parents into op circles into values, or box to box if collapsed."""
        edges = []
        if not self.collapsed:
            for node in self.order:
                if node._fn is None:
                    continue
                unit = self.units[id(node)]
                hot = unit in at_work
                edges.append((f"u{unit}op", f"u{unit}", hot))
                edges.extend((f"u{self.units[id(p)]}", f"u{unit}op", hot) for p in node._prev)
            return edges
        used = {(self.units[id(p)], self.units[id(n)]) for n in frame.nodes for p in n._prev}
        seen = set()
        for node in self.order:
            for parent in node._prev:
                pair = (self.units[id(parent)], self.units[id(node)])
                if pair[0] != pair[1] and pair not in seen:
                    seen.add(pair)
                    edges.append((f"u{pair[0]}", f"u{pair[1]}", pair in used))
        return edges

    def svg(self, i: int) -> str:
        """Frame ``i`` as SVG text (needs Graphviz's ``dot`` program)."""
        return self._render(self.dot(i), "svg").decode("utf-8")

    def _rendered(self, fmt: str) -> list[bytes]:
        return [self._render(self._dot(f, k, g), fmt) for f, k, g in self.states()]

    def _render(self, graph: graphviz.Digraph, fmt: str) -> bytes:
        """``dot``'s output; its warnings are kept in :attr:`graphviz_notes`, not printed."""
        data, notes = render(graph, fmt)
        self.graphviz_notes.extend(n for n in notes if n not in self.graphviz_notes)
        return data

    # -- output --------------------------------------------------------------------

    def to_html(self) -> str:
        """One self-contained page: every frame's SVG inline, controls, no network access."""
        from tinygrad_mlp.viz.playback_page import page

        return page(self, [s.decode("utf-8") for s in self._rendered("svg")])

    def save_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` (whole or not at all)."""
        from tinygrad_mlp.io import atomic_write_text

        text = self.to_html()
        atomic_write_text(path, text)
        return Path(path)

    def save_frames(self, directory: str | Path, fmt: str = "svg") -> list[Path]:
        """Numbered frames ``frame-001.svg`` (or ``.png``, with the caption under the graph).

        Frame files of an earlier run in ``directory`` (``frame-<digits>.svg`` or
        ``.png``) are removed first, so the folder holds this playback alone; other
        files are left as they are.
        """
        from tinygrad_mlp.io import atomic_write_bytes

        if fmt not in ("svg", "png"):
            raise ValueError(f"frames are written as 'svg' or 'png', not {fmt!r}")
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise ValueError(f"{directory} exists and is not a folder")
        images = self._rendered("svg") if fmt == "svg" else self._pngs()
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.iterdir():  # an earlier, longer run's frames; nothing else
            if FRAME_FILE.match(stale.name) and stale.is_file():
                stale.unlink()
        digits = max(3, len(str(len(images))))
        paths = []
        for k, data in enumerate(images, start=1):
            path = directory / f"frame-{k:0{digits}d}.{fmt}"
            atomic_write_bytes(path, data)
            paths.append(path)
        return paths

    def _pngs(self) -> list[bytes]:
        """PNG frames with the caption drawn under the graph (Pillow)."""
        from tinygrad_mlp.viz.playback_export import captioned_pngs

        return captioned_pngs(self._rendered("png"), [f.caption for f in self.frames])

    def save_gif(self, path: str | Path, seconds_per_frame: float = 1.2) -> Path:
        """An animated GIF of the PNG frames, looping (needs the ``playback`` extra: Pillow)."""
        from tinygrad_mlp.io import atomic_write_bytes
        from tinygrad_mlp.viz.playback_export import gif

        path = Path(path)
        if path.suffix.lower() != ".gif":
            raise ValueError(f"{path}: an animated GIF needs a .gif file name")
        atomic_write_bytes(path, gif(self._pngs(), seconds_per_frame))
        return path


# --------------------------------------------------------------------------- building


def playback(
    root: Any,
    recorder: Recorder | None = None,
    *,
    net: MLP | None = None,
    x: Any = None,
    z: Any = None,
    loss: str = "mse",
    max_nodes: int = 150,
    max_frames: int = 400,
    title: str = "",
    notes: dict[Any, str] | None = None,
) -> Playback:
    """Record a forward and backward pass and turn it into frames.

    Args:
        root: a function of no arguments that builds the loss (it runs under a
            recording), or a loss already built inside
            ``with autograd.recording(recorder)``. ``root.backward()`` is run
            here, recorded: leaves add to their ``.grad`` as in any backward call.
        recorder: the :class:`Recorder` that saw ``root`` being built.
        net, x, z, loss: the network, its inputs, targets and loss name (one of
            :data:`tinygrad_mlp.backprop.LOSSES`); when given, each neuron's δ
            from :mod:`tinygrad_mlp.backprop` is shown beside autodiff's.
        max_nodes: past this many values, a scalar graph collapses to one box
            per neuron (then per layer), as :func:`tinygrad_mlp.viz.draw_graph`.
        max_frames: collapsed frames are joined (in order) to stay under this many.
        title: a heading for the page.
        notes: an extra line under a node's name (e.g. the column an input came from).

    Returns:
        A :class:`Playback`: ``.frames``, ``.to_html()``, ``.save_html(path)``,
        ``.save_frames(folder, "svg"|"png")``, ``.save_gif(path)``.

    >>> from tinygrad_mlp import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> pb = playback(lambda: a * b + a)
    >>> [f.kind for f in pb.frames]
    ['start', 'forward', 'forward', 'backward', 'backward', 'end']
    >>> print(pb.frames[4].caption.splitlines()[-1])
    ∂L/∂b = a·∂L/∂(a·b) = 2·1 = 2
    """
    if callable(root) and not hasattr(root, "_prev"):
        recorder = Recorder()
        with autograd.recording(recorder):
            root = root()
    if not hasattr(root, "_prev") or not hasattr(root, "data"):
        raise TypeError(
            f"playback needs a Value or Tensor (or a function making one), not {root!r}"
        )
    if recorder is None or root._fn is None or not any(n is root for n in recorder.forward):
        raise ValueError(
            "the forward pass of this node was not recorded: pass a function that builds it, "
            "or build it inside `with tinygrad_mlp.autograd.recording(recorder)` and pass recorder"
        )
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if max_frames < 4:
        raise ValueError(f"max_frames must be at least 4, got {max_frames}")
    if x is not None and net is None:
        raise ValueError("x and z go with net (the δ witness needs the network's weights)")
    order = autograd.walk(root)
    in_graph = {id(n) for n in order}
    forward = [n for n in recorder.forward if id(n) in in_graph]
    start_grads = {
        id(n): _copy(n.grad)
        for n in order
        if n._fn is None and n.grad is not None and np.any(np.asarray(n.grad) != 0)
    }
    done = len(recorder.backward)
    with autograd.recording(recorder):
        root.backward()
    sweep = recorder.backward[done:]
    names = _names(order, forward, net)
    owners_by_node, pre = _structure(order, net)
    witness = _witness(net, x, z, loss, pre)
    units, titles, unit_owner = _units(order, owners_by_node, names, max_nodes)
    notes_by_id = {id(k): str(v) for k, v in (notes or {}).items()}
    formulas = _delta_formulas(net, loss, pre)
    builder = _Captions(order, names, witness, start_grads, units, titles, pre, formulas)
    frames = [builder.start()]
    for group in _runs(forward, units, max_frames // 2):
        frames.append(builder.forward(group))
    for group in _runs([step[0] for step in sweep], units, max_frames // 2, sweep):
        frames.append(builder.backward(group))
    frames.append(builder.end())
    return Playback(
        root,
        order,
        frames,
        names,
        notes_by_id,
        units,
        titles,
        unit_owner,
        pre,
        title,
        start_grads,
    )


def playback_network(
    net: MLP,
    x: Any,
    z: Any,
    engine: str = "scalar",
    loss: str = "mse",
    *,
    input_names: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    max_nodes: int = 150,
    max_frames: int = 400,
    title: str = "",
) -> Playback:
    """Play back one pass of ``net``: the scalar engine on one sample, or the tensor engine.

    Args:
        net: the network; its parameters' gradients are reset, then hold this pass's.
        x: inputs, (n, inputs) or one sample; the scalar engine takes one sample.
        z: targets, (n, outputs) (or (n,) labels for ``loss="cross_entropy"``).
        engine: "scalar" (one node per + and ×) or "tensor" (one node per layer op).
        loss: a loss name of :mod:`tinygrad_mlp.names` (aliases accepted).
        input_names, target_names: column names, shown under x[i] (and z) and on the page.
        output_names: names of the output nodes (class names), shown under yo[k].

    >>> from tinygrad_mlp.seed import seed_network
    >>> pb = playback_network(seed_network(), [[1.0, 1.0]], [[1.0]])
    >>> len(pb.frames), pb.frames[-1].kind
    (52, 'end')
    """
    from tinygrad_mlp.crosscheck import scalar_loss, tensor_loss
    from tinygrad_mlp.tensor import Tensor
    from tinygrad_mlp.value import Value

    if engine not in ("scalar", "tensor"):
        raise ValueError(f"engine must be 'scalar' or 'tensor', got {engine!r}")
    loss = loss_name(loss)
    backprop.require_formulas(net.activations)  # the captions' δ witness, before recording
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    z = np.asarray(z, dtype=np.float64)
    z = z.reshape(-1) if loss == "cross_entropy" else z.reshape(len(x), -1)
    if x.shape[1] != net.nin:
        raise ValueError(f"inputs of shape {x.shape} for a network with {net.nin} inputs")
    if engine == "scalar" and len(x) != 1:
        raise ValueError(f"the scalar engine plays back one sample, got {len(x)} rows")
    names = list(input_names) if input_names is not None else []
    targets = list(target_names) if target_names is not None else []
    notes: dict[Any, str] = {}
    net.zero_grad()
    if engine == "scalar":
        inputs = [Value(float(v), f"x[{i}]") for i, v in enumerate(x[0])]
        for i, node in enumerate(inputs):
            if i < len(names):
                notes[node] = f"“{names[i]}”"

        def build():
            out = scalar_loss(net(inputs), z[0], loss, 1)
            out.label = "L"
            return out

    else:
        batch = Tensor(x, label="x")
        if names:
            notes[batch] = "columns " + ", ".join(f"“{n}”" for n in names)

        def build():
            out = tensor_loss(net(batch), z, loss)
            out.label = "L"
            return out

    pb = playback(
        build,
        net=net,
        x=x,
        z=z,
        loss=loss,
        max_nodes=max_nodes,
        max_frames=max_frames,
        title=title,
        notes=notes,
    )
    outputs = list(output_names) if output_names is not None else []
    a_name, s_name = net.layers[-1].node_names
    for node in pb.order:
        name = pb.names[id(node)]
        if name == "z" and targets:
            pb.notes[id(node)] = ", ".join(f"“{t}”" for t in targets)
        for k, out in enumerate(outputs):
            if name in (f"{a_name}[{k}]", f"{s_name}[{k}]") and node is not None:
                pb.notes[id(node)] = f"“{out}”"
        if outputs and name in (a_name, s_name) and _is_tensor(node):
            pb.notes[id(node)] = ", ".join(f"“{o}”" for o in outputs)
    parts = []
    if names:
        parts.append("inputs " + ", ".join(f"x[{i}] = “{n}”" for i, n in enumerate(names)))
    if targets:
        parts.append("targets " + ", ".join(f"“{t}”" for t in targets))
    if outputs:
        parts.append("output nodes " + ", ".join(f"“{o}”" for o in outputs))
    pb.description = "; ".join(parts)
    return pb
