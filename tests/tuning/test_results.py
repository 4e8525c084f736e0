"""What a search leaves behind: trials.csv, best.json (with the settings, and the command,
that reproduce the best trial) and tuning.png, from a real oracle's trials; no training needed."""

import csv
import json
import shlex

import pytest
from keras_tuner.engine import trial as trial_module
from tuning.test_search import assert_tuning_plot

from bert_keras.config import RunRecord, TrainConfig
from bert_keras.encoders.shared_loads import SharedLoads
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.tuning.oracles import make_oracle
from bert_keras.tuning.results import best_trial_config, reproducing_settings, write_results
from bert_keras.tuning.space import SearchSpace
from bert_keras.tuning.tuner import FreezeDepthTuner


@pytest.fixture
def ended_search(tmp_path):
    """A grid over 0, 1, 2 trainable blocks whose trials ended as a search would end them."""
    base = TrainConfig.from_settings(
        out="", encoder="minilm-l6", data="reviews.csv", test_data="test.csv", limit=300, epochs=2
    )
    tuner = FreezeDepthTuner(
        make_oracle("grid", SearchSpace(depth=2, blocks=(0, 1, 2)), 3, seed=1, epochs=2),
        base,
        RunRecord("float32", jit_compile=True),  # what the trials computed with
        tmp_path,
        SharedLoads(),
        overwrite=False,
    )
    for score, seconds in ((0.61, 3.5), (0.83, 5.25), (None, None)):
        trial = tuner.oracle.create_trial("tuner0")
        if score is None:
            trial.status, trial.message = (
                trial_module.TrialStatus.FAILED,
                "FailedTrialError: not retried: diverged",
            )
        else:
            tuner.trial_dir(trial.trial_id).mkdir(parents=True)
            (tuner.trial_dir(trial.trial_id) / "metrics.json").write_text(
                json.dumps(
                    {"train_seconds": seconds, "trainable_params": 1000 * (1 + int(trial.trial_id))}
                )
            )
            tuner.oracle.update_trial(trial.trial_id, {"val_f1": score})
            trial.status = trial_module.TrialStatus.COMPLETED
        tuner.oracle.end_trial(trial)
    return tuner, tmp_path


def test_trials_csv_best_json_and_plot(ended_search):
    tuner, tune_dir = ended_search
    best = write_results(tuner, tune_dir)
    with open(tune_dir / "trials.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        (r["trainable_blocks"], r["val_f1"], r["train_seconds"], r["status"]) for r in rows
    ] == [
        ("0", "0.61", "3.5", "COMPLETED"),
        ("1", "0.83", "5.25", "COMPLETED"),
        ("2", "", "", "FAILED"),
    ]
    assert rows[2]["reason"] == "not retried: diverged"
    assert best == json.loads((tune_dir / "best.json").read_text())
    assert best["val_f1"] == 0.83 and best["hyperparameters"]["trainable_blocks"] == 1
    assert_tuning_plot(tune_dir)  # the two completed trials, F1 0.61 and 0.83


def test_the_best_trial_reproduced_on_the_full_training_split(ended_search):
    tuner, tune_dir = ended_search
    config = best_trial_config(tuner, tune_dir / "best_run")
    assert (
        config.freeze == FreezeSpec(train_last=1)
        and config.data.limit is None
        and config.optimizer.epochs == 2
    )
    assert config.out == str(tune_dir / "best_run")
    assert reproducing_settings(config) == {
        "encoder": "minilm-l6",
        "data": "reviews.csv",
        "freeze": {"train_last": 1},
        "test_data": "test.csv",
        "epochs": 2,
        "precision": "float32",  # what the trials computed in, asked for by name
        "out": str(tune_dir / "best_run"),
    }
    no_block = TrainConfig.from_settings(
        out="o", freeze=FreezeSpec(train_last=0)
    )  # 0 is a setting, not unset
    assert reproducing_settings(no_block)["freeze"] == {"train_last": 0}
    command = write_results(tuner, tune_dir, lambda settings: f"train {sorted(settings)}")
    assert command["command"] == f"train {sorted(reproducing_settings(config))}"


def test_the_command_of_a_trial_is_one_train_takes_back_to_the_same_configuration(tmp_path):
    """Every setting away from its default, a resolved precision and a schedule included:
    the command line's words for them parse back into the same configuration."""
    from bert_keras.cli import build_parser
    from bert_keras.cli.commands import train_settings_from_args
    from bert_keras.cli.wording import command_line, long_options

    config = TrainConfig.from_settings(
        out=str(tmp_path / "runs best"),
        data="tfds:imdb_reviews",
        test_data="my test.csv",
        train_split="train[:1000]",
        text_columns=("title", "body"),
        labels=("neg", "pos"),
        multi_label=True,
        allow_no_label=True,
        epochs=2,
        freeze=FreezeSpec(train_last=2, train_embeddings=True),
        unfreeze_schedule=(1, 2),
        precision="mixed_bfloat16",
        cache_memory_gb=0.5,
    )
    parser = build_parser()
    command = command_line("train", reproducing_settings(config), long_options(parser))
    assert "--precision mixed_bfloat16" in command and "resolved" not in command, command
    args = parser.parse_args(shlex.split(command)[1:])
    expected = config
    assert TrainConfig.from_settings(**train_settings_from_args(args)) == expected
    settings = json.loads(json.dumps(reproducing_settings(config)))  # as best.json holds them
    assert (
        TrainConfig.from_settings(**{**settings, "freeze": FreezeSpec(**settings["freeze"])})
        == expected
    )


def test_how_the_trials_compiled_is_left_to_the_machine_that_trains_the_best(ended_search):
    from bert_keras.cli import build_parser
    from bert_keras.cli.wording import command_line, long_options

    tuner, tune_dir = ended_search  # its trials compiled with XLA
    config = best_trial_config(tuner, tune_dir / "best_run")
    settings = reproducing_settings(config)
    assert config.placement.jit_compile == "auto" and "jit_compile" not in settings
    command = command_line("train", settings, long_options(build_parser()))
    assert "jit" not in command  # `auto` decides again where the best trial trains
