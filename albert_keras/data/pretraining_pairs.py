"""Sentence-order-prediction (SOP) pairs, as in ALBERT's `create_pretraining_data.py`.

For each document (a list of tokenized sentences) we accumulate sentences
into a chunk until it reaches a target length (``max_seq_length - 3``, or
with probability ``short_seq_prob`` a random length in
``[2, max_seq_length - 3]``), split the chunk at a random sentence boundary
``a_end`` into A and B, swap them with probability 0.5 (label 1 = swapped,
0 = in order) and truncate the pair (`truncate_seq_pair`).

Differences from the original: SOP needs two segments from the same
document, so a chunk is only closed once it holds at least two sentences
(the original closes it at the target length and, for a single sentence,
takes B from a random other document: next-sentence prediction). A
single-sentence chunk left at the end of a document is skipped and counted
(`PairStats.skipped_chunks`). Documents with fewer than two sentences cannot
give any pair and are skipped and counted (`PairStats.skipped_documents`).
Everything is deterministic under the `random.Random` given.
"""

import dataclasses
import random
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class SentencePair:
    """One SOP example before packing.

    Attributes:
        tokens_a: ids of the first segment (a tuple of ints).
        tokens_b: ids of the second segment.
        is_swapped: True (label 1) when A and B are in swapped order.
    """

    tokens_a: tuple
    tokens_b: tuple
    is_swapped: bool

    @property
    def label(self) -> int:
        """The SOP label: 1 = swapped, 0 = in order."""
        return int(self.is_swapped)


@dataclasses.dataclass
class PairStats:
    """Counts of what `create_sentence_pairs` did."""

    documents: int = 0
    skipped_documents: int = 0
    skipped_chunks: int = 0
    pairs: int = 0


def truncate_seq_pair(tokens_a: list[int], tokens_b: list[int], max_num_tokens: int, rng: random.Random) -> None:
    """Truncates two lists in place to at most `max_num_tokens` together.

    Removes one token at a time from the longer list (B on a tie), from its
    front or its back with equal probability, as in the original.
    """
    while len(tokens_a) + len(tokens_b) > max_num_tokens:
        trunc_tokens = tokens_a if len(tokens_a) > len(tokens_b) else tokens_b
        if rng.random() < 0.5:
            del trunc_tokens[0]
        else:
            trunc_tokens.pop()


def create_pairs_from_document(
    document: Sequence[Sequence[int]],
    max_seq_length: int,
    short_seq_prob: float,
    rng: random.Random,
    stats: PairStats | None = None,
) -> list[SentencePair]:
    """Creates the SOP pairs of one document.

    Args:
        document: a list of sentences, each a non-empty list of token ids.
        max_seq_length: the packed length the pairs must fit (with 3 special
            tokens).
        short_seq_prob: probability of a shorter random target length.
        rng: a `random.Random`.
        stats: optional `PairStats` to update.

    Returns:
        A list of `SentencePair`.
    """
    stats = stats if stats is not None else PairStats()
    stats.documents += 1
    document = [s for s in document if s]
    if len(document) < 2:
        stats.skipped_documents += 1
        return []
    max_num_tokens = max_seq_length - 3
    target_seq_length = max_num_tokens
    if rng.random() < short_seq_prob:
        target_seq_length = rng.randint(2, max_num_tokens)
    pairs = []
    current_chunk = []
    current_length = 0
    for i, segment in enumerate(document):
        current_chunk.append(segment)
        current_length += len(segment)
        if i == len(document) - 1 or (current_length >= target_seq_length and len(current_chunk) >= 2):
            if len(current_chunk) < 2:
                stats.skipped_chunks += 1
            else:
                a_end = rng.randint(1, len(current_chunk) - 1)
                tokens_a = [t for s in current_chunk[:a_end] for t in s]
                tokens_b = [t for s in current_chunk[a_end:] for t in s]
                is_swapped = rng.random() < 0.5
                if is_swapped:
                    tokens_a, tokens_b = tokens_b, tokens_a
                truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng)
                pairs.append(SentencePair(tuple(tokens_a), tuple(tokens_b), is_swapped))
            current_chunk = []
            current_length = 0
    stats.pairs += len(pairs)
    return pairs


def create_sentence_pairs(
    documents: Sequence[Sequence[Sequence[int]]],
    max_seq_length: int,
    short_seq_prob: float = 0.1,
    dupe_factor: int = 1,
    seed: int = 12345,
) -> tuple[list[SentencePair], PairStats]:
    """Creates the SOP pairs of a corpus, shuffled, `dupe_factor` times over.

    Args:
        documents: a list of documents, each a list of tokenized sentences.
        max_seq_length: the packed sequence length (at least 5).
        short_seq_prob: probability of a shorter target length per document.
        dupe_factor: how many times to go over the documents (each pass
            draws different splits).
        seed: the `random.Random` seed.

    Returns:
        `(pairs, stats)`: a list of `SentencePair` and a `PairStats` (its
        counts cover all passes).
    """
    if not isinstance(max_seq_length, int) or max_seq_length < 5:
        raise ValueError(f"`max_seq_length` must be an int >= 5. Received: {max_seq_length!r}")
    if not 0.0 <= short_seq_prob <= 1.0:
        raise ValueError(f"`short_seq_prob` must be in [0, 1]. Received: {short_seq_prob!r}")
    if not isinstance(dupe_factor, int) or dupe_factor < 1:
        raise ValueError(f"`dupe_factor` must be an int >= 1. Received: {dupe_factor!r}")
    rng = random.Random(seed)
    documents = [d for d in documents if d]
    rng.shuffle(documents)
    stats = PairStats()
    pairs = []
    for _ in range(dupe_factor):
        for document in documents:
            pairs.extend(create_pairs_from_document(document, max_seq_length, short_seq_prob, rng, stats))
    rng.shuffle(pairs)
    return pairs, stats
