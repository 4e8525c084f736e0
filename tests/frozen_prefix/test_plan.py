"""When a run caches its frozen prefix, and the one line that says why not."""

import pytest

from bert_keras.frozen_prefix.plan import choose


@pytest.mark.parametrize(
    "asked, epochs, searching, boundary, splits_apart, mode, reason",
    [
        (
            "auto",
            3,
            False,
            4,
            True,
            "cache",
            "caching the output of the frozen embeddings and blocks 0-3",
        ),
        (
            "auto",
            1,
            True,
            1,
            True,
            "cache",
            "caching the output of the frozen embeddings and block 0",
        ),
        ("auto", 1, False, 4, True, "inline", "one epoch reads each frozen prefix once"),
        ("cache", 1, False, 0, True, "cache", "caching the output of the frozen embeddings"),
        (
            "cache",
            3,
            False,
            4,
            False,
            "inline",
            "was not converted by bert-keras, so it cannot run its frozen blocks apart",
        ),
        ("auto", 3, False, None, True, "inline", "the embeddings train"),
        ("inline", 3, True, 4, True, "inline", "frozen_prefix=inline"),
    ],
)
def test_choose(asked, epochs, searching, boundary, splits_apart, mode, reason):
    plan = choose(
        asked,
        epochs=epochs,
        searching=searching,
        boundary=boundary,
        splits_apart=splits_apart,
        encoder="enc",
    )
    assert plan.mode == mode and reason in plan.reason
