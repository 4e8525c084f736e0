"""The loss and metrics of each kind of label set, and Keras metrics of label indices
[batch, 1] against a softmax's probabilities [batch, N] (Keras' own F1 and AUC take one-hot
labels, the sparse loss takes indices)."""

import tensorflow as tf
import tf_keras

from bert_keras.data.labels import LabelSet


class _OneHotLabels:
    """Turns label indices [batch, 1] into one-hot [batch, classes] before the metric."""

    def __init__(self, classes: int, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes

    def update_state(self, y_true, y_pred, sample_weight=None):
        indices = tf.cast(tf.reshape(y_true, [-1]), tf.int32)  # [batch]
        return super().update_state(tf.one_hot(indices, self.classes), y_pred, sample_weight)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


class SparseMacroF1(_OneHotLabels, tf_keras.metrics.F1Score):
    """The mean over labels of each label's F1, the predicted label the most probable one."""

    def __init__(self, classes: int, name: str = "f1", **kwargs):
        super().__init__(classes, average="macro", threshold=None, name=name, **kwargs)


class SparseAUC(_OneHotLabels, tf_keras.metrics.AUC):
    """ROC AUC of every (example, label) pair: each label one against the rest, pooled."""

    def __init__(self, classes: int, name: str = "auc", **kwargs):
        super().__init__(classes, name=name, **kwargs)


def classification_metrics(labels: LabelSet) -> list:
    """Two labels: accuracy, precision, recall, F1 at 0.5 and AUC; more: accuracy, macro-F1
    (`f1`, what picks the best epoch and the tuner's objective) and AUC over every label, one
    against the rest; multi-label: each label's decision at 0.5, macro- and micro-F1."""
    classes = len(labels.names)
    if labels.kind == "multi_label":
        return [
            tf_keras.metrics.BinaryAccuracy(name="accuracy"),
            tf_keras.metrics.F1Score(average="macro", threshold=0.5, name="f1"),
            tf_keras.metrics.F1Score(average="micro", threshold=0.5, name="micro_f1"),
            tf_keras.metrics.AUC(name="auc"),
        ]
    if labels.kind == "multi_class":
        return [
            tf_keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            SparseMacroF1(classes, name="f1"),
            SparseAUC(classes, name="auc"),
        ]
    return [
        tf_keras.metrics.BinaryAccuracy(name="accuracy"),
        tf_keras.metrics.Precision(name="precision"),
        tf_keras.metrics.Recall(name="recall"),
        tf_keras.metrics.F1Score(average="micro", threshold=0.5, name="f1"),
        tf_keras.metrics.AUC(name="auc"),
    ]


def classification_loss(labels: LabelSet):
    """Cross-entropy: binary of a label index [batch, 1] (two labels) or of each label's
    0/1 [batch, N] (multi-label), sparse categorical of an index [batch, 1] (more)."""
    if labels.kind == "multi_class":
        return tf_keras.losses.SparseCategoricalCrossentropy()
    return tf_keras.losses.BinaryCrossentropy()
