"""The frozen-prefix cache's build against the forward pass of the same blocks, side by side in
one run, for this checkout and (optionally) another commit; prints JSON.

    .venv/bin/python scripts/benchmarks/benchmark_cache_build.py [BASE] [--data FOLDER] \
        [--boundaries 2 4 2,6] [--runs 2] [--encoder minilm-l6]

For each set of boundaries (`2,6`: two at once, as an unfreeze schedule's build), on
minilm-l6 (or `--encoder`) in the precision `auto` picks, over the training and validation
splits of a local copy of the Amazon Polarity release (as a run with the default validation
share holds them):
- `build_seconds`: `frozen_prefix.build.compute_states` as a run calls it (both splits in one
  pass; a commit before that, one pass per split), everything included (tokenizing, sorting,
  the forward passes, writing the states in place);
- `forward_seconds`: the deepest boundary's `hidden_state_at` over the batches the training
  pipeline makes of the same examples (32 a batch, length buckets), already tokenized, as
  training's own forward pass of those blocks meets them;
- `build_over_forward`: the first over the second.
Each (commit, boundaries) runs `--runs` times, alternating commits, in fresh processes; the
medians are reported. BASE is checked out with `git worktree` and removed at the end.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmark_commits import cpu_model
from local_copy import LOCAL_COPY

ROOT = Path(__file__).resolve().parents[2]
BATCH_SIZE = 32  # the original recipe's


def measure(encoder_spec: str, data: str, boundaries: list[int]) -> dict:
    """One process, one set of boundaries: the build's seconds and the forward's."""
    import time

    import bert_keras  # noqa: F401  (tf_keras before TensorFlow)
    from bert_keras.config import TrainConfig
    from bert_keras.data.pipeline import encode_batches
    from bert_keras.data.sources import load_splits
    from bert_keras.encoders.precision import encoder_for
    from bert_keras.encoders.precision_choice import resolve_here
    from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
    from bert_keras.frozen_prefix.cache import storage_dtype

    config = TrainConfig.from_settings("", encoder=encoder_spec, data=data)
    paths = resolve_encoder(config.encoder)
    precision, _ = resolve_here("auto", paths)
    encoder = load_saved_model(encoder_for(paths, precision), "encoder")
    preprocessor = load_preprocessor(paths)
    splits = load_splits(config.data)
    examples = splits.train.examples.concatenate(splits.validation.examples)
    count = splits.train.size + splits.validation.size
    pipeline = (preprocessor, BATCH_SIZE, config.model.max_seq_length, config.data.text_fields)
    batches = [inputs for inputs, _ in encode_batches(examples, *pipeline)]
    deepest = max(boundaries)
    encoder.hidden_state_at(batches[0], deepest)  # traced once, as training's first step does
    start = time.perf_counter()
    for inputs in batches:
        encoder.hidden_state_at(inputs, deepest).numpy()
    forward = time.perf_counter() - start
    options = dict(
        max_seq_length=config.model.max_seq_length,
        text_fields=config.data.text_fields,
        dtype=storage_dtype(precision),
    )
    parts = {"train": splits.train.examples, "validation": splits.validation.examples}
    start = time.perf_counter()
    states = _build(encoder, preprocessor, parts, boundaries, options)
    build = time.perf_counter() - start
    tokens, checksum = _checksum([states[name, deepest] for name in parts])
    return dict(
        precision=precision,
        examples=count,
        tokens=tokens,
        build_seconds=round(build, 2),
        forward_seconds=round(forward, 2),
        build_over_forward=round(build / forward, 3),
        checksum=round(checksum, 3),
    )


def _build(encoder, preprocessor, parts: dict, boundaries: list[int], options: dict) -> dict:
    """{(split, boundary): states} of the splits in `parts`, as the tree's build makes them."""
    import inspect

    from bert_keras.frozen_prefix.build import compute_states

    if "slots" in inspect.signature(compute_states).parameters:  # both splits in one pass
        slots = [(name, b) for name in parts for b in boundaries]
        return compute_states(encoder, preprocessor, parts, slots=slots, **options)
    return {  # before 2026-12-06: a pass per split, as runs called it
        (name, b): split_states
        for name, part in parts.items()
        for b, split_states in compute_states(
            encoder, preprocessor, part, boundaries=boundaries, **options
        ).items()
    }


def _checksum(states: list) -> tuple[int, float]:
    """(tokens, a sum of every 997th-or-so value): equal builds give equal sums."""
    import numpy as np

    tokens = sum(int(s.row_splits[-1]) for s in states)
    checksum = sum(
        float(np.asarray(s.values[:: max(1, tokens // 997)], np.float64).sum()) for s in states
    )
    return tokens, checksum


def run_in(tree: Path, encoder: str, data: str, boundaries: str) -> dict:
    """`measure` in a fresh process with `tree`'s package first on the path."""
    code = (
        f"import sys; sys.path[:0] = [{str(tree)!r}, {str(Path(__file__).parent)!r}]\n"
        "import json, benchmark_cache_build as b\n"
        f"print(json.dumps(b.measure({encoder!r}, {data!r}, [{boundaries}])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tree
    )
    if result.returncode != 0:
        raise SystemExit(f"{tree}: {boundaries}: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", help="a commit to measure beside this checkout")
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--data", default=str(LOCAL_COPY))
    parser.add_argument("--boundaries", nargs="+", default=["2", "4", "2,6"])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"head": ROOT}
        if args.base:
            trees["base"] = Path(scratch) / "base"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", trees["base"], args.base],
                cwd=ROOT,
                check=True,
            )
        try:
            runs = {(name, b): [] for name in trees for b in args.boundaries}
            for _ in range(args.runs):
                for boundaries in args.boundaries:
                    for name, tree in trees.items():  # alternating: the machine's drift shared
                        runs[name, boundaries].append(
                            run_in(tree, args.encoder, args.data, boundaries)
                        )
        finally:
            if args.base:
                subprocess.run(["git", "worktree", "remove", "--force", trees["base"]], cwd=ROOT)
    report = {"cpu": cpu_model(), "encoder": args.encoder, "data": args.data, "results": []}
    for (name, boundaries), measured in runs.items():
        median = {
            key: statistics.median(m[key] for m in measured)
            for key in ("build_seconds", "forward_seconds", "build_over_forward")
        }
        report["results"].append(dict(commit=name, boundaries=boundaries, runs=measured, **median))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
