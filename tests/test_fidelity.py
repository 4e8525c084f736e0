"""The built-in encoder, loaded as users load TF Hub encoders, against PyTorch reference outputs."""
import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder

pytestmark = pytest.mark.slow


def test_minilm_matches_the_pytorch_reference(minilm_dir, shared_dir):
    reference = json.loads((shared_dir / "fixtures" / "minilm_reference.json").read_text())
    tolerance = reference["tolerance_abs"]
    preprocessor = load_preprocessor(resolve_encoder(str(minilm_dir)))
    encoder = hub.KerasLayer(str(minilm_dir / "encoder"))
    inputs = preprocessor.bert_pack_inputs([preprocessor.tokenize(tf.constant(reference["sentences"]))],
                                           seq_length=reference["max_seq_length"])
    outputs = encoder(inputs)
    real = np.array(reference["input_mask"]) == 1  # padded positions are not comparable
    sequence = outputs["sequence_output"].numpy()
    np.testing.assert_allclose(sequence[..., :8][real], np.array(reference["sequence_output_first8"])[real],
                               atol=tolerance, rtol=0)
    np.testing.assert_allclose(outputs["pooled_output"].numpy()[:, :16], reference["pooled_output_first16"],
                               atol=tolerance, rtol=0)
    mask = real[..., None]
    mean = (sequence * mask).sum(axis=1) / mask.sum(axis=1)
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    np.testing.assert_allclose(mean[:, :16], reference["mean_pooled_l2_normalized_first16"],
                               atol=tolerance, rtol=0)
