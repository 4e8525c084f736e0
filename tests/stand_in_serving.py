"""A gRPC server speaking TF Serving's PredictionService (tensorflow-serving-api's protos
and servicer base), answering from an exported SavedModel: the tests need no TF Serving
binary. It refuses, as TF Serving does, a model name it does not serve and inputs whose
names or dtypes the signature does not take."""

import contextlib
from concurrent import futures

import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc


class SavedModelPredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, version_dir, model_name):
        self.signatures = tf.saved_model.load(str(version_dir)).signatures
        self.model_name = model_name

    def Predict(self, request, context):  # noqa: N802  (gRPC's method name)
        if request.model_spec.name != self.model_name:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no model {request.model_spec.name}")
        signature = self.signatures[request.model_spec.signature_name or "serving_default"]
        specs = signature.structured_input_signature[1]
        if set(request.inputs) != set(specs):
            given, taken = sorted(request.inputs), sorted(specs)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"inputs {given}, not {taken}")
        inputs = {name: tf.constant(tf.make_ndarray(p)) for name, p in request.inputs.items()}
        for name, value in inputs.items():
            if value.dtype != specs[name].dtype:
                problem = f"{name}: {value.dtype}, not {specs[name].dtype}"
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
        response = predict_pb2.PredictResponse(model_spec=request.model_spec)
        for name, value in signature(**inputs).items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


@contextlib.contextmanager
def serving(version_dir, model_name: str):
    """Yields "127.0.0.1:PORT", where `version_dir` answers as `model_name`."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    service = SavedModelPredictionService(version_dir, model_name)
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)
