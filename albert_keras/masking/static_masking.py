"""Static n-gram whole-word masking (Python), ALBERT's `create_masked_lm_predictions`.

Algorithm (google-research/albert `create_pretraining_data.py`):

* words: a maskable token that starts a word (see `word_boundaries`) opens a
  word, continuation pieces join it; [CLS], [SEP], [MASK] and padding are
  never candidates;
* ``num_to_predict = min(max_predictions, max(1, round(len(tokens) *
  masked_lm_prob)))`` where `tokens` counts the special tokens too;
* candidate n-grams start at every word, in shuffled order; for each, draw
  n <= max_ngram with p(n) ∝ 1/n (6/11, 3/11, 2/11 for 3), or the reverse
  order when ``favor_shorter_ngram=False``; shrink n while the n-gram would
  exceed `num_to_predict`; skip it if it still does or if it overlaps an
  already masked token;
* each masked token independently becomes [MASK] (80%), a random non-special
  id (10%) or stays (10%).

Difference from the original: an n-gram starting near the end of the
sequence only draws among the n that fit (the original's slices silently
came out shorter than n). The original's unused permutation branch is left
out. Everything is deterministic given the `random.Random`.
"""

import bisect
import dataclasses
import random
from collections.abc import Sequence

import numpy as np

from albert_keras import features
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

NUM_SPECIAL_IDS = len(features.SPECIAL_TOKENS)


def special_id_set(special_ids: SpecialIds = SENTENCEPIECE) -> tuple[int, ...]:
    """The distinct ids of pad, unk, cls, sep and mask, ascending (0..4 for SentencePiece)."""
    return tuple(sorted({special_ids.pad, special_ids.unk, special_ids.cls, special_ids.sep, special_ids.mask}))


def check_vocab_size(vocab_size: int, special_ids: SpecialIds) -> tuple[int, ...]:
    """Returns `special_id_set(special_ids)`; raises ValueError unless `vocab_size` has room past them."""
    specials = special_id_set(special_ids)
    if not isinstance(vocab_size, (int, np.integer)) or vocab_size <= max(len(specials), specials[-1]):
        raise ValueError(
            f"vocab_size must be > {max(len(specials), specials[-1])}, got {vocab_size!r} (special ids {specials})"
        )
    return specials


def skip_special_ids(draw: int, specials: Sequence[int]) -> int:
    """Maps a draw in [0, V - len(specials)) to the draw-th non-special id of [0, V).

    `specials` ascending: 0..4 for SentencePiece, so the result is ``draw + 5``;
    a uniform draw gives a uniform regular id wherever the vocabulary keeps
    its special tokens (a BERT vocab.txt: [PAD]=0, [UNK]..[MASK]=100..103).
    """
    for special in specials:
        draw += draw >= special
    return draw


@dataclasses.dataclass
class MaskedLmResult:
    """The output of `create_masked_lm_predictions`.

    Attributes:
        token_ids: the input ids with the masked positions replaced.
        positions: the masked positions, ascending.
        labels: the original ids at `positions`.
        ngram_sizes: the size in words of each masked n-gram, in the order
            they were chosen.
    """

    token_ids: list
    positions: list
    labels: list
    ngram_sizes: list


def ngram_probabilities(max_ngram: int = 3, favor_shorter_ngram: bool = True) -> np.ndarray:
    """Returns p(n) for n = 1..max_ngram: ∝ 1/n, reversed if not favoring shorter."""
    if not isinstance(max_ngram, int) or max_ngram < 1:
        raise ValueError(f"max_ngram must be an int >= 1, got {max_ngram!r}")
    pvals = 1.0 / np.arange(1, max_ngram + 1)
    pvals /= pvals.sum()
    return pvals if favor_shorter_ngram else pvals[::-1].copy()


def draw_ngram_size(rng: random.Random, pvals: np.ndarray | Sequence[float]) -> int:
    """Draws n in 1..len(pvals) with probabilities `pvals` (renormalized)."""
    cumulative = np.cumsum(pvals) / np.sum(pvals)
    return min(bisect.bisect_right(cumulative, rng.random()) + 1, len(pvals))


