"""The pure pipeline factory: a loaded config in, a `tfx.dsl.Pipeline` out.

Both pipelines share their front and their tail; only the middle, what the
Trainer trains on, depends on `pipeline.kind` (the TFX taxi template's
shape)::

    front   TextExampleGen -> StatisticsGen -> ExampleValidator <- ImportSchemaGen
                                                    |
                                              AnomaliesGate
                                                    |
    middle  pretraining: VocabularyGen (or vocabulary_importer)
                         -> PretrainingExamplesGen (Beam)
            fine-tuning: base_model_importer (the pretrained model dir)
                                                    |
    tail    Trainer (run_pretraining | run_finetuning; in a Vertex AI
              Training CustomJob with `trainer.runner: vertex`)
              -> MlmEvaluator | latest_blessed_model_resolver + Evaluator (TFMA)
              -> Pusher

Runners (`local_runner`, `kubeflow_v2_runner`) resolve paths and call
`create_pipeline`.
"""

import json
import typing

from tfx import v1 as tfx

from pipeline.artifacts import SentencePieceVocabulary
from pipeline.components.anomalies_gate import AnomaliesGate
from pipeline.components.mlm_evaluator import MlmEvaluator
from pipeline.components.pretraining_examples import PretrainingExamplesGen
from pipeline.components.text_example_gen import TextExampleGen
from pipeline.components.vocabulary_gen import VocabularyGen
from pipeline.config import PipelineConfig
from pipeline.vertex import training_args

PRETRAIN_RUN_FN = "pipeline.trainer.pretrain_module.run_fn"
FINETUNE_RUN_FN = "pipeline.trainer.finetune_module.run_fn"
TFMA_MODULE = "pipeline.tfma_model"  # registers the TF Text ops where TFMA loads the model
FRONT_IDS = ("TextExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "AnomaliesGate")
TAIL_IDS = ("Trainer", "Pusher")


class _Middle(typing.NamedTuple):
    """What one kind puts between the front and the tail."""

    components: list  # the kind's own components
    examples: typing.Any  # the channel the Trainer trains on and the evaluator evaluates on
    base_model: typing.Any  # the Trainer's base model channel, or None
    run_fn: str
    custom_config: dict  # the Trainer's custom_config entries of this kind


def _pretraining_middle(config: PipelineConfig, example_gen, gate) -> _Middle:
    """The vocabulary (trained or imported) and the masked pretraining examples."""
    v, e, t = config.vocabulary, config.examples, config.trainer
    if v.import_dir:  # also the teacher's when distilling: the student shares its vocabulary
        vocabulary = tfx.dsl.Importer(
            source_uri=v.import_dir, artifact_type=SentencePieceVocabulary, reimport=False
        ).with_id("vocabulary_importer")
        vocab_channel = vocabulary.outputs["result"]
    else:
        vocabulary = VocabularyGen(
            examples=example_gen.outputs["examples"], vocab_size=v.vocab_size, seed=v.seed,
            character_coverage=float(v.character_coverage), kind=v.kind,
        )
        vocab_channel = vocabulary.outputs["vocabulary"]
    vocabulary.add_upstream_node(gate)
    pretraining_examples = PretrainingExamplesGen(
        examples=example_gen.outputs["examples"],
        vocabulary=vocab_channel,
        masking=e.masking,
        sequence_length=e.sequence_length,
        max_predictions=e.max_predictions,
        dupe_factor=e.dupe_factor,
        masked_lm_prob=float(e.masked_lm_prob),
        short_seq_prob=float(e.short_seq_prob),
        max_ngram=e.max_ngram,
        texts_per_document=e.texts_per_document,
        seed=e.seed,
    )
    pretraining_examples.add_upstream_node(gate)
    return _Middle(
        components=[vocabulary, pretraining_examples],
        examples=pretraining_examples.outputs["pretraining_examples"],
        base_model=None,
        run_fn=PRETRAIN_RUN_FN,
        custom_config={
            "masking": e.masking,
            "sequence_length": e.sequence_length,
            "max_predictions": e.max_predictions,
            "masked_lm_prob": float(e.masked_lm_prob),
            "max_ngram": e.max_ngram,
            "distill_from": t.distill_from,
        },
    )


def _finetuning_middle(config: PipelineConfig, example_gen) -> _Middle:
    """The pretrained base model; the Trainer reads the raw labelled examples."""
    f = config.finetuning
    base_model = tfx.dsl.Importer(
        source_uri=f.base_model_dir, artifact_type=tfx.types.standard_artifacts.Model, reimport=False
    ).with_id("base_model_importer")
    return _Middle(
        components=[base_model],
        examples=example_gen.outputs["examples"],
        base_model=base_model.outputs["result"],
        run_fn=FINETUNE_RUN_FN,
        custom_config={"labels": list(f.labels), "sequence_length": f.sequence_length},
    )


def _evaluation(config: PipelineConfig, examples, model) -> list:
    """The blessing components; the last one outputs `blessing`.

    Pretraining blesses on held-out MLM accuracy (MlmEvaluator); fine-tuning
    on TFMA accuracy, absolute and against the latest blessed model.
    """
    ev = config.evaluator
    if config.pipeline.kind == "pretraining":
        return [MlmEvaluator(
            model=model, examples=examples, min_mlm_accuracy=float(ev.min_mlm_accuracy), eval_batches=ev.eval_batches
        )]
    from pipeline.eval_config import classification_eval_config  # imports TFMA (slow): fine-tuning only

    model_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=examples,
        model=model,
        baseline_model=model_resolver.outputs["model"],
        eval_config=classification_eval_config(ev.min_accuracy, ev.max_accuracy_drop),
        example_splits=["eval"],
        module_path=TFMA_MODULE,
    )
    return [model_resolver, evaluator]


