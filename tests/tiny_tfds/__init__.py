"""A tiny TFDS text classification builder, prepared offline by TFDS itself: what
`--data tfds:NAME` reads in the tests. Importing this module registers the datasets."""

import numpy as np
import tensorflow_datasets as tfds
from tiny_bert import NEUTRAL

CUES = {
    "sports": "great good love works well".split(),
    "tech": "bad terrible hate broke waste".split(),
    "world": "money buy quality never not".split(),
}


def topic_examples(count: int, seed: int):
    """(key, example) of `count` reviews whose cue words give their topic, in turn."""
    rng = np.random.default_rng(seed)
    names = list(CUES)
    for i in range(count):
        topic = names[i % 3]
        words = [*rng.choice(NEUTRAL, size=int(rng.integers(2, 8))), *rng.choice(CUES[topic], 3)]
        rng.shuffle(words)
        yield i, {"headline": f"item {i}", "text": " ".join(words), "topic": topic, "label": -1}


class TinyTopics(tfds.core.GeneratorBasedBuilder):
    """Three topics: Text `text` and `headline`, ClassLabel `topic`, and an int `label`
    that is no ClassLabel (never taken for the label)."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "headline": tfds.features.Text(),
                    "text": tfds.features.Text(),
                    "topic": tfds.features.ClassLabel(names=list(CUES)),
                    "label": tfds.features.Scalar(dtype=np.int64),
                }
            )
        )

    def _split_generators(self, dl_manager):
        return {"train": topic_examples(240, 1), "test": topic_examples(60, 2)}

    def _generate_examples(self):  # TFDS asks for it; the splits above are the generators
        raise NotImplementedError


class TinyHidden(tfds.core.GeneratorBasedBuilder):
    """Two labels whose test split hides them (-1), as GLUE's test splits do."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"sentence": tfds.features.Text(), "label": tfds.features.ClassLabel(num_classes=2)}
            )
        )

    def _split_generators(self, dl_manager):
        def examples(count, hidden):
            for i in range(count):
                label = -1 if hidden else i % 2
                yield i, {"sentence": ["bad one", "good one"][i % 2], "label": label}

        return {"train": examples(40, False), "test": examples(10, True)}

    def _generate_examples(self):
        raise NotImplementedError
