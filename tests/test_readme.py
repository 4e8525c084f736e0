"""The README's Python script runs as written (its encoder and data swapped for a tiny
encoder and tiny reviews), and the package's public names are the API's."""

import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import bert_keras
from bert_keras import api

README = Path(__file__).resolve().parents[1] / "README.md"
SETTINGS = 'ENCODER, DATA = "minilm-l6", "tfds:amazon_polarity"'


def readme_script() -> str:
    return re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)


@pytest.mark.extended
def test_the_readmes_script_trains_exports_and_serves_what_it_trained(
    tiny_encoder_dir, trained_run_reviews, tmp_path, monkeypatch, capsys
):
    script = readme_script()
    assert SETTINGS in script and len(script.splitlines()) <= 30
    script = script.replace(
        SETTINGS, f"ENCODER, DATA = {str(tiny_encoder_dir)!r}, {trained_run_reviews!r}"
    )
    monkeypatch.chdir(tmp_path)
    names = {}
    exec(compile(script, str(README), "exec"), names)
    evaluated, predicted = capsys.readouterr().out.strip().splitlines()[-2:]
    assert {"loss", "accuracy", "auc"} <= set(eval(evaluated))
    rows = eval(predicted)
    texts = ["Works as described, five stars.", "Broke after a day."]
    assert [row["text"] for row in rows] == texts
    # what the export serves is the trained model's own output on the same texts
    served = np.array([row["probability"] for row in rows])
    text_model = api.text_classifier(names["model"], names["encoder"])
    expected = text_model(tf.constant(texts), training=False).numpy()[:, 0]
    np.testing.assert_allclose(served, expected, atol=2e-6)  # predict rounds to 6 places
    assert [row["label"] for row in rows] == [
        ("negative", "positive")[int(p >= 0.5)] for p in expected
    ]
    assert (tmp_path / "saved_models" / "sentiment-token-ids" / "1" / "saved_model.pb").is_file()


def test_the_package_exports_the_api_by_name():
    assert set(bert_keras.__all__) == {*api.__all__, "__version__"}
    for name in api.__all__:
        assert getattr(bert_keras, name) is getattr(api, name)
