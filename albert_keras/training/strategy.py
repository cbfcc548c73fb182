"""Creates the tf.distribute strategy and splits the global batch."""

import json
import os
import tempfile

import tensorflow as tf

from albert_keras.config import ConfigError


def _tf_config():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise ConfigError(f"TF_CONFIG is not valid JSON ({e.msg}).") from e


def _num_workers(tf_config):
    cluster = tf_config.get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def create_strategy(name: str = "auto", tpu: str | None = None) -> tf.distribute.Strategy:
    """Returns a `tf.distribute.Strategy`.

    Args:
        name: "auto", "default", "mirrored" (all local GPUs, else all
            logical CPUs), "multi_worker" or "tpu".
            "auto" picks tpu when `tpu` is set, multi_worker when TF_CONFIG
            has more than one worker, mirrored on more than one GPU, else
            the default (no-op) strategy.
        tpu: TPU name/address for "tpu" ("local" on a TPU VM).

    Returns:
        The strategy. Call it before building models; multi_worker must be
        created before any other TF op runs.
    """
    if name == "auto":
        if tpu:
            name = "tpu"
        elif _num_workers(_tf_config()) > 1:
            name = "multi_worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # All GPUs; without GPUs, all logical CPUs (tests split one CPU in two).
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])
    if name == "multi_worker":
        config = _tf_config()
        if not config.get("cluster") or "task" not in config:
            raise ConfigError("distribution.strategy multi_worker needs TF_CONFIG with 'cluster' and 'task'.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        if not tpu:
            raise ConfigError("distribution.tpu must be set for the tpu strategy.")
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu="" if tpu == "local" else tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"distribution.strategy: unknown strategy {name!r}")


def per_replica_batch_size(global_batch_size: int, num_replicas: int, accumulation_steps: int = 1) -> int:
    """Examples per replica per step.

    Args:
        global_batch_size: examples per optimizer update.
        num_replicas: `strategy.num_replicas_in_sync`.
        accumulation_steps: micro-batches per update.

    Returns:
        `global_batch_size // (num_replicas * accumulation_steps)`.

    Raises:
        ConfigError: the global batch does not split evenly.
    """
    parts = num_replicas * accumulation_steps
    if global_batch_size % parts:
        raise ConfigError(
            f"training.global_batch_size={global_batch_size} is not divisible by the "
            f"{num_replicas} replicas x {accumulation_steps} accumulation steps = {parts}."
        )
    return global_batch_size // parts


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True on the worker that writes checkpoints, logs and exports.

    Single-worker strategies are always chief; with TF_CONFIG the chief is
    task type "chief", or worker 0 when there is no chief.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def writable_dir(strategy: tf.distribute.Strategy, path: str) -> str:
    """`path` on the chief; a throwaway temp dir on other workers.

    Every worker must take part in saving (variables may be gathered with
    collectives), but only the chief's files are kept.
    """
    if is_chief(strategy):
        return path
    resolver = strategy.cluster_resolver
    return tempfile.mkdtemp(prefix=f"albert_{resolver.task_type}_{resolver.task_id}_")
