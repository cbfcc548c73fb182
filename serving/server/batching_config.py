"""Reads TF Serving's batching parameters file (text `BatchingParameters`).

`tensorflow_serving.servables` is not part of the tensorflow-serving-api
wheel, so when it is missing this module builds the same message (same
package, names and field numbers as session_bundle_config.proto) at import
time. Fields TF Serving added later are not in the mirror.
"""

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, text_format, wrappers_pb2

try:
    from tensorflow_serving.servables.tensorflow.session_bundle_config_pb2 import (
        BatchingParameters,
    )
except ImportError:
    from google.protobuf import message_factory

    def _build():
        pool = descriptor_pool.Default()
        name = "tensorflow.serving.BatchingParameters"
        factory = message_factory.MessageFactory(pool)
        try:
            return factory.GetPrototype(pool.FindMessageTypeByName(name))
        except KeyError:
            pass
        proto = descriptor_pb2.FileDescriptorProto(
            name="albert_serving_mirror/session_bundle_config.proto",
            package="tensorflow.serving",
            syntax="proto3",
            dependency=[wrappers_pb2.DESCRIPTOR.name],
        )
        message = proto.message_type.add(name="BatchingParameters")
        fields = [
            ("max_batch_size", 1, ".google.protobuf.Int64Value", False),
            ("batch_timeout_micros", 2, ".google.protobuf.Int64Value", False),
            ("max_enqueued_batches", 3, ".google.protobuf.Int64Value", False),
            ("num_batch_threads", 4, ".google.protobuf.Int64Value", False),
            ("thread_pool_name", 5, ".google.protobuf.StringValue", False),
            ("allowed_batch_sizes", 6, "int64", True),
            ("pad_variable_length_inputs", 7, "bool", False),
            ("enable_large_batch_splitting", 8, "bool", False),
            ("max_execution_batch_size", 9, ".google.protobuf.Int64Value", False),
        ]
        F = descriptor_pb2.FieldDescriptorProto
        for field_name, number, kind, repeated in fields:
            field = message.field.add(name=field_name, number=number)
            field.label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
            if kind.startswith("."):
                field.type = F.TYPE_MESSAGE
                field.type_name = kind
            else:
                field.type = F.TYPE_INT64 if kind == "int64" else F.TYPE_BOOL
        pool.AddSerializedFile(proto.SerializeToString())
        return factory.GetPrototype(pool.FindMessageTypeByName(name))

    BatchingParameters = _build()


def read_batching_parameters(path: str) -> Any:
    """Returns the `BatchingParameters` in the text file at `path`.

    Raises:
        ValueError: if it does not parse.
    """
    params = BatchingParameters()
    with open(path, encoding="utf-8") as f:
        try:
            text_format.Parse(f.read(), params)
        except text_format.ParseError as err:
            raise ValueError(f"{path} does not parse as BatchingParameters: {err}") from err
    return params
