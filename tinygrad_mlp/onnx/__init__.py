"""ONNX export and import: the network, and a trained model with its scalers, as a graph.

:func:`export` writes a network as ONNX, built with the ``onnx`` package's own
helpers and checked by ``onnx.checker``: one ``Gemm`` per layer
(``y = x Wᵀ + b``, W stored nodes × inputs as ours, ``transB=1``), then its
activation (nothing for a linear layer): the ONNX operator where one computes our
numbers at the network's dtype (``Tanh``, ``Relu``, ``Clip`` for hardtanh; in float32
also ``LeakyRelu``, ``Elu``, ``Celu``, ``Softsign``, ``HardSigmoid``, and ``Gelu`` from
opset 20), otherwise a few nodes with constants of the network's dtype (an ONNX float
attribute is float32), as :data:`~tinygrad_mlp.onnx.forms.ONNX_FORMS` lists: sigmoid
as 1 / (1 + e^−x) and softplus in a stable form, more accurate than onnxruntime's own,
and only operators onnxruntime runs at that dtype. A float64 gelu needs ``Erf`` in
float64, which onnxruntime lacks: export refuses it unless ``for_onnxruntime=False``.
The input is ``input`` of shape (batch, inputs) with a dynamic batch axis.

A saved model (:class:`~tinygrad_mlp.io.SavedModel`, what ``tinygrad-mlp
train`` writes) is exported as the function ``predict`` computes, so a server
feeds it raw CSV values:

- its input scaler becomes the nodes of its ``transform``, in float64 and in
  the order numpy computes it: ``(x − mean) / scale`` (``Sub``, ``Div``) for a
  :class:`~tinygrad_mlp.data.StandardScaler`; ``(x − min) / (max − min) · (high
  − low) + low`` (``Sub``, ``Div``, ``Mul``, ``Add``; a constant column is put
  in the middle of the range by a ``Where``) for a
  :class:`~tinygrad_mlp.data.MinMaxScaler`;
- its output scaler maps back with the nodes of its ``inverse_transform``
  (``y · scale + mean``, or ``(y − low) / (high − low) · (max − min) + min``),
  and the output ``output`` is in data units;
- a ``bce`` model ends in ``Sigmoid`` and a ``ce`` model in ``Softmax``: the
  output ``probabilities`` holds one probability per output node (per class).

The model's other fields (loss, column names, class labels, scaler values,
settings) travel as JSON in the file's metadata (key ``tinygrad_mlp``), so
:func:`load_model` gives back the model that left. :func:`load` reads the
network of any MLP-shaped graph (``Gemm``, or ``MatMul`` then ``Add``, each
followed by at most one activation in a form export writes), from whichever tool
wrote it, and refuses anything else with one sentence naming the first node
that does not fit.

The ``onnx`` package is an optional extra (``pip install 'tinygrad-mlp[onnx]'``,
with ``onnxruntime`` to run the files); it is imported when a function here runs.

The package keeps export (:mod:`~tinygrad_mlp.onnx.exporter`), load
(:mod:`~tinygrad_mlp.onnx.loader`) and what both read (:mod:`~tinygrad_mlp.onnx.forms`:
the activation and scaler nodes) apart.
"""

from __future__ import annotations

from tinygrad_mlp.onnx.exporter import export
from tinygrad_mlp.onnx.forms import DEFAULT_OPSET, require_onnx
from tinygrad_mlp.onnx.loader import load, load_model

__all__ = ["DEFAULT_OPSET", "export", "load", "load_model", "require_onnx"]
