"""TF Serving's warm-up file and batching parameters, written with every export.

    NAME/batching_parameters.txt                         beside the versions
    NAME/<version>/assets.extra/tf_serving_warmup_requests

TF Serving replays `tf_serving_warmup_requests` (a TFRecord of PredictionLog protos,
at most 1,000) when it loads a version, before the version takes traffic: one request
per signature, allowed batch size and length bucket, so no real request pays for the
first run of a shape. The batching file is TF Serving's BatchingParameters in text
format; the warm-up covers exactly its `allowed_batch_sizes`, which are what
`bert-keras predict` sends (64) and smaller sizes a lone request is padded to.
"""

import os

import numpy as np
import tensorflow as tf

from bert_keras.data.pipeline import BUCKETS
from bert_keras.files.atomic import write_text_atomic
from bert_keras.notices import say
from bert_keras.serving.signatures import EXAMPLES_SIGNATURE, TEXT_SIGNATURE

WARMUP_FILE = "tf_serving_warmup_requests"  # the name TF Serving looks for in assets.extra
BATCHING_FILE = "batching_parameters.txt"
BATCHING_MARKER = (
    "# TF Serving batching (tensorflow_model_server"  # how ours begins: another one is kept
)
ALLOWED_BATCH_SIZES = (1, 8, 32, 64)  # 64: `predict`'s batch
BATCH_TIMEOUT_MICROS = 5_000  # a lone request waits at most 5 ms for company
MAX_WARMUP_RECORDS = 1_000  # TF Serving reads no more
WARMUP_WORD = "good"  # one WordPiece in English vocabularies: L - 2 of them make L tokens


def warmup_lengths(max_seq_length: int) -> list[int]:
    """The token lengths of the training pipeline's buckets, up to max_seq_length."""
    return sorted({min(b, max_seq_length) for b in BUCKETS})


def _inputs(signature: str, batch: int, length: int) -> dict:
    """A request's inputs: `batch` reviews of `length` tokens ([CLS] and [SEP] included)."""
    text = " ".join([WARMUP_WORD] * (length - 2))
    if signature == TEXT_SIGNATURE:
        return {"text": np.array([text.encode()] * batch, object)}
    if signature == EXAMPLES_SIGNATURE:
        example = tf.train.Example(
            features=tf.train.Features(
                feature={
                    "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[text.encode()]))
                }
            )
        )
        return {"examples": np.array([example.SerializeToString()] * batch, object)}
    ids = np.ones([batch, length], np.int32)  # any id: the shape is what warms up
    return {"input_word_ids": ids, "input_mask": ids, "input_type_ids": np.zeros_like(ids)}


def warmup_requests(model_name: str, signatures, max_seq_length: int) -> list:
    """PredictionLog protos (tensorflow-serving-api's), signature by batch size by length."""
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    logs = []
    for signature in signatures:
        for batch in ALLOWED_BATCH_SIZES:
            for length in warmup_lengths(max_seq_length):
                request = predict_pb2.PredictRequest(
                    model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature),
                    inputs={
                        name: tf.make_tensor_proto(value)
                        for name, value in _inputs(signature, batch, length).items()
                    },
                )
                logs.append(
                    prediction_log_pb2.PredictionLog(
                        predict_log=prediction_log_pb2.PredictLog(request=request)
                    )
                )
    if len(logs) > MAX_WARMUP_RECORDS:
        raise ValueError(
            f"{len(logs)} warm-up requests: TF Serving reads at most {MAX_WARMUP_RECORDS}"
        )
    return logs


def write_warmup(extra_dir, model_name: str, signatures, max_seq_length: int) -> int:
    """Writes assets.extra/tf_serving_warmup_requests; returns the number of requests."""
    logs = warmup_requests(model_name, signatures, max_seq_length)
    path = os.path.join(extra_dir, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for log in logs:
            writer.write(log.SerializeToString())
    return len(logs)


def read_warmup(path) -> list:
    """The PredictionLog protos of a warm-up file."""
    from tensorflow_serving.apis import prediction_log_pb2

    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy())
        for record in tf.data.TFRecordDataset(str(path))
    ]


def batching_parameters(threads: int | None = None) -> str:
    """TF Serving's BatchingParameters, text format (tensorflow-serving-api 2.21 has no
    Python class for it, so the fields are TF Serving's session_bundle_config.proto names)."""
    threads = threads or os.cpu_count() or 1
    lines = [
        f"{BATCHING_MARKER} --enable_batching --batching_parameters_file=THIS), "
        "by bert-keras export.",
        "# The version's assets.extra/tf_serving_warmup_requests warms up each allowed batch size.",
        f"max_batch_size {{ value: {max(ALLOWED_BATCH_SIZES)} }}",
        f"batch_timeout_micros {{ value: {BATCH_TIMEOUT_MICROS} }}",
        "max_enqueued_batches { value: 100 }",
        f"num_batch_threads {{ value: {threads} }}",
        *(f"allowed_batch_sizes: {size}" for size in ALLOWED_BATCH_SIZES),
        "pad_variable_length_inputs: true  # token ids of different lengths batch together",
    ]
    return "\n".join(lines) + "\n"


def write_batching_parameters(model_dir) -> bool:
    """Writes MODEL_DIR/batching_parameters.txt, unless a file there is not ours (a team's
    own tuning): that one stays, and False says so."""
    path = model_dir / BATCHING_FILE
    if path.exists() and not path.read_text(encoding="utf-8", errors="replace").startswith(
        BATCHING_MARKER
    ):
        return False
    write_text_atomic(path, batching_parameters())
    return True


def write_batching_files(directories):
    """TF Serving's batching file beside each model directory's versions (never over a
    file bert-keras did not write: that one is kept, and said on stderr)."""
    for directory in directories:
        if not write_batching_parameters(directory):
            say(f"{directory / BATCHING_FILE} is not bert-keras' own: kept as it is")
