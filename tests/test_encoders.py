"""Resolving --encoder, the built-in cache, and directories that appear whole or not at all."""
import os
import shutil
import subprocess

import pytest
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.cli import main
from bert_keras.encoders.builtin import ensure_builtin
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError
from kill import cli, kill_while


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


@pytest.mark.slow
def test_builtin_encoder_is_converted_once_then_reused(minilm_dir, capsys):
    stamp = (minilm_dir / "bert_keras.json").stat().st_mtime_ns
    assert ensure_builtin("minilm-l6") == minilm_dir
    assert (minilm_dir / "bert_keras.json").stat().st_mtime_ns == stamp
    assert main(["encoders"]) == 0
    assert "22,713,216 parameters" in capsys.readouterr().out


@pytest.mark.slow
def test_kill_during_the_builtin_conversion_then_same_command_converts_it_whole(minilm_dir, tmp_path):
    """minilm_dir installed the weights' package; the conversion here goes into a fresh home."""
    home = tmp_path / "home"
    env = {**os.environ, "BERT_KERAS_HOME": str(home)}
    argv = cli("layers", "--encoder", "minilm-l6")

    def writing_the_encoder():
        return any(home.glob("encoders/.minilm-l6.partial-*/encoder/variables"))
    kill_while(argv, writing_the_encoder, env=env)
    assert not (home / "encoders" / "minilm-l6").exists(), "no half-written cache under its name"
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    assert "transformer/layer_5" in result.stdout
    assert [p.name for p in (home / "encoders").iterdir()] == ["minilm-l6"], "the killed staging folder is gone"
