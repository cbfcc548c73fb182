"""Dtype policy helpers for mixed precision."""

from typing import Any

import keras


def policy_name(dtype: Any) -> str | None:
    """Returns the name of a dtype or dtype policy, or None."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, keras.DTypePolicy):
        return dtype.name
    return keras.backend.standardize_dtype(dtype)


def float32_if_mixed(dtype: str | keras.DTypePolicy | None) -> str | keras.DTypePolicy | None:
    """Dtype for layers that must compute in float32 under mixed precision.

    LayerNorm, softmax and the output logits stay float32 when the model runs
    in `mixed_bfloat16` or `mixed_float16`.

    Args:
        dtype: the model's dtype or dtype policy (or None for the global one).

    Returns:
        "float32" when the policy is mixed, else `dtype` unchanged.
    """
    policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()
    if policy.compute_dtype != policy.variable_dtype:
        return "float32"
    return dtype
