"""bert-keras's original recipe as a KerasHub job (Keras 3, TensorFlow backend): one side
of scripts/benchmarks/benchmark_baselines.py, which runs it with keras-hub on the path and
TF_USE_LEGACY_KERAS unset.

    python scripts/benchmarks/baselines/keras_hub_fit.py --rows DIR --model DIR \
        [--precision float32|mixed_bfloat16] RECIPE FLAGS

The same job as `bert-keras train`: the built-in encoder's checkpoint (KerasHub
converts it from the Transformers format), the same texts and labels, the last
2 blocks + pooler + a dropout 0.1 and 1-unit sigmoid head trainable, AdamW at
1e-4 with weight decay 0.01 (not on biases or layer norms), 10% linear warm-up
then linear decay, global norm clipped at 1, batch 32, 128 tokens (KerasHub's
preprocessor pads to its sequence length); the recipe's numbers come as flags
from bert-keras's TrainConfig defaults. Prints JSON: the seconds of
`model.fit` (no validation inside it), examples/s and test F1.
"""

import os
import time

os.environ.pop("TF_USE_LEGACY_KERAS", None)  # KerasHub runs on Keras 3
os.environ["KERAS_BACKEND"] = "tensorflow"
import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from job import f1_score, parse_job, read_rows, report  # noqa: E402


class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear from 0 to `peak` over `warmup` steps, then linear to 0 at `total`."""

    def __init__(self, peak: float, warmup: int, total: int):
        self.peak, self.warmup, self.total = peak, warmup, total

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rising = self.peak * step / max(self.warmup, 1)
        falling = self.peak * (self.total - step) / max(self.total - self.warmup, 1)
        return keras.ops.maximum(keras.ops.minimum(rising, falling), 0.0)


def texts_and_labels(path) -> tuple[np.ndarray, np.ndarray]:
    rows = read_rows(path)
    return np.array([r["text"] for r in rows]), np.array([r["label"] for r in rows], np.float32)


def classifier(model_dir: str, train_last: int) -> keras.Model:
    backbone = keras_hub.models.BertBackbone.from_preset(model_dir)
    trainable = {
        f"transformer_layer_{i}"
        for i in range(backbone.num_layers - train_last, backbone.num_layers)
    }
    for layer in backbone.layers:
        layer.trainable = layer.name in trainable or layer.name == "pooled_dense"
    pooled = backbone(backbone.input)["pooled_output"]
    probability = keras.layers.Dense(1, activation="sigmoid", dtype="float32")(
        keras.layers.Dropout(0.1)(pooled)
    )
    return keras.Model(backbone.input, probability)


def run(args) -> dict:
    keras.utils.set_random_seed(args.seed)
    keras.mixed_precision.set_global_policy(args.precision)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(
        args.model, sequence_length=args.max_seq_length
    )
    model = classifier(args.model, args.train_last)
    texts, labels = texts_and_labels(f"{args.rows}/train.jsonl")
    steps = -(-len(texts) // args.batch_size) * args.epochs
    schedule = WarmupLinearDecay(args.learning_rate, int(steps * args.warmup_fraction), steps)
    optimizer = keras.optimizers.AdamW(
        schedule, weight_decay=args.weight_decay, global_clipnorm=args.clip_norm
    )
    optimizer.exclude_from_weight_decay(var_names=["bias", "layer_norm", "gamma", "beta"])
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    train = (
        tf.data.Dataset.from_tensor_slices((texts, labels))
        .shuffle(len(texts), seed=args.seed)
        .batch(args.batch_size)
        .map(lambda x, y: (preprocessor(x), y), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    start = time.perf_counter()
    model.fit(train, epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - start
    test_texts, test_labels = texts_and_labels(f"{args.rows}/test.jsonl")
    test = tf.data.Dataset.from_tensor_slices(test_texts).batch(64).map(preprocessor)
    predicted = (model.predict(test, verbose=0).reshape(-1) > 0.5).astype(int)
    return {
        "keras": keras.__version__,
        "keras_hub": keras_hub.__version__,
        "precision": args.precision,
        "train_examples": len(texts) * args.epochs,
        "train_seconds": round(seconds, 2),
        "train_examples_per_second": round(len(texts) * args.epochs / seconds, 2),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "test_f1": f1_score(test_labels, predicted),
    }


def main():
    report(run, parse_job(__doc__.splitlines()[0], ["float32", "mixed_bfloat16"]))


if __name__ == "__main__":
    main()
