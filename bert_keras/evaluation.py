"""`bert-keras evaluate`: a trained run's metrics on any data source."""
import dataclasses
from pathlib import Path

from bert_keras.config import TrainConfig
from bert_keras.data_sources import load_evaluation_split
from bert_keras.encoders import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.precision import encoder_for
from bert_keras.training import BEST_WEIGHTS, CONFIG_FILE, build_compiled_classifier, evaluate_model

DATA_FLAGS = ("data", "test_data", "text_fields", "on_bad_record", "tfds_data_dir", "tfds_manual_dir")


def evaluate(model_dir, args) -> dict:
    run_dir = Path(model_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise UserInputError(f"--model {run_dir}: not a run directory (no {CONFIG_FILE})")
    config = TrainConfig.read(run_dir / CONFIG_FILE)
    overrides = {flag: getattr(args, flag) for flag in DATA_FLAGS if getattr(args, flag, None) is not None}
    config = dataclasses.replace(config, **overrides)
    split = load_evaluation_split(config)
    paths = resolve_encoder(config.encoder)
    model = build_compiled_classifier(config, encoder_for(paths, config.precision), total_steps=1)
    weights = run_dir / BEST_WEIGHTS
    if not Path(f"{weights}.index").is_file():
        raise UserInputError(f"--model {run_dir}: has no trained weights yet ({weights})")
    model.load_weights(str(weights)).expect_partial()
    return {"model": str(run_dir), "data": config.data,
            **evaluate_model(model, split, load_preprocessor(paths), config)}
