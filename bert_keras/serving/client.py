"""Calling an export behind TF Serving over gRPC, with tensorflow-serving-api's stubs.

The README's gRPC example, as functions: a PredictRequest for each signature, and one
call. Outputs come back as numpy arrays.

Example (`serving_address`: where TF Serving serves an export as `sentiment`, as
"localhost:8500"):

>>> outputs = predict_grpc(serving_address, text_request("sentiment", ["Great product."]))
>>> sorted(outputs), outputs["probabilities"].shape, outputs["label"].dtype
(['label', 'label_index', 'probabilities', 'probability'], (1, 2), dtype('O'))
"""

import numpy as np
import tensorflow as tf

from bert_keras.serving.signatures import EXAMPLES_SIGNATURE, TEXT_SIGNATURE, TOKEN_IDS_SIGNATURE


def request(model_name: str, signature: str, inputs: dict):
    """A PredictRequest of `signature` of `model_name` with `inputs` ({name: array})."""
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name, request.model_spec.signature_name = model_name, signature
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return request


def text_request(model_name: str, texts: list[str]):
    """serving_default: raw reviews."""
    return request(
        model_name, TEXT_SIGNATURE, {"text": np.array([t.encode() for t in texts], object)}
    )


def examples_request(model_name: str, texts: list[str], titles: list[str] | None = None):
    """from_examples: each review as a tf.Example with `text` (and `title`) bytes features."""

    def feature(value: str):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))

    examples = [
        tf.train.Example(
            features=tf.train.Features(
                feature={"text": feature(text), **({"title": feature(titles[i])} if titles else {})}
            )
        ).SerializeToString()
        for i, text in enumerate(texts)
    ]
    return request(model_name, EXAMPLES_SIGNATURE, {"examples": np.array(examples, object)})


def token_ids_request(model_name: str, input_word_ids, input_mask, input_type_ids):
    """from_token_ids: int32 [batch, seq] arrays, as the encoder's preprocessor packs them."""
    arrays = dict(
        input_word_ids=input_word_ids, input_mask=input_mask, input_type_ids=input_type_ids
    )
    return request(
        model_name, TOKEN_IDS_SIGNATURE, {k: np.asarray(v, np.int32) for k, v in arrays.items()}
    )


def predict_grpc(target: str, request, timeout: float = 10.0) -> dict:
    """One PredictionService.Predict call to `target` ("host:port"); outputs as arrays."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
            request, timeout=timeout
        )
    return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}
