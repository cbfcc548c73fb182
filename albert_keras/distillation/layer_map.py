"""Which teacher layer each student layer learns from."""


def default_layer_map(student_layers: int, teacher_layers: int) -> list[int]:
    """Student layer i (0-based) → teacher layer `round((i + 1) * L_t / L_s) - 1`.

    Halves round up, so the map is monotone and the last student layer always
    maps to the last teacher layer.

    Args:
        student_layers: L_s.
        teacher_layers: L_t.

    Returns:
        A list of L_s teacher layer indices (0-based).

    >>> default_layer_map(4, 12)
    [2, 5, 8, 11]
    >>> default_layer_map(3, 4)
    [0, 2, 3]
    """
    if student_layers < 1 or teacher_layers < 1:
        raise ValueError(
            f"Layer counts must be >= 1. Received: student_layers={student_layers}, teacher_layers={teacher_layers}"
        )
    return [int((i + 1) * teacher_layers / student_layers + 0.5) - 1 for i in range(student_layers)]


def resolve_layer_map(
    layer_map: dict[int, int] | list[tuple[int, int]] | None, student_layers: int, teacher_layers: int
) -> list[tuple[int, int]]:
    """Checks an explicit map, or builds the default one.

    Args:
        layer_map: None (use the default), or a dict / list of pairs
            `{student_layer: teacher_layer}` (0-based). Student layers left
            out are not matched.
        student_layers: L_s.
        teacher_layers: L_t.

    Returns:
        A sorted list of `(student_layer, teacher_layer)` pairs.
    """
    if layer_map is None:
        return list(enumerate(default_layer_map(student_layers, teacher_layers)))
    pairs = sorted((int(s), int(t)) for s, t in (layer_map.items() if isinstance(layer_map, dict) else layer_map))
    for s, t in pairs:
        if not 0 <= s < student_layers or not 0 <= t < teacher_layers:
            raise ValueError(
                f"Layer map pair {s}->{t} is out of range: the student has {student_layers} layers and the "
                f"teacher {teacher_layers} (0-based indices)."
            )
    if len({s for s, _ in pairs}) != len(pairs):
        raise ValueError(f"Layer map names a student layer twice: {pairs}")
    return pairs
