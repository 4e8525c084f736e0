"""`bert-keras check`: the encoder through hub.KerasLayer and its preprocessor, embedding
sentences; the similarities against the numpy forward pass of the same encoder."""

import json

import numpy as np
import numpy_bert
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.cli import main
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder


def test_check_embeds_the_sentences_as_the_encoder_defines(tiny_encoder_dir, capsys):
    sentences = ["great product works well", "terrible it broke", "the book was good"]
    assert main(["check", "--encoder", str(tiny_encoder_dir), *sentences]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["sentences"] == sentences and result["blocks"] == 2
    assert result["hidden_size"] == 32 and result["path"] == str(tiny_encoder_dir / "encoder")
    preprocessor = load_preprocessor(resolve_encoder(str(tiny_encoder_dir)))
    inputs = preprocessor(tf.constant(sentences))  # TF Hub's call: seq_length 128
    arrays = {name: t.numpy() for name, t in inputs.items()}
    weights = numpy_bert.weights_of(hub.load(str(tiny_encoder_dir / "encoder")))
    sequence = numpy_bert.forward(
        weights, arrays["input_word_ids"], arrays["input_mask"], arrays["input_type_ids"]
    )["sequence_output"]
    mask = arrays["input_mask"][..., None]
    mean = (sequence * mask).sum(1) / mask.sum(1)
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    np.testing.assert_allclose(result["cosine_similarity"], mean @ mean.T, atol=1e-4)


def test_check_on_a_folder_that_is_no_encoder_is_one_line(tmp_path, capsys):
    assert main(["check", "--encoder", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"bert-keras: error: --encoder {tmp_path}: unknown encoder")
    assert "\n" not in error
