"""ALBERT presets as plain data: name → config, description, parameter count, weights.

`has_weights` says whether released weights exist under the same name in
the checkpoint registry (`albert_keras.hub.registry`): `from_preset(name)`
then downloads and converts them, and `from_preset(name, load_weights=False)`
builds the architecture with random weights without any download. A preset
without weights (`albert_tiny`) always builds random weights.

Parameter counts are the backbone's (with pooler) at vocabulary 30000, 512
positions and 2 segments, as in Table 1 of the paper.
"""

_V1_V2 = "v1 and v2 share the architecture; v2 was trained longer without dropout."


def _albert(num_layers, num_heads, hidden_dim, intermediate_dim, activation="gelu_approximate"):
    return {
        "vocabulary_size": 30000,
        "num_layers": num_layers,
        "num_heads": num_heads,
        "embedding_dim": 128,
        "hidden_dim": hidden_dim,
        "intermediate_dim": intermediate_dim,
        "num_groups": 1,
        "num_inner_repetitions": 1,
        "sharing": "all",
        "max_sequence_length": 512,
        "num_segments": 2,
        "activation": activation,
        "layer_norm_epsilon": 1e-12,
        "initializer_range": 0.02,
    }


PRESETS = {}
for _version, _dropout in (("v1", 0.1), ("v2", 0.0)):
    for _size, _args, _params in (
        ("base", (12, 12, 768, 3072), 11_683_584),
        ("large", (24, 16, 1024, 4096), 17_683_968),
        ("xlarge", (24, 16, 2048, 8192), 58_724_864),
        ("xxlarge", (12, 64, 4096, 16384), 222_595_584),
    ):
        _config = _albert(*_args)
        _config["dropout"] = _dropout
        _config["attention_dropout"] = _dropout
        PRESETS[f"albert_{_size}_{_version}"] = {
            "config": _config,
            "description": f"ALBERT-{_size} {_version} architecture ({_args[0]} layers, H={_args[2]}). {_V1_V2}",
            "params": _params,
            "has_weights": True,
        }

PRESETS["albert_tiny"] = {
    "config": {
        "vocabulary_size": 8000,
        "num_layers": 4,
        "num_heads": 4,
        "embedding_dim": 64,
        "hidden_dim": 128,
        "intermediate_dim": 512,
        "num_groups": 1,
        "num_inner_repetitions": 1,
        "sharing": "all",
        "max_sequence_length": 128,
        "num_segments": 2,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation": "gelu_approximate",
        "layer_norm_epsilon": 1e-12,
        "initializer_range": 0.02,
    },
    "description": "A tiny ALBERT for tests and CPU demos (4 shared layers, H=128, E=64, vocab 8000); "
    "an architecture only: it has no released weights.",
    "has_weights": False,
    "params": 8000 * 64 + 128 * 64 + 2 * 64 + 2 * 64 + 64 * 128 + 128 + 4 * (128 * 128 + 128) + 2 * 128 * 2
    + 128 * 512 + 512 + 512 * 128 + 128 + 128 * 128 + 128,
}

PAPER_PARAMS = {
    "albert_base_v2": 11_683_584,
    "albert_large_v2": 17_683_968,
    "albert_xlarge_v2": 58_724_864,
    "albert_xxlarge_v2": 222_595_584,
}

