"""The config engine: YAML -> typed dataclasses, `--set` overrides, YAML out.

Every config of the project (pretraining, fine-tuning, distillation and
the TFX pipeline) is a tree of dataclasses with typed, defaulted fields,
read by this one loader. It checks every key and type while reading:

* an unknown key fails with its dotted path and its file:
  ``Unknown config key `training.global_batch_sise` ... (in c.yaml)``;
* a wrong type fails the same way:
  ``` `training.train_steps` must be an int. Received: 'x' (in c.yaml)```;
* ``--set a.b=c`` overrides take YAML values (``1e-3``, ``true``,
  ``[a.txt, b.txt]``), and an unknown key there is an error too;
* `to_yaml` writes a config back; loading that text gives an equal config.

Values are then checked by the config's own `validate()` (ranges, files,
choices); a `ConfigError` it raises gets the file appended by `load`.

Fields declared with ``init=False`` are derived by `validate()` (e.g. the
resolved input files): they are neither read nor written.

Example:

>>> import dataclasses
>>> @dataclasses.dataclass
... class Run:
...     steps: int = 10
...     name: str = "run"
>>> apply_overrides(Run(), ["steps=20"])
Run(steps=20, name='run')
>>> from_dict(Run, yaml.safe_load(to_yaml(Run(steps=3)))) == Run(steps=3)
True
"""

import copy
import dataclasses
import os
import types
import typing
from collections.abc import Sequence
from typing import Any

import yaml

C = typing.TypeVar("C")  # a config dataclass
Overrides = Sequence[str] | dict[str, Any] | None  # ``--set`` strings, or a nested dict


class ConfigError(ValueError):
    """A config key is unknown, has the wrong type or a bad value, or names a missing file."""


def _where(source: str | None) -> str:
    return f" (in {source})" if source else ""


