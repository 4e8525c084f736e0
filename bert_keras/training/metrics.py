"""Keras metrics of label indices [batch, 1] against a softmax's probabilities [batch, N]:
Keras' own F1 and AUC take one-hot labels, the sparse loss takes indices."""

import tensorflow as tf
import tf_keras


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
