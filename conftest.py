"""pytest's set-up for the tests under tests/ and the examples in the package's docstrings.

bert_keras is imported first (it selects tf_keras before TensorFlow loads), the
built-in encoder's cache is the project's own (shared with `make train`), and the
fixtures of tests/common_fixtures.py serve both. A docstring's example finds, as names, a
tiny encoder (`encoder_dir`), reviews (`reviews`), a finished run (`run_dir`), its
export (`model_dir`), a stand-in TF Serving address (`serving_address`) and a new
folder for what it writes (`new_dir`).
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("BERT_KERAS_HOME", str(Path(__file__).resolve().parent / "saved_models"))

import bert_keras  # noqa: E402,F401

pytest_plugins = ["common_fixtures"]
# Run as a script by tests/test_foreign_encoder.py; it imports TF Model Garden, which
# the doctest collector should not import (and which a machine may lack).
collect_ignore = ["tests/model_garden_encoder.py"]


# A docstring example's name -> the fixture that gives it (a path as a string).
EXAMPLE_NAMES = {
    "encoder_dir": "tiny_encoder_dir",
    "run_dir": "trained_run",
    "model_dir": "exported",
    "serving_address": "serving_address",
    "new_dir": "tmp_path",
    "reviews": "trained_run_reviews",
}


@pytest.fixture(autouse=True)
def _docstring_examples(request, doctest_namespace):
    """The names a docstring's example uses, given to it alone (tests ask for fixtures),
    each built only when the example uses it."""
    if not isinstance(request.node, pytest.DoctestItem):
        return
    source = "".join(example.source for example in request.node.dtest.examples)
    for name, fixture in EXAMPLE_NAMES.items():
        if name in source:
            value = request.getfixturevalue(fixture)
            if name == "model_dir":
                value = value[1]  # exported: (export's result, the model directory)
            doctest_namespace[name] = str(value / "new" if name == "new_dir" else value)
