"""Which encoder to use: a built-in name, a local directory, or a TF Hub handle.

Every encoder resolves to an `EncoderPaths`: a SavedModel in TF Hub BERT format
for `hub.KerasLayer`, and the preprocessor that belongs with it.
"""

import dataclasses
import json
from pathlib import Path

import tensorflow_hub as hub

from bert_keras.encoders.builtin import BUILTIN_ENCODERS, ensure_builtin
from bert_keras.encoders.layout import (
    DEFAULT_SEQ_LENGTH,
    ENCODER_DIR,
    METADATA_FILE,
    PREPROCESSOR_DIR,
)
from bert_keras.encoders.preprocessor import BertPreprocessor
from bert_keras.errors import UserInputError


@dataclasses.dataclass(frozen=True)
class EncoderPaths:
    """Where an encoder and its preprocessor are; `preprocessor` is None for a bare
    TF Hub encoder, whose preprocessor is then built from its own vocab asset."""

    spec: str
    encoder: str
    preprocessor: str | None


def _fetch_hub_handle(handle: str) -> str:
    try:
        return hub.resolve(handle)
    except Exception as error:  # hub raises anything from URLError to ValueError offline
        raise UserInputError(
            f"encoder={handle}: could not fetch this TF Hub/Kaggle handle "
            f"({type(error).__name__}); without network access use a local directory in TF Hub "
            f"format or a built-in encoder ({', '.join(BUILTIN_ENCODERS)})"
        ) from None


def resolve_encoder(spec: str) -> EncoderPaths:
    """Resolves `encoder`: a built-in name, a directory written by `bert-keras
    convert`, a bare TF Hub-format encoder SavedModel, or a TF Hub/Kaggle handle.

    Args:
        spec: what `encoder` takes. A built-in is converted into its cache on
            first use; a handle is fetched through tensorflow_hub (online only).

    Returns:
        EncoderPaths: the encoder SavedModel, and its preprocessor's (None for a
        bare encoder, whose preprocessor is built from its own vocab asset).

    Example:

    >>> paths = resolve_encoder(encoder_dir)  # a folder `bert-keras convert` wrote
    >>> paths.encoder == encoder_dir + "/encoder"
    True
    >>> paths.preprocessor == encoder_dir + "/preprocessor"
    True
    >>> resolve_encoder("no-such-encoder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: encoder=no-such-encoder: unknown encoder; expected ...
    """
    if spec in BUILTIN_ENCODERS:
        spec_dir = ensure_builtin(spec)
    elif "://" in spec or spec.startswith(("tfhub.dev/", "www.kaggle.com/", "kaggle.com/")):
        return EncoderPaths(spec, _fetch_hub_handle(spec), None)
    else:
        spec_dir = Path(spec)
    if (spec_dir / ENCODER_DIR / "saved_model.pb").is_file():
        preprocessor = spec_dir / PREPROCESSOR_DIR
        return EncoderPaths(
            spec,
            str(spec_dir / ENCODER_DIR),
            str(preprocessor) if (preprocessor / "saved_model.pb").is_file() else None,
        )
    if (spec_dir / "saved_model.pb").is_file():
        return EncoderPaths(spec, str(spec_dir), None)
    raise UserInputError(
        f"encoder={spec}: unknown encoder; expected a built-in name "
        f"({', '.join(BUILTIN_ENCODERS)}), a directory in TF Hub format, or a TF Hub/Kaggle handle"
    )


def load_saved_model(path: str, argument: str):
    """`hub.load(path)`, with one line naming the argument when the SavedModel is unreadable.
    A truncated or damaged SavedModel fails in many ways (OSError, OpError, even
    IndexError from a short variables file), hence the broad catch."""
    try:
        return hub.load(path)
    except Exception as error:  # noqa: BLE001  (see above)
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise UserInputError(
            f"{argument}={path}: not a readable SavedModel ({type(error).__name__}: {reason})"
        ) from None


def encoder_metadata(paths: EncoderPaths) -> dict:
    """What `bert-keras convert` recorded about an encoder, or {} for foreign ones."""
    metadata = Path(paths.encoder).parent / METADATA_FILE
    return json.loads(metadata.read_text(encoding="utf-8")) if metadata.is_file() else {}


_PREPROCESSORS: dict = {}  # (SavedModel, its saved_model.pb's mtime, seq_length) -> preprocessor


def load_preprocessor(paths: EncoderPaths, seq_length: int | None = None):
    """The preprocessor for an encoder: its own SavedModel, or one built from the
    encoder's `vocab_file` asset and `do_lower_case` flag (TF Hub BERT v4 carries both).

    Loaded once per process and handed out again while its files are unchanged: it holds
    nothing that changes (its vocabulary table), and a load costs seconds."""
    source = paths.preprocessor or paths.encoder
    graph = Path(source, "saved_model.pb")
    key = (source, graph.stat().st_mtime_ns if graph.is_file() else None, seq_length)
    if key not in _PREPROCESSORS:
        _PREPROCESSORS[key] = _load_preprocessor(paths, seq_length)
    return _PREPROCESSORS[key]


def _load_preprocessor(paths: EncoderPaths, seq_length: int | None):
    if paths.preprocessor is not None:
        preprocessor = load_saved_model(paths.preprocessor, "encoder")
        if not (hasattr(preprocessor, "tokenize") and hasattr(preprocessor, "bert_pack_inputs")):
            raise UserInputError(
                f"encoder={paths.spec}: its preprocessor {paths.preprocessor} has no "
                f"tokenize and bert_pack_inputs (TF Hub's BERT preprocessor interface)"
            )
        return preprocessor
    vocab = Path(paths.encoder) / "assets" / "vocab.txt"
    if not vocab.is_file():
        raise UserInputError(
            f"encoder={paths.spec}: has no preprocessor and no assets/vocab.txt to build one from"
        )
    encoder = load_saved_model(paths.encoder, "encoder")
    lower_case = bool(encoder.do_lower_case.numpy()) if hasattr(encoder, "do_lower_case") else True
    return BertPreprocessor(
        vocab, lower_case=lower_case, seq_length=seq_length or DEFAULT_SEQ_LENGTH
    )
