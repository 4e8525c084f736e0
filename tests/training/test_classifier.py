"""The task model's head: the mean of the token outputs the mask keeps, or the pooled
output, against the encoder computed in numpy (tests/numpy_bert.py)."""

import numpy as np
import numpy_bert
import pytest
import tensorflow_hub as hub

from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import variable_name
from bert_keras.training.classifier import build_classifier, logit_model

IDS = np.array([[2, 7, 9, 11, 3, 0, 0], [2, 5, 3, 0, 0, 0, 0]], np.int32)  # 2 reviews, padded
MASK = (IDS > 0).astype(np.int32)


def _logits_and_expected(tiny_encoder_dir, pooling: str):
    model = build_classifier(
        str(tiny_encoder_dir / "encoder"), FreezeSpec(train_last=1), 0.0, 1, pooling=pooling
    )
    inputs = dict(input_word_ids=IDS, input_mask=MASK, input_type_ids=np.zeros_like(IDS))
    logits = logit_model(model)(inputs, training=False).numpy()[:, 0]
    w = numpy_bert.weights_of(hub.load(str(tiny_encoder_dir / "encoder")))
    outputs = numpy_bert.forward(w, IDS, MASK, np.zeros_like(IDS))
    if pooling == "mean":  # each review's kept tokens alone, [CLS] and [SEP] included
        read = np.stack([outputs["sequence_output"][i, MASK[i] > 0].mean(0) for i in range(2)])
    else:
        read = outputs["pooled_output"]
    kernel, bias = (v.numpy() for v in model.get_layer("classifier").weights)
    return model, logits, read @ kernel[:, 0] + bias[0]


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_the_head_reads_what_its_pooling_names(tiny_encoder_dir, pooling):
    model, logits, expected = _logits_and_expected(tiny_encoder_dir, pooling)
    np.testing.assert_allclose(logits, expected, atol=1e-5)  # float32 against float64
    pooler = {variable_name(v) for v in model.trainable_weights if "pooler_transform/" in v.name}
    # the pooler trains with the last block only where the head reads it
    assert bool(pooler) == (pooling == "cls")
