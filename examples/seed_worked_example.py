"""The cheat sheet's worked example, step by step, with every number computed.

Read it next to `the-math-behind-training-mlp-neural-networks.md`: each block
below is one section of the sheet (its heading is in the comment). Run it with

    python examples/seed_worked_example.py [--out DIR] [--quick]

It saves the computation graph of the loss (z = 1.0) to ``--out``.

Claims: autodiff's δ_o and δ_h equal the sheet's formulas y(1 − y)(y − z) and
a(1 − a) Σ_j w_j δ_j evaluated in plain floats, to 1e-15 · (1 + |δ|), for
both targets.
The run is short, so --quick runs it whole and only skips the PNG.
"""

from __future__ import annotations

from _common import claim, options

from tinygrad_mlp import Value
from tinygrad_mlp.autograd import walk
from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD
from tinygrad_mlp.seed import BIASES, DATASET, ERRATA, HEADER, WEIGHTS
from tinygrad_mlp.viz import draw_graph
from tinygrad_mlp.viz.render import save

args = options("seed_worked_example", __doc__)


def show(name: str, values) -> None:
    print(f"  {name:<32}" + "  ".join(f"{v + 0.0: .9f}" for v in values))  # + 0.0: no "-0"


def erratum(key: str) -> None:
    print(f"  ! sheet erratum: {ERRATA[key]}")


# THE TRAINING DATASET ------------------------------------------------------------
print("The training data set (" + ", ".join(HEADER) + "):")
for row in DATASET:
    print("  " + ", ".join(f"{v:g}" for v in row))
inputs, targets = DATASET[:, :2], DATASET[:, 2:]

# STEP 1 - INITIALIZATION: the sheet's weights, set in one call -------------------
net = MLP.from_weights(WEIGHTS, BIASES, activation="sigmoid")
print(f"\nStep 1, initialization: {net}")
for layer in net.layers:
    for neuron in layer.neurons:
        weights = ", ".join(f"{w.label} = {w.data:g}" for w in neuron.w)
        print(f"  {weights}; {neuron.b.label} = {neuron.b.data:g}")

# STEP 2 - NORMALIZATION: min-max [0, 1] and [-1, 1] --------------------------------
print("\nStep 2, normalization of the inputs:")
zero_one = MinMaxScaler((0, 1)).fit(inputs)
minus_one = MinMaxScaler((-1, 1)).fit(inputs)
for raw, a, b in zip(inputs, zero_one.transform(inputs), minus_one.transform(inputs), strict=True):
    print(
        f"  ({raw[0]:g}, {raw[1]:g}) -> [0,1] ({a[0]:.4f}, {a[1]:.4f})"
        f"   [-1,1] ({b[0]:.4f}, {b[1]:.4f})"
    )
erratum("minus_one_50")
x = [float(v) for v in zero_one.transform(inputs)[0]]  # the first row: (70, 98) -> (1, 1)

# STEP 3 - FORWARD PASS: s = sum x*w + b, a = sigmoid(s), for every node -------------
print(f"\nStep 3, forward pass for x = {x}:")
y = net(x)  # one Value node per multiply and add, labelled as the sheet labels them


def node(root: Value, label: str) -> Value:
    """The node of `root`'s graph that carries `label` (e.g. 'sh[0][2]')."""
    return next(v for v in walk(root) if v.label == label)


show("s_h = sh[0][0..2]", [node(y[0], f"sh[0][{j}]").data for j in range(3)])
show("a_h = ah[0][0..2]", [node(y[0], f"ah[0][{j}]").data for j in range(3)])
show("s_o = so[0]", [node(y[0], "so[0]").data])
show("y = yo[0]", [y[0].data])
erratum("yo")

# STEP 4 and 5 - LOSS AND BACKWARD PASS ----------------------------------------------
# L = 1/2 (y - z)^2. The error signal of a node is delta = dL/ds, which is exactly
# the gradient autodiff leaves on that node's weighted sum s.
gaps = []
for title, z in [
    ("z = 91, as the sheet does it", 91.0),
    ("z normalized to [0, 1]: (91 - 68) / (91 - 68) = 1.0", 1.0),
]:
    net.zero_grad()
    y = net(x)
    loss = mse(y, [z])
    loss.backward()
    print(f"\nStep 5, backward pass with {title}:")
    show("L = 1/2 (y - z)^2", [loss.data])
    show("y(1 - y)", [y[0].data * (1 - y[0].data)])
    show("delta_o = y(1-y)(y-z)", [node(loss, "so[0]").grad])
    show("delta_h[0..2]", [node(loss, f"sh[0][{j}]").grad for j in range(3)])
    show("dL/dwo[0][0..2] = delta_o a_h", net.layers[1].weight.grad[0])
    show("dL/dbo[0] = delta_o", net.layers[1].bias.grad)
    # The sheet's formulas in plain floats, to check autodiff's numbers against.
    a_h = [node(loss, f"ah[0][{j}]").data for j in range(3)]
    by_hand_o = y[0].data * (1 - y[0].data) * (y[0].data - z)
    by_hand_h = [a * (1 - a) * WEIGHTS[1][0][j] * by_hand_o for j, a in enumerate(a_h)]
    gaps.append(abs(node(loss, "so[0]").grad - by_hand_o) / (1 + abs(by_hand_o)))
    gaps.extend(
        abs(node(loss, f"sh[0][{j}]").grad - d) / (1 + abs(d)) for j, d in enumerate(by_hand_h)
    )
    if z == 91.0:
        erratum("y(1-y)")
        erratum("delta_o")
        erratum("target")
    else:
        erratum("delta_h")

# STEP 5.3 - ADJUST THE WEIGHTS: one gradient-descent step, eta = 0.1 ---------------
SGD(net.parameters(), lr=0.1).step()  # uses the gradients of z = 1.0 above
print("\nStep 5.3, weights after one step w <- w - 0.1 * dL/dw (z = 1.0):")
for layer in net.layers:
    for neuron in layer.neurons:
        print("  " + ", ".join(f"{p.label} = {p.data:.9f}" for p in neuron.parameters()))

graph = draw_graph(loss, title="L = ½(y − z)², x = (1, 1), z = 1.0")
written = [save(graph, args.out / "worked_example_graph.dot")]
if not args.quick:
    written.append(save(graph, args.out / "worked_example_graph.png"))
print("\npicture: " + ", ".join(str(p) for p in written))
print(f"largest |autodiff δ − formula δ| / (1 + |δ|): {max(gaps):.1e}")
claim(max(gaps) < 1e-15, "autodiff's δ equals the sheet's δ formulas, z = 91 and z = 1")
