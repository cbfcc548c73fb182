"""Splits a document into sentences for sentence-order pairs.

A sentence ends at a newline, after English ``.``, ``!`` or ``?`` (with any
closing quotes or brackets) followed by whitespace, and after Chinese ``。``,
``！``, ``？`` (with closing quotes). The end punctuation stays with its
sentence; surrounding whitespace is stripped and empty sentences dropped.
"""

import re

_ENGLISH_END = r"[.!?]+[\"')\]]*(?=\s)"
_CHINESE_END = r"[。！？]+[”’」』）]*"
_SENTENCE_END = re.compile(f"({_ENGLISH_END}|{_CHINESE_END})")


def split_sentences(document: str) -> list[str]:
    """Returns the list of sentences of `document` (a str)."""
    sentences = []
    for line in document.split("\n"):
        parts = _SENTENCE_END.split(line)
        # parts alternates text, end punctuation, text, ...
        for i in range(0, len(parts), 2):
            sentence = parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")
            sentence = sentence.strip()
            if sentence:
                sentences.append(sentence)
    return sentences
