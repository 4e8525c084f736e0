"""The architecture of a BERT encoder, read from a HuggingFace `config.json`."""

import dataclasses
import json
from pathlib import Path

from bert_keras.errors import UserInputError

# HuggingFace activation names -> (tf_keras activation, approximate gelu?).
ACTIVATIONS = {"gelu": False, "gelu_new": True, "gelu_pytorch_tanh": True}


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """Hyper-parameters of a BERT encoder; names follow HuggingFace's BertConfig.

    >>> BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
    ...            num_attention_heads=4, intermediate_size=64).head_size
    8
    """

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    hidden_act: str = "gelu"  # exact (erf) gelu, as in the original BERT
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02  # only used for random (test) encoders

    def __post_init__(self):
        for name in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise UserInputError(f"config: {name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise UserInputError(
                f"config: hidden_size {self.hidden_size} is not divisible by "
                f"num_attention_heads {self.num_attention_heads}"
            )
        if self.hidden_act not in ACTIVATIONS:
            raise UserInputError(
                f"config: hidden_act {self.hidden_act!r} is not supported "
                f"(expected one of {', '.join(ACTIVATIONS)})"
            )

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_json_file(cls, path: Path) -> "BertConfig":
        """Reads a HuggingFace config.json, refusing anything that is not BERT."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserInputError(
                f"{path}: no such file (a BERT checkpoint needs config.json)"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise UserInputError(f"{path}: not valid JSON ({error})") from None
        if not isinstance(raw, dict):
            raise UserInputError(f"{path}: expected a JSON object")
        model_type = raw.get("model_type")
        if model_type != "bert":
            raise UserInputError(
                f"{path}: model_type is {model_type!r}, not 'bert'; only BERT checkpoints convert"
            )
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise UserInputError(
                f"{path}: position_embedding_type {raw['position_embedding_type']!r} "
                "is not supported"
            )
        names = {field.name for field in dataclasses.fields(cls)}
        missing = {
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
        } - raw.keys()
        if missing:
            raise UserInputError(f"{path}: missing {', '.join(sorted(missing))}")
        return cls(**{key: value for key, value in raw.items() if key in names})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
