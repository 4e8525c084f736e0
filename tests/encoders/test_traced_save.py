"""A SavedModel's functions traced once, not once before the save and again inside it."""

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.encoders.bert_config import BertConfig
from bert_keras.encoders.network import build_encoder
from bert_keras.encoders.preprocessor import BertPreprocessor
from bert_keras.encoders.saved_encoder import save_encoder
from bert_keras.encoders.traced_save import save_traced


def test_each_signature_is_traced_once_and_the_saved_model_runs_it(tmp_path):
    module = tf.Module()
    module.scale_by = tf.Variable(3.0)
    traced = []

    @tf.function
    def scale(x, factor):
        traced.append(factor)  # runs once per trace
        return x * module.scale_by * factor

    module.scale = scale
    spec = tf.TensorSpec([None], tf.float32, name="x")

    def trace():  # no serving signatures: returns None
        for factor in (1, 2):
            scale.get_concrete_function(spec, factor)

    save_traced(module, tmp_path, trace)
    assert traced == [1, 2]
    loaded = tf.saved_model.load(str(tmp_path))
    np.testing.assert_array_equal(loaded.scale(tf.constant([1.0, 2.0]), 2), [6.0, 12.0])


def test_an_encoder_and_its_preprocessor_save_with_one_trace_per_signature(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "film"]) + "\n")
    blocks = 2
    config = BertConfig(
        vocab_size=6,
        hidden_size=8,
        num_hidden_layers=blocks,
        num_attention_heads=2,
        intermediate_size=16,
    )
    model = build_encoder(config)
    save_encoder(model, vocab, True, tmp_path / "encoder")
    assert model.hidden_state_at.experimental_get_tracing_count() == blocks + 1
    # per boundary: training or not, the pooled or every token's output
    assert model.from_hidden.experimental_get_tracing_count() == 4 * (blocks + 1)
    preprocessor = BertPreprocessor(vocab)
    preprocessor.save(tmp_path / "preprocessor")
    # ragged rank 1 or 2, one or two segments, with or without a seq_length
    assert preprocessor.bert_pack_inputs.experimental_get_tracing_count() == 8

    encoder = hub.load(str(tmp_path / "encoder"))
    inputs = hub.load(str(tmp_path / "preprocessor"))(tf.constant(["good film"]))
    hidden = encoder.hidden_state_at(inputs, 1)  # [1, 128, 8]
    split = encoder.from_hidden(hidden, inputs["input_mask"], 1, False)["pooled_output"]
    whole = encoder(inputs, training=False)["pooled_output"]
    np.testing.assert_allclose(split, whole, atol=1e-6)
