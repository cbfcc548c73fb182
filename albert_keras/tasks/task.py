"""The base class of task models: a backbone plus heads, serialized together.

A task can hold its `preprocessor` (an `AlbertPreprocessor`, KerasHub's
pattern): `load_model_dir` and `from_preset` attach one built from the
model dir's vocabulary (SentencePiece or WordPiece). With it, `predict`,
`evaluate` and `fit` take raw strings as well as token-id dicts:

* a `str`, a list or numpy array of strings, or a tf.string tensor: one text
  per example;
* a tuple `(texts, texts_b)` or a dict `{"text": ..., "text_b": ...}`: pairs;
* a `tf.data.Dataset` whose features are strings, batched or not, with
  elements `x`, `(x, y)` or `(x, y, sample_weight)` as Keras unpacks them (so
  pairs in a dataset are dicts or nested tuples `((text, text_b), y)`).

Strings become a `tf.data` pipeline that maps each batch through
`_preprocess_texts` (the preprocessor, by default; subclasses add their own
features, e.g. the pretrainer's mask positions). Token-id inputs go to Keras
unchanged.
"""

import os
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from albert_keras import features, handles, model_dir
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.preprocessing.preprocessor import AlbertPreprocessor

DEFAULT_BATCH_SIZE = 32  # Keras's own default for arrays


