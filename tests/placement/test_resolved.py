"""`jit_compile`: what `auto` resolves to, and a training step compiled by XLA in every mode
(inline, cached, a schedule's stretches, layer-wise rates, both mixed precisions)."""

import numpy as np
import pytest
import tf_keras
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.config import PlacementSpec, RunRecord, TrainConfig, read_run_file
from bert_keras.placement.resolved import resolve_placement
from bert_keras.training.job import load_job

MODES = {  # every mode in three runs: inline and cached, each precision, a schedule, rates
    "inline, layer-wise rates, mixed_float16": dict(
        frozen_prefix="inline", layer_lr_decay=0.8, precision="mixed_float16"
    ),
    "cached, mixed_bfloat16": dict(frozen_prefix="cache", precision="mixed_bfloat16"),
    "a schedule's two stretches, cached": dict(
        epochs=2, unfreeze_schedule=(1, 2), frozen_prefix="cache"
    ),
}


@pytest.mark.extended
@pytest.mark.parametrize("mode", MODES)
def test_every_training_mode_takes_steps_compiled_by_xla(tiny_encoder_dir, tmp_path, mode):
    """jit_compile=True must compile: a step holding an op XLA cannot compile raises."""
    data = write_synthetic_reviews(tmp_path / "data", n_train=24, n_test=8)
    settings = {"precision": "float32", "jit_compile": "on", "epochs": 1, **MODES[mode]}
    config = TrainConfig.from_settings(
        out=str(tmp_path / "run"),
        encoder=str(tiny_encoder_dir),
        data=str(data),
        batch_size=8,
        max_seq_length=16,
        **settings,
    )
    record, notes = resolve_placement(config.placement, config.encoder)
    assert (record, notes) == (RunRecord(settings["precision"], jit_compile=True), [])
    job = load_job(config, record)
    for first, _, freeze in config.phases():  # a schedule's second stretch compiles anew
        job.enter(freeze)
        history = job.model.fit(
            tf_keras.utils.experimental.DatasetCreator(
                lambda context, first=first: job.training_batches(context, first, first + 1)
            ),
            initial_epoch=first,
            epochs=first + 1,
            steps_per_epoch=1,
            verbose=0,
        )
        assert job.model.jit_compile and np.isfinite(history.history["loss"]).all()
    assert (job.cache.plan.mode == "cache") == (config.cache.frozen_prefix == "cache")


def test_auto_is_off_on_a_cpu_said_once_and_recorded(tiny_encoder_dir, tmp_path, capsys):
    placement = PlacementSpec(strategy="one_device", precision="float32")
    record, notes = resolve_placement(placement, str(tiny_encoder_dir))
    assert (record.jit_compile, notes) == (
        False,
        ["jit_compile=auto: off (CPU: TensorFlow's own oneDNN kernels)"],
    )
    given = RunRecord("mixed_bfloat16", jit_compile=True)  # a search's trial keeps its base's
    assert resolve_placement(placement, str(tiny_encoder_dir), given=given) == (given, [])
    off = resolve_placement(PlacementSpec(precision="float32", jit_compile="off"), "unused")
    assert off == (RunRecord("float32", jit_compile=False), [])
    data = write_synthetic_reviews(tmp_path / "data", n_train=40, n_test=8)
    argv = ["train", "--encoder", str(tiny_encoder_dir), "--data", str(data)]
    argv += ["--out", str(tmp_path / "r"), "--epochs", "1", "--batch-size", "8"]
    argv += ["--max-seq-length", "16"]
    assert main([*argv, "--precision", "float32"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "jit" in line]
    assert said == ["bert-keras: --jit-compile auto: off (CPU: TensorFlow's own oneDNN kernels)"]
    settings, recorded = read_run_file(tmp_path / "r" / "config.json")
    assert (settings.placement.jit_compile, recorded.jit_compile) == ("auto", False)
