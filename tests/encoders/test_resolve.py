"""Resolving --encoder, the built-in cache, and directories that appear whole or not at all."""

import os
import shutil

import pytest
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.cli import main
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError


def test_converted_directory_resolves_to_encoder_and_preprocessor(tiny_encoder_dir):
    paths = resolve_encoder(str(tiny_encoder_dir))
    assert paths.encoder == str(tiny_encoder_dir / "encoder")
    assert paths.preprocessor == str(tiny_encoder_dir / "preprocessor")


def test_bare_tf_hub_encoder_gets_a_preprocessor_from_its_vocab_asset(tiny_encoder_dir, tmp_path):
    bare = tmp_path / "bert_en_uncased"
    shutil.copytree(tiny_encoder_dir / "encoder", bare)
    paths = resolve_encoder(str(bare))
    assert paths.encoder == str(bare) and paths.preprocessor is None
    built = load_preprocessor(paths)(tf.constant(["great film"]))
    shipped = hub.load(str(tiny_encoder_dir / "preprocessor"))(tf.constant(["great film"]))
    for key in shipped:
        tf.debugging.assert_equal(built[key], shipped[key])


def test_unknown_encoder_is_one_line_exit_2(capsys, tmp_path):
    assert main(["layers", "--encoder", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown encoder" in err and "minilm-l6" in err


def test_unreachable_hub_handle_says_how_to_go_local():
    with pytest.raises(UserInputError, match="could not fetch .* local directory in TF Hub format"):
        resolve_encoder("https://tfhub.dev/tensorflow/bert_en_uncased_L-12_H-768_A-12/4")


def test_a_preprocessor_is_loaded_once_while_its_files_stay_the_same(tiny_encoder_dir, tmp_path):
    skip = shutil.ignore_patterns(".*", "encoder_*")  # locks; mixed variants, perhaps being built
    copy = shutil.copytree(tiny_encoder_dir, tmp_path / "tiny", ignore=skip)
    paths = resolve_encoder(str(copy))
    first = load_preprocessor(paths)
    assert load_preprocessor(paths) is first
    graph = copy / "preprocessor" / "saved_model.pb"
    os.utime(graph, ns=(graph.stat().st_atime_ns, graph.stat().st_mtime_ns + 10**9))  # rewritten
    again = load_preprocessor(paths)
    assert again is not first
    assert again(tf.constant(["good film"]))["input_word_ids"].shape == (1, 128)
