"""Serving speed of an export, side by side in one run with the same encoder in PyTorch
through Hugging Face (float32, and int8 by `quantize_dynamic`); prints JSON.

    .venv/bin/python scripts/benchmarks/benchmark_serving.py --model saved_models/sentiment \\
        [--torch-python HF_VENV/bin/python] [--threads 2] [--requests 200] \\
        [--batches 8 32 128] [--reviews 640] [--ways text examples token_ids grpc_text] \\
        [--int8 saved_models/sentiment-int8]

For each way in: `serving_default` with raw text, `from_examples` with tf.Example protos and
`from_token_ids` with the three int32 inputs (packed to the batch's longest review by the
encoder's own preprocessor, outside the timing), each in-process through the SavedModel (what
TF Serving runs); the int8 version (`export --quantize int8`, found beside --model or named by
--int8) with raw text (its tokenizer, then LiteRT) and with token ids (LiteRT alone); and the
same three through a gRPC PredictionService answering from the
SavedModel in this process (tensorflow-serving-api's protos and stubs, a request built and
sent per call): the batch-1 latency over --requests single requests, each a fresh call with
one held-out review (p50, p90, p99, in ms), and reviews/s at each of --batches over
--reviews held-out reviews in their file order (each batch padded to its longest review, as a
server's batches are). Every way and batch size is warmed up first, as the export's warm-up
requests warm TF Serving up.

The peer (scripts/benchmarks/baselines/hf_serving.py) runs with --torch-python, a Python
that has torch and transformers (never the project's venv: the package has no PyTorch in it):
the built-in encoder's checkpoint with a one-unit head, its tokenizer inside every timed
call, the same reviews, requests and batches, on --threads threads, as this process's
TensorFlow. Set it up beside the project:

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch transformers

Reviews: a local copy of the release's test.csv, title and content joined (what the model
saw in training).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)

# isort: split
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the serving graph's tokenizer ops)
from benchmark_commits import cpu_model
from local_copy import LOCAL_COPY

from bert_keras.config import read_run_file
from bert_keras.data.pipeline import review_text
from bert_keras.data.records import read_records
from bert_keras.encoders.builtin import BUILTIN_ENCODERS, checkpoint_dir
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.serving import client
from bert_keras.serving.litert import Int8Model
from bert_keras.serving.predict import resolve_version
from bert_keras.serving.quantize import int8_dir as int8_beside

SCRIPTS = Path(__file__).resolve().parent
TESTS = SCRIPTS.parents[1] / "tests"  # the gRPC PredictionService stand-in the tests serve from
WAYS = ("text", "examples", "token_ids", "grpc_text", "grpc_examples", "grpc_token_ids")
INT8_WAYS = ("int8_text", "int8_token_ids")
SIGNATURES = {"text": "serving_default", "examples": "from_examples", "token_ids": "from_token_ids"}


def held_out_reviews(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(joined texts, titles, contents) of the reviews in `path`, in file order."""
    records = read_records(str(path)).records
    titles, contents = [r.title for r in records], [r.content for r in records]
    joined = review_text(
        {"title": tf.constant(titles), "content": tf.constant(contents)}, "title_content"
    ).numpy()
    return [t.decode("utf-8") for t in joined], titles, contents


class Inputs:
    """Each way's inputs for a slice of the reviews, made outside the timing."""

    def __init__(self, version_dir: Path, texts, titles, contents):
        settings, _ = read_run_file(version_dir / "assets.extra" / "config.json")
        self.texts, self.titles, self.contents = texts, titles, contents
        self.preprocessor = load_preprocessor(resolve_encoder(settings.encoder))
        self.max_seq_length = settings.model.max_seq_length

    def of(self, kind: str, start: int, end: int) -> dict:
        """The named inputs of `kind` (text, examples or token_ids) for reviews start..end-1."""
        if kind == "text":
            return {"text": np.array([t.encode() for t in self.texts[start:end]], object)}
        if kind == "examples":
            request = client.examples_request("", self.contents[start:end], self.titles[start:end])
            return {"examples": tf.make_ndarray(request.inputs["examples"])}
        tokens = self.preprocessor.tokenize(tf.constant(self.texts[start:end]))
        packed = self.preprocessor.bert_pack_inputs([tokens], seq_length=self.max_seq_length)
        longest = int(tf.reduce_max(tf.reduce_sum(packed["input_mask"], axis=1)))
        return {name: value[:, :longest].numpy().astype(np.int32) for name, value in packed.items()}


def in_process(signatures, kind: str):
    """A call of the export's signature for `kind`, as TF Serving makes it in-process."""
    signature = signatures[SIGNATURES[kind]]
    return lambda inputs: signature(**{k: tf.constant(v) for k, v in inputs.items()})


def over_grpc(address: str, kind: str):
    """A call over gRPC: the request built from the inputs and sent, the reply decoded."""
    signature = SIGNATURES[kind]

    def call(inputs: dict):
        return client.predict_grpc(address, client.request("sentiment", signature, inputs))

    return call


