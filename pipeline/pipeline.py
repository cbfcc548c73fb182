"""Pure pipeline factories: every path and setting in, a `tfx.dsl.Pipeline` out.

Pretraining::

    TextExampleGen -> StatisticsGen -> ExampleValidator <- ImportSchemaGen
                                            |
                                      AnomaliesGate
                                            |
    VocabularyGen (or vocab Importer) -> PretrainingExamplesGen (Beam)
                                            |
                                         Trainer (run_pretraining)
                                            |
                                       MlmEvaluator -> Pusher

Fine-tuning::

    TextExampleGen -> StatisticsGen -> ExampleValidator <- ImportSchemaGen
                                            |
                                      AnomaliesGate
                                            |
    base-model Importer ------------> Trainer (run_finetuning)
                                            |
    latest-blessed Resolver --------> Evaluator (TFMA) -> Pusher

Runners (`local_runner`, `kubeflow_v2_runner`) resolve paths and call these.
"""

import json

from tfx import v1 as tfx

from pipeline.artifacts import SentencePieceVocabulary
from pipeline.components.anomalies_gate import AnomaliesGate
from pipeline.components.mlm_evaluator import MlmEvaluator
from pipeline.components.pretraining_examples import PretrainingExamplesGen
from pipeline.components.text_example_gen import TextExampleGen
from pipeline.components.vocabulary_gen import VocabularyGen

PRETRAIN_RUN_FN = "pipeline.trainer.pretrain_module.run_fn"
FINETUNE_RUN_FN = "pipeline.trainer.finetune_module.run_fn"
TFMA_MODULE = "pipeline.tfma_model"  # registers the TF Text ops where TFMA loads the model


def _data_validation(input_files, input_format, label_source, schema_file, eval_buckets, total_buckets,
                     text_field="text", label_field="label"):
    """Ingestion, statistics, the curated schema, validation and the gate."""
    example_gen = TextExampleGen(
        input_files=json.dumps(list(input_files)),
        input_format=input_format,
        label_source=label_source,
        text_field=text_field,
        label_field=label_field,
        eval_buckets=eval_buckets,
        total_buckets=total_buckets,
    )
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_file)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    gate = AnomaliesGate(anomalies=example_validator.outputs["anomalies"])
    return [example_gen, statistics_gen, schema_gen, example_validator, gate]


