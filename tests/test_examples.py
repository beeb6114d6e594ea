"""Every example runs and checks its own claim.

Each script prints ``OK: <claim>`` for each claim that holds and exits with
status 1 at the first that does not, so a zero exit status is the claim.
Scripts that take a few seconds run at full length (the full claim); the
others run with ``--quick`` (a looser threshold, stated in each script).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# script, extra arguments, the claims it must print, the files it must write
CASES = [
    ("gradient_descent_walk.py", [], 2, ["gradient_descent_walk.png"]),
    ("perceptron_and_xor.py", [], 3, ["perceptron_and_xor.png"]),
    ("regression_1d.py", [], 1, ["regression_1d.png"]),
    ("moons.py", ["--quick"], 2, ["moons.png"]),
    ("train_digits.py", [], 1, ["misclassified_digits.png"]),
    ("three_roads.py", ["--quick"], 2, ["seed_graph.dot", "playback.html"]),
    ("seed_system_files.py", ["--quick"], 2, ["trained-weights-biases.json", "model.json"]),
    ("seed_worked_example.py", ["--quick"], 1, ["worked_example_graph.dot"]),
]


def run_example(script: str, args: list[str], out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--out", str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=out,
        timeout=600,
    )


# The numbers the home page's table quotes: a pattern of the script's output and the
# page's way of writing the number it captures.
QUOTED = {
    "regression_1d.py": (r"true function: (\S+)", lambda v: f"RMS {float(v):.3f}"),
    "train_digits.py": (r"wrong: test accuracy (\S+)", lambda v: f"{float(v):.1%} test accuracy"),
    "three_roads.py": (r"between the roads: (\S+)", lambda v: f"agree to {v}"),
    "seed_system_files.py": (r"forward pass: (\S+)", lambda v: f"forward pass to {v}"),
    "perceptron_and_xor.py": (r"MLP on XOR after \d+ steps: (\d)/4", lambda v: f"{v}/4 |"),
}

# Other pages quoting the same number.
ALSO_QUOTED = {"three_roads.py": ["autodiff-vs-backprop.md"]}


@pytest.mark.parametrize(("script", "args", "claims", "files"), CASES, ids=[c[0] for c in CASES])
def test_example_runs_and_its_claims_hold(tmp_path, script, args, claims, files):
    pytest.importorskip("matplotlib")
    if script in ("moons.py", "train_digits.py"):
        pytest.importorskip("sklearn")
    result = run_example(script, args, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("OK: ") == claims, result.stdout
    assert "FAILED" not in result.stdout
    for name in files:
        assert (tmp_path / name).stat().st_size > 0, f"{script} did not write {name}"
    for picture in tmp_path.glob("*.png"):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if script in QUOTED:
        pattern, written = QUOTED[script]
        printed = re.search(pattern, result.stdout)
        assert printed, f"{script} no longer prints {pattern!r}"
        for name in ["index.md", *ALSO_QUOTED.get(script, [])]:
            page = (ROOT / "docs" / name).read_text()
            assert written(printed.group(1)) in page, f"docs/{name} does not quote {script}"


def test_every_example_is_tested():
    # tested where their subject is: test_ddp.py, test_higher_order_examples.py and
    # test_viz_higher_order.py
    elsewhere = {"continue_in_pytorch.py", "newton.py", "gradient_penalty.py", "hvp_mlp.py"}
    tested = {case[0] for case in CASES} | elsewhere | {"tanh_derivatives.py"}
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts <= tested, f"examples without a test: {sorted(scripts - tested)}"


def test_a_failing_claim_fails_the_script(capsys):
    """The claim helper the examples share exits with status 1 when a claim fails."""
    spec = importlib.util.spec_from_file_location("_common", EXAMPLES / "_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines options() and claim(); runs nothing
    module.claim(True, "one")
    with pytest.raises(SystemExit) as stop:
        module.claim(False, "two")
    assert stop.value.code == 1
    assert capsys.readouterr().out.splitlines() == ["OK: one", "FAILED: two"]


def test_the_examples_share_one_copy_of_their_helpers():
    """options() and claim() live in examples/_common.py, not in each script."""
    for script in EXAMPLES.glob("*.py"):
        if script.name == "_common.py":
            continue
        text = script.read_text(encoding="utf-8")
        assert "def claim(" not in text and "def options(" not in text, script.name
        if "--quick" in text and script.name != "continue_in_pytorch.py":
            assert "from _common import" in text, script.name
