"""What a learner writes in the exercise notebooks: right answers and seeded mistakes.

Each exercise cell of ``examples/notebooks/grade_*.ipynb`` carries a tag
``exercise:<key>``; a test puts the source below into it, runs the notebook and reads
the grader's tables.
"""

from __future__ import annotations

#: notebook → exercise key → the right code
SOLUTIONS: dict[str, dict[str, str]] = {
    "grade_sheet_231.ipynb": {
        "output": "dyo = yo.data - z\ndso = dyo * yo.data * (1 - yo.data)",
        "output_weights": "dwo = dso.T @ ah.data\ndbo = dso.sum(axis=0)",
        "hidden": "dah = dso @ wo.data\ndsh = dah * ah.data * (1 - ah.data)",
        "hidden_weights": "dwh = dsh.T @ x\ndbh = dsh.sum(axis=0)",
    },
    "grade_tanh_softmax.ipynb": {
        "logits": (
            "p = np.exp(logits.data - logits.data.max(axis=1, keepdims=True))\n"
            "p = p / p.sum(axis=1, keepdims=True)\n"
            "dlogits = (p - np.eye(classes)[y]) / n"
        ),
        "second_layer": "dW2 = h.data.T @ dlogits\ndb2 = dlogits.sum(axis=0)",
        "hidden": "dh = dlogits @ W2.data.T\ndz = dh * (1 - h.data**2)",
        "first_layer": "dW1 = x.T @ dz\ndb1 = dz.sum(axis=0)",
    },
}

#: notebook → mistake → (exercise key, its wrong code, the node, a phrase of the diagnosis)
MISTAKES: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "grade_sheet_231.ipynb": {
        "sigmoid at the sum": (
            "output",
            "dyo = yo.data - z\ndso = dyo * so.data * (1 - so.data)",
            "so",
            "so(1 - so) where yo(1 - yo) belongs",
        ),
        "dah doubled": (
            "hidden",
            "dah = dso @ wo.data\ndsh = dah * ah.data * (1 - ah.data)\ndah = dah * 2",
            "ah",
            "twice",
        ),
        "gradient transposed": (
            "hidden_weights",
            "dwh = (dsh.T @ x).T\ndbh = dsh.sum(axis=0)",
            "wh",
            "transposed",
        ),
    },
    "grade_tanh_softmax.ipynb": {
        "one-hot forgotten": (
            "logits",
            "p = np.exp(logits.data - logits.data.max(axis=1, keepdims=True))\n"
            "dlogits = p / p.sum(axis=1, keepdims=True) / n",
            "logits",
            "without subtracting the one-hot",
        ),
        "bias sum forgotten": (
            "second_layer",
            "dW2 = h.data.T @ dlogits\ndb2 = dlogits",
            "b2",
            "forgets to sum over the batch",
        ),
        "tanh at the sum": (
            "hidden",
            "dh = dlogits @ W2.data.T\ndz = dh * (1 - z1.data**2)",
            "z1",
            "1 - z1² where 1 - h² belongs",
        ),
    },
}
