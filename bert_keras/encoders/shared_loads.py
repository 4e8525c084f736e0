"""One load of an encoder for many trainings in one process.

`hub.load` of minilm-l6 costs about 4.5 s on a 2-core CPU: as much as training a
0-block trial of a search. A search loads it once; each trial is handed the same
object with every variable (weights, dropout counters) set back to the values the first
load read from disk, so a trial starts exactly where a fresh load would have started
it. (Preprocessors, which hold nothing that changes, `resolve.load_preprocessor` keeps
for the whole process.)

Variables belong to the tf.distribute strategy they were created under: a trial
under another strategy object (a new MirroredStrategy, say) loads afresh.
"""

import tensorflow as tf

from bert_keras.encoders.resolve import load_saved_model


class SharedLoads:
    """Loaded encoders (by SavedModel path), kept for reuse.

    >>> loads = SharedLoads()
    >>> encoder = loads.encoder(encoder_dir + "/encoder")
    >>> before = encoder.variables[0].numpy()
    >>> _ = encoder.variables[0].assign(before + 1)  # a trial trains it
    >>> again = loads.encoder(encoder_dir + "/encoder")
    >>> again is encoder, bool((again.variables[0].numpy() == before).all())
    (True, True)
    """

    def __init__(self):
        self._encoders = {}  # path -> (loaded, its strategy, [initial value of each variable])

    def encoder(self, path: str):
        """The encoder at `path` as loaded from disk, variables at their initial values."""
        strategy = tf.distribute.get_strategy()
        kept = self._encoders.get(path)
        if kept is None or kept[1] is not strategy:
            loaded = load_saved_model(path, "encoder")
            self._encoders[path] = (
                loaded,
                strategy,
                [variable.numpy() for variable in loaded.variables],
            )
            return loaded
        loaded, _, initial = kept
        for variable, value in zip(loaded.variables, initial, strict=True):
            variable.assign(value)
        return loaded
