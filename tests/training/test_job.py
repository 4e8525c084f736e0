"""A run's job: what fit traces, once."""

import numpy as np
import pytest
import tf_keras
from tiny_bert import write_synthetic_reviews

from bert_keras.config import TrainConfig
from bert_keras.training.final_metrics import evaluate_model, metrics_of_logits
from bert_keras.training.job import load_job
from bert_keras.training.predictions import split_logits


def tiny_config(encoder, tmp_path, n_test: int, **settings) -> TrainConfig:
    """A float32 run of the tiny encoder on 48 synthetic reviews to train on."""
    data = write_synthetic_reviews(tmp_path / "data", n_train=48, n_test=n_test)
    return TrainConfig.from_settings(
        out=str(tmp_path / "run"),
        encoder=str(encoder),
        data=str(data),
        batch_size=8,
        max_seq_length=32,
        precision="float32",
        **{"epochs": 1, **settings},
    )


@pytest.mark.parametrize(
    "frozen_prefix", [pytest.param("cache", marks=pytest.mark.extended), "inline"]
)
def test_fit_and_evaluate_trace_each_step_once(tiny_encoder_dir, tmp_path, frozen_prefix):
    """The optimizer's slots and the metrics' state exist before the first step: a step that
    made variables would be traced a second time (tf.function's rule), seconds per run."""
    config = tiny_config(tiny_encoder_dir, tmp_path, 8, epochs=2, frozen_prefix=frozen_prefix)
    job = load_job(config)
    job.enter(None)
    job.model.fit(
        tf_keras.utils.experimental.DatasetCreator(
            lambda context: job.training_batches(context, 0, 2)
        ),
        epochs=2,
        steps_per_epoch=job.rounds.steps,
        verbose=0,
        validation_data=job.validation_batches(),
    )
    assert job.model.train_function.experimental_get_tracing_count() == 1
    assert job.model.test_function.experimental_get_tracing_count() == 1
    evaluate_model(job.eval_model, job.splits.test, job.preprocessor, config)  # from token ids
    assert job.eval_model.test_function.experimental_get_tracing_count() == 1


def test_metrics_of_logits_are_what_keras_evaluate_gives_on_the_same_examples(
    tiny_encoder_dir, tmp_path
):
    config = tiny_config(tiny_encoder_dir, tmp_path, 40)
    job = load_job(config)
    model = job.eval_model
    keras = evaluate_model(model, job.splits.test, job.preprocessor, config)
    _, labels, logits = split_logits(model, job.splits.test, job.preprocessor, config)
    metrics_of_logits(model, np.zeros_like(logits), labels)  # other figures: none carry over
    ours = metrics_of_logits(model, logits, labels)
    assert set(ours) == {"loss", "accuracy", "precision", "recall", "f1", "auc"}
    for name, value in ours.items():
        assert value == pytest.approx(keras[name], abs=2e-6), name
