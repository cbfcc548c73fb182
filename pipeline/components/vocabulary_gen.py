"""VocabularyGen: trains the ALBERT SentencePiece vocabulary on the train split.

Calls `albert_keras.tokenizer.vocab` (unigram model, ALBERT special ids,
lowercased, accents stripped) and writes the vocabulary dir (spiece.model,
spiece.vocab, tokenizer.json) as the output artifact. To reuse a vocabulary
instead, the pipeline imports a vocab or model dir with an Importer of the
same artifact type.
"""

from tfx import v1 as tfx

from albert_keras.tokenizer import vocab
from pipeline import features
from pipeline.artifacts import SentencePieceVocabulary
from pipeline.components import examples_io


@tfx.dsl.components.component
def VocabularyGen(
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    vocabulary: tfx.dsl.components.OutputArtifact[SentencePieceVocabulary],
    vocab_size: tfx.dsl.components.Parameter[int] = 1000,
    seed: tfx.dsl.components.Parameter[int] = 0,
    character_coverage: tfx.dsl.components.Parameter[float] = 0.9995,
):
    """Trains a `vocab_size`-piece SentencePiece model on the train split's texts."""
    texts = [t for t in examples_io.read_texts(examples, features.TRAIN_SPLIT) if t]
    if not texts:
        raise ValueError(f"The train split of {examples.uri!r} holds no text to train a vocabulary on")
    proto = vocab.train_sentencepiece(texts, vocab_size, character_coverage=character_coverage, seed=seed)
    vocab.write_vocab_dir(vocabulary.uri, proto, {"lowercase": True, "strip_accents": True, "seed": seed})
    vocabulary.set_int_custom_property("vocab_size", vocab_size)
    vocabulary.set_int_custom_property("num_documents", len(texts))
