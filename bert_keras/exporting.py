"""`bert-keras export`: a run's best weights as a versioned SavedModel for TF Serving.

saved_models/NAME/<version>/          the layout TF Serving polls; versions only grow
    saved_model.pb, variables/, assets/
    assets.extra/config.json, metrics.json, model_card.md, required_ops.json, precision.json

Two signatures: `serving_default` (raw review text in; tokenized in the graph with
TF Text) and `from_token_ids` (the three BERT inputs in; core TensorFlow ops only,
so any TF Serving build loads it). A version is written under a hidden
non-numeric name, loaded back in a fresh process and compared with the model in
memory, and only then renamed to its number.
"""
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf

from bert_keras.atomic import staging_directory
from bert_keras.checkpoints import restore_weights
from bert_keras.classifier import build_classifier
from bert_keras.config import PRECISIONS, TrainConfig
from bert_keras.encoders import load_preprocessor, resolve_encoder
from bert_keras.errors import SelfCheckFailed, UserInputError
from bert_keras.evaluation import read_trained_run
from bert_keras.precision import agreement, encoder_for
from bert_keras.training import CONFIG_FILE, METRICS_FILE

TOLERANCE = 1e-5
PRECISION_FILE = "precision.json"
CHECK_EXAMPLES = 300
STALE_STAGING = r"\.\d+\.partial-.+"  # a version being written, or left by a killed export
FALLBACK_TEXTS = ["Great product, works as described.", "Terrible. It broke after one day.", "",
                  "Not bad, not great either.", "Überraschend gut! 😀 Would buy again."]


def required_ops(concrete_function) -> list[str]:
    """Ops a graph needs beyond core TensorFlow (custom ops, e.g. TF Text's)."""
    graph = concrete_function.graph.as_graph_def()
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    return sorted(op for op in ops if not hasattr(tf.raw_ops, op))


class ServingModule(tf.Module):
    """The classifier behind two serving signatures; probability is of the positive class."""

    def __init__(self, model, preprocessor, max_seq_length: int):
        super().__init__(name="bert_keras_serving")
        self.model, self.preprocessor, self.max_seq_length = model, preprocessor, max_seq_length

    def _outputs(self, inputs):
        probability = tf.reshape(self.model(inputs, training=False), [-1])  # [batch]
        return {"probability": probability, "label": tf.cast(probability >= 0.5, tf.int32)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve_text(self, text):
        tokens = self.preprocessor.tokenize(text)
        inputs = self.preprocessor.bert_pack_inputs([tokens], seq_length=self.max_seq_length)
        # Pad only to the batch's longest review, not to max_seq_length: short reviews cost less.
        longest = tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1))
        return self._outputs({name: t[:, :longest] for name, t in inputs.items()})

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=name)
                                  for name in ("input_word_ids", "input_mask", "input_type_ids")])
    def serve_token_ids(self, input_word_ids, input_mask, input_type_ids):
        return self._outputs(dict(input_word_ids=input_word_ids, input_mask=input_mask,
                                  input_type_ids=input_type_ids))


def read_finished_run(run_dir: Path) -> tuple[TrainConfig, str]:
    """(config, best weights prefix) of a run that finished training."""
    config, best = read_trained_run(run_dir, "RUN_DIR")
    if not (run_dir / METRICS_FILE).is_file():
        raise UserInputError(f"RUN_DIR {run_dir}: the run has not finished (no {METRICS_FILE}); "
                             f"re-run its train command")
    return config, best


def trained_model(run_dir: Path, config: TrainConfig, best: str, paths, precision: str):
    """The run's classifier with its best weights, computing in `precision` (checkpoints fit either)."""
    model = build_classifier(encoder_for(paths, precision), config.freeze, config.dropout, config.seed)
    restore_weights(model, best, f"RUN_DIR {run_dir}: its best weights {best}")
    return model


def versions(model_dir: Path) -> list[int]:
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name)) \
        if model_dir.is_dir() else []


def _check_texts(config) -> list[str]:
    """A few hundred real reviews of the run's own test data, when it can be read."""
    from bert_keras.data_sources import load_evaluation_split
    from bert_keras.pipeline import review_text
    try:
        split, _ = load_evaluation_split(config)
    except UserInputError:
        return FALLBACK_TEXTS
    texts = [review_text(e, config.text_fields).numpy().decode("utf-8")
             for e in split.examples.take(CHECK_EXAMPLES)]
    return texts + FALLBACK_TEXTS


