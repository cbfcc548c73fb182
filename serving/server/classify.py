"""TF Serving's Classify API on a signature that takes serialized tf.Examples."""

import numpy as np
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import input_pb2

from serving.errors import invalid
from serving.server.servable import Servable


def examples_from_input(input_proto: input_pb2.Input) -> list[bytes]:
    """Returns the serialized examples of a `tensorflow.serving.Input` proto.

    Examples of an `example_list_with_context` get the context's features
    merged in (the example's own features win).
    """
    kind = input_proto.WhichOneof("kind")
    if kind == "example_list":
        return [e.SerializeToString() for e in input_proto.example_list.examples]
    if kind == "example_list_with_context":
        listed = input_proto.example_list_with_context
        merged = []
        for example in listed.examples:
            full = example_pb2.Example()
            full.CopyFrom(listed.context)
            full.MergeFrom(example)
            merged.append(full.SerializeToString())
        return merged
    raise invalid("the Classify request has no examples")


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
    signature = servable.signature(signature_name)
    if not signature.classifiable:
        raise invalid(
            f"signature {signature.name!r} cannot serve Classify: it needs one string input "
            f"and outputs 'classes' and/or 'scores', it has {sorted(signature.outputs)}"
        )
    examples = examples_from_input(input_proto)
    if not examples:
        raise invalid("the Classify request has no examples")
    (input_name,) = signature.inputs
    tensor = np.empty(len(examples), dtype=object)
    tensor[:] = examples
    outputs = servable.predict(signature.name, {input_name: tensor}, batching=batching)
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
