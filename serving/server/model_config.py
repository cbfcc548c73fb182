"""Reads TF Serving's `ModelServerConfig` text files (models.config)."""

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2


def parse_model_config(text: str) -> model_server_config_pb2.ModelServerConfig:
    """Returns the `ModelServerConfig` in `text`.

    Raises:
        ValueError: if it does not parse, has no model_config_list, or a model
            has no name or base_path, or a platform other than tensorflow.
    """
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as err:
        raise ValueError(f"models.config does not parse: {err}") from err
    if config.WhichOneof("config") != "model_config_list":
        raise ValueError("models.config needs a model_config_list")
    names = set()
    for model in config.model_config_list.config:
        if not model.name or not model.base_path:
            raise ValueError(f"every model needs a name and a base_path: {model}")
        if model.model_platform not in ("", "tensorflow"):
            raise ValueError(f"model {model.name!r}: only model_platform tensorflow is served")
        if model.name in names:
            raise ValueError(f"model {model.name!r} is listed twice")
        names.add(model.name)
    return config


def read_model_config(path: str) -> model_server_config_pb2.ModelServerConfig:
    """Returns the `ModelServerConfig` in the file at `path` (see `parse_model_config`)."""
    with open(path, encoding="utf-8") as f:
        return parse_model_config(f.read())


def single_model_config(name: str, base_path: str) -> model_server_config_pb2.ModelServerConfig:
    """Returns a `ModelServerConfig` for one model with the default policy."""
    config = model_server_config_pb2.ModelServerConfig()
    model = config.model_config_list.config.add()
    model.name = name
    model.base_path = base_path
    model.model_platform = "tensorflow"
    return config
