"""`bert-keras evaluate`: a trained run's metrics on any data source."""
import dataclasses
import sys
from pathlib import Path

from bert_keras.data.sources import load_evaluation_split
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.run_dir import read_trained_run
from bert_keras.training.job import build_compiled_classifier
from bert_keras.training.train import evaluate_model

DATA_FLAGS = ("data", "test_data", "text_fields", "on_bad_record", "tfds_data_dir", "tfds_manual_dir")


def evaluate(run_dir, **data) -> dict:
    """A trained run's metrics, from its best weights, on the data the run was tested
    on or on other data.

    Args:
        run_dir: a run directory `train` wrote (its best weights are enough: an
            unfinished run evaluates too).
        **data: any of DATA_FLAGS (`data`, `test_data`, `text_fields`, ...) to
            override the run's; `data` a single file scores every record in it.

    Returns:
        loss, accuracy, precision, recall, F1, AUC, the examples evaluated and
        their rate, and how many bad records were skipped.

    Example (needs a trained run):

    >>> evaluate("saved_models/runs/demo", data="../shared/data/amazon_review_polarity_csv/test.csv")["f1"]
    ... # doctest: +SKIP
    0.887574
    """
    run_dir = Path(run_dir)
    unknown = set(data) - set(DATA_FLAGS)
    if unknown:
        raise TypeError(f"evaluate() takes data settings only ({', '.join(DATA_FLAGS)}), not {sorted(unknown)}")
    config, best = read_trained_run(run_dir, "--model")
    config = dataclasses.replace(config, **{flag: value for flag, value in data.items() if value is not None})
    split, skipped = load_evaluation_split(config)
    for problem in skipped:
        print(f"bert-keras: skipped {problem}", file=sys.stderr)
    paths = resolve_encoder(config.encoder)
    model = build_compiled_classifier(config, encoder_for(paths, config.compute_precision), total_steps=1)
    restore_weights(model, best, f"--model {run_dir}: its best weights {best}")
    return {"model": str(run_dir), "data": config.data, "skipped_records": len(skipped),
            **evaluate_model(model, split, load_preprocessor(paths), config)}
