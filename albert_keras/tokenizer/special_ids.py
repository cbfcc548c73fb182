"""`SpecialIds`: the special token ids and strings of one vocabulary.

SentencePiece ALBERT vocabularies put ``<pad>``, ``<unk>``, ``[CLS]``,
``[SEP]``, ``[MASK]`` at ids 0..4; BERT WordPiece vocabularies (the Chinese
ALBERT checkpoints' ``vocab_chinese.txt``/``vocab.txt``) usually have
``[PAD]``=0, ``[UNK]``=100, ``[CLS]``=101, ``[SEP]``=102, ``[MASK]``=103, read
from the file. Every consumer (packer, masking, export) takes its ids from the
tokenizer's `special_ids`, never from constants.
"""

import dataclasses

from albert_keras import features


@dataclasses.dataclass(frozen=True)
class SpecialIds:
    """The special ids and token strings of a vocabulary."""

    pad: int
    unk: int
    cls: int
    sep: int
    mask: int
    pad_token: str
    unk_token: str
    cls_token: str = features.CLS_TOKEN
    sep_token: str = features.SEP_TOKEN
    mask_token: str = features.MASK_TOKEN

    def non_maskable(self) -> tuple[int, ...]:
        """The ids that masking never selects: pad, cls, sep and mask."""
        return (self.pad, self.cls, self.sep, self.mask)


SENTENCEPIECE = SpecialIds(
    pad=features.PAD_ID,
    unk=features.UNK_ID,
    cls=features.CLS_ID,
    sep=features.SEP_ID,
    mask=features.MASK_ID,
    pad_token=features.PAD_TOKEN,
    unk_token=features.UNK_TOKEN,
)
