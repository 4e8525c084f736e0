"""Compute precision: float32, or mixed_bfloat16 (bfloat16 products, float32 weights).

CPUs with bfloat16 matrix units (Intel AMX, AVX512-BF16; TensorFlow's oneDNN
kernels use them), TPUs and recent GPUs multiply bfloat16 matrices several times
faster than float32. An encoder SavedModel bakes its compute dtype into its
graph, so mixed precision needs the encoder rebuilt: from the architecture
`bert-keras convert` recorded, under Keras' `mixed_bfloat16` policy (layer norms
and GELU stay float32, outputs are float32), with the float32 encoder's weights.
It is saved once beside it, as `encoder_mixed_bfloat16/`, with the same variable
names, shapes and object graph: freezing, checkpoints and exports work alike on
both, and a run trained in one precision exports in the other.

On hardware without bfloat16 units mixed precision is slower, not faster, so
float32 is the default of `train` and `export`.
"""

import contextlib
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras

from bert_keras.encoders.bert_config import BertConfig
from bert_keras.encoders.layers import WordEmbedding
from bert_keras.encoders.layout import ENCODER_DIR, variable_name
from bert_keras.encoders.network import build_encoder
from bert_keras.encoders.resolve import EncoderPaths, encoder_metadata
from bert_keras.encoders.saved_encoder import save_encoder
from bert_keras.errors import SelfCheckFailed, UserInputError
from bert_keras.files.atomic import atomic_directory, lock_file

# A bfloat16 product keeps 8 significant bits: probabilities move by about 1e-2.
# Far more means the rebuilt encoder is not the float32 one.
MIXED_TOLERANCE = 0.05
WORD_EMBEDDINGS = "word_embeddings/embeddings"  # the token table's variable name


@contextlib.contextmanager
def _global_policy(name: str):
    previous = tf_keras.mixed_precision.global_policy()
    tf_keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        tf_keras.mixed_precision.set_global_policy(previous)


def encoder_for(paths: EncoderPaths, precision: str) -> str:
    """The encoder SavedModel computing in `precision`; the mixed one is built on first
    use. Processes starting together (a cluster's workers) build it once: one does,
    under a lock beside it, and the others wait for it.

    >>> from bert_keras.encoders.resolve import resolve_encoder
    >>> mixed = encoder_for(resolve_encoder(encoder_dir), "mixed_bfloat16")
    >>> mixed == encoder_dir + "/encoder_mixed_bfloat16"  # beside the float32 one
    True
    """
    if precision == "float32":
        return paths.encoder
    return _variant(paths, precision, f"{ENCODER_DIR}_{precision}", f"precision={precision}")


def rebuilt_encoder(paths: EncoderPaths) -> str:
    """The float32 encoder rebuilt for LiteRT and saved beside the one converted (as
    `encoder_litert/`, on first use): its graph holds only the ops this release traces,
    which LiteRT converts, whatever release converted the encoder, and the embedding rows
    of outlying weights are looked up apart (`encoders.layers.WordEmbedding`: the same
    values, and an int8 table scaled to the usual rows). An encoder bert-keras did not
    convert is returned as it is.

    Args:
        paths: an encoder's files.
    """
    if encoder_metadata(paths).get("config") is None:
        return paths.encoder
    return _variant(paths, "float32", f"{ENCODER_DIR}_litert", "quantize=int8", apart=True)


def _variant(
    paths: EncoderPaths, precision: str, name: str, asking: str, apart: bool = False
) -> str:
    """The encoder rebuilt under `precision`'s policy as `name` beside the converted one,
    built once under a lock; `asking`: the setting that needs it, named where the encoder
    cannot be rebuilt; `apart`: its outlying embedding rows looked up apart."""
    target = Path(paths.encoder).parent / name
    if (target / "saved_model.pb").is_file():
        return str(target)
    architecture = encoder_metadata(paths).get("config")
    if architecture is None:
        raise UserInputError(
            f"{asking}: encoder {paths.spec} was not converted by bert-keras "
            f"(no architecture recorded to rebuild it from); use precision=float32"
        )
    with lock_file(target.with_name(f".{target.name}.lock")):
        if not (target / "saved_model.pb").is_file():  # not built while this process waited
            _build_variant(paths.encoder, BertConfig(**architecture), precision, target, apart)
    return str(target)


def _build_variant(
    float32_path: str, architecture: BertConfig, precision: str, target: Path, apart: bool
):
    """Rebuilds the encoder under `precision`'s policy with the float32 one's weights (and
    with `apart`, its outlying embedding rows looked up apart), and saves it whole as
    `target`."""
    float32 = tf.saved_model.load(float32_path)
    weights = {variable_name(v): v for v in float32.variables}
    table = weights[WORD_EMBEDDINGS].numpy()
    rows = WordEmbedding.outlier_rows(table) if apart else ()
    with _global_policy(precision):
        encoder = build_encoder(architecture, apart_rows=rows)
    for variable in encoder.variables:
        if variable.dtype.is_floating:  # dropout call counters start at zero
            variable.assign(weights[variable_name(variable)])
    vocab = float32.vocab_file.asset_path.numpy().decode()
    with atomic_directory(target) as staging:
        save_encoder(encoder, vocab, bool(float32.do_lower_case), staging)


def agreement(reference: np.ndarray, candidate: np.ndarray) -> dict:
    """How far mixed-precision probabilities [n, N] are from float32's, and how often the
    most probable label is the same; raises past tolerance."""
    difference = float(np.max(np.abs(reference - candidate)))
    same_labels = float(np.mean(np.argmax(reference, axis=-1) == np.argmax(candidate, axis=-1)))
    if difference > MIXED_TOLERANCE:
        raise SelfCheckFailed(
            f"`precision`: predictions differ from the float32 model by {difference:.3f} "
            f"(> {MIXED_TOLERANCE}); export with precision=float32"
        )
    return {
        "float32_max_abs_difference": round(difference, 6),
        "float32_label_agreement": round(same_labels, 4),
    }