def batch_1_percentiles(call, singles: list, percentiles=(50, 90, 99)) -> dict:
    """Milliseconds of `call` on each single request in turn (after 10 to warm up), as
    `batch_1_pQ_ms` for each percentile Q."""
    for single in singles[:10]:
        call(single)
    seconds = []
    for single in singles:
        start = time.perf_counter()
        call(single)
        seconds.append(time.perf_counter() - start)
    ms = np.array(seconds) * 1000
    return {f"batch_1_p{q}_ms": round(float(np.percentile(ms, q)), 2) for q in percentiles}


def measure(call, inputs: Inputs, kind: str, args) -> dict:
    """Batch-1 latency percentiles and reviews/s at each batch size, of one way's `call`."""
    singles = [inputs.of(kind, i, i + 1) for i in range(args.requests)]
    result = batch_1_percentiles(call, singles)
    for size in args.batches:
        batches = [inputs.of(kind, i, i + size) for i in range(0, args.reviews, size)]
        call(batches[0])  # warm-up
        start = time.perf_counter()
        for batch in batches:
            call(batch)
        rate = sum(len(next(iter(b.values()))) for b in batches) / (time.perf_counter() - start)
        result[f"batch_{size}_reviews_per_second"] = round(rate, 1)
    return result


def bert_keras_ways(version_dir: Path, inputs: Inputs, args) -> dict:
    """{way: figures} of the export, in-process and over gRPC."""
    sys.path.insert(0, str(TESTS))
    from stand_in_serving import serving

    signatures = tf.saved_model.load(str(version_dir)).signatures
    found = {}
    for way in (w for w in args.ways if w in SIGNATURES):
        found[way] = measure(in_process(signatures, way), inputs, way, args)
        print(f"{way}: {found[way]}", file=sys.stderr)
    grpc_ways = [w for w in args.ways if w.startswith("grpc_")]
    if grpc_ways:
        with serving(version_dir, "sentiment") as address:
            for way in grpc_ways:
                kind = way[len("grpc_") :]
                found[way] = measure(over_grpc(address, kind), inputs, kind, args)
                print(f"{way}: {found[way]}", file=sys.stderr)
    return found


def int8_ways(int8_dir: Path, inputs: Inputs, args) -> dict:
    """{way: figures} of the int8 version: raw text (tokenizer and LiteRT) and token ids."""
    model = Int8Model(resolve_version(int8_dir), threads=args.threads)
    calls = {
        "int8_text": (lambda x: model.outputs([t.decode() for t in x["text"]]), "text"),
        "int8_token_ids": (model.model, "token_ids"),
    }
    found = {}
    for way in (w for w in args.ways if w in INT8_WAYS):
        call, kind = calls[way]
        found[way] = measure(call, inputs, kind, args)
        print(f"{way}: {found[way]}", file=sys.stderr)
    return found


def peer(args, texts: list[str]) -> dict:
    """The PyTorch peer's figures (float32 and int8), from its own process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(texts[: max(args.requests, args.reviews)], handle)
    command = [
        args.torch_python,
        str(SCRIPTS / "baselines" / "hf_serving.py"),
        "--model",
        str(checkpoint_dir(BUILTIN_ENCODERS["minilm-l6"])),
        "--texts",
        handle.name,
        "--threads",
        str(args.threads),
        "--requests",
        str(args.requests),
        "--reviews",
        str(args.reviews),
        "--batches",
        *map(str, args.batches),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    Path(handle.name).unlink()
    if done.returncode != 0:
        raise SystemExit(f"benchmark_serving.py: the peer failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an export version or model directory")
    parser.add_argument("--data", default=str(LOCAL_COPY / "test.csv"))
    parser.add_argument("--torch-python", help="a Python with torch and transformers")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reviews", type=int, default=640)
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--ways", nargs="+", choices=WAYS + INT8_WAYS, default=WAYS + INT8_WAYS)
    parser.add_argument("--int8", help="the int8 version or its model directory")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    version_dir = resolve_version(args.model)
    texts, titles, contents = held_out_reviews(Path(args.data))
    inputs = Inputs(version_dir, texts, titles, contents)
    result = {
        "cpu": cpu_model(),
        "model": str(version_dir),
        "threads": args.threads,
        "requests": args.requests,
        "reviews": args.reviews,
        "bert_keras": bert_keras_ways(version_dir, inputs, args),
    }
    int8_dir = Path(args.int8) if args.int8 else int8_beside(version_dir.parent) / version_dir.name
    if int8_dir is not None and int8_dir.exists():
        result["int8_model"] = str(resolve_version(int8_dir))
        result["bert_keras"].update(int8_ways(int8_dir, inputs, args))
    if args.torch_python:
        result["pytorch"] = peer(args, texts)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
