"""`bert-keras convert`: a HuggingFace BERT checkpoint -> TF Hub-format SavedModels.

OUT_DIR/encoder       the encoder, as TF Hub's BERT v4 (`hub.KerasLayer`-loadable)
OUT_DIR/preprocessor  strings -> encoder inputs, as TF Hub's bert_*_preprocess/3
OUT_DIR/bert_keras.json  where it came from, its architecture and size
"""

import json
from pathlib import Path

import numpy as np

from bert_keras.encoders.bert_config import BertConfig
from bert_keras.encoders.layout import (
    DEFAULT_SEQ_LENGTH,
    ENCODER_DIR,
    FORMAT_VERSION,
    METADATA_FILE,
    PREPROCESSOR_DIR,
)
from bert_keras.encoders.network import build_encoder
from bert_keras.encoders.preprocessor import BertPreprocessor, read_vocab
from bert_keras.encoders.saved_encoder import save_encoder
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import atomic_directory

CHECKPOINT_FILES = ("config.json", "model.safetensors", "vocab.txt")


def read_safetensors(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise UserInputError(
            f"{path}: no such file (a BERT checkpoint needs model.safetensors)"
        ) from None
    except (SafetensorError, OSError, ValueError, TypeError) as error:
        raise UserInputError(f"{path}: not a readable safetensors file ({error})") from None


class _HFTensors:
    """HuggingFace tensors by name, with or without the `bert.` prefix of
    BertFor* checkpoints, and with LayerNorm's old `gamma`/`beta` names."""

    def __init__(self, tensors: dict, path: Path):
        self.tensors, self.path = tensors, path

    def __call__(self, name: str) -> np.ndarray:
        old_name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace(
            "LayerNorm.bias", "LayerNorm.beta"
        )
        for candidate in (name, "bert." + name, old_name, "bert." + old_name):
            if candidate in self.tensors:
                return self.tensors[candidate].astype(np.float32)
        raise UserInputError(f"{self.path}: has no tensor {name!r}; is it a BERT checkpoint?")


def hub_layout_weights(config: BertConfig, get: _HFTensors) -> dict[str, np.ndarray]:
    """Maps HuggingFace BERT tensors onto TF Hub BERT v4 variable names.

    torch Linear weights are [out, in]; TF Hub kernels are [in, out], with the
    attention projections split per head: query/key/value [hidden, heads, head_size],
    attention_output [heads, head_size, hidden].
    """
    hidden, heads, head_size = config.hidden_size, config.num_attention_heads, config.head_size

    def dense(prefix, kernel_shape=None, bias_shape=None):
        kernel, bias = get(prefix + ".weight").T, get(prefix + ".bias")
        return (
            kernel.reshape(kernel_shape or kernel.shape),
            bias.reshape(bias_shape or bias.shape),
        )

    def norm(prefix):
        return get(prefix + ".weight"), get(prefix + ".bias")

    pairs = {
        "embeddings/layer_norm/": ("gamma", "beta", norm("embeddings.LayerNorm")),
        "pooler_transform/": ("kernel", "bias", dense("pooler.dense")),
    }
    for i in range(config.num_hidden_layers):
        hf, hub = f"encoder.layer.{i}.", f"transformer/layer_{i}/"
        for part in ("query", "key", "value"):
            pairs[f"{hub}self_attention/{part}/"] = (
                "kernel",
                "bias",
                dense(f"{hf}attention.self.{part}", (hidden, heads, head_size), (heads, head_size)),
            )
        pairs[f"{hub}self_attention/attention_output/"] = (
            "kernel",
            "bias",
            dense(f"{hf}attention.output.dense", (heads, head_size, hidden)),
        )
        pairs[f"{hub}self_attention_layer_norm/"] = (
            "gamma",
            "beta",
            norm(f"{hf}attention.output.LayerNorm"),
        )
        pairs[f"{hub}intermediate/"] = ("kernel", "bias", dense(f"{hf}intermediate.dense"))
        pairs[f"{hub}output/"] = ("kernel", "bias", dense(f"{hf}output.dense"))
        pairs[f"{hub}output_layer_norm/"] = ("gamma", "beta", norm(f"{hf}output.LayerNorm"))

    weights = {
        "word_embeddings/embeddings": get("embeddings.word_embeddings.weight"),
        "position_embedding/embeddings": get("embeddings.position_embeddings.weight"),
        "type_embeddings/embeddings": get("embeddings.token_type_embeddings.weight"),
    }
    for prefix, (first, second, (a, b)) in pairs.items():
        weights[prefix + first], weights[prefix + second] = a, b
    return weights


def read_checkpoint(hf_dir: Path):
    """Validates a HuggingFace BERT directory; returns (config, weights, vocab, lower_case)."""
    hf_dir = Path(hf_dir)
    if not hf_dir.is_dir():
        raise UserInputError(
            f"{hf_dir}: no such directory (expected a HuggingFace BERT checkpoint "
            f"with {', '.join(CHECKPOINT_FILES)})"
        )
    config = BertConfig.from_json_file(hf_dir / "config.json")
    vocab = read_vocab(hf_dir / "vocab.txt")
    tensors = read_safetensors(hf_dir / "model.safetensors")
    weights = hub_layout_weights(config, _HFTensors(tensors, hf_dir / "model.safetensors"))
    embedding_rows = weights["word_embeddings/embeddings"].shape[0]
    if len(vocab) != embedding_rows:
        raise UserInputError(
            f"{hf_dir / 'vocab.txt'}: has {len(vocab)} tokens but the word "
            f"embeddings in model.safetensors have {embedding_rows} rows"
        )
    lower_case = True
    tokenizer_config = hf_dir / "tokenizer_config.json"
    if tokenizer_config.is_file():
        lower_case = bool(
            json.loads(tokenizer_config.read_text(encoding="utf-8")).get("do_lower_case", True)
        )
    return config, weights, lower_case


def build_converted_encoder(config: BertConfig, weights: dict, source: Path):
    """The tf_keras encoder with the checkpoint's weights, shapes checked one by one."""
    encoder = build_encoder(config)
    for variable in encoder.variables:
        if not variable.dtype.is_floating:
            continue  # dropout call counters start at zero
        name = variable.name.split(":")[0]
        value = weights[name]
        if tuple(value.shape) != tuple(variable.shape):
            raise UserInputError(
                f"{source}: {name} has shape {list(value.shape)} but config.json "
                f"implies {variable.shape.as_list()}"
            )
        variable.assign(value)
    return encoder


def convert(hf_dir, out_dir, seq_length: int = DEFAULT_SEQ_LENGTH) -> Path:
    """Writes OUT_DIR whole, or leaves it untouched when anything fails."""
    hf_dir, out_dir = Path(hf_dir), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"OUT_DIR {out_dir}: is a file; choose a new directory")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserInputError(
            f"OUT_DIR {out_dir}: already exists and is not empty; choose another OUT_DIR"
        )
    config, weights, lower_case = read_checkpoint(hf_dir)
    if not (isinstance(seq_length, int) and 3 <= seq_length <= config.max_position_embeddings):
        raise UserInputError(
            f"seq_length={seq_length}: must be a whole number from 3 (for [CLS], a token "
            f"and [SEP]) to the encoder's {config.max_position_embeddings} positions"
        )
    encoder = build_converted_encoder(config, weights, hf_dir / "model.safetensors")
    preprocessor = BertPreprocessor(
        hf_dir / "vocab.txt", lower_case=lower_case, seq_length=seq_length
    )
    metadata = dict(
        format=FORMAT_VERSION,
        source=str(hf_dir.resolve()),
        lower_case=lower_case,
        seq_length=seq_length,
        parameters=int(sum(np.prod(v.shape) for v in encoder.trainable_variables)),
        config=config.to_dict(),
    )
    with atomic_directory(out_dir) as staging:
        save_encoder(encoder, hf_dir / "vocab.txt", lower_case, staging / ENCODER_DIR)
        preprocessor.save(staging / PREPROCESSOR_DIR)
        (staging / METADATA_FILE).write_text(
            json.dumps(metadata, indent=2) + "\n", encoding="utf-8"
        )
    return out_dir
