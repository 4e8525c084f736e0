"""One load of an encoder and its preprocessor for many trainings in one process.

`hub.load` of minilm-l6 costs about 4.5 s and of its preprocessor 4.8 s on a
2-core CPU: as much as training a 0-block trial of a search. A search loads them
once; each trial is handed the same objects with every encoder variable (weights,
dropout counters) set back to the values the first load read from disk, so a
trial starts exactly where a fresh load would have started it.

Variables belong to the tf.distribute strategy they were created under: a trial
under another strategy object (a new MirroredStrategy, say) loads afresh.
"""

import tensorflow as tf

from bert_keras.encoders.resolve import EncoderPaths, load_preprocessor, load_saved_model


class SharedLoads:
    """Loaded encoders (by SavedModel path) and preprocessors (by encoder), kept for reuse.

    >>> loads = SharedLoads()
    >>> encoder = loads.encoder("saved_models/encoders/minilm-l6/encoder")  # doctest: +SKIP
    >>> before = encoder.variables[0].numpy()  # doctest: +SKIP
    >>> _ = encoder.variables[0].assign(before + 1)  # a trial trains it  # doctest: +SKIP
    >>> again = loads.encoder("saved_models/encoders/minilm-l6/encoder")  # doctest: +SKIP
    >>> again is encoder, bool((again.variables[0].numpy() == before).all())  # doctest: +SKIP
    (True, True)
    """

    def __init__(self):
        self._encoders = {}  # path -> (loaded, its strategy, [initial value of each variable])
        self._preprocessors = {}  # encoder spec -> preprocessor

    def encoder(self, path: str):
        """The encoder at `path` as loaded from disk, variables at their initial values."""
        strategy = tf.distribute.get_strategy()
        kept = self._encoders.get(path)
        if kept is None or kept[1] is not strategy:
            loaded = load_saved_model(path, "--encoder")
            self._encoders[path] = (
                loaded,
                strategy,
                [variable.numpy() for variable in loaded.variables],
            )
            return loaded
        loaded, _, initial = kept
        for variable, value in zip(loaded.variables, initial):
            variable.assign(value)
        return loaded

    def preprocessor(self, paths: EncoderPaths):
        """The encoder's preprocessor (stateless: its vocabulary tables only)."""
        if paths.spec not in self._preprocessors:
            self._preprocessors[paths.spec] = load_preprocessor(paths)
        return self._preprocessors[paths.spec]
