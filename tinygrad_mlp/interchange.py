"""What a model carries beside its weights: kept so that old imports keep working.

The fields live in :mod:`tinygrad_mlp.record`, the one reader and writer of the model
record, which our model file, ONNX and torch files all use; these names are the same
objects.
"""

from __future__ import annotations

from tinygrad_mlp.record import (
    LOSSES,
    PER_COLUMN,
    SCALER_KEYS,
    describe,
    read_fields,
    read_scaler,
    scaler_record,
)

__all__ = [
    "LOSSES",
    "PER_COLUMN",
    "SCALER_KEYS",
    "describe",
    "read_fields",
    "read_scaler",
    "scaler_record",
]
