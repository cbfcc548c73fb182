"""ALBERT pretraining (MLM + SOP): the Python API behind `albert pretrain`.

`run_pretraining(config)` is what the CLI and the TFX Trainer call. It writes
a run dir:

    RUN_DIR/run_config.yaml       the resolved config
    RUN_DIR/vocab/                the vocabulary, when it was trained here
    RUN_DIR/checkpoints/          ckpt-<step>.* (resume state), last K kept
    RUN_DIR/logs/                 TensorBoard scalars
    RUN_DIR/history.jsonl         one row of scalars per loop
    RUN_DIR/training_curves.png
    RUN_DIR/metrics.json          final train scalars + held-out evaluation
    RUN_DIR/model/                the final model dir (AlbertPretrainer +
                                  spiece.model or vocab.txt), for export
                                  and fine-tuning
"""

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import keras

from albert_keras.config import ConfigError, PretrainConfig, coerce
from albert_keras.data import pretraining_dataset, pretraining_text
from albert_keras.data.corpus import read_corpus
from albert_keras.distillation.training import build_distiller, export_student
from albert_keras.model_dir import save_model_dir
from albert_keras.tokenizer import loading, vocab
from albert_keras.training import run_files
from albert_keras.training.evaluation import evaluate_pretrainer
from albert_keras.training.loop import train
from albert_keras.training.models import build_pretrainer
from albert_keras.training.optimizer import build_optimizer
from albert_keras.training.strategy import create_strategy, is_chief, per_replica_batch_size, writable_dir

VOCAB_DIR = "vocab"


@dataclasses.dataclass
class PretrainResult:
    """What `run_pretraining` did.

    Attributes:
        run_dir: the run directory.
        model_dir: RUN_DIR/model (written by the chief only).
        metrics: the dict written to metrics.json.
        start_step: the update step the run started or resumed from.
        final_step: the update step it ended at.
        checkpoint: the last checkpoint's path prefix.
        chief: whether this process wrote the files.
    """

    run_dir: str
    model_dir: str
    metrics: dict
    start_step: int
    final_step: int
    checkpoint: str
    chief: bool


