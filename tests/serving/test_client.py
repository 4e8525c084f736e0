"""The gRPC client (the README's example) against a stand-in PredictionService.

No TF Serving binary is reachable here, so a gRPC server speaking TF Serving's
PredictionService (tensorflow-serving-api's protos and servicer base) answers from the
exported SavedModel itself: the requests' names, dtypes and shapes must be what the
signatures take, and the outputs must come back as the signatures give them."""

from concurrent import futures

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from bert_keras.serving.client import (
    examples_request,
    predict_grpc,
    text_request,
    token_ids_request,
)


class SavedModelPredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, version_dir, model_name):
        self.signatures, self.model_name = (
            tf.saved_model.load(str(version_dir)).signatures,
            model_name,
        )

    def Predict(self, request, context):  # noqa: N802  (gRPC's method name)
        if request.model_spec.name != self.model_name:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no model {request.model_spec.name}")
        signature = self.signatures[request.model_spec.signature_name or "serving_default"]
        specs = signature.structured_input_signature[1]
        if set(request.inputs) != set(specs):
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"inputs {sorted(request.inputs)}, not {sorted(specs)}",
            )
        inputs = {
            name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()
        }
        for name, value in inputs.items():
            if value.dtype != specs[name].dtype:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"{name}: {value.dtype}, not {specs[name].dtype}",
                )
        response = predict_pb2.PredictResponse(model_spec=request.model_spec)
        for name, value in signature(**inputs).items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


@pytest.fixture(scope="module")
def server(exported):
    _, model_dir = exported
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        SavedModelPredictionService(model_dir / "1", "sentiment"), grpc_server
    )
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    yield f"127.0.0.1:{port}", tf.saved_model.load(str(model_dir / "1")).signatures
    grpc_server.stop(grace=None)


def test_text_examples_and_token_ids_over_grpc(server):
    target, signatures = server
    texts = ["Great product, works as described.", "Broke in a day."]
    by_text = predict_grpc(target, text_request("sentiment", texts))
    direct = signatures["serving_default"](text=tf.constant(texts))
    np.testing.assert_array_equal(by_text["probability"], direct["probability"].numpy())
    np.testing.assert_array_equal(by_text["label"], direct["label"].numpy())
    by_example = predict_grpc(target, examples_request("sentiment", texts))
    np.testing.assert_array_equal(by_example["probability"], direct["probability"].numpy())
    ids = np.array([[101, 7, 8, 102], [101, 9, 102, 0]])
    by_ids = predict_grpc(
        target, token_ids_request("sentiment", ids, (ids > 0).astype(int), np.zeros_like(ids))
    )
    assert by_ids["probability"].shape == (2,) and by_ids["label"].dtype == np.int32


def test_a_wrong_model_name_is_the_servers_error(server):
    target, _ = server
    with pytest.raises(grpc.RpcError) as error:
        predict_grpc(target, text_request("other", ["x"]))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