def verify_in_fresh_process(export_dir: Path, texts: list[str], expected: np.ndarray) -> dict:
    """Loads `export_dir` in a new Python process and checks that serving_default gives
    `expected` for `texts` (within TOLERANCE); SelfCheckFailed says by how much it did not."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"texts": texts, "expected": expected.tolist()}, handle)
    try:
        result = subprocess.run([sys.executable, "-m", "bert_keras.exporting", str(export_dir), handle.name],
                                capture_output=True, text=True)
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        reason = (result.stdout.strip() or result.stderr.strip() or "no output").splitlines()[-1]
        raise SelfCheckFailed(f"export check failed, the new version was deleted: {reason}")
    return json.loads(result.stdout)


def _publish(staging: Path, model_dir: Path) -> int:
    """Renames a finished version into place under the next free number: when
    another export takes that number first, this one takes the one after."""
    while True:
        version = (versions(model_dir) or [0])[-1] + 1
        try:
            os.rename(staging, model_dir / str(version))
            return version
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise


def _check_model_dir(model_dir: Path):
    if model_dir.exists() and not model_dir.is_dir():
        raise UserInputError(f"--out {model_dir}: is a file, not a model directory")
    if (model_dir / "saved_model.pb").is_file():
        raise UserInputError(f"--out {model_dir}: is an export version; give its model directory "
                             f"({model_dir.parent}), where versions are numbered")


def export(run_dir, model_dir, precision: str = "float32") -> dict:
    """Writes the next version of MODEL_DIR, computing in `precision` (float32 whatever the run's)."""
    if precision not in PRECISIONS:
        raise UserInputError(f"--precision {precision}: expected one of {', '.join(PRECISIONS)}")
    run_dir, model_dir = Path(run_dir), Path(model_dir)
    _check_model_dir(model_dir)
    config, best = read_finished_run(run_dir)
    paths = resolve_encoder(config.encoder)
    preprocessor = load_preprocessor(paths)
    module = ServingModule(trained_model(run_dir, config, best, paths, precision), preprocessor,
                           config.max_seq_length)
    signatures = {"serving_default": module.serve_text.get_concrete_function(),
                  "from_token_ids": module.serve_token_ids.get_concrete_function()}
    ops = {name: required_ops(function) for name, function in signatures.items()}
    texts = _check_texts(config)
    expected = module.serve_text(tf.constant(texts))["probability"].numpy()
    quality = {"dtype_policy": precision}
    if precision != "float32":
        float32_module = ServingModule(trained_model(run_dir, config, best, paths, "float32"), preprocessor,
                                       config.max_seq_length)
        reference = float32_module.serve_text(tf.constant(texts))["probability"].numpy()
        quality.update(agreement(reference, expected))
    next_version = (versions(model_dir) or [0])[-1] + 1
    with staging_directory(model_dir, f".{next_version}.partial-", STALE_STAGING) as staging:
        tf.saved_model.save(module, str(staging), signatures=signatures)
        _write_extras(staging / "assets.extra", run_dir, config, ops, quality, model_dir.name)
        check = verify_in_fresh_process(staging, texts, expected)
        version = _publish(staging, model_dir)
    return {"export": str(model_dir / str(version)), "version": version, "required_ops": ops, **quality, **check}


def _write_extras(extra: Path, run_dir: Path, config: TrainConfig, ops: dict, quality: dict, name: str):
    extra.mkdir()
    shutil.copy(run_dir / CONFIG_FILE, extra / CONFIG_FILE)
    shutil.copy(run_dir / METRICS_FILE, extra / METRICS_FILE)
    (extra / "required_ops.json").write_text(json.dumps(ops, indent=2) + "\n")
    (extra / PRECISION_FILE).write_text(json.dumps(quality, indent=2) + "\n")
    metrics = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    (extra / "model_card.md").write_text(model_card(config, metrics, ops, name, quality))


def model_card(config, metrics: dict, ops: dict, name: str, quality: dict) -> str:
    spec = {k: v for k, v in config.freeze.to_dict().items() if v not in (None, False)}
    return f"""# {name}: review sentiment (bert-keras)

- Encoder: `{config.encoder}`, frozen as {spec or "nothing (full fine-tuning)"}; head: dropout {config.dropout}, Dense(1, sigmoid)
- Data: `{config.data}` ({config.text_fields}, max {config.max_seq_length} tokens), {config.epochs} epoch(s), batch {config.batch_size}, peak learning rate {config.learning_rate}
- Test metrics: F1 {metrics.get("f1")}, accuracy {metrics.get("accuracy")}, AUC {metrics.get("auc")}, precision {metrics.get("precision")}, recall {metrics.get("recall")} (the run, in {config.precision})
- Serving: {", ".join(f"{k} {v}" for k, v in quality.items())}

## Calling it

- `serving_default`: `text` (string [batch]) -> `probability` (float32 [batch], of a positive review), `label` (int32 [batch]). Needs ops: {", ".join(ops["serving_default"]) or "core only"} (load `tensorflow_text` in Python; TF Serving needs a build with TF Text).
- `from_token_ids`: `input_word_ids`, `input_mask`, `input_type_ids` (int32 [batch, seq]) -> the same. Core TensorFlow ops only.

REST: `POST /v1/models/{name}:predict` with `{{"instances": ["Great product!"]}}` returns `{{"predictions": [{{"probability": 0.97, "label": 1}}]}}`.
"""


def _verify(export_dir: str, check_file: str):
    """Run in a fresh process: load the export, predict, compare with the in-memory model."""
    import tensorflow_text  # noqa: F401  (the serving graph's tokenizer ops)
    check = json.loads(Path(check_file).read_text())
    loaded = tf.saved_model.load(export_dir)
    got = loaded.signatures["serving_default"](text=tf.constant(check["texts"]))["probability"].numpy()
    difference = float(np.max(np.abs(got - np.array(check["expected"]))))
    if not difference <= TOLERANCE:
        print(f"predictions differ from the trained model by {difference:.2e} (> {TOLERANCE})")
        sys.exit(1)
    print(json.dumps({"checked_examples": len(got), "max_abs_difference": difference}))


if __name__ == "__main__":
    _verify(*sys.argv[1:3])
