"""VocabularyGen: trains the vocabulary (SentencePiece or WordPiece) on the train split.

`kind="sentencepiece"` (the default) calls `albert_keras.tokenizer.vocab`
(unigram model, ALBERT special ids, lowercased, accents stripped) and writes
spiece.model, spiece.vocab and tokenizer.json; `kind="wordpiece"` calls
`albert_keras.tokenizer.wordpiece_vocab.train_wordpiece` (BERT special
tokens [PAD] [UNK] [CLS] [SEP] [MASK], lowercased, accents stripped) and
writes vocab.txt and tokenizer.json (``"kind": "wordpiece"``). Either dir is
the output artifact; every later step picks the tokenizer by its files
(`albert_keras.tokenizer.loading`). To reuse a vocabulary instead, the
pipeline imports a vocab or model dir with an Importer of the same artifact
type.
"""

from tfx import v1 as tfx

from albert_keras.tokenizer import loading
from pipeline import features, remote
from pipeline.artifacts import SentencePieceVocabulary
from pipeline.components import examples_io


def train_vocabulary(
    texts: list[str], output_dir: str, kind: str, vocab_size: int, seed: int = 0, character_coverage: float = 0.9995
) -> int:
    """Trains a `kind` vocabulary on `texts` and writes its dir.

    Args:
        texts: the documents.
        output_dir: the vocabulary dir to write.
        kind: "sentencepiece" or "wordpiece".
        vocab_size: tokens of the vocabulary, special tokens included.
        seed: SentencePiece's seed (WordPiece training is deterministic).
        character_coverage: SentencePiece's character coverage.

    Returns:
        The vocabulary size written.
    """
    if kind == loading.SENTENCEPIECE:
        from albert_keras.tokenizer import vocab

        proto = vocab.train_sentencepiece(texts, vocab_size, character_coverage=character_coverage, seed=seed)
        vocab.write_vocab_dir(output_dir, proto, {"lowercase": True, "strip_accents": True, "seed": seed})
    elif kind == loading.WORDPIECE:
        from albert_keras.tokenizer import wordpiece_vocab

        tokens = wordpiece_vocab.train_wordpiece(texts, vocab_size, lowercase=True, strip_accents=True)
        wordpiece_vocab.write_wordpiece_vocab(output_dir, tokens, lowercase=True, strip_accents=True)
    else:
        raise ValueError(f"`kind` must be one of {loading.KINDS}. Received: {kind!r}")
    return loading.load_encoder(output_dir).vocabulary_size()


@tfx.dsl.components.component
def VocabularyGen(
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    vocabulary: tfx.dsl.components.OutputArtifact[SentencePieceVocabulary],
    vocab_size: tfx.dsl.components.Parameter[int] = 1000,
    seed: tfx.dsl.components.Parameter[int] = 0,
    character_coverage: tfx.dsl.components.Parameter[float] = 0.9995,
    kind: tfx.dsl.components.Parameter[str] = loading.SENTENCEPIECE,
):
    """Trains a `vocab_size`-token vocabulary of `kind` on the train split's texts."""
    texts = [t for t in examples_io.read_texts(examples, features.TRAIN_SPLIT) if t]
    if not texts:
        raise ValueError(f"The train split of {examples.uri!r} holds no text to train a vocabulary on")
    with remote.writable_dir(vocabulary.uri, prefix="albert_vocab_") as output_dir:
        size = train_vocabulary(texts, output_dir, kind, vocab_size, seed, character_coverage)
    vocabulary.set_int_custom_property("vocab_size", size)
    vocabulary.set_int_custom_property("num_documents", len(texts))
    vocabulary.set_string_custom_property("kind", kind)
