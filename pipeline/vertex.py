"""The Vertex AI Training CustomJob of `trainer.runner: vertex` (plain data; no TFX import).

`tfx.extensions.google_cloud_ai_platform.Trainer` reads the job from the
Trainer's `custom_config` (`ai_platform_training_args`: the project and a
CustomJob `job_spec`), starts it and waits for it. Every replica runs the
pipeline image's `python -m tfx.scripts.run_executor` (TFX sets the
container command), which calls the same `run_fn` as a local Trainer.

Worker pools, as Vertex AI numbers them:

    pool 0: the chief, one replica (TF_CONFIG task type "chief")
    pool 1: the other `replica_count - 1` workers (task type "worker")

Vertex sets TF_CONFIG on each replica, which MultiWorkerMirroredStrategy
(`trainer.strategy: multi_worker`) reads. A TPU accelerator is one TPU VM
(`trainer.strategy: tpu`, `trainer.tpu: local`).
"""

from typing import Any


def machine_spec(vertex: Any) -> dict:
    """The MachineSpec of every replica.

    Args:
        vertex: a validated `pipeline.config.VertexTrainingConfig`.

    Returns:
        {"machine_type", and when set "accelerator_type", "accelerator_count",
        "tpu_topology"}.
    """
    spec = {"machine_type": vertex.machine_type}
    if vertex.accelerator_type:
        spec["accelerator_type"] = vertex.accelerator_type
        spec["accelerator_count"] = vertex.accelerator_count
    if vertex.tpu_topology:
        spec["tpu_topology"] = vertex.tpu_topology
    return spec


def worker_pool_specs(vertex: Any) -> list[dict]:
    """The CustomJob's worker pool specs: the chief, then the other workers if any.

    Args:
        vertex: a validated `VertexTrainingConfig` (its `image` filled in).

    Returns:
        A list of one or two WorkerPoolSpec dicts (snake_case keys, as the
        Vertex AI client takes them).
    """
    def pool(replicas: int) -> dict:
        return {
            "machine_spec": machine_spec(vertex),
            "replica_count": replicas,
            "container_spec": {"image_uri": vertex.image},
        }

    pools = [pool(1)]
    if vertex.replica_count > 1:
        pools.append(pool(vertex.replica_count - 1))
    return pools


def training_args(vertex: Any) -> dict:
    """`ai_platform_training_args`: the project and the CustomJob of the Trainer.

    Args:
        vertex: a validated `VertexTrainingConfig`.

    Returns:
        {"project": ..., "job_spec": {"worker_pool_specs": [...], and
        "service_account" when set}}.
    """
    job_spec: dict = {"worker_pool_specs": worker_pool_specs(vertex)}
    if vertex.service_account:
        job_spec["service_account"] = vertex.service_account
    return {"project": vertex.project, "job_spec": job_spec}