def _is_text_leaf(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "US":
            return True
        return value.dtype.kind == "O" and value.size > 0 and isinstance(value.flat[0], (str, bytes))
    if isinstance(value, (tf.Tensor, tf.TensorSpec)):
        return value.dtype == tf.string
    if isinstance(value, list) and value:
        return _is_text_leaf(value[0])
    return False


def is_text(x: Any) -> bool:
    """True when `x` is raw text: strings, a pair tuple of them, or a dict of them."""
    if isinstance(x, dict):
        return bool(x) and all(_is_text_leaf(v) for v in x.values())
    if isinstance(x, tuple):
        return bool(x) and all(_is_text_leaf(v) for v in x)
    return _is_text_leaf(x)


def _string_tensor(value: Any) -> tf.Tensor:
    if isinstance(value, (str, bytes)):
        value = [value]
    if isinstance(value, tf.Tensor):
        return value
    array = np.asarray(value, dtype=object)
    return tf.constant(array.tolist(), dtype=tf.string)


def _strings(x: Any) -> Any:
    """`x` with every leaf a tf.string tensor (a lone `str` becomes a batch of one)."""
    if isinstance(x, dict):
        return {k: _string_tensor(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_string_tensor(v) for v in x)
    return _string_tensor(x)


def _spec_leaves(spec: Any) -> list[tf.TensorSpec]:
    return [s for s in tf.nest.flatten(spec) if isinstance(s, tf.TensorSpec)]


def _dataset_x_spec(dataset: tf.data.Dataset) -> Any:
    spec = dataset.element_spec
    return spec[0] if isinstance(spec, tuple) and len(spec) in (2, 3) else spec


def _is_text_dataset(dataset: tf.data.Dataset) -> bool:
    return any(s.dtype == tf.string for s in _spec_leaves(_dataset_x_spec(dataset)))


def _is_batched(dataset: tf.data.Dataset) -> bool:
    ranks = [s.shape.rank for s in _spec_leaves(_dataset_x_spec(dataset)) if s.dtype == tf.string]
    return all(rank is None or rank >= 1 for rank in ranks)


class AlbertTask(keras.Model):
    """A functional model around an `AlbertBackbone`, optionally holding its preprocessor.

    Subclasses build their graph in `__init__` and pass `**kwargs` (which may
    hold `preprocessor`) to `super().__init__(inputs=..., outputs=...)`.
    `get_config` holds the serialized backbone, the preprocessor (when set)
    and the subclass's own constructor args (listed in `_task_args`).

    Args (every task):
        preprocessor: optional `AlbertPreprocessor` (or its serialized
            config): what `predict`/`evaluate`/`fit` map raw strings
            through, and what the decoding methods (`classify`,
            `fill_mask`, ...) tokenize with.
    """

    _task_args = ()

    def __init__(self, *args: Any, preprocessor: AlbertPreprocessor | dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(preprocessor, dict):
            preprocessor = keras.saving.deserialize_keras_object(preprocessor)
        if preprocessor is not None and not isinstance(preprocessor, AlbertPreprocessor):
            raise ValueError(
                f"`preprocessor` must be an AlbertPreprocessor or None. Received: a {type(preprocessor).__name__}"
            )
        self.preprocessor = preprocessor

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "preprocessor":
            # Kept out of TF's object tracking, so a SavedModel of the task (or of the export
            # module, which holds its own preprocessor) does not carry a second tokenizer. Keras
            # saving still finds it through the `preprocessor` property (its `.keras` assets).
            object.__setattr__(self, "_task_preprocessor", value)
            return
        super().__setattr__(name, value)

    @property
    def preprocessor(self) -> AlbertPreprocessor | None:
        """The `AlbertPreprocessor` raw strings go through, or None (token ids only)."""
        return self.__dict__.get("_task_preprocessor")

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "trainable": self.trainable}
        config["backbone"] = keras.layers.serialize(self.backbone)
        if self.preprocessor is not None:
            config["preprocessor"] = keras.layers.serialize(self.preprocessor)
        for arg in self._task_args:
            config[arg] = getattr(self, arg)
        return config

    def get_compile_config(self) -> dict[str, Any] | None:
        return super().get_compile_config()

    def compile_from_config(self, config: dict[str, Any]) -> None:
        return super().compile_from_config(config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "AlbertTask":
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)

    @classmethod
    def from_preset(cls, preset: str, load_weights: bool = True, **kwargs: Any) -> "AlbertTask":
        """Builds the task on a preset backbone, a checkpoint handle or a model directory.

        A model directory (or a converted handle) saved from this same task
        class, with the same (or no) `kwargs`, is restored whole, heads
        included. Any other gives its backbone (weights loaded) under new
        heads, e.g. `AlbertClassifier.from_preset("albert_base_zh", num_classes=2)`.
        Either way the task holds a `preprocessor` built from the directory's
        vocabulary when it has one (pass `preprocessor=` to choose another).

        Args:
            preset: a preset name, a model directory, or any handle
                `AlbertBackbone.from_preset` accepts.
            load_weights: load the backbone's (and same-class heads')
                weights; False builds random weights.
            **kwargs: task constructor args (e.g. `num_classes`,
                `preprocessor`).

        Raises:
            HubError: a handle that cannot be resolved.
        """
        preset = os.fspath(preset)
        entry = AlbertBackbone.presets.get(preset)
        if entry is not None and (not load_weights or not entry.get("has_weights")):
            return cls(backbone=AlbertBackbone.from_preset(preset, load_weights=False), **kwargs)
        path = preset if model_dir.is_model_dir(preset) else handles.resolve(preset)
        head_kwargs = {k: v for k, v in kwargs.items() if k != "preprocessor"}
        if load_weights:
            config = model_dir.read_config(path)
            saved = config["config"]
            same_heads = all(saved.get(k) == v for k, v in head_kwargs.items())
            if model_dir.saved_class(config, os.path.join(path, model_dir.CONFIG_FILE)) is cls and same_heads:
                model = model_dir.load_model_dir(path)
                if "preprocessor" in kwargs:
                    model.preprocessor = kwargs["preprocessor"]
                return model
        if "preprocessor" not in kwargs:
            kwargs["preprocessor"] = model_dir.load_preprocessor(path)
        return cls(backbone=AlbertBackbone.from_preset(path, load_weights=load_weights), **kwargs)

    # === Raw text in ===

    def _require_preprocessor(self) -> AlbertPreprocessor:
        if self.preprocessor is None:
            raise ValueError(
                f"This {type(self).__name__} has no `preprocessor`, so it takes token ids, not strings. Load it "
                "from a model directory that has a vocabulary, or pass "
                "`preprocessor=AlbertPreprocessor.from_vocab_dir(...)` (or set `task.preprocessor`)."
            )
        return self.preprocessor

    def _preprocess_texts(self, x: Any, y: Any = None, training: bool = False) -> tuple[dict[str, tf.Tensor], Any]:
        """Maps one batch of raw text (tf.string tensors) to model inputs, in a `tf.data` map.

        Args:
            x: tf.string `[batch]`, a tuple `(text, text_b)` or a dict with
                `text` (and `text_b`).
            y: the batch's labels, or None.
            training: True for `fit`/`evaluate`: a task whose labels come from
                the text itself (the pretrainer's masks) builds them.

        Returns:
            `(inputs, y)`: the model's input dict and the (possibly built) labels.
        """
        del training
        return self._require_preprocessor()(x), y

    def _element_mapper(self, training: bool) -> Any:
        def map_element(*element):
            if len(element) == 1:  # features alone (a pair tuple stays a pair)
                x, y, sample_weight = element[0], None, None
            else:
                x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(tuple(element))
            x, y = self._preprocess_texts(x, y, training=training)
            return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

        return map_element

    def text_dataset(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int | None = None,
        shuffle: bool = False,
        training: bool = False,
    ) -> tf.data.Dataset:
        """Raw text (and labels) as a batched `tf.data.Dataset` of model inputs.

        Args:
            x: raw text (see the module docstring) or a `tf.data.Dataset` of it.
            y: labels, for arrays (a dataset carries its own).
            sample_weight: sample weights, for arrays.
            batch_size: batch size for arrays and unbatched datasets (32).
            shuffle: shuffle arrays (all of them) before batching.
            training: build labels from the text where the task does (see
                `_preprocess_texts`); `fit` and `evaluate` set it.

        Returns:
            A dataset of `x_inputs`, `(x_inputs, y)` or `(x_inputs, y, sample_weight)`.
        """
        self._require_preprocessor()
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        if isinstance(x, tf.data.Dataset):
            dataset = x if _is_batched(x) else x.batch(batch_size)
        else:
            x = _strings(x)
            element = keras.utils.pack_x_y_sample_weight(x, y, sample_weight)
            dataset = tf.data.Dataset.from_tensor_slices(element)
            if shuffle:
                count = int(tf.nest.flatten(x)[0].shape[0])
                dataset = dataset.shuffle(count, reshuffle_each_iteration=True)
            dataset = dataset.batch(batch_size)
        dataset = dataset.map(self._element_mapper(training), num_parallel_calls=tf.data.AUTOTUNE)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def _is_text_input(self, x: Any) -> bool:
        if isinstance(x, tf.data.Dataset):
            return _is_text_dataset(x)
        return is_text(x)

    def _text_validation(self, validation_data: Any, batch_size: int | None) -> Any:
        if validation_data is None:
            return None
        if isinstance(validation_data, tf.data.Dataset) or not isinstance(validation_data, tuple):
            if self._is_text_input(validation_data):
                return self.text_dataset(validation_data, batch_size=batch_size, training=True)
            return validation_data
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(validation_data)
        if self._is_text_input(x):
            return self.text_dataset(x, y, sample_weight, batch_size=batch_size, training=True)
        return validation_data

    def predict(self, x: Any, batch_size: int | None = None, **kwargs: Any) -> Any:
        """`keras.Model.predict`, also on raw strings (mapped through the preprocessor)."""
        if self._is_text_input(x):
            return super().predict(self.text_dataset(x, batch_size=batch_size), **kwargs)
        return super().predict(x, batch_size=batch_size, **kwargs)

    def evaluate(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, sample_weight: Any = None, **kwargs: Any
    ) -> Any:
        """`keras.Model.evaluate`, also on raw strings (mapped through the preprocessor)."""
        if x is not None and self._is_text_input(x):
            dataset = self.text_dataset(x, y, sample_weight, batch_size=batch_size, training=True)
            return super().evaluate(dataset, **kwargs)
        return super().evaluate(x, y, batch_size=batch_size, sample_weight=sample_weight, **kwargs)

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        sample_weight: Any = None,
        validation_data: Any = None,
        shuffle: bool = True,
        validation_batch_size: int | None = None,
        **kwargs: Any,
    ) -> keras.callbacks.History:
        """`keras.Model.fit`, also on raw strings (mapped through the preprocessor).

        Raw-text `validation_data` is a dataset, a list/array of texts, or
        `(x, y[, sample_weight])`; `validation_split` needs token ids.
        """
        validation_data = self._text_validation(validation_data, validation_batch_size or batch_size)
        if x is not None and self._is_text_input(x):
            if kwargs.get("validation_split"):
                raise ValueError("`validation_split` must be 0 with raw-text `x`: pass `validation_data` instead.")
            dataset = self.text_dataset(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, training=True)
            return super().fit(dataset, validation_data=validation_data, **kwargs)
        return super().fit(
            x, y, batch_size=batch_size, sample_weight=sample_weight, validation_data=validation_data,
            shuffle=shuffle, validation_batch_size=validation_batch_size, **kwargs,
        )

    # === Outputs decoded (shared by the task decoders) ===

    def _predict_batches(self, x: Any, batch_size: int | None = None) -> list[tuple[dict[str, np.ndarray], Any]]:
        """Runs the model on raw text batch by batch, for the decoding methods.

        Args:
            x: raw text (not a dataset): strings, a pair tuple or a dict.
            batch_size: texts per model call (32).

        Returns:
            One `(inputs, outputs)` per batch, numpy: the model inputs fed
            and the model's outputs (an array or a dict of arrays).
        """
        self._require_preprocessor()
        x = _strings(x)
        count = int(tf.nest.flatten(x)[0].shape[0])
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        results = []
        for start in range(0, count, batch_size):
            batch = tf.nest.map_structure(lambda t, s=start: t[s : s + batch_size], x)
            inputs = trim_padding(self._preprocess_texts(batch)[0])
            outputs = self(inputs, training=False)
            results.append((
                {k: np.asarray(v) for k, v in inputs.items()},
                tf.nest.map_structure(np.asarray, outputs),
            ))
        return results


def trim_padding(inputs: dict[str, Any]) -> dict[str, Any]:
    """Cuts the padding columns that every row has (same outputs on the real tokens, less work).

    Args:
        inputs: model inputs with `padding_mask` `[..., T]`; other features
            with a last axis of length T are cut too (`mask_positions` is kept).

    Returns:
        The dict with the `[..., T]` features cut to the longest row.
    """
    mask = np.asarray(inputs[features.PADDING_MASK])
    length = max(int(mask.sum(axis=-1).max()) if mask.size else 1, 1)
    total = mask.shape[-1]
    return {
        k: (np.asarray(v)[..., :length] if k != features.MASK_POSITIONS and np.asarray(v).shape[-1:] == (total,) else v)
        for k, v in inputs.items()
    }


def backbone_inputs(backbone: AlbertBackbone, extra_rank: int = 0) -> dict[str, keras.KerasTensor]:
    """New `keras.Input`s matching the backbone's, optionally with an extra axis.

    Args:
        backbone: an `AlbertBackbone`.
        extra_rank: 1 adds a leading choice axis: `[batch, num_choices, seq_len]`.

    Returns:
        A dict of int32 inputs keyed like the backbone's.
    """
    shape = (None,) * (1 + extra_rank)
    return {name: keras.Input(shape=shape, dtype="int32", name=name) for name in backbone.input}