def _init_fields(cls) -> dict:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def from_dict(
    cls: type[C], data: dict | None, prefix: str = "", base: C | None = None, source: str | None = None
) -> C:
    """Builds dataclass `cls` from a nested dict, checking keys and types.

    Keys not in `data` keep their values in `base` (for a section: the
    parent's value of that section, e.g. fine-tuning's AdamW optimizer), or
    the defaults of `cls`.

    Args:
        cls: a config dataclass.
        data: a mapping (None: the defaults).
        prefix: the dotted path of `data`, for messages.
        base: the instance whose values are the defaults (default `cls()`).
        source: where `data` comes from (a file, ``--set ...``), for messages.

    Returns:
        A `cls` instance (not validated: call `.validate()`).

    Raises:
        ConfigError: an unknown key or a wrong type, named by its dotted path.
    """
    base = cls() if base is None else base
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"`{prefix or 'config'}` must be a mapping. Received: {data!r}{_where(source)}")
    fields = _init_fields(cls)
    unknown = sorted(str(k) for k in set(data) - set(fields))
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        section = f" in `{prefix}`" if prefix else ""
        raise ConfigError(
            f"Unknown config key `{key}`. Known keys{section}: {', '.join(sorted(fields))}{_where(source)}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        if dataclasses.is_dataclass(hints[name]):
            kwargs[name] = from_dict(hints[name], value, key, base=getattr(base, name), source=source)
        else:
            kwargs[name] = _convert(hints[name], value, key, source)
    return dataclasses.replace(base, **kwargs)


def _type_name(hint) -> str:
    names = {bool: "true or false", int: "an int", float: "a number", str: "a string", dict: "a mapping"}
    if hint in names:
        return names[hint]
    if hint is list or typing.get_origin(hint) is list:
        args = typing.get_args(hint)
        return f"a list of {_type_name(args[0]).split(' ', 1)[1]}s" if args else "a list"
    return getattr(hint, "__name__", str(hint))


def _convert(hint, value, key: str, source: str | None):
    """Checks (and for numbers and lists, normalizes) one leaf value."""
    where = _where(source)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        if value is None:
            return None
        (arg,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(arg, value, key, source)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, key, source=source)
    bad = ConfigError(f"`{key}` must be {_type_name(hint)}. Received: {value!r}{where}")
    if hint is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise bad
        return value
    if hint is list or origin is list:
        if isinstance(value, str):
            value = [value]  # one file for a list of files
        if not isinstance(value, list):
            raise bad
        (item_hint,) = typing.get_args(hint) or (None,)
        if item_hint is not None:
            return [_convert(item_hint, v, f"{key}[{i}]", source) for i, v in enumerate(value)]
        return list(value)
    if hint is dict or origin is dict:
        if not isinstance(value, dict):
            raise bad
        return dict(value)
    return value


def parse_override(item: str) -> tuple:
    """Splits ``"a.b=value"`` into ``("a.b", value)``, the value parsed as YAML."""
    if not isinstance(item, str) or "=" not in item:
        raise ConfigError(f"--set needs key=value. Received: {item!r}")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or not all(key.split(".")):
        raise ConfigError(f"--set: `{key}` is not a dotted key. Received: {item!r}")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {key}: value {raw!r} is not valid YAML ({e})") from e
    return key, value


def _nest(key: str, value) -> dict:
    """``("a.b", 1)`` -> ``{"a": {"b": 1}}``."""
    *parents, leaf = key.split(".")
    data = {leaf: value}
    for part in reversed(parents):
        data = {part: data}
    return data


def _override_data(config, key: str, value) -> dict:
    """The nested dict that sets dotted `key` of `config` to `value`.

    A key that goes into a mapping field (``model.overrides.num_layers``)
    sets that one entry and keeps the mapping's others.
    """
    parts = key.split(".")
    node = config
    for i, part in enumerate(parts[:-1]):
        if not (dataclasses.is_dataclass(node) and part in _init_fields(type(node))):
            break  # an unknown key: from_dict names it
        node = getattr(node, part)
        if isinstance(node, dict):
            merged = copy.deepcopy(node)
            entry = merged
            for inner in parts[i + 1:-1]:
                entry = entry.setdefault(inner, {})
                if not isinstance(entry, dict):
                    raise ConfigError(f"--set {key}: `{inner}` is not a mapping. Received: {entry!r}")
            entry[parts[-1]] = value
            return _nest(".".join(parts[: i + 1]), merged)
    return _nest(key, value)


def apply_overrides(config: C, overrides: Overrides) -> C:
    """Returns `config` with overrides applied (checked like the file).

    Args:
        config: a config dataclass instance.
        overrides: ``--set`` strings such as ``"training.train_steps=200"``,
            or a nested dict merged over the config (tests use it).

    Returns:
        A new instance of the same class (not validated).

    Raises:
        ConfigError: a malformed item, an unknown key or a wrong type,
            naming the ``--set`` item.
    """
    if not overrides:
        return config
    if isinstance(overrides, dict):
        return from_dict(type(config), overrides, base=config, source="overrides")
    for item in overrides:
        key, value = parse_override(item)
        config = from_dict(type(config), _override_data(config, key, value), base=config, source=f"--set {item}")
    return config


def read_yaml(path: str) -> dict:
    """Reads a YAML mapping from `path` (an empty file is ``{}``)."""
    if not os.path.isfile(path):
        raise ConfigError(f"Config file not found: {path!r}")
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML ({e})") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"A config file must hold a mapping of sections. Received: {type(data).__name__} (in {path})")
    return data


def validated(config: C, source: str | None) -> C:
    """Runs `config.validate()`; its `ConfigError` gets `source` appended."""
    try:
        return config.validate()
    except ConfigError as e:
        if not source:
            raise
        raise ConfigError(f"{e}{_where(source)}") from e


def describe_source(path: str | None, overrides: Overrides = None) -> str | None:
    """``FILE``, ``FILE with --set a=1, b=2`` or ``--set ...`` for messages."""
    sets = ", ".join(overrides) if overrides and not isinstance(overrides, dict) else ""
    if path and sets:
        return f"{path} with --set {sets}"
    return path or (f"--set {sets}" if sets else None)


def load(cls: type[C], path: str | None = None, overrides: Overrides = None) -> C:
    """Reads a YAML config, applies overrides, builds and validates `cls`.

    Args:
        cls: a config dataclass with a `validate()` method.
        path: a YAML file (None: the defaults only).
        overrides: ``--set`` strings or a nested dict (see `apply_overrides`).

    Returns:
        A validated `cls` instance.

    Raises:
        ConfigError: naming the key and the file.
    """
    data = read_yaml(path) if path is not None else {}
    config = apply_overrides(from_dict(cls, data, source=path), overrides)
    return validated(config, describe_source(path, overrides))


def coerce(cls: type[C], config: C | dict[str, Any]) -> C:
    """Returns a validated `cls` from a `cls` instance or a nested dict."""
    if isinstance(config, cls):
        return config.validate()
    if isinstance(config, dict):
        return from_dict(cls, config).validate()
    raise TypeError(f"`config` must be a {cls.__name__} or a dict. Received: {type(config).__name__}")


def to_dict(config: Any) -> dict[str, Any]:
    """The config as a plain nested dict of its YAML keys (derived fields left out)."""
    out = {}
    for name in _init_fields(type(config)):
        value = getattr(config, name)
        if dataclasses.is_dataclass(value):
            value = to_dict(value)
        elif isinstance(value, list | dict):
            value = yaml.safe_load(yaml.safe_dump(value))  # a deep copy of plain data
        out[name] = value
    return out


def to_yaml(config: Any) -> str:
    """The config as YAML text that `load`/`from_dict` read back to an equal config."""
    return yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)


def write_yaml(config: Any, path: str) -> str:
    """Writes `to_yaml(config)` to `path`; returns `path`."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_yaml(config))
    return path
