"""The serving signatures of an export, and the ops each needs beyond core TensorFlow.

`serving_default`: raw review text in, tokenized in the graph with TF Text.
`from_token_ids`: the three BERT inputs in; core TensorFlow ops only, so any TF
Serving build loads it. Both give the probability of a positive review and its label.
"""
import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf

from bert_keras.encoders.network import INPUT_NAMES


def required_ops(concrete_function) -> list[str]:
    """Ops a graph needs beyond core TensorFlow (custom ops, e.g. TF Text's)."""
    graph = concrete_function.graph.as_graph_def()
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    return sorted(op for op in ops if not hasattr(tf.raw_ops, op))


class ServingModule(tf.Module):
    """The classifier behind two serving signatures; probability is of the positive class."""

    def __init__(self, model, preprocessor, max_seq_length: int):
        super().__init__(name="bert_keras_serving")
        self.model, self.preprocessor, self.max_seq_length = model, preprocessor, max_seq_length

    def _outputs(self, inputs):
        probability = tf.reshape(self.model(inputs, training=False), [-1])  # [batch]
        return {"probability": probability, "label": tf.cast(probability >= 0.5, tf.int32)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve_text(self, text):
        tokens = self.preprocessor.tokenize(text)
        inputs = self.preprocessor.bert_pack_inputs([tokens], seq_length=self.max_seq_length)
        # Pad only to the batch's longest review, not to max_seq_length: short reviews cost less.
        longest = tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1))
        return self._outputs({name: t[:, :longest] for name, t in inputs.items()})

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES])
    def serve_token_ids(self, input_word_ids, input_mask, input_type_ids):
        return self._outputs(dict(input_word_ids=input_word_ids, input_mask=input_mask,
                                  input_type_ids=input_type_ids))

    def signatures(self) -> dict:
        return {"serving_default": self.serve_text.get_concrete_function(),
                "from_token_ids": self.serve_token_ids.get_concrete_function()}