def create_pretraining_pipeline(
    pipeline_name,
    pipeline_root,
    input_files,
    schema_file,
    serving_model_dir,
    input_format="auto",
    eval_buckets=1,
    total_buckets=10,
    vocab_import_dir=None,
    vocab_size=1000,
    vocab_seed=0,
    character_coverage=0.9995,
    masking="static",
    sequence_length=64,
    max_predictions=10,
    dupe_factor=2,
    masked_lm_prob=0.15,
    short_seq_prob=0.1,
    max_ngram=3,
    examples_seed=12345,
    train_steps=100,
    eval_steps=0,
    albert_config=None,
    strategy="default",
    tpu=None,
    min_mlm_accuracy=0.0,
    eval_batches=0,
    distill_from=None,
    enable_cache=True,
    metadata_connection_config=None,
    beam_pipeline_args=None,
):
    """The pretraining pipeline (raw text -> vocab -> examples -> train -> evaluate -> push).

    Args:
        pipeline_name: the pipeline's name in ML Metadata.
        pipeline_root: where artifacts go.
        input_files: the text files to ingest (a list of paths).
        schema_file: the curated schema (schema.pbtxt) of the raw examples.
        serving_model_dir: Pusher's filesystem base dir (versioned subdirs).
        input_format: "auto" or a corpus format (see TextExampleGen).
        eval_buckets, total_buckets: hash split (eval share = eval/total).
        vocab_import_dir: a vocab or model dir to import instead of
            training a vocabulary (None trains one).
        vocab_size, vocab_seed, character_coverage: SentencePiece training.
        masking: "static" (masks written once per dupe) or "dynamic".
        sequence_length, max_predictions, dupe_factor, masked_lm_prob,
            short_seq_prob, max_ngram, examples_seed: pretraining examples.
        train_steps, eval_steps: Trainer steps.
        albert_config: albert_keras PretrainConfig sections model,
            optimizer, training (without run_dir/train_steps).
        strategy, tpu: tf.distribute strategy of the Trainer.
        min_mlm_accuracy: the MlmEvaluator blessing threshold.
        eval_batches: MlmEvaluator batches (0: all).
        distill_from: a teacher pretrainer model dir: the Trainer distils
            the student (`albert_config["model"]`) from it instead of plain
            pretraining (`albert_config["distill"]` sets the loss weights),
            and the MlmEvaluator gates the student. Pass the teacher's
            vocabulary as `vocab_import_dir`.
        enable_cache: reuse outputs of unchanged components.
        metadata_connection_config: MLMD connection (None for Kubeflow/Vertex).
        beam_pipeline_args: Beam args of the Beam-based components.

    Returns:
        A `tfx.dsl.Pipeline`.
    """
    if distill_from and not vocab_import_dir:
        vocab_import_dir = distill_from  # the student shares the teacher's vocabulary
    components = _data_validation(input_files, input_format, "none", schema_file, eval_buckets, total_buckets)
    example_gen, gate = components[0], components[-1]
    if vocab_import_dir:
        vocabulary = tfx.dsl.Importer(
            source_uri=vocab_import_dir, artifact_type=SentencePieceVocabulary, reimport=False
        ).with_id("vocabulary_importer")
        vocab_channel = vocabulary.outputs["result"]
    else:
        vocabulary = VocabularyGen(
            examples=example_gen.outputs["examples"], vocab_size=vocab_size, seed=vocab_seed,
            character_coverage=float(character_coverage),
        )
        vocab_channel = vocabulary.outputs["vocabulary"]
    vocabulary.add_upstream_node(gate)
    pretraining_examples = PretrainingExamplesGen(
        examples=example_gen.outputs["examples"],
        vocabulary=vocab_channel,
        masking=masking,
        sequence_length=sequence_length,
        max_predictions=max_predictions,
        dupe_factor=dupe_factor,
        masked_lm_prob=float(masked_lm_prob),
        short_seq_prob=float(short_seq_prob),
        max_ngram=max_ngram,
        seed=examples_seed,
    )
    pretraining_examples.add_upstream_node(gate)
    trainer = tfx.components.Trainer(
        run_fn=PRETRAIN_RUN_FN,
        examples=pretraining_examples.outputs["pretraining_examples"],
        train_args=tfx.proto.TrainArgs(num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps),
        custom_config={
            "albert": albert_config or {},
            "strategy": strategy,
            "tpu": tpu,
            "masking": masking,
            "sequence_length": sequence_length,
            "max_predictions": max_predictions,
            "masked_lm_prob": float(masked_lm_prob),
            "max_ngram": max_ngram,
            "distill_from": distill_from,
        },
    )
    evaluator = MlmEvaluator(
        model=trainer.outputs["model"],
        examples=pretraining_examples.outputs["pretraining_examples"],
        min_mlm_accuracy=float(min_mlm_accuracy),
        eval_batches=eval_batches,
    )
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)
        ),
    )
    components += [vocabulary, pretraining_examples, trainer, evaluator, pusher]
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=components,
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args or []),
    )


