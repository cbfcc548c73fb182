"""The tokenizers and their vocabularies.

SentencePiece (`AlbertTokenizer`, `SentencePieceEncoder`, `vocab`) and BERT WordPiece
(`WordPieceTokenizer`, `WordPieceEncoder`, `wordpiece_vocab`).
"""
