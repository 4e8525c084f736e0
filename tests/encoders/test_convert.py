"""`bert-keras convert`: layout, names, weights and bad input, on the tiny checkpoint."""

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow_hub as hub
from safetensors.numpy import load_file, save_file
from tiny_bert import write_tiny_checkpoint

from bert_keras.cli import main
from bert_keras.encoders.convert import convert


def test_layout_is_tf_hub_bert(tiny_encoder_dir):
    assert (tiny_encoder_dir / "encoder" / "saved_model.pb").is_file()
    assert (tiny_encoder_dir / "encoder" / "assets" / "vocab.txt").is_file()
    assert (tiny_encoder_dir / "preprocessor" / "assets" / "vocab.txt").is_file()
    metadata = json.loads((tiny_encoder_dir / "bert_keras.json").read_text())
    assert metadata["config"]["num_hidden_layers"] == 2 and metadata["seq_length"] == 128
    assert not [p for p in tiny_encoder_dir.parent.iterdir() if ".partial-" in p.name]


def test_variable_names_and_shapes_follow_tf_hub_bert_v4(tiny_encoder_dir):
    shapes = {
        v.name.split(":")[0]: v.shape.as_list()
        for v in hub.KerasLayer(str(tiny_encoder_dir / "encoder")).weights
    }
    assert shapes["word_embeddings/embeddings"] == [
        len(open(tiny_encoder_dir / "encoder/assets/vocab.txt").read().split()),
        32,
    ]
    assert shapes["position_embedding/embeddings"] == [128, 32]
    assert shapes["type_embeddings/embeddings"] == [2, 32]
    assert shapes["embeddings/layer_norm/gamma"] == [32]
    for i in range(2):
        block = f"transformer/layer_{i}/"
        for part in ("query", "key", "value"):
            assert shapes[block + f"self_attention/{part}/kernel"] == [32, 4, 8]
            assert shapes[block + f"self_attention/{part}/bias"] == [4, 8]
        assert shapes[block + "self_attention/attention_output/kernel"] == [4, 8, 32]
        assert shapes[block + "self_attention_layer_norm/beta"] == [32]
        assert shapes[block + "intermediate/kernel"] == [32, 64]
        assert shapes[block + "output/kernel"] == [64, 32]
        assert shapes[block + "output_layer_norm/gamma"] == [32]
    assert shapes["pooler_transform/kernel"] == [32, 32]


def test_weights_are_the_checkpoints_transposed_and_split_per_head(
    tiny_checkpoint, tiny_encoder_dir
):
    hf = load_file(str(tiny_checkpoint / "model.safetensors"))
    weights = {
        v.name.split(":")[0]: v.numpy()
        for v in hub.KerasLayer(str(tiny_encoder_dir / "encoder")).weights
    }
    query = hf["encoder.layer.1.attention.self.query.weight"]  # [out, in]
    head_2 = weights["transformer/layer_1/self_attention/query/kernel"][:, 2, :]  # [in, head_size]
    np.testing.assert_array_equal(head_2, query.T[:, 16:24])
    np.testing.assert_array_equal(
        weights["transformer/layer_0/output/kernel"], hf["encoder.layer.0.output.dense.weight"].T
    )
    np.testing.assert_array_equal(
        weights["transformer/layer_0/self_attention/attention_output/kernel"],
        hf["encoder.layer.0.attention.output.dense.weight"].T.reshape(4, 8, 32),
    )


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.err.strip()


@pytest.mark.parametrize(
    "breakage, expected",
    [
        ("missing_dir", "no such directory"),
        ("no_config", "config.json: no such file"),
        ("not_bert", "model_type is 'roberta', not 'bert'"),
        ("vocab_mismatch", "vocab.txt: has"),
        ("no_weights", "model.safetensors: no such file"),
        ("missing_tensor", "has no tensor 'pooler.dense.weight'"),
        ("bad_json", "config.json: not valid JSON"),
    ],
)
def test_bad_checkpoints_fail_with_one_line_and_leave_nothing(tmp_path, capsys, breakage, expected):
    checkpoint = write_tiny_checkpoint(tmp_path / "hf")
    config = json.loads((checkpoint / "config.json").read_text())
    if breakage == "missing_dir":
        checkpoint = tmp_path / "absent"
    elif breakage == "no_config":
        (checkpoint / "config.json").unlink()
    elif breakage == "not_bert":
        (checkpoint / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    elif breakage == "vocab_mismatch":
        with open(checkpoint / "vocab.txt", "a") as vocab:
            vocab.write("extra\n")
    elif breakage == "no_weights":
        (checkpoint / "model.safetensors").unlink()
    elif breakage == "missing_tensor":
        tensors = load_file(str(checkpoint / "model.safetensors"))
        del tensors["pooler.dense.weight"]
        save_file(tensors, str(checkpoint / "model.safetensors"))
    elif breakage == "bad_json":
        (checkpoint / "config.json").write_text("{not json")
    out = tmp_path / "out"
    status, err = run_cli(capsys, "convert", str(checkpoint), str(out))
    assert status == 2
    assert len(err.splitlines()) == 1 and err.startswith("bert-keras: error: ")
    assert expected in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "hf"] == []


def test_shape_disagreeing_with_config_is_refused(tmp_path, capsys):
    checkpoint = write_tiny_checkpoint(tmp_path / "hf")
    config = json.loads((checkpoint / "config.json").read_text())
    (checkpoint / "config.json").write_text(json.dumps({**config, "intermediate_size": 48}))
    status, err = run_cli(capsys, "convert", str(checkpoint), str(tmp_path / "out"))
    assert status == 2 and "transformer/layer_0/intermediate/kernel has shape [32, 64]" in err
    assert not (tmp_path / "out").exists()


def test_existing_output_is_never_overwritten(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    status, err = run_cli(capsys, "convert", str(tiny_checkpoint), str(out))
    assert status == 2 and "already exists" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_midway_leaves_no_partial_directory(
    tiny_checkpoint, tmp_path, monkeypatch, failure
):
    """The preprocessor's save fails (the disk full, or Ctrl-C) once the encoder is written
    into the staging folder: nothing appears under OUT_DIR's name, and the staging goes."""
    from bert_keras.encoders.preprocessor import BertPreprocessor

    seen = []

    def save_then_fail(self, export_dir):
        seen.append(sorted(p.name for p in Path(export_dir).parent.iterdir()))
        Path(export_dir).mkdir()
        (Path(export_dir) / "saved_model.pb").write_bytes(b"half")
        raise failure

    monkeypatch.setattr(BertPreprocessor, "save", save_then_fail)
    with pytest.raises(type(failure)):
        convert(tiny_checkpoint, tmp_path / "out")
    assert seen == [["encoder"]], "the failure came after the encoder was written"
    assert list(tmp_path.iterdir()) == []
