"""Which block each layer runs, for every cross-layer sharing mode."""

SHARING_MODES = ("all", "attention", "ffn", "none")


def group_index(layer_index: int, num_layers: int, num_groups: int) -> int:
    """The original ALBERT's layer → group map.

    `int(layer_index / num_layers * num_groups)`, as in
    `google-research/albert/modeling.py`.
    """
    return int(layer_index / num_layers * num_groups)


def block_keys(
    sharing: str, num_layers: int, num_groups: int, num_inner_repetitions: int
) -> list[list[tuple[str, str]]]:
    """The attention and FFN block keys that each layer runs, in order.

    Blocks with equal keys are one object (their weights are shared).

    Args:
        sharing: "all" (attention and FFN shared in groups), "attention"
            (attention shared, FFN per layer), "ffn" (FFN shared, attention
            per layer) or "none" (nothing shared).
        num_layers: L.
        num_groups: G, dividing L.
        num_inner_repetitions: blocks per layer.

    Returns:
        A list of length `num_layers`; item `l` is a list of
        `(attention_key, ffn_key)` pairs, one per inner repetition. A key is a
        block name such as "group_0_inner_layer_1" or "layer_3_inner_layer_0".
    """
    plan = []
    for layer in range(num_layers):
        g = group_index(layer, num_layers, num_groups)
        steps = []
        for i in range(num_inner_repetitions):
            shared = f"group_{g}_inner_layer_{i}"
            own = f"layer_{layer}_inner_layer_{i}"
            attention_key = shared if sharing in ("all", "attention") else own
            ffn_key = shared if sharing in ("all", "ffn") else own
            steps.append((attention_key, ffn_key))
        plan.append(steps)
    return plan
