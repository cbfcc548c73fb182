"""TF Serving's Classify API on a signature that takes serialized tf.Examples."""

from tensorflow_serving.apis import input_pb2

from serving.errors import invalid
from serving.server.examples import predict_examples
from serving.server.servable import Servable


def classify(
    servable: Servable, signature_name: str, input_proto: input_pb2.Input, batching: bool = True
) -> list[list[tuple[bytes, float]]]:
    """Runs a Classify request on `servable`.

    Returns:
        list (one per example) of lists of (label bytes, score float).

    Raises:
        ServingError: INVALID_ARGUMENT if the signature is not Classify-able
            (one string input; outputs `classes` and/or `scores`) or there are
            no examples.
    """
    signature = servable.signature(signature_name, api="examples")
    if not signature.classifiable:
        raise invalid(
            f"signature {signature.name!r} cannot serve Classify: it needs one string input "
            f"and outputs 'classes' and/or 'scores', it has {sorted(signature.outputs)}"
        )
    outputs = predict_examples(servable, signature.name, input_proto, "Classify", batching=batching)
    scores = outputs.get("scores")
    classes = outputs.get("classes")
    count = (scores if scores is not None else classes).shape
    if scores is not None and scores.ndim == 1:
        scores = scores[:, None]
    if classes is not None and classes.ndim == 1:
        classes = classes[:, None]
    results = []
    for i in range(count[0]):
        width = (scores if scores is not None else classes).shape[1]
        row = []
        for j in range(width):
            label = classes[i, j] if classes is not None else b""
            score = float(scores[i, j]) if scores is not None else 0.0
            row.append((label, score))
        results.append(row)
    return results
