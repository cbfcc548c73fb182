"""TF Serving's Regress API on a signature that takes serialized tf.Examples."""

from tensorflow_serving.apis import input_pb2

from serving.errors import invalid
from serving.server.examples import predict_examples
from serving.server.servable import Servable

REGRESS_OUTPUT = "outputs"


def regress(
    servable: Servable, signature_name: str, input_proto: input_pb2.Input, batching: bool = True
) -> list[float]:
    """Runs a Regress request on `servable`.

    Returns:
        list of float, one per example.

    Raises:
        ServingError: INVALID_ARGUMENT if the signature is not Regress-able
            (one string input, the single output `outputs` of shape [B] or
            [B, 1]) or there are no examples.
    """
    signature = servable.signature(signature_name, api="examples")
    if not signature.regressable:
        raise invalid(
            f"signature {signature.name!r} cannot serve Regress: it needs one string input "
            f"and the single output 'outputs', it has {sorted(signature.outputs)}"
        )
    values = predict_examples(servable, signature.name, input_proto, "Regress", batching=batching)[REGRESS_OUTPUT]
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise invalid(f"regression output has shape {list(values.shape)}, expected [B] or [B, 1]")
    return [float(v) for v in values]
