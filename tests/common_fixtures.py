"""The tests' fixtures (a pytest plugin, loaded by the root conftest.py, so that the
package's doctests have them too): tiny encoders, a trained run and its export (fast,
built once per test run); the built-in encoder and the real reviews (`slow`).

Tiers: `make test` runs everything but the tests marked `integration` (several
processes: kills and resumes, clusters, fresh-process checks, command-line tools) and
`slow` (the real MiniLM weights, the real reviews); `make test-all` runs every tier.
A test that asks for `minilm_dir` or `shared_dir` is marked `slow` here, by its fixtures.
"""

from pathlib import Path

import pytest
from shared import built_once, load_json, save_json
from tiny_bert import write_nan_checkpoint, write_synthetic_reviews, write_tiny_checkpoint

SHARED = Path(__file__).resolve().parents[2] / "shared"  # the real reviews, where present
SLOW_FIXTURES = {"minilm_dir", "shared_dir"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _converted(tmp_path_factory, name: str, write_checkpoint) -> Path:
    """A tiny checkpoint written by `write_checkpoint(folder)`, through `bert-keras convert`."""
    from bert_keras.encoders.convert import convert

    def build(directory):
        convert(write_checkpoint(directory / "hf"), directory / "tfhub")

    return built_once(tmp_path_factory, name, build) / "tfhub"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    return built_once(tmp_path_factory, "tiny_hf", write_tiny_checkpoint)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory):
    """`bert-keras convert` of the tiny checkpoint: encoder/, preprocessor/, bert_keras.json."""
    return _converted(tmp_path_factory, "tiny", write_tiny_checkpoint)


@pytest.fixture(scope="session")
def wide_encoder_dir(tmp_path_factory):
    """Hidden size 256: its checkpoints take long enough to write for a kill to land mid-write."""
    return _converted(
        tmp_path_factory,
        "wide",
        lambda d: write_tiny_checkpoint(
            d, hidden_size=256, intermediate_size=1024, num_attention_heads=4
        ),
    )


@pytest.fixture(scope="session")
def deep_encoder_dir(tmp_path_factory):
    """Three blocks: another architecture than the tiny encoder's two."""
    return _converted(
        tmp_path_factory, "deep", lambda d: write_tiny_checkpoint(d, num_hidden_layers=3)
    )


@pytest.fixture(scope="session")
def nan_encoder_dir(tmp_path_factory):
    """A broken checkpoint (a NaN in the pooler's bias): every loss is NaN from step one."""
    return _converted(tmp_path_factory, "nan", write_nan_checkpoint)


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: it holds the real reviews and reference outputs")
    return SHARED


@pytest.fixture(scope="session")
def minilm_dir():
    """The built-in encoder, converted once into saved_models/encoders/minilm-l6."""
    from bert_keras.encoders.builtin import ensure_builtin

    return ensure_builtin("minilm-l6")


@pytest.fixture(scope="session")
def kill_reviews(tmp_path_factory):
    """The kill tests' data: 648 reviews to train on, 81 steps of 8 an epoch."""
    return built_once(
        tmp_path_factory, "kill_reviews", lambda d: write_synthetic_reviews(d, 720, 40)
    )


@pytest.fixture(scope="session")
def few_reviews(tmp_path_factory):
    """For what does not need learning: 144 reviews to train on, 18 batches of 8."""
    return built_once(
        tmp_path_factory, "few_reviews", lambda d: write_synthetic_reviews(d, 160, 20)
    )


@pytest.fixture(scope="session")
def search_reviews(tmp_path_factory):
    """The searches' data: 270 reviews to train on, 30 to validate, 40 to test."""
    return built_once(
        tmp_path_factory, "search_reviews", lambda d: write_synthetic_reviews(d, 300, 40)
    )


# A trained tiny run and its export, shared by the serving and evaluation tests.
@pytest.fixture(scope="session")
def trained_run_command(tiny_encoder_dir, tmp_path_factory):
    """The `bert-keras train` argv of `trained_run`, for a run directory `out`."""
    data = built_once(
        tmp_path_factory, "trained_run_data", lambda d: write_synthetic_reviews(d, 200, 40)
    )
    options = (
        "--batch-size 8 --max-seq-length 32 --learning-rate 5e-3 --precision float32 --epochs 1"
    )

    def command(out) -> list[str]:
        # float32, as export's default: both read the same probabilities
        return f"train --encoder {tiny_encoder_dir} --data {data} --out {out} {options}".split()

    return command


@pytest.fixture(scope="session")
def trained_run(trained_run_command, tmp_path_factory):
    """One epoch, the last two blocks, calibrated: a finished run directory."""
    from bert_keras.cli import main

    def build(directory):
        assert main(trained_run_command(directory / "run")) == 0

    return built_once(tmp_path_factory, "trained_run", build) / "run"


@pytest.fixture(scope="session")
def exported(trained_run, tmp_path_factory):
    """(export's result, the model directory): checked in this process; the fresh-process
    check has its own test (tests/serving/test_export.py)."""
    from bert_keras.serving.export import export

    def build(directory):
        save_json(
            directory,
            "result.json",
            export(trained_run, directory / "sentiment", fresh_check=False),
        )

    directory = built_once(tmp_path_factory, "exported", build)
    return load_json(directory, "result.json"), directory / "sentiment"


@pytest.fixture(scope="session")
def trained_run_reviews(trained_run) -> str:
    """The folder of trained_run's reviews (train.csv and test.csv)."""
    import json

    return json.loads((trained_run / "config.json").read_text())["settings"]["data"]


@pytest.fixture(scope="session")
def serving_address(exported):
    """Where a stand-in TF Serving answers for the export, as `sentiment`."""
    from stand_in_serving import serving

    _, model_dir = exported
    with serving(model_dir / "1", "sentiment") as address:
        yield address
