"""Artifact types the pipeline adds to the standard TFX ones."""

from tfx.types.artifact import Artifact


class SentencePieceVocabulary(Artifact):
    """A vocabulary dir: spiece.model, spiece.vocab and tokenizer.json, or WordPiece vocab.txt and tokenizer.json.

    (The type keeps its SentencePiece name so existing metadata stores stay valid.)
    """

    TYPE_NAME = "albert.SentencePieceVocabulary"  # the KFP v2 schema title form: <ns>.<Name>
