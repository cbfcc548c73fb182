"""Request handling shared by the gRPC and REST front ends."""

import logging
from collections.abc import Callable, Iterable
from typing import Any

import grpc
import numpy as np
from tensorflow_serving.apis import get_model_metadata_pb2, input_pb2

from serving.errors import ServingError, invalid
from serving.server.classify import classify
from serving.server.manager import ModelManager, VersionRecord
from serving.server.regress import regress
from serving.server.servable import Servable

log = logging.getLogger(__name__)


class InferenceService:
    """Answers Predict, Classify, metadata and status requests.

    Args:
        manager: the `ModelManager` holding the live versions.
    """

    def __init__(self, manager: ModelManager) -> None:
        self.manager = manager

    def predict(
        self,
        name: str,
        version: int | None,
        label: str | None,
        signature_name: str,
        inputs: dict[str, np.ndarray],
        output_filter: Iterable[str] = (),
    ) -> tuple[Servable, str, dict[str, np.ndarray]]:
        """Runs a Predict request.

        Returns:
            (servable, signature name, dict of output name to numpy array).

        Raises:
            ServingError: with the status code to report.
        """
        servable = self.manager.resolve(name, version, label)
        return self.predict_on(servable, signature_name, inputs, output_filter)

    def predict_on(
        self, servable: Servable, signature_name: str, inputs: dict[str, np.ndarray], output_filter: Iterable[str] = ()
    ) -> tuple[Servable, str, dict[str, np.ndarray]]:
        """Runs a Predict request on an already resolved version (see `predict`)."""
        signature = servable.signature(signature_name)
        seen = set()
        for alias in output_filter:  # predict_util.cc, PreProcessPrediction
            if alias not in signature.outputs:
                raise invalid(
                    f"output tensor alias not found in signature: {alias} Outputs expected to be "
                    f"in the set {{{','.join(sorted(signature.outputs))}}}."
                )
            if alias in seen:
                raise invalid(f"duplicate output tensor alias: {alias}")
            seen.add(alias)
        outputs = guarded(servable.predict, signature.name, inputs)
        if output_filter:
            outputs = {k: v for k, v in outputs.items() if k in set(output_filter)}
        return servable, signature.name, outputs

    def classify(
        self, name: str, version: int | None, label: str | None, signature_name: str, input_proto: input_pb2.Input
    ) -> tuple[Servable, str, list[list[tuple[bytes, float]]]]:
        """Runs a Classify request; returns (servable, signature name, rows of (label, score))."""
        servable = self.manager.resolve(name, version, label)
        signature = servable.signature(signature_name, api="examples")
        return servable, signature.name, guarded(classify, servable, signature.name, input_proto)

    def regress(
        self, name: str, version: int | None, label: str | None, signature_name: str, input_proto: input_pb2.Input
    ) -> tuple[Servable, str, list[float]]:
        """Runs a Regress request; returns (servable, signature name, list of floats)."""
        servable = self.manager.resolve(name, version, label)
        signature = servable.signature(signature_name, api="examples")
        return servable, signature.name, guarded(regress, servable, signature.name, input_proto)

    def metadata(
        self, name: str, version: int | None, label: str | None
    ) -> tuple[Servable, get_model_metadata_pb2.SignatureDefMap]:
        """Returns (servable, SignatureDefMap) of the resolved version."""
        servable = self.manager.resolve(name, version, label)
        return servable, servable.signature_def_map

    def status(self, name: str, version: int | None, label: str | None) -> list[VersionRecord]:
        """Returns the `VersionRecord`s for a status request."""
        return self.manager.status(name, version, label)


def guarded(function: Callable[..., Any], *args: Any) -> Any:
    """Calls `function`; any error but a `ServingError` is logged and becomes INTERNAL."""
    try:
        return function(*args)
    except ServingError:
        raise
    except Exception as err:
        log.exception("request failed inside the model")
        raise ServingError(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}") from err
