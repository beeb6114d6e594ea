"""TrainConfig speaks the library's words; each front-end names the settings its own way."""

from __future__ import annotations

import pytest

from tinygrad_mlp import names
from tinygrad_mlp.cli import main
from tinygrad_mlp.training import LOSSES, MODEL_LOSSES, TrainConfig


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"lr": 0}, "lr must be positive, got 0"),
        ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
        ({"epochs": 0}, "epochs must be at least 1, got 0"),
        ({"loss": "ce", "output_activation": "tanh"}, "output_activation tanh cannot go"),
    ],
)
def test_config_errors_name_the_field_not_a_flag(settings, message):
    with pytest.raises(ValueError, match=message) as caught:
        TrainConfig(**settings).check()
    assert "--" not in str(caught.value)


def test_the_command_line_names_the_flag(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("a,y\n1,2\n2,3\n")
    argv = ["train", "--data", str(data), "--model", str(tmp_path / "m.json"), "--quiet"]
    assert main([*argv, "--batch-size", "0"]) == 2
    assert "error: --batch-size must be at least 1, got 0" in capsys.readouterr().err


def test_the_estimators_name_their_parameter():
    sklearn = pytest.importorskip("tinygrad_mlp.sklearn")
    with pytest.raises(ValueError, match="^learning_rate_init must be positive"):
        sklearn.MLPRegressor(learning_rate_init=-1.0).train_config()


def test_model_loss_words_come_from_the_one_vocabulary():
    assert LOSSES == tuple(MODEL_LOSSES)
    for word, loss in MODEL_LOSSES.items():
        assert names.loss_name(word) in names.LOSSES and loss in names.LOSSES
