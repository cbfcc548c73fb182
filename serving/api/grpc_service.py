"""TF Serving's gRPC API: PredictionService and ModelService."""

import logging
from typing import Any

import grpc
from google.protobuf import wrappers_pb2  # noqa: F401  (ModelSpec.version is an Int64Value)
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving.errors import ServingError, invalid
from serving.tensors import from_proto, to_proto

log = logging.getLogger(__name__)

SIGNATURE_DEF_FIELD = "signature_def"


def _spec(model_spec):
    version = model_spec.version.value if model_spec.HasField("version") else None
    return model_spec.name, version, model_spec.version_label or None


def _fill_spec(target, servable, signature_name=None):
    target.name = servable.name
    target.version.value = servable.version
    if signature_name is not None:
        target.signature_name = signature_name


def _abort(context, err):
    log.info("request refused: %s", err)
    context.abort(err.code, err.message)


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Predict, Classify, Regress and GetModelMetadata over an `InferenceService`."""

    def __init__(self, service: Any) -> None:
        self._service = service

    def Predict(
        self, request: predict_pb2.PredictRequest, context: grpc.ServicerContext
    ) -> predict_pb2.PredictResponse:
        try:
            inputs = {}
            for key, proto in request.inputs.items():
                try:
                    inputs[key] = from_proto(proto)
                except Exception as err:  # malformed TensorProto (predict_util.cc)
                    raise invalid(f"tensor parsing error: {key}") from err
            servable, signature, outputs = self._service.predict(
                *_spec(request.model_spec),
                request.model_spec.signature_name,
                inputs,
                list(request.output_filter),
            )
        except ServingError as err:
            return _abort(context, err)
        response = predict_pb2.PredictResponse()
        _fill_spec(response.model_spec, servable, signature)
        for key, value in outputs.items():
            response.outputs[key].CopyFrom(to_proto(value))
        return response

    def Classify(
        self, request: classification_pb2.ClassificationRequest, context: grpc.ServicerContext
    ) -> classification_pb2.ClassificationResponse:
        try:
            servable, signature, rows = self._service.classify(
                *_spec(request.model_spec), request.model_spec.signature_name, request.input
            )
        except ServingError as err:
            return _abort(context, err)
        response = classification_pb2.ClassificationResponse()
        _fill_spec(response.model_spec, servable, signature)
        for row in rows:
            classification = response.result.classifications.add()
            for label, score in row:
                entry = classification.classes.add()
                entry.label = label.decode("utf-8", "replace") if isinstance(label, bytes) else str(label)
                entry.score = score
        return response

    def Regress(
        self, request: regression_pb2.RegressionRequest, context: grpc.ServicerContext
    ) -> regression_pb2.RegressionResponse:
        try:
            servable, signature, values = self._service.regress(
                *_spec(request.model_spec), request.model_spec.signature_name, request.input
            )
        except ServingError as err:
            return _abort(context, err)
        response = regression_pb2.RegressionResponse()
        _fill_spec(response.model_spec, servable, signature)
        for value in values:
            response.result.regressions.add().value = value
        return response

    def GetModelMetadata(
        self, request: get_model_metadata_pb2.GetModelMetadataRequest, context: grpc.ServicerContext
    ) -> get_model_metadata_pb2.GetModelMetadataResponse:
        try:
            fields = list(request.metadata_field)
            if fields != [SIGNATURE_DEF_FIELD]:
                raise invalid(f"metadata_field must be ['signature_def'], got {fields}")
            servable, signature_defs = self._service.metadata(*_spec(request.model_spec))
        except ServingError as err:
            return _abort(context, err)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        _fill_spec(response.model_spec, servable)
        response.metadata[SIGNATURE_DEF_FIELD].Pack(signature_defs)
        return response


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    """GetModelStatus over an `InferenceService` (HandleReloadConfigRequest is not offered)."""

    def __init__(self, service: Any) -> None:
        self._service = service

    def GetModelStatus(
        self, request: get_model_status_pb2.GetModelStatusRequest, context: grpc.ServicerContext
    ) -> get_model_status_pb2.GetModelStatusResponse:
        try:
            records = self._service.status(*_spec(request.model_spec))
        except ServingError as err:
            return _abort(context, err)
        response = get_model_status_pb2.GetModelStatusResponse()
        for record in records:
            status = response.model_version_status.add()
            status.version = record.version
            status.state = record.state
            if record.error:
                status.status.error_code = 2  # tensorflow.error.UNKNOWN
                status.status.error_message = record.error
        return response


def add_servicers(server: grpc.Server, service: Any) -> None:
    """Registers both services on a `grpc.Server`."""
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(service), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(service), server)