def create_finetuning_pipeline(
    pipeline_name,
    pipeline_root,
    input_files,
    schema_file,
    serving_model_dir,
    base_model_dir,
    labels,
    input_format="auto",
    label_source="file",
    text_field="text",
    label_field="label",
    eval_buckets=1,
    total_buckets=10,
    sequence_length=64,
    train_steps=100,
    eval_steps=0,
    albert_config=None,
    strategy="default",
    tpu=None,
    min_accuracy=0.0,
    max_accuracy_drop=0.05,
    enable_cache=True,
    metadata_connection_config=None,
    beam_pipeline_args=None,
):
    """The fine-tuning pipeline (labelled text -> validate -> train -> TFMA -> push).

    Args:
        pipeline_name, pipeline_root, input_files, schema_file,
            serving_model_dir, input_format, eval_buckets, total_buckets,
            enable_cache, metadata_connection_config, beam_pipeline_args:
            as for `create_pretraining_pipeline`.
        base_model_dir: the pretrained albert model dir (imported).
        labels: class names in id order (the schema's label domain).
        label_source: "file" (file name) or "field" (csv/jsonl field).
        text_field, label_field: csv/jsonl field names.
        sequence_length: T.
        train_steps, eval_steps: Trainer steps.
        albert_config: albert_keras FinetuneConfig sections task, model,
            optimizer, training (without run_dir/train_steps).
        strategy, tpu: tf.distribute strategy of the Trainer.
        min_accuracy: TFMA value threshold on accuracy.
        max_accuracy_drop: TFMA change threshold against the latest blessed model.

    Returns:
        A `tfx.dsl.Pipeline`.
    """
    from pipeline.eval_config import classification_eval_config

    components = _data_validation(
        input_files, input_format, label_source, schema_file, eval_buckets, total_buckets, text_field, label_field
    )
    example_gen, gate = components[0], components[-1]
    base_model = tfx.dsl.Importer(
        source_uri=base_model_dir, artifact_type=tfx.types.standard_artifacts.Model, reimport=False
    ).with_id("base_model_importer")
    trainer = tfx.components.Trainer(
        run_fn=FINETUNE_RUN_FN,
        examples=example_gen.outputs["examples"],
        base_model=base_model.outputs["result"],
        train_args=tfx.proto.TrainArgs(num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=eval_steps),
        custom_config={
            "albert": albert_config or {},
            "strategy": strategy,
            "tpu": tpu,
            "labels": list(labels),
            "sequence_length": sequence_length,
        },
    )
    trainer.add_upstream_node(gate)
    model_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=model_resolver.outputs["model"],
        eval_config=classification_eval_config(min_accuracy, max_accuracy_drop),
        example_splits=["eval"],
        module_path=TFMA_MODULE,
    )
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)
        ),
    )
    components += [base_model, trainer, model_resolver, evaluator, pusher]
    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        components=components,
        enable_cache=enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args or []),
    )


def create_pipeline(config, pipeline_root=None, metadata_connection_config=None, beam_pipeline_args=None):
    """Builds the pipeline a loaded config (`pipeline.config.load_config`) describes."""
    p, ingest, t = config["pipeline"], config["ingest"], config["trainer"]
    common = dict(
        pipeline_name=p["name"],
        pipeline_root=pipeline_root or p["root"],
        input_files=ingest["input_files"],
        schema_file=config["schema"]["file"],
        serving_model_dir=p["serving_dir"],
        input_format=ingest["format"],
        eval_buckets=ingest["eval_buckets"],
        total_buckets=ingest["total_buckets"],
        train_steps=t["train_steps"],
        eval_steps=t["eval_steps"],
        albert_config=t["albert"],
        strategy=t["strategy"],
        tpu=t["tpu"],
        enable_cache=p["enable_cache"],
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=config["beam"]["args"] if beam_pipeline_args is None else beam_pipeline_args,
    )
    if p["kind"] == "pretraining":
        v, e, ev = config["vocabulary"], config["examples"], config["evaluator"]
        return create_pretraining_pipeline(
            vocab_import_dir=v["import_dir"], vocab_size=v["vocab_size"], vocab_seed=v["seed"],
            character_coverage=v["character_coverage"], masking=e["masking"],
            sequence_length=e["sequence_length"], max_predictions=e["max_predictions"],
            dupe_factor=e["dupe_factor"], masked_lm_prob=e["masked_lm_prob"],
            short_seq_prob=e["short_seq_prob"], max_ngram=e["max_ngram"], examples_seed=e["seed"],
            min_mlm_accuracy=ev["min_mlm_accuracy"], eval_batches=ev["eval_batches"],
            distill_from=t["distill_from"], **common,
        )
    f, ev = config["finetuning"], config["evaluator"]
    return create_finetuning_pipeline(
        base_model_dir=f["base_model_dir"], labels=f["labels"], label_source=ingest["label"],
        text_field=ingest["text_field"], label_field=ingest["label_field"],
        sequence_length=f["sequence_length"], min_accuracy=ev["min_accuracy"],
        max_accuracy_drop=ev["max_accuracy_drop"], **common,
    )
