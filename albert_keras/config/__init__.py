"""Typed configs on one loader: pretraining, fine-tuning, distillation.

    from albert_keras.config import PretrainConfig, load
    config = load(PretrainConfig, "configs/pretrain/tiny_cpu.yaml", ["training.train_steps=200"])
    print(to_yaml(config))

The engine is `albert_keras.config.loader` (YAML in and out, `--set`
overrides, errors naming the key and the file); the TFX pipeline's config
(`pipeline.config`) is built on the same loader and nests these configs.
"""

from albert_keras.config.common import (
    INPUT_FORMATS,
    OPTIMIZERS,
    PRECISIONS,
    STRATEGIES,
    DistributionConfig,
    ModelConfig,
    OptimizerConfig,
    TrainingConfig,
)
from albert_keras.config.distillation import DistillConfig
from albert_keras.config.finetuning import TASKS, FinetuneConfig, FinetuneDataConfig, TaskConfig
from albert_keras.config.loader import (
    ConfigError,
    apply_overrides,
    coerce,
    from_dict,
    load,
    to_dict,
    to_yaml,
    write_yaml,
)
from albert_keras.config.pretraining import PRETRAIN_SOURCES, PretrainConfig, PretrainDataConfig

__all__ = [
    "INPUT_FORMATS", "OPTIMIZERS", "PRECISIONS", "PRETRAIN_SOURCES", "STRATEGIES", "TASKS",
    "ConfigError", "DistillConfig", "DistributionConfig", "FinetuneConfig", "FinetuneDataConfig", "ModelConfig",
    "OptimizerConfig", "PretrainConfig", "PretrainDataConfig", "TaskConfig", "TrainingConfig",
    "apply_overrides", "coerce", "from_dict", "load", "to_dict", "to_yaml", "write_yaml",
]
