"""`bert-keras check`: an encoder loaded as users will load it (hub.KerasLayer), embedding
a few sentences: a quick proof that an encoder and its preprocessor work together."""

import time

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
from bert_keras.errors import UserInputError


def bert_outputs(encoder, inputs, handle: str, needed: str = "pooled_output") -> dict:
    """Calls a TF Hub encoder layer, refusing with one line a SavedModel that is not a BERT
    encoder or does not give the output `needed` (`pooled_output`, `sequence_output`)."""
    try:
        outputs = encoder(inputs)
    except UserInputError:
        raise
    except (ValueError, TypeError) as error:  # no concrete function for BERT's three int32 inputs
        raise UserInputError(
            f"encoder={handle}: does not take BERT's inputs ({', '.join(INPUT_NAMES)}): "
            f"{str(error).strip().splitlines()[0][:200]}"
        ) from None
    if not isinstance(outputs, dict) or needed not in outputs:
        found = ", ".join(sorted(outputs)) if isinstance(outputs, dict) else type(outputs).__name__
        raise UserInputError(
            f"encoder={handle}: its outputs have no {needed} (found: {found}); "
            f"bert-keras needs a TF Hub BERT encoder"
        )
    return outputs


SENTENCES = ["This product is great!", "I love this product.", "Terrible. It broke after one day."]


def check_encoder(spec: str, sentences: list[str] | None = None) -> dict:
    """Embeds `sentences` (mean-pooled, L2-normalised) and returns their cosine similarities.

    Args:
        spec: what `encoder` takes: a built-in name, a directory, or a TF Hub handle.
        sentences: the texts to embed; three examples when None.

    Returns:
        A dict with the encoder's path, blocks, hidden size, load seconds and the
        similarity matrix (similar sentences score higher).
    """
    paths = resolve_encoder(spec)
    start = time.perf_counter()
    preprocessor = load_preprocessor(paths)
    encoder = hub.KerasLayer(load_saved_model(paths.encoder, "encoder"))
    load_seconds = time.perf_counter() - start
    sentences = list(sentences or SENTENCES)
    inputs = preprocessor.bert_pack_inputs([preprocessor.tokenize(tf.constant(sentences))])
    outputs = bert_outputs(encoder, inputs, spec)
    mask = tf.cast(inputs["input_mask"], tf.float32)[:, :, None]  # [batch, seq, 1]
    # [batch, hidden]
    mean = tf.reduce_sum(outputs["sequence_output"] * mask, 1) / tf.reduce_sum(mask, 1)
    mean = tf.math.l2_normalize(mean, axis=1).numpy()
    return dict(
        encoder=spec,
        path=paths.encoder,
        blocks=len(outputs.get("encoder_outputs", [])),
        hidden_size=int(mean.shape[1]),
        load_seconds=round(load_seconds, 2),
        sentences=sentences,
        cosine_similarity=np.round(mean @ mean.T, 4).tolist(),
    )
