"""Request handling shared by the gRPC and REST front ends."""

import logging

import grpc

from serving.errors import ServingError, invalid
from serving.server.classify import classify
from serving.server.regress import regress

log = logging.getLogger(__name__)


class InferenceService:
    """Answers Predict, Classify, metadata and status requests.

    Args:
        manager: the `ModelManager` holding the live versions.
    """

    def __init__(self, manager):
        self.manager = manager

    def predict(self, name, version, label, signature_name, inputs, output_filter=()):
        """Runs a Predict request.

        Returns:
            (servable, signature name, dict of output name to numpy array).

        Raises:
            ServingError: with the status code to report.
        """
        servable = self.manager.resolve(name, version, label)
        return self.predict_on(servable, signature_name, inputs, output_filter)

    def predict_on(self, servable, signature_name, inputs, output_filter=()):
        """Runs a Predict request on an already resolved version (see `predict`)."""
        signature = servable.signature(signature_name)
        unknown = sorted(set(output_filter) - set(signature.outputs))
        if unknown:
            raise invalid(f"output_filter names outputs {unknown} that {signature.name!r} lacks")
        outputs = guarded(servable.predict, signature.name, inputs)
        if output_filter:
            outputs = {k: v for k, v in outputs.items() if k in set(output_filter)}
        return servable, signature.name, outputs

    def classify(self, name, version, label, signature_name, input_proto):
        """Runs a Classify request; returns (servable, signature name, rows of (label, score))."""
        servable = self.manager.resolve(name, version, label)
        signature = servable.signature(signature_name)
        return servable, signature.name, guarded(classify, servable, signature.name, input_proto)

    def regress(self, name, version, label, signature_name, input_proto):
        """Runs a Regress request; returns (servable, signature name, list of floats)."""
        servable = self.manager.resolve(name, version, label)
        signature = servable.signature(signature_name)
        return servable, signature.name, guarded(regress, servable, signature.name, input_proto)

    def metadata(self, name, version, label):
        """Returns (servable, SignatureDefMap) of the resolved version."""
        servable = self.manager.resolve(name, version, label)
        return servable, servable.signature_def_map

    def status(self, name, version, label):
        """Returns the `VersionRecord`s for a status request."""
        return self.manager.status(name, version, label)


def guarded(function, *args):
    """Calls `function`; any error but a `ServingError` is logged and becomes INTERNAL."""
    try:
        return function(*args)
    except ServingError:
        raise
    except Exception as err:
        log.exception("request failed inside the model")
        raise ServingError(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}") from err
