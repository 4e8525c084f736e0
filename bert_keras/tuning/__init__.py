"""The Keras Tuner search over freeze depth: search space, oracles, the tuner, the search
and its results."""
