"""``nn`` knows nothing of files or torch, and every per-activation table covers the names.

An activation added to the vocabulary and forgotten by the modules, the torch bridge or
ONNX fails when that module is imported, naming it; a consumer handed a name it has no
form for refuses it in one sentence naming the name and where to add it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_mlp.nn import MLP

PACKAGE = Path(__file__).resolve().parents[1] / "tinygrad_mlp"
#: What sits above nn in the house: files, the model record, the interop modules.
ABOVE_NN = ("io", "files", "record", "interchange", "torch_bridge", "onnx", "training", "cli")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


#: The one import of files nn has: the state-file functions shown at ``tinygrad_mlp.nn``
#: (where torch users look for ``torch.save``), re-exported, never used by a module.
SHOWN = {"tinygrad_mlp.files", "tinygrad_mlp.files.save_state", "tinygrad_mlp.files.load_state"}


def test_nn_imports_nothing_about_files_or_torch():
    sources = sorted((PACKAGE / "nn").glob("*.py")) or [PACKAGE / "nn.py"]
    for path in sources:
        shown = SHOWN if path.name == "__init__.py" else set()
        for name in _imports(path) - shown:
            parts = name.split(".")
            assert parts[0] not in ("torch", "onnx", "zipfile"), f"{path.name} imports {name}"
            if parts[0] == "tinygrad_mlp" and len(parts) > 1:
                assert parts[1] not in ABOVE_NN, f"{path.name} imports {name}"


@pytest.mark.parametrize(
    "first, module",
    [
        ("tinygrad_mlp.tensor", "tinygrad_mlp.nn"),
        ("tinygrad_mlp.nn", "tinygrad_mlp.torch_bridge"),
        ("tinygrad_mlp.record", "tinygrad_mlp.onnx"),
    ],
)
def test_an_activation_a_table_forgets_fails_at_import_naming_it(first, module):
    code = (
        f"import {first}\n"
        "import tinygrad_mlp.names as names\n"
        "names.ACTIVATIONS = (*names.ACTIVATIONS, 'dummy_activation')\n"
        f"import {module}\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0, f"{module} imported with an activation it has no form for"
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and "dummy_activation" in last, last


def _net_with(activation: str) -> MLP:
    net = MLP(2, [3, 1], activation="tanh", seed=0)
    net.layers[0].activation = activation  # NOTE: past the check, as a new name would be
    return net


def _one_sentence(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text, text
    return text


def test_modules_refuse_an_activation_they_have_no_module_for():
    with pytest.raises(ValueError) as error:
        _net_with("dummy_activation").to_sequential()
    text = _one_sentence(error.value)
    assert "'dummy_activation'" in text and "ACTIVATION_MODULES" in text


def test_the_torch_bridge_refuses_an_activation_it_has_no_module_for():
    pytest.importorskip("torch")
    from tinygrad_mlp.torch_bridge import to_torch

    with pytest.raises(ValueError) as error:
        to_torch(_net_with("dummy_activation"))
    text = _one_sentence(error.value)
    assert "'dummy_activation'" in text and "TORCH_ACTIVATIONS" in text


def test_onnx_export_refuses_an_activation_it_has_no_form_for(tmp_path):
    pytest.importorskip("onnx")
    from tinygrad_mlp.onnx import export

    with pytest.raises(ValueError) as error:
        export(_net_with("dummy_activation"), tmp_path / "n.onnx")
    text = _one_sentence(error.value)
    assert "'dummy_activation'" in text and "ONNX_FORMS" in text
    assert not (tmp_path / "n.onnx").exists()
