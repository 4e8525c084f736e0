"""A trained tiny run and its export, shared by the serving tests."""
import pytest

from bert_keras.cli import main
from bert_keras.serving.export import export
from tiny_bert import write_synthetic_reviews

@pytest.fixture(scope="module")
def trained_run(tiny_encoder_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("export_run")
    data = write_synthetic_reviews(root / "data", n_train=200, n_test=40)
    assert main(["train", "--encoder", str(tiny_encoder_dir), "--data", str(data), "--out", str(root / "run"),
                 "--batch-size", "8", "--max-seq-length", "32", "--learning-rate", "5e-3"]) == 0
    return root / "run"


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("served") / "sentiment"
    return export(trained_run, model_dir), model_dir
