"""`bert-keras evaluate`: a trained run's metrics on any data source."""
import dataclasses
import sys
from pathlib import Path

from bert_keras.training.checkpoints import restore_weights
from bert_keras.data.sources import load_evaluation_split
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.encoders.precision import encoder_for
from bert_keras.training.train import build_compiled_classifier, evaluate_model
from bert_keras.training.run_dir import read_trained_run

DATA_FLAGS = ("data", "test_data", "text_fields", "on_bad_record", "tfds_data_dir", "tfds_manual_dir")


def evaluate(model_dir, args) -> dict:
    run_dir = Path(model_dir)
    config, best = read_trained_run(run_dir, "--model")
    overrides = {flag: getattr(args, flag) for flag in DATA_FLAGS if getattr(args, flag, None) is not None}
    config = dataclasses.replace(config, **overrides)
    split, skipped = load_evaluation_split(config)
    for problem in skipped:
        print(f"bert-keras: skipped {problem}", file=sys.stderr)
    paths = resolve_encoder(config.encoder)
    model = build_compiled_classifier(config, encoder_for(paths, config.precision), total_steps=1)
    restore_weights(model, best, f"--model {run_dir}: its best weights {best}")
    return {"model": str(run_dir), "data": config.data, "skipped_records": len(skipped),
            **evaluate_model(model, split, load_preprocessor(paths), config)}
