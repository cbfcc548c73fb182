"""Which versions to serve, from a `ModelVersionPolicy` proto."""

from collections.abc import Iterable

from tensorflow_serving.config import file_system_storage_path_source_pb2 as fs_pb2


def default_policy() -> fs_pb2.FileSystemStoragePathSourceConfig.ServableVersionPolicy:
    """Returns TF Serving's default policy: the latest version only."""
    policy = fs_pb2.FileSystemStoragePathSourceConfig.ServableVersionPolicy()
    policy.latest.num_versions = 1
    return policy


def select_versions(
    policy: fs_pb2.FileSystemStoragePathSourceConfig.ServableVersionPolicy, available: Iterable[int]
) -> set[int]:
    """Returns the set of versions the policy wants served.

    Args:
        policy: `ServableVersionPolicy` (`latest`, `all` or `specific`; unset = latest 1).
        available: iterable of versions that are complete on disk and loadable.
    """
    available = sorted(set(available))
    kind = policy.WhichOneof("policy_choice")
    if kind == "all":
        return set(available)
    if kind == "specific":
        return set(available) & set(policy.specific.versions)
    count = policy.latest.num_versions if kind == "latest" else 1
    return set(available[-max(count, 1):]) if available else set()
