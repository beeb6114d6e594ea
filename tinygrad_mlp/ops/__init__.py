"""Every op rule of both engines: ``forward``, and ``backward`` right under it.

A rule's ``backward(grad_out, out, *inputs)`` is written once and serves every
order: on numbers (the fast first-order path) it computes the gradient, on nodes
(``create_graph=True``) the same operators build the gradient's own graph, which
can be differentiated again. Each class docstring gives the math. The front-ends,
:mod:`tinygrad_mlp.tensor` and :mod:`tinygrad_mlp.value`, only pick a rule.

Where each kind of rule lives:

- :mod:`~tinygrad_mlp.ops.arithmetic`: the tensor engine's element-wise ops:
  ``+ - * / ** @`` and negation, the core functions ``Exp``, ``Log``, ``Tanh``,
  ``Sigmoid``, ``Relu``, every other element-wise function (``Elementwise``, one
  row of the table), and selection (``Clip``, ``MaskedFill``, ``Where``,
  ``Extremum`` for maximum/minimum, ``ClampTensor``);
- :mod:`~tinygrad_mlp.ops.reductions`: ``Sum``, ``Max``, ``Prod`` and the scans
  ``Cumsum``, ``Cumprod``;
- :mod:`~tinygrad_mlp.ops.shape`: ``Reshape``, ``Transpose``, ``BroadcastTo``,
  ``SumTo``, ``Cast``, ``Index``, ``IndexAdd``, ``Concatenate``, ``Pad``,
  ``Roll``, ``Tile``;
- :mod:`~tinygrad_mlp.ops.fused`: one node where a composition would be several:
  a layer's ``MatMulT`` (x Wᵀ), ``LogSoftmax``, and the losses
  ``HalfSquaredError``, ``BCE``, ``BCEWithLogits``;
- :mod:`~tinygrad_mlp.ops.scalar`: every rule of the scalar engine ``Value``
  (arithmetic, the core functions, ``Elementwise``, ``Extremum``, the losses);
- :mod:`tinygrad_mlp.elementwise` (beside this package, numpy only): the table of
  element-wise functions, each row its math, forward and derivative, shared by
  both engines. The core functions are rows too; the classes above that compute
  them faster are twins whose docstrings say so (a test holds them equal);
- :mod:`~tinygrad_mlp.ops._array`: the tensor rules' base class and the helpers
  that compute on arrays and build nodes on Tensors.

Ops composed from others (``min``, ``mean``, ``var``, ``softmax``, ``flip``,
``softsign``...) are methods of the front-ends, a few lines each.
"""

from tinygrad_mlp.ops import arithmetic, fused, reductions, scalar, shape

__all__ = ["arithmetic", "fused", "reductions", "scalar", "shape"]