def _trainer_runner(config: PipelineConfig) -> tuple[type, dict]:
    """The Trainer class of `trainer.runner` and the custom_config entries it reads.

    local: the standard Trainer (trains in its component's process or
    container). vertex: the Vertex AI Training Trainer, which runs the same
    `run_fn` in a CustomJob (`pipeline.vertex`).
    """
    t = config.trainer
    if t.runner == "local":
        return tfx.components.Trainer, {}
    vertex = tfx.extensions.google_cloud_ai_platform  # imports the Google API clients: vertex only
    return vertex.Trainer, {
        vertex.ENABLE_VERTEX_KEY: True,
        vertex.VERTEX_REGION_KEY: t.vertex.region,
        vertex.TRAINING_ARGS_KEY: training_args(t.vertex),
    }


def create_pipeline(
    config: PipelineConfig,
    pipeline_root: str | None = None,
    metadata_connection_config: typing.Any = None,
    beam_pipeline_args: list[str] | None = None,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline a loaded config (`pipeline.config.load_config`) describes.

    Args:
        config: a `PretrainingPipelineConfig` or `FinetuningPipelineConfig`.
        pipeline_root: where artifacts go (default `pipeline.root`).
        metadata_connection_config: MLMD connection (None for Kubeflow/Vertex).
        beam_pipeline_args: Beam args of the Beam-based components (default
            `beam.args`).

    Returns:
        A `tfx.dsl.Pipeline`.
    """
    p, ingest, t = config.pipeline, config.ingest, config.trainer

    # === Front: ingestion, statistics, the curated schema, validation, the gate ===
    example_gen = TextExampleGen(
        input_files=json.dumps(list(ingest.input_files)),
        input_format=ingest.format,
        label_source=ingest.label,
        text_field=ingest.text_field,
        label_field=ingest.label_field,
        eval_buckets=ingest.eval_buckets,
        total_buckets=ingest.total_buckets,
    )
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.ImportSchemaGen(schema_file=config.schema.file)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    gate = AnomaliesGate(anomalies=example_validator.outputs["anomalies"])

    # === Middle: what the Trainer trains on (the only part that depends on the kind) ===
    if p.kind == "pretraining":
        middle = _pretraining_middle(config, example_gen, gate)
    else:
        middle = _finetuning_middle(config, example_gen)

    # === Tail: train, bless, push ===
    trainer_class, runner_config = _trainer_runner(config)
    trainer = trainer_class(
        run_fn=middle.run_fn,
        examples=middle.examples,
        base_model=middle.base_model,
        train_args=tfx.proto.TrainArgs(num_steps=t.train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=t.eval_steps),
        custom_config={
            "albert": config.trainer_albert_config(),
            "strategy": t.strategy,
            "tpu": t.tpu,
            **middle.custom_config,
            **runner_config,
        },
    )
    trainer.add_upstream_node(gate)  # never train on data the validation rejected
    evaluation = _evaluation(config, middle.examples, trainer.outputs["model"])
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluation[-1].outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=p.serving_dir)
        ),
    )
    components = [example_gen, statistics_gen, schema_gen, example_validator, gate,
                  *middle.components, trainer, *evaluation, pusher]
    return tfx.dsl.Pipeline(
        pipeline_name=p.name,
        pipeline_root=pipeline_root or p.root,
        components=components,
        enable_cache=p.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(config.beam.args if beam_pipeline_args is None else beam_pipeline_args),
    )