def run_pretraining(
    config: PretrainConfig | dict[str, Any],
    fresh: bool = False,
    model_callback: Callable[[keras.Model], None] | None = None,
) -> PretrainResult:
    """Pretrains `AlbertPretrainer` from a config.

    Args:
        config: a `PretrainConfig` or the same as a nested dict (YAML).
        fresh: delete the run's checkpoints and start at step 0 (else the
            run resumes from its latest checkpoint).
        model_callback: optional `fn(model)` called after the model is
            compiled (tests use it to inspect the model).

    Returns:
        A `PretrainResult`.

    Raises:
        ConfigError: a bad config, missing files, or a batch that does not
            split over the replicas; raised before training starts.
    """
    config = coerce(PretrainConfig, config)
    d, t = config.data, config.training
    strategy = create_strategy(config.distribution.strategy, config.distribution.tpu)
    replicas = strategy.num_replicas_in_sync
    micro_batch = per_replica_batch_size(t.global_batch_size, replicas, t.gradient_accumulation_steps) * replicas
    loop = t.steps_per_loop or min(100, t.train_steps)
    if t.train_steps % loop:
        raise ConfigError(
            f"training.train_steps={t.train_steps} must be a multiple of training.steps_per_loop={loop}."
        )
    chief = is_chief(strategy)
    keras.utils.set_random_seed(t.seed)
    if chief:
        run_files.write_run_config(t.run_dir, config)

    spm = _resolve_vocab(config, strategy)
    encoder = loading.load_encoder(spm)
    vocabulary_size = encoder.vocabulary_size()

    counts = None
    if d.source == "text":
        documents = read_corpus(d.train_files, d.format)
        if d.eval_files:
            train_docs, eval_docs = documents, read_corpus(d.eval_files, d.format)
        else:
            train_docs, eval_docs = pretraining_text.split_documents(documents, d.eval_fraction, seed=t.seed)
        train_examples = pretraining_text.build_examples(
            train_docs, encoder, d.sequence_length, d.short_seq_prob, seed=t.seed
        )
        counts = pretraining_text.unigram_counts(train_examples, vocabulary_size, encoder.special_ids)
        train_ds = pretraining_text.masked_dataset(train_examples, encoder, d, micro_batch, t.seed, True)
        eval_ds = None
        if eval_docs:
            eval_examples = pretraining_text.build_examples(
                eval_docs, encoder, d.sequence_length, d.short_seq_prob, seed=t.seed + 1
            )
            eval_ds = pretraining_text.masked_dataset(
                eval_examples, encoder, d, t.eval_batch_size or micro_batch, t.seed + 1, False
            )
    else:
        train_ds = pretraining_dataset.records_dataset(
            d.train_files, d, micro_batch, t.seed, True, vocabulary_size, encoder.special_ids
        )
        eval_ds = None
        if d.eval_files:
            eval_ds = pretraining_dataset.records_dataset(
                d.eval_files, d, t.eval_batch_size or micro_batch, t.seed, False, vocabulary_size,
                encoder.special_ids,
            )

    with strategy.scope():
        model = build_pretrainer(config.model, vocabulary_size, t.precision, d.sequence_length)
        if config.distill.teacher is not None:
            model = build_distiller(model, config.distill, t.precision)
        optimizer = build_optimizer(config.optimizer, t.train_steps, t.gradient_accumulation_steps, t.precision)
        model.compile(optimizer=optimizer, jit_compile=t.jit_compile)
    if model_callback is not None:
        model_callback(model)

    outcome = train(
        model,
        train_ds,
        run_dir=t.run_dir,
        total_steps=t.train_steps,
        steps_per_loop=loop,
        checkpoint_every=t.checkpoint_every,
        keep_checkpoints=t.keep_checkpoints,
        global_batch_size=t.global_batch_size,
        accumulation_steps=t.gradient_accumulation_steps,
        strategy=strategy,
        fresh=fresh,
        verbose=t.verbose,
        time_budget_seconds=t.time_budget_seconds,
    )

    metrics = {"step": outcome.final_step, "start_step": outcome.start_step}
    if outcome.time_budget:
        metrics["time_budget"] = outcome.time_budget
    if outcome.history:
        metrics["train"] = outcome.history[-1]
    if config.distill.teacher is not None:
        metrics["distill"] = {"teacher": os.path.abspath(config.distill.teacher)}
        if eval_ds is not None:
            metrics["distill"]["teacher_eval"] = evaluate_pretrainer(
                model.teacher, eval_ds, t.eval_steps, unigram_counts=counts
            )
        model = export_student(model)
    if eval_ds is not None:
        metrics["eval"] = evaluate_pretrainer(model, eval_ds, t.eval_steps, unigram_counts=counts)
    model_dir = os.path.join(t.run_dir, run_files.MODEL_DIR)
    if chief:
        run_files.write_curves(t.run_dir, outcome.history, "ALBERT pretraining")
        run_files.write_metrics(t.run_dir, metrics)
    export_dir = writable_dir(strategy, model_dir)
    save_model_dir(
        model,
        export_dir,
        vocab_path=loading.vocab_file(spm),
        tokenizer_options=loading.tokenizer_options(spm),
        metadata={"source": "albert pretrain", "step": outcome.final_step, "run_dir": os.path.abspath(t.run_dir)},
    )
    return PretrainResult(
        run_dir=t.run_dir,
        model_dir=model_dir,
        metrics=metrics,
        start_step=outcome.start_step,
        final_step=outcome.final_step,
        checkpoint=outcome.checkpoint,
        chief=chief,
    )


def _resolve_vocab(config, strategy):
    """`data.spm`, the model dir's vocabulary (spiece.model or vocab.txt), or one trained into RUN_DIR/vocab."""
    d, t = config.data, config.training
    if d.spm is not None:
        return d.spm
    if config.distill.teacher is not None:
        if not loading.has_vocabulary(config.distill.teacher):
            raise ConfigError(
                f"distill.teacher {config.distill.teacher!r} has no vocabulary (spiece.model or vocab.txt): "
                "the student needs it."
            )
        return config.distill.teacher
    if loading.has_vocabulary(config.model.init):
        return config.model.init
    vocab_dir = os.path.join(t.run_dir, VOCAB_DIR)
    if loading.has_vocabulary(vocab_dir):
        return vocab_dir
    documents = read_corpus(d.train_files, d.format)
    target = writable_dir(strategy, vocab_dir)
    proto = vocab.train_sentencepiece(documents, d.vocab_size, seed=t.seed)  # lowercased, accents stripped
    vocab.write_vocab_dir(target, proto, {"lowercase": True, "strip_accents": True, "seed": t.seed})
    return target