def word_candidates(
    token_ids: Sequence[int], word_starts: Sequence[int], special_ids: SpecialIds = SENTENCEPIECE
) -> list[list[int]]:
    """Groups maskable positions into words: a list of lists of positions."""
    words = []
    non_maskable = special_ids.non_maskable()
    for i, (token, start) in enumerate(zip(token_ids, word_starts, strict=False)):
        if token in non_maskable:
            continue
        if start or not words or words[-1][-1] != i - 1:
            words.append([i])
        else:
            words[-1].append(i)
    return words


def num_to_predict(num_tokens: int, masked_lm_prob: float, max_predictions: int) -> int:
    """min(max_predictions, max(1, round(num_tokens * masked_lm_prob)))."""
    return min(max_predictions, max(1, int(round(num_tokens * masked_lm_prob))))


def create_masked_lm_predictions(
    token_ids: Sequence[int],
    word_starts: Sequence[int],
    vocab_size: int,
    rng: random.Random,
    masked_lm_prob: float = 0.15,
    max_predictions: int = 20,
    max_ngram: int = 3,
    favor_shorter_ngram: bool = True,
    mask_token_rate: float = 0.8,
    random_token_rate: float = 0.1,
    special_ids: SpecialIds = SENTENCEPIECE,
) -> MaskedLmResult:
    """Masks n-grams of whole words in one unpadded packed sequence.

    Args:
        token_ids: list of ints `[seq_len]`, e.g. ``[CLS] A [SEP] B [SEP]``.
        word_starts: list of 0/1 `[seq_len]`, 1 where a word starts.
        vocab_size: random replacements are drawn uniformly from the ids
            0..vocab_size-1 that are not special (5.. for SentencePiece).
        rng: a `random.Random`.
        masked_lm_prob: the fraction of tokens to mask.
        max_predictions: the most positions to mask.
        max_ngram: the longest n-gram, in words.
        favor_shorter_ngram: p(n) ∝ 1/n when True, reversed when False.
        mask_token_rate: probability a masked token becomes [MASK].
        random_token_rate: probability it becomes a random id (else kept).
        special_ids: the vocabulary's special ids (the tokenizer's
            `special_ids`): which ids are never masked, and [MASK]'s id.

    Returns:
        A `MaskedLmResult`.
    """
    if len(token_ids) != len(word_starts):
        raise ValueError(f"token_ids and word_starts differ in length: {len(token_ids)} vs {len(word_starts)}")
    specials = check_vocab_size(vocab_size, special_ids)
    if mask_token_rate < 0 or random_token_rate < 0 or mask_token_rate + random_token_rate > 1:
        raise ValueError(
            f"mask_token_rate and random_token_rate must be >= 0 with sum <= 1, "
            f"got {mask_token_rate!r} and {random_token_rate!r}"
        )
    pvals = ngram_probabilities(max_ngram, favor_shorter_ngram)
    words = word_candidates(token_ids, word_starts, special_ids)
    output = list(token_ids)
    budget = num_to_predict(len(token_ids), masked_lm_prob, max_predictions)
    if masked_lm_prob == 0 or not words:
        return MaskedLmResult(output, [], [], [])
    starts = list(range(len(words)))
    rng.shuffle(starts)
    covered = set()
    masked = []
    ngram_sizes = []
    for start in starts:
        if len(masked) >= budget:
            break
        available = min(max_ngram, len(words) - start)
        n = draw_ngram_size(rng, pvals[:available])
        index_set = [i for w in words[start : start + n] for i in w]
        while len(masked) + len(index_set) > budget and n > 1:
            n -= 1
            index_set = [i for w in words[start : start + n] for i in w]
        if len(masked) + len(index_set) > budget:
            continue
        if any(i in covered for i in index_set):
            continue
        ngram_sizes.append(n)
        for index in index_set:
            covered.add(index)
            draw = rng.random()
            if draw < mask_token_rate:
                output[index] = special_ids.mask
            elif draw < mask_token_rate + random_token_rate:
                output[index] = skip_special_ids(rng.randint(0, vocab_size - 1 - len(specials)), specials)
            masked.append(index)
    masked.sort()
    return MaskedLmResult(output, masked, [token_ids[i] for i in masked], ngram_sizes)
