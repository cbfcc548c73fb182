"""The input side shared by TF Serving's Classify and Regress APIs: tf.Examples in, one signature run."""

import numpy as np
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import input_pb2

from serving.errors import invalid
from serving.server.servable import Servable


def examples_from_input(input_proto: input_pb2.Input, api: str) -> list[bytes]:
    """Returns the serialized examples of a `tensorflow.serving.Input` proto.

    Examples of an `example_list_with_context` get the context's features
    merged in (the example's own features win).

    Args:
        input_proto: the request's `input`.
        api: "Classify" or "Regress", for messages.

    Raises:
        ServingError: INVALID_ARGUMENT if the input holds no examples.
    """
    kind = input_proto.WhichOneof("kind")
    if kind == "example_list":
        examples = [e.SerializeToString() for e in input_proto.example_list.examples]
    elif kind == "example_list_with_context":
        listed = input_proto.example_list_with_context
        examples = []
        for example in listed.examples:
            full = example_pb2.Example()
            full.CopyFrom(listed.context)
            full.MergeFrom(example)
            examples.append(full.SerializeToString())
    else:
        examples = []
    if not examples:
        raise invalid(f"the {api} request has no examples")
    return examples


def predict_examples(
    servable: Servable, signature_name: str, input_proto: input_pb2.Input, api: str, batching: bool = True
) -> dict[str, np.ndarray]:
    """Runs the signature's one string input on the request's serialized examples.

    Args:
        servable: the loaded model version.
        signature_name: a signature that `api` can serve (checked by the caller).
        input_proto: the request's `input`.
        api: "Classify" or "Regress", for messages.
        batching: go through the servable's batcher.

    Returns:
        The signature's outputs, each with a leading axis of one row per example.
    """
    examples = examples_from_input(input_proto, api)
    (input_name,) = servable.signature(signature_name).inputs
    tensor = np.empty(len(examples), dtype=object)
    tensor[:] = examples
    return servable.predict(signature_name, {input_name: tensor}, batching=batching)
