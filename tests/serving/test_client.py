"""The gRPC client (the README's example) against a stand-in PredictionService serving
the export (tests/stand_in_serving.py); what comes back is compared with the run's own
model, computed in this process."""

import json

import grpc
import numpy as np
import pytest
import tensorflow as tf
from served import calibrated_probabilities, threshold_of

from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.serving.client import (
    examples_request,
    predict_grpc,
    text_request,
    token_ids_request,
)


def test_text_examples_and_token_ids_over_grpc(serving_address, trained_run):
    """Each request kind, over gRPC, against the run's own model computed in this process."""
    target = serving_address
    texts = ["great product, works well", "broke after one day"]
    expected = calibrated_probabilities(trained_run, texts)
    labels = [int(p >= threshold_of(trained_run)) for p in expected]
    names = [[b"negative", b"positive"][k] for k in labels]
    by_text = predict_grpc(target, text_request("sentiment", texts))
    np.testing.assert_allclose(by_text["probability"], expected, atol=1e-5, rtol=0)
    assert by_text["label"].tolist() == names
    assert by_text["label_index"].tolist() == labels and by_text["label_index"].dtype == np.int32
    by_example = predict_grpc(target, examples_request("sentiment", texts))
    np.testing.assert_allclose(by_example["probability"], expected, atol=1e-5, rtol=0)
    config = json.loads((trained_run / "config.json").read_text())["settings"]
    preprocessor = load_preprocessor(resolve_encoder(config["encoder"]))
    ids = preprocessor.bert_pack_inputs([preprocessor.tokenize(tf.constant(texts))], seq_length=16)
    request = token_ids_request("sentiment", *(ids[name].numpy() for name in INPUT_NAMES))
    by_ids = predict_grpc(target, request)
    np.testing.assert_allclose(by_ids["probability"], expected, atol=1e-5, rtol=0)
    assert by_ids["label"].tolist() == names and by_ids["label_index"].tolist() == labels


def test_a_wrong_model_name_is_the_servers_error(serving_address):
    with pytest.raises(grpc.RpcError) as error:
        predict_grpc(serving_address, text_request("other", ["x"]))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
