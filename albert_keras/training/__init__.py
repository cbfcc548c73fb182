"""Pretraining and fine-tuning: optimizers, distribution, resume (the configs: `albert_keras.config`).

The Python entry points (used by the CLI and the TFX Trainer):

* `albert_keras.training.pretrain.run_pretraining(config) -> PretrainResult`
* `albert_keras.training.finetune.run_finetuning(config) -> FinetuneResult`
"""
