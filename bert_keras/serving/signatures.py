"""The serving signatures of an export, and the ops each needs beyond core TensorFlow.

`serving_default`: raw review text in, tokenized in the graph with TF Text.
`from_examples`: serialized tf.Example protos with a `text` bytes feature (and an
optional `title`), as TFX, BigQuery ML and batch prediction jobs send them.
`from_token_ids`: the three BERT inputs in; core TensorFlow ops only.
All three give `probabilities` [batch, N] (calibrated: softmax(logits / T), or for two
labels [1 - p, p] with p = sigmoid(logit / T)), `label` (the name: for two labels the second
where p >= the chosen threshold, else the most probable) and `label_index` [batch] int32, as
calibration.json records them; two labels also give `probability` (p, of the second label).
Multi-label: `probabilities` = sigmoid(logits / T), `label` the names at or over their own
thresholds joined by the run's label delimiter, `label_indicator` [batch, N] int32.
"""

import tensorflow as tf

from bert_keras.data.pipeline import review_text
from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.training.classifier import logit_model

TEXT_SIGNATURE, EXAMPLES_SIGNATURE, TOKEN_IDS_SIGNATURE = (
    "serving_default",
    "from_examples",
    "from_token_ids",
)
EXAMPLE_FEATURES = {
    "text": tf.io.FixedLenFeature([], tf.string),  # required: a request without it fails
    "title": tf.io.FixedLenFeature([], tf.string, default_value=""),
}


def pack_texts(preprocessor, text, max_seq_length: int) -> dict:
    """The three BERT inputs of `text` (string [batch]) as the encoder's `preprocessor`
    tokenizes and packs them, padded only to the batch's longest review (not to
    `max_seq_length`: short reviews cost less)."""
    tokens = preprocessor.tokenize(text)
    inputs = preprocessor.bert_pack_inputs([tokens], seq_length=max_seq_length)
    longest = tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1))
    return {name: t[:, :longest] for name, t in inputs.items()}


def required_ops(concrete_function) -> list[str]:
    """Ops a graph needs beyond core TensorFlow (custom ops, e.g. TF Text's)."""
    graph = concrete_function.graph.as_graph_def()
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    return sorted(op for op in ops if not hasattr(tf.raw_ops, op))


class TokenIdServing(tf.Module):
    """The classifier from token ids, calibrated: a module of core TensorFlow ops only.

    Args:
        model: the classifier (`training.classifier.build_classifier`) with its weights.
        calibration: `temperature` and `threshold` (what metrics.json records under
            `calibration`; 1 and 0.5 leave the trained sigmoid and threshold as they are;
            three labels or more have no threshold).
        labels: the label set (`data.labels.LabelSet`): names in the head's order, and kind.
        delimiter: between a multi-label example's names in `label`.
    """

    def __init__(
        self, model, calibration: dict, labels, delimiter="|", name="bert_keras_token_ids"
    ):
        super().__init__(name=name)
        logit = logit_model(model)
        # The Keras model itself stays out of the SavedModel, which would otherwise keep
        # a traced call of each of its layers that no signature uses; its variables, by
        # name, are what the signatures read.
        self._logit = lambda inputs: logit(inputs, training=False)
        self.model_variables = list(logit.variables)
        self.names = tf.constant(list(labels.names), tf.string)
        self.kind, self.delimiter = labels.kind, delimiter
        self.temperature = tf.constant(calibration["temperature"], tf.float32)
        self.threshold = tf.constant(calibration.get("threshold") or 0.5, tf.float32)
        thresholds = calibration.get("thresholds") or [0.5] * len(labels.names)
        self.thresholds = tf.constant(thresholds, tf.float32)  # [N], multi-label's

    def _multi_label(self, probabilities):
        on = probabilities >= self.thresholds  # [batch, N]
        names = tf.ragged.boolean_mask(tf.broadcast_to(self.names, tf.shape(on)), on)
        return {
            "probabilities": probabilities,
            "label": tf.strings.reduce_join(names, axis=1, separator=self.delimiter),
            "label_indicator": tf.cast(on, tf.int32),
        }

    def probabilities(self, inputs):
        """[batch, N]: the calibrated probabilities of the labels for the three BERT inputs."""
        logits = tf.cast(self._logit(inputs), tf.float32)  # [batch, units]
        if self.kind == "multi_label":
            return tf.sigmoid(logits / self.temperature)
        if self.kind == "binary":
            probability = tf.sigmoid(logits[:, 0] / self.temperature)  # [batch]
            return tf.stack([1.0 - probability, probability], axis=1)
        return tf.nn.softmax(logits / self.temperature)

    def _outputs(self, inputs):
        probabilities = self.probabilities(inputs)  # [batch, N]
        if self.kind == "multi_label":
            return self._multi_label(probabilities)
        outputs = {}
        if self.kind == "binary":
            probability = probabilities[:, 1]  # [batch]
            index = tf.cast(probability >= self.threshold, tf.int32)
            outputs["probability"] = probability
        else:
            index = tf.argmax(probabilities, axis=1, output_type=tf.int32)
        return {
            **outputs,
            "probabilities": probabilities,
            "label": tf.gather(self.names, index),
            "label_index": index,
        }

    @tf.function(
        input_signature=[tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES]
    )
    def serve_token_ids(self, input_word_ids, input_mask, input_type_ids):
        return self._outputs(
            dict(
                input_word_ids=input_word_ids, input_mask=input_mask, input_type_ids=input_type_ids
            )
        )

    def signatures(self) -> dict:
        return {TOKEN_IDS_SIGNATURE: self.serve_token_ids.get_concrete_function()}


class ServingModule(TokenIdServing):
    """TokenIdServing with the encoder's preprocessor in the graph: text and tf.Example in.

    Args:
        model, calibration, labels, delimiter: as TokenIdServing takes them.
        preprocessor: the encoder's (TF Hub's `bert_pack_inputs` and `tokenize`).
        max_seq_length: tokens per review at most, as the run trained.
        text_fields: the run's; `title_content` joins a tf.Example's title and text as training did.
    """

    def __init__(
        self,
        model,
        calibration: dict,
        labels,
        preprocessor,
        max_seq_length: int,
        text_fields: str,
        delimiter: str = "|",
    ):
        super().__init__(model, calibration, labels, delimiter, name="bert_keras_serving")
        self.preprocessor, self.max_seq_length, self.text_fields = (
            preprocessor,
            max_seq_length,
            text_fields,
        )

    def _from_text(self, text):
        return self._outputs(pack_texts(self.preprocessor, text, self.max_seq_length))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve_text(self, text):
        return self._from_text(text)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_examples(self, examples):
        # {"text", "title"}: [batch] string
        features = tf.io.parse_example(examples, EXAMPLE_FEATURES)
        return self._from_text(
            review_text({"title": features["title"], "content": features["text"]}, self.text_fields)
        )

    def signatures(self) -> dict:
        return {
            TEXT_SIGNATURE: self.serve_text.get_concrete_function(),
            EXAMPLES_SIGNATURE: self.serve_examples.get_concrete_function(),
            **super().signatures(),
        }
