"""The command line imports a subcommand's module only when that command runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_mlp.cli import build_parser
from tinygrad_mlp.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["tinygrad_mlp.training", "tinygrad_mlp.viz", "tinygrad_mlp.onnx", "torch", "onnx"]

PROBE = """
import json, sys
from tinygrad_mlp import cli
try:
    cli.main(ARGV)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(argv: list[str]) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.replace("ARGV", repr(argv))],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["info", "--help"]])
def test_help_loads_no_training_pictures_onnx_or_torch(argv):
    loaded = loaded_after(argv)
    assert not [name for name in HEAVY if name in loaded]


def test_a_command_loads_its_own_module_only():
    loaded = loaded_after(["info", "--help"])
    assert "tinygrad_mlp.commands.info" in loaded
    others = {f"tinygrad_mlp.commands.{module}" for _, module, _ in COMMANDS} - {
        "tinygrad_mlp.commands.info"
    }
    assert not others & loaded


def test_each_commands_help_line_is_the_tables():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    shown = {action.dest: action.help for action in sub._choices_actions}
    assert shown == {name: text for name, _, text in COMMANDS}
