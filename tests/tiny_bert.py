"""A tiny random BERT in HuggingFace's on-disk format, for fast tests.

It goes through `bert-keras convert` like any real checkpoint, so the fast tests
exercise the same code path as the built-in encoder.
"""

import json
import string
from pathlib import Path

import numpy as np

TINY_CONFIG = dict(
    model_type="bert",
    vocab_size=None,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=64,
    hidden_act="gelu",
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.1,
    max_position_embeddings=128,
    type_vocab_size=2,
    layer_norm_eps=1e-12,
)
WORDS = (
    "the this it is was a an and but not great good bad terrible love hate product book "
    "movie film one day broke after never works well poor quality waste money buy"
).split()


def tiny_vocab() -> list[str]:
    # Whole words, then single characters and ## continuations, so that any
    # lower-case ASCII text tokenizes without [UNK].
    pieces = [
        c for c in string.ascii_lowercase + string.digits + string.punctuation if c not in WORDS
    ]
    return (
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        + list(WORDS)
        + pieces
        + ["##" + c for c in string.ascii_lowercase + string.digits]
    )


def hf_tensors(config: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights under HuggingFace BertModel names, torch layout ([out, in])."""
    rng = np.random.default_rng(seed)
    hidden, inner = config["hidden_size"], config["intermediate_size"]

    def normal(*shape):
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": normal(config["vocab_size"], hidden),
        "embeddings.position_embeddings.weight": normal(config["max_position_embeddings"], hidden),
        "embeddings.token_type_embeddings.weight": normal(config["type_vocab_size"], hidden),
        "embeddings.LayerNorm.weight": 1 + normal(hidden),
        "embeddings.LayerNorm.bias": normal(hidden),
        "embeddings.position_ids": np.arange(config["max_position_embeddings"])[None],
        "pooler.dense.weight": normal(hidden, hidden),
        "pooler.dense.bias": normal(hidden),
    }
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, (rows, cols) in {
            "attention.self.query": (hidden, hidden),
            "attention.self.key": (hidden, hidden),
            "attention.self.value": (hidden, hidden),
            "attention.output.dense": (hidden, hidden),
            "intermediate.dense": (inner, hidden),
            "output.dense": (hidden, inner),
        }.items():
            tensors[p + name + ".weight"], tensors[p + name + ".bias"] = (
                normal(rows, cols),
                normal(rows),
            )
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[p + norm + ".weight"], tensors[p + norm + ".bias"] = (
                1 + normal(hidden),
                normal(hidden),
            )
    return tensors


def write_tiny_checkpoint(directory: Path, **overrides) -> Path:
    """Writes config.json, vocab.txt and model.safetensors; returns the directory."""
    from safetensors.numpy import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab = tiny_vocab()
    config = {**TINY_CONFIG, "vocab_size": len(vocab), **overrides}
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    save_file(
        hf_tensors({**config, "vocab_size": len(vocab)}), str(directory / "model.safetensors")
    )
    return directory


def write_nan_checkpoint(directory: Path) -> Path:
    """The tiny checkpoint with a NaN in the last block's output bias: a broken checkpoint,
    whose loss is NaN from the first step whatever the head reads."""
    from safetensors.numpy import load_file, save_file

    directory = write_tiny_checkpoint(directory)
    tensors = load_file(str(directory / "model.safetensors"))
    tensors["encoder.layer.1.output.LayerNorm.bias"][0] = np.nan
    save_file(tensors, str(directory / "model.safetensors"))
    return directory


POSITIVE = "great good love works well".split()
NEGATIVE = "bad terrible hate broke poor waste".split()
NEUTRAL = "the this it is was a an and product book movie film one day after".split()


def write_synthetic_reviews(directory: Path, n_train=240, n_test=80, seed=0) -> Path:
    """train.csv and test.csv in the original format, in the tiny vocab's words;
    the label follows the sentiment words, so even the tiny encoder can learn it."""
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, count in (("train.csv", n_train), ("test.csv", n_test)):
        lines = []
        for _ in range(count):
            label = int(rng.integers(0, 2))
            cue = POSITIVE if label else NEGATIVE
            words = list(rng.choice(NEUTRAL, size=int(rng.integers(3, 40)))) + list(
                rng.choice(cue, size=2)
            )
            rng.shuffle(words)
            lines.append(f'"{label + 1}","{" ".join(words[:2])}","{" ".join(words[2:])}"')
        (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
