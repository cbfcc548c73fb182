"""The Python twin of `WordPieceTokenizer`, for offline data preparation.

`WordPieceEncoder.encode` gives the ids of Hugging Face's slow
`BertTokenizer` (and of the in-graph `WordPieceTokenizer`):

1. the literal special tokens (``[PAD] [UNK] [CLS] [SEP] [MASK]``) are split
   off and kept as their ids;
2. the rest goes through BERT's basic tokenization (`bert_text`);
3. each word is split greedily, longest match first, into vocabulary pieces,
   continuation pieces prefixed with ``##``; a word with a character no piece
   covers, or longer than 100 characters, is one ``[UNK]``.
"""

import re
from collections.abc import Iterable

from albert_keras.tokenizer import bert_text
from albert_keras.tokenizer import wordpiece_vocab as wpv
from albert_keras.tokenizer.special_ids import SpecialIds


class WordPieceEncoder:
    """Tokenizes Python strings to BERT WordPiece ids.

    Args:
        vocabulary: the tokens (id order), a `vocab.txt` path or a vocabulary dir.
        lowercase: lowercase before tokenizing; `None` reads `tokenizer.json`
            (default True).
        strip_accents: strip accents; `None` reads `tokenizer.json`, else
            follows `lowercase`.
    """

    def __init__(
        self, vocabulary: wpv.Vocabulary, lowercase: bool | None = None, strip_accents: bool | None = None
    ) -> None:
        self.lowercase, self.strip_accents = wpv.resolve_options(vocabulary, lowercase, strip_accents)
        self.tokens = wpv.load_tokens(vocabulary)
        self.vocab = {t: i for i, t in enumerate(self.tokens)}
        self.special_ids: SpecialIds = wpv.special_ids(self.tokens)
        self._special_by_token = {t: self.vocab[t] for t in wpv.SPECIAL_TOKENS}
        self._split = re.compile("(" + bert_text.special_pattern(wpv.SPECIAL_TOKENS) + ")")

    def vocabulary_size(self) -> int:
        """Returns the number of tokens."""
        return len(self.tokens)

    def token_to_id(self, token: str) -> int:
        """Returns the id of `token`, `[UNK]`'s id if absent."""
        return self.vocab.get(token, self.special_ids.unk)

    def id_to_piece(self, i: int) -> str:
        """Returns the token string of id `i`."""
        return self.tokens[int(i)]

    @staticmethod
    def is_word_start(piece: str) -> bool:
        """True when `piece` starts a word (it does not start with ``##``)."""
        return not piece.startswith(wpv.SUFFIX)

    def wordpiece(self, word: str) -> list[int]:
        """The ids of one basic-tokenized word (greedy longest match first)."""
        if len(word) > wpv.MAX_CHARS_PER_WORD:
            return [self.special_ids.unk]
        ids = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else wpv.SUFFIX + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.special_ids.unk]
            start = end
        return ids

    def tokenize(self, text: str) -> list[str]:
        """Returns the token strings of `text`."""
        return [self.tokens[i] for i in self.encode(text)]

    def encode(self, text: str | bytes) -> list[int]:
        """Returns the ids of `text` (literal special tokens kept as their ids)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        ids = []
        for i, chunk in enumerate(self._split.split(text)):
            if i % 2:  # a special token
                ids.append(self._special_by_token[chunk])
                continue
            for word in bert_text.basic_tokenize(chunk, self.lowercase, self.strip_accents):
                ids.extend(self.wordpiece(word))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Maps ids back to text, BERT-style.

        ``[PAD] [CLS] [SEP] [MASK]`` are dropped (``[UNK]`` stays), tokens
        are joined with spaces, ``##`` pieces are glued to the token before and
        CJK characters get no space between them.
        """
        skip = set(self.special_ids.non_maskable())
        return bert_text.join_tokens(self.tokens[int(i)] for i in ids if int(i) not in skip)
