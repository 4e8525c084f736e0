"""--unfreeze-schedule: each epoch trains the last K_e blocks of one encoder, loaded once."""

import json
import subprocess

import numpy as np
import pytest
import tf_keras
from commands import train_argv
from kill import cli, kill_when
from runs import assert_same_run, rerun_and_check_it_resumed, uninterrupted_run
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.config import TrainConfig
from bert_keras.freezing.sublayers import variable_name
from bert_keras.training.job import load_job


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=160, n_test=20)


def command(encoder, data, out, *flags):
    return train_argv(encoder, data, out, "--precision", "float32", *flags)


def block_variables(weights, block: int) -> list:
    return [
        v
        for v in weights
        if f"transformer/layer_{block}/" in variable_name(v) and v.dtype.is_floating
    ]


@pytest.mark.parametrize(
    "frozen_prefix", ["cache", pytest.param("inline", marks=pytest.mark.extended)]
)
def test_a_block_is_untouched_and_slotless_until_its_epoch_then_trains(
    tiny_encoder_dir, reviews, tmp_path, frozen_prefix
):
    """Epoch 0 trains the pooler and head, epoch 1 block 1 too, epoch 2 both blocks:
    the fit calls `train` makes, stretch by stretch, on one loaded encoder."""
    config = TrainConfig.from_settings(
        out=str(tmp_path / "run"),
        encoder=str(tiny_encoder_dir),
        data=str(reviews),
        batch_size=8,
        max_seq_length=32,
        epochs=3,
        unfreeze_schedule="0,1,2",
        frozen_prefix=frozen_prefix,
        precision="float32",
        dropout=0.0,
    )
    job = load_job(config)
    weights, optimizer = job.eval_model.get_layer("encoder").weights, job.model.optimizer
    before = {variable_name(v): v.numpy() for v in weights}
    trained_from = {0: (), 1: (1,), 2: (0, 1)}  # by first epoch: the blocks trained so far
    assert [first for first, _, _ in config.phases()] == list(trained_from)
    for first, end, freeze in config.phases():
        job.enter(freeze)
        job.model.fit(
            tf_keras.utils.experimental.DatasetCreator(
                lambda context, first=first, end=end: job.training_batches(context, first, end)
            ),
            initial_epoch=first,
            epochs=end,
            steps_per_epoch=job.rounds.steps,
            verbose=0,
        )
        for block in (0, 1):
            started = block in trained_from[first]
            for variable in block_variables(weights, block):
                moved = not np.array_equal(variable.numpy(), before[variable_name(variable)])
                # a key bias never moves: softmax ignores a shift all keys share,
                # so its gradient is 0
                assert moved == (started and not variable_name(variable).endswith("key/bias")), (
                    first,
                    variable.name,
                )
                assert (optimizer._var_key(variable) in optimizer._index_dict) == started, (
                    first,
                    variable.name,
                )
        # slots for what trains, no more
        assert len(optimizer._momentums) == len(job.model.trainable_weights)
    assert job.cache.plan.mode == frozen_prefix and (job.cache.plan.boundary == 0) == (
        frozen_prefix == "cache"
    )


@pytest.mark.integration
def test_a_constant_schedule_is_fixed_freezing_weight_for_weight(
    tiny_encoder_dir, reviews, tmp_path
):
    """Each run in a fresh process, as a user's. Run in the pytest process after the
    tests above, the two differed by one ulp in 4 of 32 values of one LayerNorm's beta
    (since the split functions are one graph per boundary): rounding that depends on
    what the process ran before, not on the schedule. In fresh processes they are equal
    to the bit."""
    for out, flags in (
        ("fixed", ["--train-last", "1"]),
        ("scheduled", ["--unfreeze-schedule", "1,1"]),
    ):
        subprocess.run(
            cli(*command(tiny_encoder_dir, reviews, tmp_path / out, "--epochs", "2", *flags)),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    assert_same_run(tmp_path / "scheduled", tmp_path / "fixed")


def test_a_schedules_cache_build_counts_as_training_time(tiny_encoder_dir, reviews, tmp_path):
    """As a fixed run's: the one pass over every boundary, reported by the last stretch."""
    schedule_flags = "--epochs 2 --unfreeze-schedule 0,1 --frozen-prefix cache".split()
    assert main(command(tiny_encoder_dir, reviews, tmp_path / "run", *schedule_flags)) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    built = metrics["frozen_prefix"]
    assert built["mode"] == "cache" and built["boundary"] == 1 and built["seconds"] > 0
    assert metrics["train_seconds"] == pytest.approx(
        sum(metrics["epoch_seconds"]) + built["seconds"], abs=0.02
    )


@pytest.mark.integration
def test_sigkill_in_the_second_stretch_of_a_schedule_then_same_command(
    tiny_encoder_dir, kill_reviews, tmp_path_factory, tmp_path
):
    def argv_for(out):
        schedule = "--epochs 3 --unfreeze-schedule 0,2 --frozen-prefix cache"
        return command(tiny_encoder_dir, kill_reviews, out, *schedule.split())

    killed = tmp_path / "killed"

    def into_the_third_epoch():  # backed up after epoch 2 of 3, which trained both blocks: their
        index = killed / "backup" / "chief" / "checkpoint"  # slots too
        return index.exists() and '"ckpt-2"' in index.read_text()

    assert kill_when(cli(*argv_for(killed)), into_the_third_epoch)
    assert rerun_and_check_it_resumed(argv_for(killed), killed, epochs=3, steps=81) == 2
    assert_same_run(killed, uninterrupted_run(tmp_path_factory, "schedule_reference", argv_for))
