"""The PyTorch peer of scripts/benchmarks/benchmark_serving.py: the built-in encoder's
checkpoint served the usual way a Python service serves it through Hugging Face (tokenizer
and model in every call, each batch padded to its longest text), in float32 and in int8
(`torch.quantization.quantize_dynamic` on the Linear layers). Run with a Python that has
torch and transformers, never the project's venv.

    python scripts/benchmarks/baselines/hf_serving.py --model DIR --texts TEXTS.json \\
        [--threads 2] [--requests 200] [--reviews 640] [--batches 8 32 128]

Prints JSON on its last line: for each precision, the batch-1 latency (p50, p90, p99 in
ms over --requests single calls) and reviews/s at each batch size, as benchmark_serving
measures the export.
"""

import argparse
import contextlib
import json
import sys
import time

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def caller(tokenizer, model, max_seq_length: int):
    """A call on a list of texts: tokenized, padded to the longest, scored."""

    def call(texts: list[str]):
        inputs = tokenizer(
            texts, padding=True, truncation=True, max_length=max_seq_length, return_tensors="pt"
        )
        with torch.inference_mode():
            return torch.sigmoid(model(**inputs).logits)

    return call


def measure(call, texts: list[str], args) -> dict:
    """Batch-1 latency percentiles and reviews/s at each batch size."""
    for text in texts[:10]:  # warm-up
        call([text])
    seconds = []
    for text in texts[: args.requests]:
        start = time.perf_counter()
        call([text])
        seconds.append(time.perf_counter() - start)
    ms = np.array(seconds) * 1000
    result = {f"batch_1_p{q}_ms": round(float(np.percentile(ms, q)), 2) for q in (50, 90, 99)}
    for size in args.batches:
        batches = [texts[i : i + size] for i in range(0, args.reviews, size)]
        call(batches[0])  # warm-up
        start = time.perf_counter()
        for batch in batches:
            call(batch)
        rate = sum(len(b) for b in batches) / (time.perf_counter() - start)
        result[f"batch_{size}_reviews_per_second"] = round(rate, 1)
    return result


def run(args) -> dict:
    torch.set_num_threads(args.threads)
    texts = json.loads(open(args.texts, encoding="utf-8").read())
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=1).eval()
    int8 = torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, each in (("float32", model), ("int8_dynamic", int8)):
        result[name] = measure(caller(tokenizer, each, args.max_seq_length), texts, args)
        print(f"{name}: {result[name]}", file=sys.stderr)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the Hugging Face checkpoint folder")
    parser.add_argument("--texts", required=True, help="a JSON list of the reviews")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reviews", type=int, default=640)
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--max-seq-length", type=int, default=128)
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr):
        result = run(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
