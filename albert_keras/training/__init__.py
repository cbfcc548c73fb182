"""Pretraining and fine-tuning: configs, optimizers, distribution, resume.

The Python entry points (used by the CLI and the TFX Trainer):

* `albert_keras.training.pretrain.run_pretraining(config) -> PretrainResult`
* `albert_keras.training.finetune.run_finetuning(config) -> FinetuneResult`
"""
