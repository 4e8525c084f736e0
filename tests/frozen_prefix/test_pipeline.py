"""Batches from the cache are the token pipeline's batches, example for example."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from tiny_bert import write_synthetic_reviews

from bert_keras.data.pipeline import evaluation_dataset, training_stream
from bert_keras.data.sources import load_splits
from bert_keras.data.spec import DataSpec
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.files.atomic import atomic_directory
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.build import compute_states
from bert_keras.frozen_prefix.cache import storage_dtype
from bert_keras.frozen_prefix.pipeline import cached_evaluation_dataset, cached_training_stream


@pytest.fixture(scope="module")
def cached(tiny_encoder_dir, tmp_path_factory):
    data = write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=300, n_test=10)
    split = load_splits(DataSpec(str(data))).train
    encoder = hub.load(str(tiny_encoder_dir / "encoder"))
    preprocessor = load_preprocessor(resolve_encoder(str(tiny_encoder_dir)))
    states = compute_states(
        encoder,
        preprocessor,
        {"train": split.examples},
        max_seq_length=48,
        text_fields="title_content",
        slots=[("train", 1)],
    )["train", 1]
    return split, preprocessor, states, encoder


def test_training_batches_hold_the_same_examples_in_the_same_order(cached):
    split, preprocessor, states, encoder = cached
    common = dict(
        batch_size=16,
        max_seq_length=48,
        seed=3,
        first_epoch=0,
        epochs=2,
        batches_per_epoch=split.size // 16,
    )
    tokens = list(
        training_stream(
            split.examples, split.size, preprocessor, text_fields="title_content", **common
        )
    )
    hidden = list(cached_training_stream(states, split.size, **common))
    assert len(tokens) == len(hidden) == 2 * (split.size // 16)
    for (token_inputs, token_labels), (cached_inputs, cached_labels) in zip(
        tokens, hidden, strict=True
    ):
        np.testing.assert_array_equal(token_labels, cached_labels)
        np.testing.assert_array_equal(token_inputs["input_mask"], cached_inputs["input_mask"])
        # the rows gathered are those examples' states: as the encoder computes them from the tokens
        reference = encoder.hidden_state_at(token_inputs, 1)
        mask = token_inputs["input_mask"].numpy().astype(bool)
        np.testing.assert_allclose(
            cached_inputs["hidden_states"].numpy()[mask], reference.numpy()[mask], atol=1e-5
        )
        assert not cached_inputs["hidden_states"].numpy()[~mask].any(), "padding is zeros"


def test_states_on_disk_give_the_same_batches_as_in_memory(cached, tmp_path):
    split, _, states, _ = cached
    with atomic_directory(tmp_path / "key") as folder:
        values = store.mapped_values(folder, states.values.shape)
        values[:] = states.values
        store.finish(
            store.HiddenStates(values, states.row_splits, states.labels), folder, {"test": 1}
        )
    on_disk = store.load(tmp_path / "key")
    assert isinstance(on_disk.values, np.memmap)
    from_disk = list(cached_evaluation_dataset(on_disk, 16, 48))
    from_memory = list(cached_evaluation_dataset(states, 16, 48))
    for (a, la), (b, lb) in zip(from_disk, from_memory, strict=True):
        np.testing.assert_array_equal(a["hidden_states"], b["hidden_states"])
        np.testing.assert_array_equal(la, lb)


def test_evaluation_batches_match_the_token_pipeline(cached):
    split, preprocessor, states, _ = cached
    tokens = list(evaluation_dataset(split, preprocessor, 16, 48, "title_content"))
    hidden = list(cached_evaluation_dataset(states, 16, 48))
    assert len(tokens) == len(hidden)
    for (ti, tl), (hi, hl) in zip(tokens, hidden, strict=True):
        np.testing.assert_array_equal(tl, hl)
        np.testing.assert_array_equal(ti["input_mask"], hi["input_mask"])
        assert hi["hidden_states"].dtype == tf.float32


def test_bfloat16_states_are_kept_in_bfloat16_and_read_back_as_its_float32_outputs_exactly(
    cached, tiny_encoder_dir, tmp_path
):
    split, preprocessor, _, _ = cached
    # the variant the runs of the tiny encoder use: built once, under a lock
    mixed = hub.load(encoder_for(resolve_encoder(str(tiny_encoder_dir)), "mixed_bfloat16"))
    dtype = storage_dtype("mixed_bfloat16")
    assert dtype.itemsize == 2 and storage_dtype("float32") == np.float32
    common = dict(max_seq_length=48, text_fields="title_content", slots=[("train", 1)], dtype=dtype)
    in_memory = compute_states(mixed, preprocessor, {"train": split.examples}, **common)["train", 1]
    with atomic_directory(tmp_path / "key") as folder:
        built = compute_states(
            mixed,
            preprocessor,
            {"train": split.examples},
            **common,
            allocate=lambda slot, shape, dtype: store.mapped_values(folder, shape, dtype),
        )["train", 1]
        store.finish(built, folder, {"test": 2})
    on_disk = store.load(tmp_path / "key")
    assert in_memory.values.dtype == on_disk.values.dtype == dtype
    assert (
        in_memory.nbytes
        == in_memory.values.size * 2 + in_memory.row_splits.nbytes + in_memory.labels.nbytes
    )
    tokens = list(evaluation_dataset(split, preprocessor, 16, 48, "title_content"))
    for states in (in_memory, on_disk):
        for (token_inputs, _), (cached_inputs, _) in zip(
            tokens, cached_evaluation_dataset(states, 16, 48), strict=True
        ):
            mask = token_inputs["input_mask"].numpy().astype(bool)
            # float32, cast up from bfloat16
            reference = mixed.hidden_state_at(token_inputs, 1).numpy()[mask]
            assert cached_inputs["hidden_states"].dtype == tf.float32
            np.testing.assert_array_equal(cached_inputs["hidden_states"].numpy()[mask], reference)
