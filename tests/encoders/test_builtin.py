"""The built-in encoder: converted once into its cache, reused, whole after a kill mid-conversion,
and converted once by processes starting together."""

import os
import subprocess

import pytest
from kill import cli, kill_while

from bert_keras.cli import main
from bert_keras.encoders.builtin import ensure_builtin


@pytest.mark.slow
def test_builtin_encoder_is_converted_once_then_reused(minilm_dir, capsys):
    stamp = (minilm_dir / "bert_keras.json").stat().st_mtime_ns
    assert ensure_builtin("minilm-l6") == minilm_dir
    assert (minilm_dir / "bert_keras.json").stat().st_mtime_ns == stamp
    assert main(["encoders"]) == 0
    assert "22,713,216 parameters" in capsys.readouterr().out


@pytest.mark.slow
def test_kill_during_the_builtin_conversion_then_same_command_converts_it_whole(
    minilm_dir, tmp_path
):
    """minilm_dir installed the weights' package; the conversion here goes into a fresh home."""
    home = tmp_path / "home"
    env = {**os.environ, "BERT_KERAS_HOME": str(home)}
    argv = cli("layers", "--encoder", "minilm-l6")

    def writing_the_encoder():
        return any(home.glob("encoders/.minilm-l6.partial-*/encoder/variables"))

    kill_while(argv, writing_the_encoder, env=env)
    assert not (home / "encoders" / "minilm-l6").exists(), "no half-written cache under its name"
    # The same command twice at once, as a cluster's workers start: one converts, the other
    # waits for it.
    processes = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [process.communicate(timeout=600) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [
        stderr for _, stderr in results
    ]
    assert all("transformer/layer_5" in stdout for stdout, _ in results)
    stderr = "".join(stderr for _, stderr in results)
    assert stderr.count("bert-keras: converting minilm-l6") == 1, stderr
    assert stderr.count("waiting for another process converting minilm-l6") == 1, stderr
    assert sorted(p.name for p in (home / "encoders").iterdir()) == [
        ".minilm-l6.lock",
        "minilm-l6",
    ], "the killed staging folder is gone"
