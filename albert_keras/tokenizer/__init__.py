"""The SentencePiece vocabulary and the in-graph ALBERT tokenizer."""
