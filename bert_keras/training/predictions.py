"""A split's reviews, in order, through a model: the logits calibration and reports read.

Texts go in batches of similar length (the same sorting `predict` does), each padded
to its longest review only; the logits come back in the split's own order, so they
line up with its texts and labels.
"""

import numpy as np
import tensorflow as tf

from bert_keras.data.pipeline import review_text
from bert_keras.training.classifier import logit_model

BATCH_SIZE = 64
READ_BATCH = 1024  # examples read from tf.data at a time


def split_texts(split, text_fields: str) -> tuple[list[bytes], np.ndarray]:
    """(texts as the model reads them: title and content joined as in training, label indices)."""
    texts, labels = [], []
    for batch in split.examples.batch(READ_BATCH):
        texts += review_text(batch, text_fields).numpy().tolist()
        labels += batch["label"].numpy().tolist()
    return texts, np.asarray(labels, np.int64)


def text_logits(
    model, preprocessor, texts: list, max_seq_length: int, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """The head's logit [n] for each text (two labels), or its logits [n, N], in inference
    mode."""
    logit = logit_model(model)
    logits_of = tf.function(lambda inputs: logit(inputs, training=False), reduce_retracing=True)
    order = np.argsort([len(text) for text in texts], kind="stable")
    units = logit.output_shape[-1]
    logits = np.zeros((len(texts), units), np.float32)
    for start in range(0, len(texts), batch_size):
        chosen = order[start : start + batch_size]
        inputs = preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(tf.constant([texts[i] for i in chosen]))],
            seq_length=max_seq_length,
        )
        longest = tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1))
        logits[chosen] = logits_of({name: t[:, :longest] for name, t in inputs.items()}).numpy()
    return logits[:, 0] if units == 1 else logits


def split_logits(model, split, preprocessor, config) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """(texts, labels, logits) of every example of `split`, in its order."""
    texts, labels = split_texts(split, config.data.text_fields)
    return texts, labels, text_logits(model, preprocessor, texts, config.model.max_seq_length)
